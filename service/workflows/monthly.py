"""The monthly summary (附件4): each department reports last month per person, before the 5th.

Store: the department's partition, table "monthly", one document per month:
{month, rows[…MonthlyRow fields], submitted_at, by, partial, missing[staff ids],
history[older versions {rows, submitted_at, by, partial}]}.
A resubmission replaces the month (an uploaded annex 4 only once the clerk has seen what changes
and confirmed); the replaced version moves into history. The board
judges the month by the current version's time (rules/schedule.py); a summary that leaves
people out is accepted only when sent as a partial one, and shows as 部分报送.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.content.codes import DELIVERY_LABELS, NOBODY, PARTIAL
from service.content.formats import cn_time, num
from service.errors import ApiError, bad_request, unprocessable
from service.rules import access, schedule
from service.rules.access import User
from service.rules.clock import as_local
from service.rules.monthly import MonthlyRow, MonthlySummary, judge_submission, row_changes
from service.workflows.commit import Put, commit
from service.workflows.common import department_or_404, parse_time
from service.workflows.context import Context

TABLE = "monthly"
FIELDS = tuple(f.name for f in dataclasses.fields(MonthlyRow))
_FIELD_SET = frozenset(FIELDS)
SHOWN = 30  # changes a refusal's message spells out (the answer's `changes` lists them all)


def due(ctx: Context, month: int) -> dt.date:
    s = ctx.content.settings
    return schedule.monthly_due(s.year, month, s.monthly_due_day)


def state_of(ctx: Context, submitted_at: dt.datetime | None, month: int) -> str:
    return schedule.delivery_state(submitted_at, due(ctx, month), ctx.now(),
                                   ctx.content.settings.timezone)


def month_view(ctx: Context, department: str, month: int) -> dict[str, Any]:
    doc = ctx.store.get(department, TABLE, month=month)
    state = (PARTIAL if doc and doc.get("partial") else NOBODY if doc is None and not ctx.content.members(department)
             else state_of(ctx, parse_time(doc["submitted_at"]) if doc else None, month))
    return {"department": department, "month": month, "year": ctx.year, "due": due(ctx, month).isoformat(),
            "state": state, "state_label": DELIVERY_LABELS[state],
            "rows": doc["rows"] if doc else [], "submitted_at": doc["submitted_at"] if doc else None,
            "by": doc["by"] if doc else None, "history": doc["history"] if doc else [],
            "partial": bool(doc and doc.get("partial")), "missing": doc.get("missing", []) if doc else []}


def submit(ctx: Context, user: User, department: str, month: int, raw_rows: Any, *,
           partial: bool = False, confirm: bool = False, replace: bool = False) -> dict[str, Any]:
    """Replace the department's summary for `month`; the previous version goes into history.
    Everyone of the department must be reported unless `partial` says the summary is partial.
    With `confirm` (an uploaded workbook), a month on record is replaced only when `replace`
    says the clerk saw what changes: else 409 `already_reported` lists it."""
    department_or_404(ctx, department)
    access.ensure(user, access.WRITE_DEPARTMENT, department, "您只能报送本部门的月汇总表")
    s = ctx.content.settings
    today = as_local(ctx.now(), s.timezone).date()
    if (today.year, today.month) < (s.year, month):
        raise unprocessable("month_not_started", f"{s.year}年{month}月尚未开始，不能报送该月的月汇总表")
    if not isinstance(raw_rows, list) or not raw_rows or not all(isinstance(r, dict) for r in raw_rows):
        raise bad_request("invalid_rows", "rows 应为非空列表，每项为一名教职工的一行（工号、出勤 … 业务工作目标）")
    judged = judge_submission(raw_rows, ctx.content.members(department), business_max=s.individual_points,
                              other_max=s.common_points)
    if judged.problems:
        problems = [str(p) for p in judged.problems]
        raise unprocessable("invalid_monthly", "；".join(problems), problems=problems)
    if not judged.rows:
        raise unprocessable("monthly_blank", "月汇总表中没有填写任何人的数据，未报送。")
    if judged.missing and not partial:
        names = "、".join(_who(ctx, staff_id) for staff_id in judged.missing)
        raise unprocessable("monthly_incomplete", f"以下 {len(judged.missing)} 人没有填写：{names}。如本月只报送部分人员，"
                            "请勾选“部分报送”（接口中 \"partial\": true）后再提交。", staff_ids=list(judged.missing))
    stored = [dataclasses.asdict(row) for row in judged.rows]
    with ctx.store.locked():
        before = ctx.store.get(department, TABLE, month=month)
        if before and confirm and not replace:
            raise already_reported(ctx, month, before, stored)
        history = list(before["history"]) if before else []
        if before:
            history.append({k: before.get(k) for k in ("rows", "submitted_at", "by", "partial")})
        doc = {"month": month, "rows": stored, "submitted_at": ctx.stamp(), "by": user.username,
               "partial": bool(judged.missing), "missing": list(judged.missing), "history": history}
        commit(ctx, [Put(department, TABLE, doc, {"month": month})], user.username, "monthly.submit",
               department=department, month=month, people=len(stored), version=len(history) + 1,
               partial=bool(judged.missing))
    return month_view(ctx, department, month)


def already_reported(ctx: Context, month: int, before: dict[str, Any], rows: list[dict[str, Any]]) -> ApiError:
    """409: the month is on record; the answer names when and by whom, and lists what would change."""
    found = row_changes(before["rows"], rows)
    changes = [{"staff_id": c.staff_id, "name": _name(ctx, c.staff_id), "column": c.column,
                "before": c.before, "after": c.after} for c in found]
    shown = "；".join(f"{c['name']} {c['column']} {_value(c['before'])} → {_value(c['after'])}" for c in changes[:SHOWN])
    more = f"；……共 {len(changes)} 处" if len(changes) > SHOWN else ""
    what = f"上传的表格将改动 {len(changes)} 处：{shown}{more}。" if changes else "上传的表格与已报送的内容相同。"
    return ApiError(409, "already_reported", f"{ctx.year}年{month}月的月汇总表已于{cn_time(before.get('submitted_at'))}"
                    f"由 {before.get('by')} 报送。{what}确认要替换已报送的内容，请确认后重新提交（接口中带字段 replace=1）。",
                    month=month, submitted_at=before.get("submitted_at"), by=before.get("by"), changes=changes)


def _value(value: float | None) -> str:
    return "未报送" if value is None else num(value)


def _name(ctx: Context, staff_id: str) -> str:
    member = ctx.content.staff(staff_id)
    return member.name if member else staff_id


def _who(ctx: Context, staff_id: str) -> str:
    member = ctx.content.staff(staff_id)
    return f"{member.name}（{staff_id}）" if member else staff_id


@dataclass(frozen=True, eq=False)
class Reported:
    """A department's current summaries of the year, when each was submitted and which are partial."""

    summaries: tuple[MonthlySummary, ...]
    submitted: Mapping[int, dt.datetime]  # month → when its current version was submitted
    partial: frozenset[int]  # months whose current version leaves people out
    missing: Mapping[int, tuple[str, ...]]  # month → the staff ids a partial version leaves out


def reported(ctx: Context, department: str) -> Reported:
    """The department's summaries, read when they changed and kept (the file itself is not kept:
    its history of replaced versions stays on disk).

    Equal values share one object (a year at 10,000 staff has 1.2 million numbers, mostly
    the same few: 22 days, 0 late, …), so the rows kept for scoring stay small.
    """
    return ctx.kept.value(("monthly", department), ((department, TABLE),), None, lambda: _read(ctx, department))


def _read(ctx: Context, department: str) -> Reported:
    shared: dict[tuple[type, Any], Any] = {}  # keyed by type too: 0 and 0.0 stay what they were
    one = shared.setdefault

    def row(stored: dict[str, Any]) -> MonthlyRow:
        if stored.keys() >= _FIELD_SET:  # as submit stores it: every field, in the dataclass's order
            return MonthlyRow(*[one((type(v), v), v) for v in map(stored.__getitem__, FIELDS)])
        return MonthlyRow(**{k: one((type(v), v), v) for k, v in stored.items() if k in _FIELD_SET})

    summaries, submitted, partial, missing = [], {}, set(), {}
    for doc in ctx.store.scan(department, TABLE, fields=("month", "rows", "submitted_at", "partial", "missing")):
        month = doc["month"]
        summaries.append(MonthlySummary(department, month, tuple(map(row, doc["rows"]))))
        at = parse_time(doc.get("submitted_at"))
        if at is not None:
            submitted[month] = at
            if doc.get("partial"):
                partial.add(month)
                missing[month] = tuple(doc.get("missing") or ())
    return Reported(tuple(summaries), submitted, frozenset(partial), missing)
