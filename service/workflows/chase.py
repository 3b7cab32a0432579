"""What each department still owes on each step of the year, read from the store, and whom to
ask: HR's chase page, the reminders and the to-do lists all count it here.

Contracts: the people without a signed scan that counts (需重签 included, leave excepted).
Job duties: the roles of a delivery not delivered (or returned). Monthly summaries: every
month that is over and not reported, or reported for part of the department only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from service.content.codes import (
    OUTSTANDING,
    RESIGN,
    STEP_CONTRACTS,
    STEP_DUTIES_ALL,
    STEP_DUTIES_LEAD,
    STEP_MONTHLY,
)
from service.content.models import Department
from service.rules import schedule
from service.rules.board import person_status
from service.rules.clock import as_local
from service.rules.reminders import Outstanding, Step, steps_of
from service.workflows import duties, monthly, notifications
from service.workflows.context import Context

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
    content = ctx.content
    wanted = [d for d in content.departments if departments is None or d.id in set(departments)]
    day = today(ctx)
    delivered = _delivered_duties(ctx, wanted)
    summaries = _summaries(ctx, wanted)
    found = []
    for department in wanted:
        for due in steps_of(content, department.id, day):
            if step and step not in (due.step, due.key):
                continue
            item = _item(ctx, department, due, delivered.get(department.id, {}), summaries)
            if item.count:
                found.append(item)
    return found


def _item(ctx: Context, department: Department, due: Step, delivered: dict[str, dt.datetime],
          summaries: dict[tuple[str, int], dict[str, Any]]) -> Outstanding:
    content = ctx.content
    if due.step == STEP_CONTRACTS:
        state = ctx.cache.state(department.id)
        names = tuple(m.name for m in content.members(department.id)
                      if person_status(m, state) in (OUTSTANDING, RESIGN))
        return Outstanding(department.id, department.name, due, people=names)
    if due.step in DUTY_KINDS:
        kind = DUTY_KINDS[due.step]
        roles = next((ob.roles for ob in schedule.duty_obligations(content, department.id) if ob.kind == kind), ())
        return Outstanding(department.id, department.name, due,
                           roles=tuple(role.name for role in roles if role.id not in delivered))
    assert due.step == STEP_MONTHLY and due.month is not None
    doc = summaries.get((department.id, due.month))
    if doc is None:
        return Outstanding(department.id, department.name, due, summary_missing=True)
    if not doc.get("partial"):
        return Outstanding(department.id, department.name, due)
    missing = set(doc.get("missing") or ())
    return Outstanding(department.id, department.name, due,
                       people=tuple(m.name for m in content.members(department.id) if m.staff_id in missing))


def _delivered_duties(ctx: Context, departments: list[Department]) -> dict[str, dict[str, dt.datetime]]:
    docs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if len(departments) == 1:
        docs[departments[0].id] = ctx.store.records(departments[0].id, duties.TABLE)
    else:
        for partition, doc in ctx.store.across(duties.TABLE, fields=("role_id", "state", "delivered_at")):
            docs[partition].append(doc)
    return {department: duties.delivered_times(found) for department, found in docs.items()}


def _summaries(ctx: Context, departments: list[Department]) -> dict[tuple[str, int], dict[str, Any]]:
    fields = ("month", "partial", "missing")
    if len(departments) == 1:
        found = [(departments[0].id, {k: d.get(k) for k in fields})
                 for d in ctx.store.records(departments[0].id, monthly.TABLE)]
    else:
        found = ctx.store.across(monthly.TABLE, fields=fields)
    return {(partition, doc["month"]): doc for partition, doc in found}


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
    return f"/board/{department}/monthly/{item.step.month}"
