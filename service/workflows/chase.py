"""What each department still owes on each step of the year, read from the store, and whom to
ask: HR's chase page, the reminders and the to-do lists all count it here.

Contracts: the people without a signed scan that counts (需重签 included, leave excepted).
Job duties: the roles of a delivery not delivered (or returned). Monthly summaries: every
month that is over and not reported, or reported for part of the department only. Annual
summaries: the people who have not submitted theirs, until the department locks the round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.content.codes import (
    OUTSTANDING,
    RESIGN,
    STEP_CONTRACTS,
    STEP_DUTIES_ALL,
    STEP_DUTIES_LEAD,
    STEP_MONTHLY,
    STEP_SUMMARY,
)
from service.content.models import Department
from service.rules import schedule
from service.rules.board import DepartmentState, person_status
from service.rules.clock import as_local
from service.rules.reminders import Outstanding, Step, steps_of
from service.workflows import duties, monthly, notifications, summaries
from service.workflows.context import Context
from service.workflows.kept import Same

DUTY_KINDS = {STEP_DUTIES_LEAD: schedule.LEAD_DUTIES, STEP_DUTIES_ALL: schedule.OWN_DUTIES}


@dataclass(frozen=True)
class Contact:
    """A department account's user as HR calls or mails them."""

    username: str
    name: str
    email: str
    phone: str


def today(ctx: Context) -> dt.date:
    return as_local(ctx.now(), ctx.content.settings.timezone).date()


def outstanding(ctx: Context, departments: Iterable[str] | None = None, step: str | None = None) -> list[Outstanding]:
    """Every department's (or those named) outstanding work, in content order, step by step;
    `step` keeps one step (a STEP_* code, or a month's key such as "monthly-3")."""
    named = None if departments is None else set(departments)
    wanted = [d for d in ctx.content.departments if named is None or d.id in named]
    day = today(ctx)
    return [item for department in wanted for item in _owed(ctx, department, day)
            if not step or step in (item.step.step, item.step.key)]


def everywhere(ctx: Context) -> tuple[Outstanding, ...]:
    """Every department's outstanding work today (`outstanding` of the whole college), kept until
    the year's store, the set-up or the day changes."""
    day = today(ctx)
    return ctx.kept.of_year("outstanding everywhere", (day, Same(ctx.content)), lambda: tuple(outstanding(ctx)))


def _owed(ctx: Context, department: Department, day: dt.date) -> tuple[Outstanding, ...]:
    """The department's outstanding items on `day`, kept until its scans, statuses, target sets,
    duties, summaries or people change."""
    state = ctx.cache.state(department.id)

    def work() -> tuple[Outstanding, ...]:
        delivered = duties.delivered(ctx, department.id)
        sent = monthly.reported(ctx, department.id)
        items = (_item(ctx, department, due, state, delivered, sent) for due in steps_of(ctx.content, department.id, day))
        return tuple(item for item in items if item.count)

    tables = ((department.id, duties.TABLE), (department.id, monthly.TABLE), (department.id, summaries.TABLE),
              (department.id, summaries.LOCK_TABLE))
    key = (day, Same(state, ctx.content.settings), ctx.content.members(department.id))
    return ctx.kept.value(("chase", department.id), tables, key, work)


def _item(ctx: Context, department: Department, due: Step, state: DepartmentState,
          delivered: Mapping[str, dt.datetime], sent: monthly.Reported) -> Outstanding:
    content = ctx.content
    if due.step == STEP_CONTRACTS:
        names = tuple(m.name for m in content.members(department.id)
                      if person_status(m, state) in (OUTSTANDING, RESIGN))
        return Outstanding(department.id, department.name, due, people=names)
    if due.step in DUTY_KINDS:
        kind = DUTY_KINDS[due.step]
        roles = next((ob.roles for ob in schedule.duty_obligations(content, department.id) if ob.kind == kind), ())
        return Outstanding(department.id, department.name, due,
                           roles=tuple(role.name for role in roles if role.id not in delivered))
    if due.step == STEP_SUMMARY:  # a locked round owes nothing more
        missing = () if summaries.lock_of(ctx, department.id) else summaries.missing(ctx, department.id)
        return Outstanding(department.id, department.name, due, people=tuple(m.name for m in missing))
    assert due.step == STEP_MONTHLY and due.month is not None
    if due.month not in sent.submitted:
        return Outstanding(department.id, department.name, due, summary_missing=True)
    missing = set(sent.missing.get(due.month, ()))
    return Outstanding(department.id, department.name, due,
                       people=tuple(m.name for m in content.members(department.id) if m.staff_id in missing))


def contacts(ctx: Context, department: str) -> list[Contact]:
    """The department's active accounts with their display names, e-mail and phone."""
    return [Contact(str(u["username"]), str(u.get("display_name") or u["username"]), str(u.get("email") or ""),
                    str(u.get("phone") or "")) for u in notifications.clerks(ctx, department)]


def link_for(item: Outstanding) -> str:
    """Where the department does the work of an item (a path of the service)."""
    department = item.department
    if item.step.step == STEP_CONTRACTS:
        return f"/board/{department}/scans" if item.people else f"/board/{department}"
    if item.step.step in DUTY_KINDS:
        return f"/board/{department}/duties"
    if item.step.step == STEP_SUMMARY:
        return f"/board/{department}/summaries"
    return f"/board/{department}/monthly/{item.step.month}"
