"""Deadlines in the college's time zone: job duties (04-18 / 04-23) and the monthly summary.

A delivery is judged by the college's calendar day: anything delivered on the due date,
up to 23:59:59 local time, is on time; a UTC server clock does not move the line.

"X日前" is read as "by day X, inclusive". The notice uses the same words for the duties
("于4月18日前…交人事处"), the contracts ("于4月26日前上报") and the monthly summary
("各部门、系在每月5日前将上月考核情况填入该表"). Reading them all alike, a summary
delivered ON the 5th is on time and one on the 6th is late; office practice in Chinese
administration reads "前" on a deadline the same way (the day itself still counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from service.content.codes import LATE, MISSING, NOBODY, ON_TIME, PARTIAL, PENDING
from service.content.models import SELF_LEAD, Content, Role
from service.rules.clock import as_local

LEAD_DUTIES = "lead"  # the duties of the roles a lead department leads, college-wide
OWN_DUTIES = "own"  # the duties of a department's other posts


def delivery_state(delivered_at: dt.datetime | None, due: dt.date, now: dt.datetime,
                   tz: str | dt.tzinfo) -> str:
    """on_time / late for a delivery; pending / missing while nothing is delivered.

    on_time: delivered on or before `due` (college local date); late: after it;
    pending: not delivered and `due` has not passed; missing: not delivered, `due` passed.
    """
    if delivered_at is not None:
        return ON_TIME if as_local(delivered_at, tz).date() <= due else LATE
    return MISSING if as_local(now, tz).date() > due else PENDING


# -- job duties -----------------------------------------------------------------------


@dataclass(frozen=True)
class DutyObligation:
    """One delivery of job duties a department owes HR: which roles, by when."""

    department: str
    kind: str  # LEAD_DUTIES or OWN_DUTIES
    roles: tuple[Role, ...]
    due: dt.date

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(role.id for role in self.roles)


def is_lead_department(content: Content, department_id: str) -> bool:
    return any(role.lead == department_id for role in content.roles)


def roles_led_by(content: Content, department_id: str) -> tuple[Role, ...]:
    """Roles whose duties and targets this department drafts for the whole college."""
    return tuple(role for role in content.roles if role.lead == department_id)


def roles_in_department(content: Content, department_id: str) -> tuple[Role, ...]:
    """Roles held by the department's people (roster), minus those another department leads.

    In content order. Roles the department leads itself are included here too;
    `duty_obligations` delivers them once, with the lead batch.
    """
    held = {member.role for member in content.members(department_id)}
    return tuple(
        role for role in content.roles
        if role.id in held and role.lead in (SELF_LEAD, department_id)
    )


def duties_due(content: Content, department_id: str, lead: bool) -> dt.date:
    """04-18 (settings) for the lead delivery, 04-23 for a department's own posts.

    Raises ValueError when `lead` is asked of a department that leads no role.
    """
    deadlines = content.settings.deadlines
    if not lead:
        return deadlines.duties_all
    if not is_lead_department(content, department_id):
        raise ValueError(f"department {department_id!r} leads no role")
    return deadlines.duties_lead


def duty_obligations(content: Content, department_id: str) -> tuple[DutyObligation, ...]:
    """What the department must deliver: the lead batch (if it leads roles), then its own posts.

    Each role appears once: a lead department's own people in a role it leads are covered by
    the lead batch. Either obligation is left out when it has no role.
    """
    led = roles_led_by(content, department_id)
    led_ids = {role.id for role in led}
    own = tuple(r for r in roles_in_department(content, department_id) if r.id not in led_ids)
    result: list[DutyObligation] = []
    if led:
        result.append(DutyObligation(department_id, LEAD_DUTIES, led,
                                     duties_due(content, department_id, lead=True)))
    if own:
        result.append(DutyObligation(department_id, OWN_DUTIES, own,
                                     duties_due(content, department_id, lead=False)))
    return tuple(result)


def obligation_delivered_at(obligation: DutyObligation,
                            delivered: Mapping[str, dt.datetime]) -> dt.datetime | None:
    """When the obligation was fully delivered: the last of its roles' delivery times.

    `delivered` maps role id to the time that role's duties were delivered; None while any
    role of the obligation is still outstanding.
    """
    times = [delivered.get(role_id) for role_id in obligation.role_ids]
    if any(t is None for t in times):
        return None
    return max(t for t in times if t is not None)


# -- monthly summary (附件4) -------------------------------------------------------------


def monthly_due(year: int, month: int, due_day: int) -> dt.date:
    """The due date of the summary for (year, month): day `due_day` of the next month."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} out of range")
    return dt.date(year + 1, 1, due_day) if month == 12 else dt.date(year, month + 1, due_day)


def months_so_far(year: int, today: dt.date, due_day: int = 5, first: int = 1) -> tuple[int, ...]:
    """Months of `year` from `first` whose summary was due by `today` (due today included), up
    to December; months before `first` (the year's work not yet begun) are never owed.

    With due_day 5: on 2019-02-04 nothing; on 2019-02-05 (1,); on 2020-01-05 all twelve.
    """
    return tuple(m for m in range(max(first, 1), 13) if monthly_due(year, m, due_day) <= today)


@dataclass(frozen=True)
class GridCell:
    month: int
    due: dt.date
    state: str
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class GridRow:
    department: str
    cells: tuple[GridCell, ...]

    def count(self, state: str) -> int:
        return sum(1 for cell in self.cells if cell.state == state)


@dataclass(frozen=True)
class MonthlyGrid:
    year: int
    months: tuple[int, ...]
    rows: tuple[GridRow, ...]

    def count(self, state: str) -> int:
        return sum(row.count(state) for row in self.rows)


def monthly_grid(department_ids: Iterable[str],
                 submissions: Mapping[tuple[str, int], dt.datetime],
                 year: int, now: dt.datetime, tz: str | dt.tzinfo, *,
                 due_day: int = 5, months: Sequence[int] | None = None,
                 partial: Collection[tuple[str, int]] = (), first: int = 1,
                 empty: Collection[str] = ()) -> MonthlyGrid:
    """The department × month board: on_time / late / missing / pending / partial per cell.

    `submissions` maps (department id, month) to when the month's current summary was
    submitted (for a resubmission: the replacing version's time); a key in `partial` is a
    summary sent as partial, which never counts as on time. Columns default to the
    months due so far (from `first`) plus any month someone has already submitted, so an early
    delivery shows before its due date passes. A department in `empty` (nobody in it) owes
    nothing: its months without a summary are NOBODY, never missing.
    """
    if months is None:
        today = as_local(now, tz).date()
        reported = {m for (_, m) in submissions if 1 <= m <= 12}
        months = sorted(set(months_so_far(year, today, due_day, first)) | reported)
    columns = tuple(months)
    rows = []
    for department in department_ids:
        cells = []
        for month in columns:
            due = monthly_due(year, month, due_day)
            at = submissions.get((department, month))
            state = (PARTIAL if (department, month) in partial else NOBODY if at is None and department in empty
                     else delivery_state(at, due, now, tz))
            cells.append(GridCell(month, due, state, at))
        rows.append(GridRow(department, tuple(cells)))
    return MonthlyGrid(year, columns, tuple(rows))
