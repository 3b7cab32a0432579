"""The monthly summary (附件4): each department reports last month per person, before the 5th.

Store: the department's partition, table "monthly", one document per month:
{month, rows[…MonthlyRow fields], submitted_at, by, history[older versions {rows, submitted_at, by}]}.
A resubmission replaces the month; the replaced version moves into history. The board
judges the month by the current version's time (service/schedule.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

from service.errors import bad_request, forbidden, not_found, unprocessable
from service.rules import schedule, scoring
from service.rules.access import User
from service.rules.clock import as_local
from service.workflows.common import commit, parse_time
from service.workflows.portal import Portal

TABLE = "monthly"
FIELDS = tuple(f.name for f in dataclasses.fields(scoring.MonthlyRow))


def check_month(month: Any) -> int:
    try:
        number = int(month)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 12:
        raise not_found("unknown_month", f"月份应为 1–12，当前为“{month}”")
    return number


def due(portal: Portal, month: int) -> dt.date:
    s = portal.content.settings
    return schedule.monthly_due(s.year, month, s.monthly_due_day)


def state_of(portal: Portal, submitted_at: dt.datetime | None, month: int) -> str:
    return schedule.delivery_state(submitted_at, due(portal, month), portal.now(),
                                   portal.content.settings.timezone)


def month_view(portal: Portal, department: str, month: int) -> dict[str, Any]:
    doc = portal.store.get(department, TABLE, month=month)
    state = state_of(portal, parse_time(doc["submitted_at"]) if doc else None, month)
    return {"department": department, "month": month, "year": portal.year, "due": due(portal, month).isoformat(),
            "state": state, "state_label": schedule.STATE_LABELS[state],
            "rows": doc["rows"] if doc else [], "submitted_at": doc["submitted_at"] if doc else None,
            "by": doc["by"] if doc else None, "history": doc["history"] if doc else []}


def submit(portal: Portal, user: User, department: str, month: int, raw_rows: Any) -> dict[str, Any]:
    """Replace the department's summary for `month`; the previous version goes into history."""
    portal.department_or_404(department)
    if not user.may_write(department):
        raise forbidden("您只能报送本部门的月汇总表")
    s = portal.content.settings
    today = as_local(portal.now(), s.timezone).date()
    if (today.year, today.month) < (s.year, month):
        raise unprocessable("month_not_started", f"{s.year}年{month}月尚未开始，不能报送该月的月汇总表")
    if not isinstance(raw_rows, list) or not raw_rows or not all(isinstance(r, dict) for r in raw_rows):
        raise bad_request("invalid_rows", "rows 应为非空列表，每项为一名教职工的一行（工号、出勤 … 业务工作目标）")
    rows, problems = scoring.parse_monthly_rows(raw_rows, portal.content.members(department),
                                                business_max=s.individual_points, other_max=s.common_points)
    if problems:
        raise unprocessable("invalid_monthly", "；".join(problems), problems=problems)
    stored = [dataclasses.asdict(row) for row in rows]
    with portal.store.locked():
        before = portal.store.get(department, TABLE, month=month)
        history = list(before["history"]) if before else []
        if before:
            history.append({k: before[k] for k in ("rows", "submitted_at", "by")})
        doc = {"month": month, "rows": stored, "submitted_at": portal._stamp(), "by": user.username,
               "history": history}
        commit(portal, department, TABLE, doc, {"month": month}, user.username, "monthly.submit",
               department=department, month=month, people=len(stored), version=len(history) + 1)
    return month_view(portal, department, month)


def summaries_by_department(portal: Portal) -> Iterator[tuple[str, list[scoring.MonthlySummary]]]:
    """Each department's current summaries of the year, one department at a time, for scoring.

    Equal values share one object (a year at 10,000 staff has 1.2 million numbers, mostly
    the same few: 22 days, 0 late, …), so scores that keep their months' rows stay small.
    """
    shared: dict[tuple[type, Any], Any] = {}  # keyed by type too: 0 and 0.0 stay what they were

    def one(value: Any) -> Any:
        return shared.setdefault((type(value), value), value)

    for partition, docs in portal.store.each_partition(TABLE, fields=("month", "rows")):
        if portal.content.department(partition):
            yield partition, [scoring.MonthlySummary(partition, doc["month"], tuple(
                scoring.MonthlyRow(**{k: one(v) for k, v in r.items() if k in FIELDS}) for r in doc["rows"]))
                for doc in docs]


def submission_times(portal: Portal) -> dict[tuple[str, int], dt.datetime]:
    """(department, month) → when the current version was submitted, for the board."""
    times = {}
    for partition, doc in portal.store.across(TABLE, fields=("month", "submitted_at")):
        at = parse_time(doc.get("submitted_at"))
        if at is not None and portal.content.department(partition):
            times[partition, doc["month"]] = at
    return times
