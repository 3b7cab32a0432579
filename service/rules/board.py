"""The completion board, computed from content and per-department submission state (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from service.content.codes import DONE, LEAVE_STATUSES, OUTSTANDING, RESIGN, SCAN_WITHDRAWN, UNAPPROVED
from service.content.models import Content, StaffMember
from service.rules.signing import Approved, Tie, contract_state


@dataclass(frozen=True)
class DepartmentState:
    """What the store knows about one department: whose signed scan counts, who is on leave.

    `scanned` holds the people whose contract counts as signed (DONE, or UNAPPROVED when
    `signing` says so) and when their first counting scan was uploaded; `signing` flags the
    people with a valid scan that is not of their approved set (UNAPPROVED, RESIGN).
    """

    scanned: Mapping[str, str]  # staff id → when their first scan that counts was uploaded (ISO time)
    statuses: Mapping[str, str]
    versions: Mapping[str, int]  # staff id → their highest scan version, withdrawn ones included
    signing: Mapping[str, str] = field(default_factory=dict)  # staff id → UNAPPROVED or RESIGN
    approved: Mapping[str, Approved] = field(default_factory=dict)  # staff id → their approved set
    ties: Mapping[str, tuple[Tie, ...]] = field(default_factory=dict)  # staff id → valid scans, oldest first

    def with_scan(self, staff_id: str, tie: Tie, version: int) -> DepartmentState:
        """The state once a valid scan of `staff_id` (file version `version`) is stored."""
        ties = {**self.ties, staff_id: (*self.ties.get(staff_id, ()), tie)}
        return _with_person(self, staff_id, ties, {**self.versions, staff_id: max(version, self.versions.get(
            staff_id, 0))})


def department_state(contracts: Iterable[Mapping[str, Any]], statuses: Mapping[str, str],
                     approved: Mapping[str, Approved]) -> DepartmentState:
    """The state from the department's scan records (any order), its annex-5 statuses and its
    people's approved sets."""
    ties: dict[str, list[Tie]] = {}
    versions: dict[str, int] = {}
    for record in sorted(contracts, key=lambda r: r["version"]):
        staff_id = record["staff_id"]
        versions[staff_id] = record["version"]
        if record.get("state") != SCAN_WITHDRAWN:
            ties.setdefault(staff_id, []).append(Tie(record["uploaded_at"], record.get("target_tag")))
    scanned: dict[str, str] = {}
    signing: dict[str, str] = {}
    for staff_id, found in ties.items():
        _stand(scanned, signing, staff_id, found, approved.get(staff_id))
    return DepartmentState(scanned, dict(statuses), versions, signing, dict(approved),
                           {k: tuple(v) for k, v in ties.items()})


def _with_person(state: DepartmentState, staff_id: str, ties: Mapping[str, tuple[Tie, ...]],
                 versions: Mapping[str, int]) -> DepartmentState:
    """`state` with `ties` and `versions`, one person's standing recomputed."""
    scanned = {k: v for k, v in state.scanned.items() if k != staff_id}
    signing = {k: v for k, v in state.signing.items() if k != staff_id}
    _stand(scanned, signing, staff_id, ties.get(staff_id, ()), state.approved.get(staff_id))
    return DepartmentState(scanned, state.statuses, versions, signing, state.approved, ties)


def _stand(scanned: dict[str, str], signing: dict[str, str], staff_id: str, ties: Sequence[Tie],
           approved: Approved | None) -> None:
    """Enter one person's standing from their valid scans: when their signing first counted,
    and whether it is flagged (UNAPPROVED, RESIGN)."""
    status, since = contract_state(ties, approved)
    if since is not None:
        scanned[staff_id] = since
    if status in (UNAPPROVED, RESIGN):
        signing[staff_id] = status


@dataclass(frozen=True)
class Counts:
    staff: int
    completed: int  # signed: DONE and UNAPPROVED
    exempt: int
    outstanding: int  # RESIGN included
    resign: int = 0  # of the outstanding: 需重签
    unapproved: int = 0  # of the completed: signed while the targets were not approved

    @property
    def empty(self) -> bool:
        """Nobody in it: it owes nothing, shown as 无人员 (never 100%, never overdue)."""
        return self.staff == 0

    @property
    def percent(self) -> float:
        """Share of those who must sign (staff minus exempt) who have signed."""
        due = self.staff - self.exempt
        return 100.0 if due == 0 else round(100.0 * self.completed / due, 1)

    @property
    def shown_percent(self) -> float | None:
        """The percent a page shows: None (无人员) for a department without people."""
        return None if self.empty else self.percent


COUNT_FIELDS = ("staff", "completed", "exempt", "outstanding", "resign", "unapproved")


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
    """完成 (or 目标未审定) with a signed scan that counts; otherwise the leave status HR was
    told; otherwise 需重签 when only scans of other content are on file; otherwise 未完成."""
    staff_id = member.staff_id
    if staff_id in state.scanned:
        return state.signing.get(staff_id, DONE)
    status = state.statuses.get(staff_id)
    if status in LEAVE_STATUSES:
        return status
    return RESIGN if state.signing.get(staff_id) == RESIGN else OUTSTANDING


def signed(status: str) -> bool:
    """Does a person status count as a signed contract?"""
    return status in (DONE, UNAPPROVED)


def count(members: tuple[StaffMember, ...], state: DepartmentState) -> Counts:
    completed = exempt = resign = unapproved = 0
    for member in members:
        status = person_status(member, state)
        if signed(status):
            completed += 1
            unapproved += status == UNAPPROVED
        elif status in LEAVE_STATUSES:
            exempt += 1
        elif status == RESIGN:
            resign += 1
    return Counts(len(members), completed, exempt, len(members) - completed - exempt, resign, unapproved)


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
    return Board(content.settings.year, deadline, passed, updated_at, _totals(rows), tuple(rows), today)


def _totals(rows: Iterable[DepartmentRow]) -> Counts:
    rows = tuple(rows)
    return Counts(*(sum(getattr(r.counts, f) for r in rows) for f in COUNT_FIELDS))


def within(board: Board, departments: Collection[str]) -> Board:
    """The board of some departments only (a leader's overview): their rows and their totals."""
    rows = tuple(r for r in board.departments if r.id in departments)
    return replace(board, departments=rows, totals=_totals(rows))


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
    return sorted(board.departments, key=lambda r: (not r.overdue, r.counts.empty, r.counts.percent, r.name))


def status_json(board: Board) -> dict[str, object]:
    """The public `/api/status` document: department-level counts only (`outstanding`
    includes the `resign` people, `completed` the `unapproved` ones)."""

    def counts(c: Counts) -> dict[str, int]:
        return {name: getattr(c, name) for name in COUNT_FIELDS}

    return {
        "year": board.year,
        "updated_at": board.updated_at,
        "deadline": board.deadline.isoformat(),
        "deadline_passed": board.deadline_passed,
        "today": board.today.isoformat(),
        "totals": {**counts(board.totals), "percent": board.totals.shown_percent},
        "departments": [
            {"id": r.id, "name": r.name, **counts(r.counts), "percent": r.counts.shown_percent,
             "empty": r.counts.empty, "overdue": r.overdue}
            for r in board.departments
        ],
    }
