"""The completion board, computed from content and per-department submission state (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from service.content.models import DONE, LEAVE_STATUSES, OUTSTANDING, Content, StaffMember


@dataclass(frozen=True)
class DepartmentState:
    """What the store knows about one department: who has a scan, who is on leave."""

    scanned: Mapping[str, str]  # staff id → when their first scan was uploaded (ISO time)
    statuses: Mapping[str, str]
    versions: Mapping[str, int]  # staff id → their highest scan version

    def with_scan(self, staff_id: str, at: str, version: int) -> DepartmentState:
        first = {staff_id: at, **self.scanned}  # an earlier first scan stays first
        return DepartmentState(first, self.statuses, {**self.versions, staff_id: version})


@dataclass(frozen=True)
class Counts:
    staff: int
    completed: int
    exempt: int
    outstanding: int

    @property
    def percent(self) -> float:
        """Share of those who must sign (staff minus exempt) who have signed."""
        due = self.staff - self.exempt
        return 100.0 if due == 0 else round(100.0 * self.completed / due, 1)


@dataclass(frozen=True)
class DepartmentRow:
    id: str
    name: str
    kind: str
    counts: Counts
    overdue: bool


@dataclass(frozen=True)
class Board:
    year: int
    deadline: dt.date
    deadline_passed: bool
    updated_at: str | None
    totals: Counts
    departments: tuple[DepartmentRow, ...]
    today: dt.date  # the college's calendar day the board was computed for


@dataclass(frozen=True)
class SignatureDay:
    day: dt.date
    signed: int  # people with a signed scan on file by the end of `day`


def person_status(member: StaffMember, state: DepartmentState) -> str:
    """完成 with a scan on file; otherwise the leave status HR was told; otherwise 未完成."""
    if member.staff_id in state.scanned:
        return DONE
    status = state.statuses.get(member.staff_id)
    return status if status in LEAVE_STATUSES else OUTSTANDING


def count(members: tuple[StaffMember, ...], state: DepartmentState) -> Counts:
    completed = exempt = 0
    for member in members:
        status = person_status(member, state)
        if status == DONE:
            completed += 1
        elif status in LEAVE_STATUSES:
            exempt += 1
    return Counts(len(members), completed, exempt, len(members) - completed - exempt)


def compute(content: Content, counts_by_department: Mapping[str, Counts], today: dt.date,
            updated_at: str | None) -> Board:
    """The board from each department's counts (see `count`); a department missing counts 0 done."""
    deadline = content.settings.deadlines.contracts
    passed = today > deadline
    empty = DepartmentState({}, {}, {})
    rows = []
    for department in content.departments:
        counts = counts_by_department.get(department.id) or count(content.members(department.id), empty)
        rows.append(DepartmentRow(department.id, department.name, department.kind, counts,
                                  overdue=passed and counts.outstanding > 0))
    totals = Counts(*(sum(getattr(r.counts, f) for r in rows)
                      for f in ("staff", "completed", "exempt", "outstanding")))
    return Board(content.settings.year, deadline, passed, updated_at, totals, tuple(rows), today)


def signatures_by_day(contracts: Iterable[Mapping[str, Any]], start: dt.date, end: dt.date) -> tuple[SignatureDay, ...]:
    """Cumulative signed people per day from `start` to `end` (inclusive), from contract records.

    A person counts from the day of their first uploaded version (`uploaded_at`, an ISO time
    in the college's zone); later versions do not count again; uploads before `start` count
    on `start`.
    """
    first: dict[str, dt.date] = {}
    for record in contracts:
        day = dt.datetime.fromisoformat(str(record["uploaded_at"])).date()
        staff_id = str(record["staff_id"])
        if staff_id not in first or day < first[staff_id]:
            first[staff_id] = day
    per_day: dict[dt.date, int] = {}
    for day in first.values():
        per_day[day] = per_day.get(day, 0) + 1
    signed = sum(n for day, n in per_day.items() if day < start)
    series = []
    for offset in range((end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        signed += per_day.get(day, 0)
        series.append(SignatureDay(day, signed))
    return tuple(series)


def by_urgency(board: Board) -> list[DepartmentRow]:
    """Overdue departments first, then the least complete."""
    return sorted(board.departments, key=lambda r: (not r.overdue, r.counts.percent, r.name))


def status_json(board: Board) -> dict[str, object]:
    """The public `/api/status` document: department-level counts only."""

    def counts(c: Counts) -> dict[str, int]:
        return {"staff": c.staff, "completed": c.completed, "exempt": c.exempt, "outstanding": c.outstanding}

    return {
        "year": board.year,
        "updated_at": board.updated_at,
        "deadline": board.deadline.isoformat(),
        "deadline_passed": board.deadline_passed,
        "today": board.today.isoformat(),
        "totals": {**counts(board.totals), "percent": board.totals.percent},
        "departments": [
            {"id": r.id, "name": r.name, **counts(r.counts), "percent": r.counts.percent, "overdue": r.overdue}
            for r in board.departments
        ],
    }
