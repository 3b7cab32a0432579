"""What each user has to do, on their landing page: a list of providers per role.

A provider reads what its items need from the store and counts them with rules/todos.py;
a new item (say, confirmations still missing) is one more small function added to its
role's list in PROVIDERS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from service.content.codes import (
    CONFIRM_PENDING,
    DUTY_SUBMITTED,
    ROLE_DEPARTMENT,
    ROLE_HR,
    ROLE_LEADER,
    ROLE_STAFF,
    STEP_DUTIES_ALL,
    STEP_DUTIES_LEAD,
    STEP_MONTHLY,
    STEP_SUMMARY,
    SUMMARY_SUBMITTED,
)
from service.rules import access, todos
from service.rules.access import User
from service.rules.board import person_status
from service.rules.todos import Todo
from service.workflows import (
    accounts,
    chase,
    confirmations,
    duties,
    organisation,
    result_objections,
    summaries,
    targets,
    workbook_errors,
)
from service.workflows.context import Context

Provider = Callable[[Context, User], Iterable[Todo | None]]


def _own(ctx: Context, user: User) -> str | None:
    """The department a department account works for (None when it may not write there)."""
    department = user.department
    if department and ctx.content.department(department) and access.allowed(user, access.WRITE_DEPARTMENT, department):
        return department
    return None


def clerk_scans(ctx: Context, user: User) -> Iterable[Todo | None]:
    if (department := _own(ctx, user)) is None:
        return
    state = ctx.cache.state(department)
    statuses = [person_status(m, state) for m in ctx.content.members(department)]
    yield todos.no_scan(department, statuses, ctx.content.settings.deadlines.contracts)
    yield todos.resign(department, statuses)


def clerk_targets(ctx: Context, user: User) -> Iterable[Todo | None]:
    if (department := _own(ctx, user)) is None:
        return
    found = targets.stored(ctx, department)
    states = [s.state if (s := found.get(m.staff_id)) else None for m in ctx.content.members(department)]
    yield todos.targets_returned(department, states)
    yield todos.targets_open(department, states)


def clerk_duties(ctx: Context, user: User) -> Iterable[Todo | None]:
    if (department := _own(ctx, user)) is None:
        return
    found = [i for i in chase.outstanding(ctx, [department]) if i.step.step in (STEP_DUTIES_LEAD, STEP_DUTIES_ALL)]
    yield todos.duties(department, found)


def clerk_monthly(ctx: Context, user: User) -> Iterable[Todo | None]:
    if (department := _own(ctx, user)) is None:
        return
    yield todos.monthly(department, chase.outstanding(ctx, [department], STEP_MONTHLY))


def clerk_summaries(ctx: Context, user: User) -> Iterable[Todo | None]:
    if (department := _own(ctx, user)) is None:
        return
    yield todos.summaries(department, chase.outstanding(ctx, [department], STEP_SUMMARY))


def leader_waiting(ctx: Context, user: User) -> Iterable[Todo | None]:
    states: list[Any] = [s.state for department in sorted(user.oversees)
                         if ctx.content.department(department) and access.allowed(user, access.DECIDE_TARGETS, department)
                         for s in targets.stored(ctx, department).values()]
    yield todos.waiting(states)


def hr_overdue(ctx: Context, user: User) -> Iterable[Todo | None]:
    if not access.allowed(user, access.CHASE):
        return
    for key, (label, departments) in todos.overdue_by_step(chase.everywhere(ctx), chase.today(ctx)).items():
        yield todos.overdue(key, label, departments)


def hr_duties_review(ctx: Context, user: User) -> Iterable[Todo | None]:
    if access.allowed(user, access.REVIEW_DUTIES):
        yield todos.duties_review(ctx.kept.of_year("duties to review", None, lambda: tuple(
            doc["state"] for _, doc in ctx.store.across(duties.TABLE, fields=("state",))
            if doc.get("state") == DUTY_SUBMITTED)))


def hr_workbooks(ctx: Context, user: User) -> Iterable[Todo | None]:
    if access.allowed(user, access.CHASE):
        yield todos.workbook_errors(workbook_errors.open_count(ctx))


def hr_leaders(ctx: Context, user: User) -> Iterable[Todo | None]:
    if access.allowed(user, access.MANAGE_ACCOUNTS):
        yield todos.leaders_unassigned(len(accounts.leaders_without_departments(ctx)))


def hr_organisation(ctx: Context, user: User) -> Iterable[Todo | None]:
    if access.allowed(user, access.SET_UP):
        yield todos.organisation(len(organisation.gaps(ctx)))


def objections_waiting(ctx: Context, user: User) -> Iterable[Todo | None]:
    if not access.allowed(user, access.SEE_OBJECTIONS, user.department):
        return
    link = f"/board/{user.department}/objections" if user.role == ROLE_DEPARTMENT else "/board/objections"
    yield todos.objections(result_objections.open_count(ctx, user, user.department if user.role == ROLE_DEPARTMENT
                                                         else None), link)


def staff_confirm(ctx: Context, user: User) -> Iterable[Todo | None]:
    member = ctx.content.staff(user.staff_id or "")
    if member is None or not access.allowed(user, access.CONFIRM_TARGETS, member.department, member.staff_id):
        return
    found = confirmations.status(ctx, member)
    yield todos.confirm(found["state"] == CONFIRM_PENDING, found["version"])


def staff_summary(ctx: Context, user: User) -> Iterable[Todo | None]:
    member = ctx.content.staff(user.staff_id or "")
    if member is None or not access.allowed(user, access.WRITE_SUMMARY, member.department, member.staff_id):
        return
    window = summaries.window(ctx)
    if not window["open"] or summaries.lock_of(ctx, member.department) is not None:
        return
    doc = ctx.store.get(member.department, summaries.TABLE, staff_id=member.staff_id) or {}
    yield todos.my_summary(doc.get("state") != SUMMARY_SUBMITTED, summaries.closes(ctx))


PROVIDERS: dict[str, tuple[Provider, ...]] = {
    ROLE_DEPARTMENT: (clerk_scans, clerk_targets, clerk_duties, clerk_monthly, clerk_summaries, objections_waiting),
    ROLE_LEADER: (leader_waiting,),
    ROLE_HR: (hr_overdue, hr_duties_review, hr_workbooks, hr_leaders, hr_organisation, objections_waiting),
    ROLE_STAFF: (staff_confirm, staff_summary),
}


def for_user(ctx: Context, user: User) -> list[Todo]:
    """The user's items with something to do, in their providers' order."""
    return [item for provider in PROVIDERS.get(user.role, ()) for item in provider(ctx, user) if item is not None]


def as_json(items: Iterable[Todo]) -> list[dict[str, Any]]:
    return [{"kind": t.kind, "label": t.label, "count": t.count, "unit": t.unit, "link": t.link, "detail": t.detail}
            for t in items]
