"""What HR records about a person's year for the annual grade: sanctions and investigations,
leave periods, and first jobs; leave can also be taken from the monthly summaries (附件4).

Store (college partition of the year): "sanctions" {id, staff_id, kind, on, ended_on, note,
by, at}; "leave" {id, staff_id, kind, start, end, days, source, note, by, at}, source "hr"
(a period HR entered) or "monthly" (a month's 事假 or 病假 working days of the monthly
summaries, with its "month", replaced on each import); "newcomers" {staff_id, joined,
first_job, by, at}. Sanctions of earlier years are read too: some affect the next year.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from service.content.codes import (
    INVESTIGATION,
    LEAVE_KINDS,
    LEAVE_PERSONAL,
    LEAVE_SICK,
    RECORD_KINDS,
    SOURCE_HR,
    SOURCE_MONTHLY,
)
from service.errors import bad_request, not_found, unprocessable
from service.rules import access
from service.rules.access import User
from service.rules.grades import Newcomer, Sanction
from service.rules.leave import Leave, counted_leave
from service.rules.workdays import Calendar
from service.storage.store import COLLEGE, new_record
from service.workflows import monthly
from service.workflows.commit import Add, Drop, Put, commit
from service.workflows.common import member_or_404
from service.workflows.context import Context

SANCTIONS = "sanctions"
LEAVE = "leave"
NEWCOMERS = "newcomers"
TABLES = (SANCTIONS, LEAVE, NEWCOMERS)
MAX_NOTE = 500
HR_ONLY = "只有人事处可以登记处分、请假和新进人员情况"
FIELD_NAMES = {"reason": "理由", "resolution": "处理结果", "text": "异议内容", "leaders": "出席的院领导"}


def day(value: Any, name: str, *, required: bool = True) -> dt.date | None:
    """A date given as "YYYY-MM-DD" (400 otherwise); None when absent and not `required`."""
    if value is None or value == "":
        if required:
            raise bad_request(f"invalid_{name}", f"请填写日期 {name}（格式 YYYY-MM-DD）")
        return None
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise bad_request(f"invalid_{name}", f"{name} 应为“YYYY-MM-DD”格式的日期，当前为“{value}”") from None


def today(ctx: Context) -> dt.date:
    return ctx.now().date()


def calendar(ctx: Context) -> Calendar:
    """Working days as settings (assessment.calendar) amend the State Council's."""
    s = ctx.content.settings.assessment
    return Calendar.of(s.extra_holidays, s.extra_workdays)


def note_text(value: Any, name: str = "note", limit: int = MAX_NOTE, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise bad_request(f"invalid_{name}", f"{name} 应为不超过 {limit} 字的文字")
    if required and not value.strip():
        raise bad_request(f"missing_{name}", f"请填写{FIELD_NAMES.get(name, name)}")
    return value.strip()


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "请求体应为 JSON 对象")
    return body


def _person_record(ctx: Context, user: User, body: Any, kinds: tuple[str, ...]) -> tuple[dict[str, Any], str, str]:
    """HR's record about one person of the roster: (the body, the staff id, its kind among `kinds`)."""
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    b = _body(body)
    member = member_or_404(ctx, str(b.get("staff_id") or ""))
    kind = b.get("kind")
    if kind not in kinds:
        raise bad_request("invalid_kind", f"kind 应为 {' / '.join(kinds)} 之一")
    return b, member.staff_id, str(kind)


# -- writing ------------------------------------------------------------------------------


def add_sanction(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """A sanction (警告, 记过, 降低岗位等级) with its date, or an investigation opened (立案调查)."""
    b, staff_id, kind = _person_record(ctx, user, body, RECORD_KINDS)
    on = day(b.get("on"), "on")
    ended = day(b.get("ended_on"), "ended_on", required=False)
    if ended is not None and (kind != INVESTIGATION or ended < on):  # type: ignore[operator]
        raise unprocessable("invalid_end", "只有立案调查有结案日期，且不能早于立案日期")
    record = new_record({"staff_id": staff_id, "kind": kind, "on": str(on), "ended_on": str(ended) if ended else None,
                         "note": note_text(b.get("note")), "by": user.username, "at": ctx.stamp()})
    commit(ctx, [Add(COLLEGE, SANCTIONS, record)], user.username, "grades.sanction", **record)
    return record


def close_investigation(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    b = _body(body)
    ended = day(b.get("ended_on"), "ended_on")
    with ctx.store.locked():
        record = ctx.store.get(COLLEGE, SANCTIONS, id=str(b.get("id") or ""))
        if record is None or record["kind"] != INVESTIGATION:
            raise not_found("unknown_record", "找不到该立案调查记录")
        if ended < dt.date.fromisoformat(record["on"]):  # type: ignore[operator]
            raise unprocessable("invalid_end", "结案日期不能早于立案日期")
        record = {**record, "ended_on": str(ended), "note": note_text(b.get("note")) or record.get("note", "")}
        commit(ctx, [Put(COLLEGE, SANCTIONS, record, {"id": record["id"]})], user.username,
               "grades.investigation.close", id=record["id"], staff_id=record["staff_id"], ended_on=str(ended))
    return record


def add_leave(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """A leave period (kind, first and last day, both counted) HR entered."""
    b, staff_id, kind = _person_record(ctx, user, body, LEAVE_KINDS)
    start, end = day(b.get("start"), "start"), day(b.get("end"), "end")
    assert start is not None and end is not None
    if end < start:
        raise unprocessable("invalid_period", f"请假结束日期 {end} 早于开始日期 {start}")
    record = new_record({"staff_id": staff_id, "kind": kind, "start": str(start), "end": str(end),
                         "days": (end - start).days + 1, "source": SOURCE_HR, "note": note_text(b.get("note")),
                         "by": user.username, "at": ctx.stamp()})
    commit(ctx, [Add(COLLEGE, LEAVE, record)], user.username, "grades.leave", **record)
    return record


def import_leave(ctx: Context, user: User, body: Any = None) -> dict[str, Any]:
    """The 事假 and 病假 days of the monthly summaries, one record per person, kind and month
    (working days as annex 4 reports them; rules/leave.py merges them with HR's periods);
    an earlier import is replaced, HR's own periods stay."""
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    records = []
    for department in ctx.content.departments:
        for summary in monthly.reported(ctx, department.id).summaries:
            for row in summary.rows:
                for kind, days in ((LEAVE_SICK, row.sick_leave), (LEAVE_PERSONAL, row.personal_leave)):
                    if days:
                        records.append(new_record({
                            "staff_id": row.staff_id, "kind": kind, "start": None, "end": None, "days": days,
                            "month": summary.month, "source": SOURCE_MONTHLY, "note": f"{summary.month}月月汇总表",
                            "by": user.username, "at": ctx.stamp()}))
    writes: list[Any] = [Drop(COLLEGE, LEAVE, {"source": SOURCE_MONTHLY}), *(Add(COLLEGE, LEAVE, r) for r in records)]
    commit(ctx, writes, user.username, "grades.leave.import", people=len({r["staff_id"] for r in records}),
           records=len(records))
    return {"imported": len(records), "people": len({r["staff_id"] for r in records})}


def set_newcomer(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """When a person joined the unit, and whether it is their first job."""
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    b = _body(body)
    member = member_or_404(ctx, str(b.get("staff_id") or ""))
    joined = day(b.get("joined"), "joined")
    first = b.get("first_job", True)
    if isinstance(first, str):
        first = first.lower() in ("1", "true", "on", "yes", "是")
    record = {"staff_id": member.staff_id, "joined": str(joined), "first_job": bool(first), "by": user.username,
              "at": ctx.stamp()}
    commit(ctx, [Put(COLLEGE, NEWCOMERS, record, {"staff_id": member.staff_id})], user.username,
           "grades.newcomer", **record)
    return record


def remove_record(ctx: Context, user: User, body: Any) -> None:
    """Withdraw a record entered by mistake (the audit log keeps both)."""
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    b = _body(body)
    table = b.get("table")
    if table not in TABLES:
        raise bad_request("invalid_table", f"table 应为 {' / '.join(TABLES)} 之一")
    key = {"staff_id": str(b.get("staff_id") or "")} if table == NEWCOMERS else {"id": str(b.get("id") or "")}
    with ctx.store.locked():
        if ctx.store.get(COLLEGE, table, **key) is None:
            raise not_found("unknown_record", "找不到该记录")
        commit(ctx, [Drop(COLLEGE, table, key)], user.username, "grades.record.remove", table=table, **key)


# -- reading ------------------------------------------------------------------------------


@dataclass
class Inputs:
    """Each person's leave, sanctions (this year's and earlier) and first-job record."""

    leave: dict[str, list[Leave]] = field(default_factory=lambda: defaultdict(list))
    sanctions: dict[str, list[Sanction]] = field(default_factory=lambda: defaultdict(list))
    newcomers: dict[str, Newcomer] = field(default_factory=dict)


def inputs(ctx: Context) -> Inputs:
    found = Inputs()
    for record in ctx.store.records(COLLEGE, LEAVE):
        start, end = record.get("start"), record.get("end")
        found.leave[record["staff_id"]].append(Leave(
            record["kind"], float(record["days"]), dt.date.fromisoformat(start) if start else None,
            dt.date.fromisoformat(end) if end else None, record.get("source", SOURCE_HR), record.get("month")))
    for year, _partition, record in ctx.store.every(SANCTIONS):
        if int(year) <= ctx.year:
            ended = record.get("ended_on")
            found.sanctions[record["staff_id"]].append(Sanction(
                record["kind"], dt.date.fromisoformat(record["on"]), dt.date.fromisoformat(ended) if ended else None))
    for record in ctx.store.records(COLLEGE, NEWCOMERS):
        found.newcomers[record["staff_id"]] = Newcomer(dt.date.fromisoformat(record["joined"]),
                                                       bool(record.get("first_job", True)))
    return found


def _named(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    member = ctx.content.staff(record["staff_id"])
    return {**record, "name": member.name if member else "", "department": member.department if member else ""}


def leave_totals(ctx: Context) -> list[dict[str, Any]]:
    """Each person's counted leave of the year, each day once, month by month with its source."""
    s = ctx.content.settings.assessment
    cal = calendar(ctx)
    found = []
    for staff_id, items in sorted(inputs(ctx).leave.items()):
        total = counted_leave(ctx.year, items, s.leave_counted, cal)
        if total.months or total.undated:
            found.append(_named(ctx, {"staff_id": staff_id, **total.as_json(),
                                      "over_limit": total.total > s.leave_limit_days}))
    return found


def listing(ctx: Context) -> dict[str, list[dict[str, Any]]]:
    """The year's records, each with the person's name and department, newest first, and each
    person's leave counted for the half-year line ("leave_totals")."""
    found = {table: sorted((_named(ctx, r) for r in ctx.store.records(COLLEGE, table)),
                           key=lambda r: r.get("at") or "", reverse=True) for table in TABLES}
    return {**found, "leave_totals": leave_totals(ctx)}
