"""HR's progress board (pure): per department, target sets' approval, job duties, the monthly grid.

Inputs are what the store knows (states and times); the deadline rules are schedule.py's.
Department-level figures only: nobody's score is here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from service.content.codes import TARGET_NOT_STARTED, TARGET_STATES
from service.content.models import Content
from service.rules import schedule

TARGET_COLUMNS = (*TARGET_STATES, TARGET_NOT_STARTED)  # people per state, those without a set last
DUTY_KINDS = {schedule.LEAD_DUTIES: "牵头岗位职责", schedule.OWN_DUTIES: "本部门岗位职责"}


@dataclass(frozen=True)
class DutyCell:
    kind: str
    due: dt.date
    state: str
    delivered_at: dt.datetime | None


@dataclass(frozen=True)
class DepartmentProgress:
    id: str
    name: str
    targets: Mapping[str, int]  # TARGET_COLUMNS → people
    duties: Mapping[str, DutyCell]  # LEAD_DUTIES / OWN_DUTIES → cell; absent when nothing is owed
    monthly: schedule.GridRow


@dataclass(frozen=True)
class Progress:
    year: int
    now: dt.datetime
    departments: tuple[DepartmentProgress, ...]
    months: tuple[int, ...]
    target_totals: Mapping[str, int]


def compute(content: Content, target_states: Mapping[str, Mapping[str, str]],
            duty_times: Mapping[str, Mapping[str, dt.datetime]],
            monthly_times: Mapping[tuple[str, int], dt.datetime], now: dt.datetime,
            monthly_partial: Collection[tuple[str, int]] = ()) -> Progress:
    """`target_states`: department → staff_id → state; `duty_times`: department → role_id →
    delivered at; `monthly_times`: (department, month) → current version submitted at;
    `monthly_partial`: the (department, month) summaries sent as partial."""
    s = content.settings
    ids = [d.id for d in content.departments]
    grid = schedule.monthly_grid(ids, monthly_times, s.year, now, s.timezone, due_day=s.monthly_due_day,
                                 partial=monthly_partial, first=s.monthly_first_month,
                                 empty={i for i in ids if not content.members(i)})
    rows = []
    for department, grid_row in zip(content.departments, grid.rows, strict=True):
        states = target_states.get(department.id, {})
        counts = dict.fromkeys(TARGET_COLUMNS, 0)
        for member in content.members(department.id):
            counts[states.get(member.staff_id, TARGET_NOT_STARTED)] += 1
        duties = {}
        for obligation in schedule.duty_obligations(content, department.id):
            at = schedule.obligation_delivered_at(obligation, duty_times.get(department.id, {}))
            duties[obligation.kind] = DutyCell(obligation.kind, obligation.due,
                                               schedule.delivery_state(at, obligation.due, now, s.timezone), at)
        rows.append(DepartmentProgress(department.id, department.name, counts, duties, grid_row))
    totals = {state: sum(r.targets[state] for r in rows) for state in TARGET_COLUMNS}
    return Progress(s.year, now, tuple(rows), grid.months, totals)


def as_json(progress: Progress) -> dict[str, object]:
    def duty(cell: DutyCell) -> dict[str, object]:
        return {"due": cell.due.isoformat(), "state": cell.state,
                "delivered_at": cell.delivered_at.isoformat(timespec="seconds") if cell.delivered_at else None}

    return {
        "year": progress.year,
        "now": progress.now.isoformat(timespec="seconds"),
        "months": list(progress.months),
        "target_totals": dict(progress.target_totals),
        "departments": [
            {"id": r.id, "name": r.name, "targets": dict(r.targets),
             "duties": {kind: duty(cell) for kind, cell in r.duties.items()},
             "monthly": {str(c.month): {"due": c.due.isoformat(), "state": c.state,
                                        "submitted_at": c.submitted_at.isoformat(timespec="seconds")
                                        if c.submitted_at else None} for c in r.monthly.cells}}
            for r in progress.departments
        ],
    }
