"""Target sets by the list: the role's template applied to many people as drafts, many drafts
submitted, many submitted sets approved or returned (a return always with its comment).

Each person is judged as one by one (workflows/targets.py: the same transitions, checks and
documents); those that may go go together in one commit with one audit entry naming them,
and those that may not are answered with the reason, nothing of theirs changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from service.content import target_rows
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, unprocessable
from service.rules import access, approval
from service.rules.access import User
from service.workflows import notifications, targets
from service.workflows.commit import Put, Write, commit
from service.workflows.common import comment_text, department_or_404
from service.workflows.context import Context

MAX_PEOPLE = 2000
TEMPLATE = "template"  # apply the role's template, as a draft
BULK_ACTIONS = (TEMPLATE, approval.SUBMIT, approval.APPROVE, approval.RETURN)
LABELS = {TEMPLATE: "套用岗位模板", **approval.ACTION_LABELS}


@dataclass
class Bulk:
    action: str
    done: list[StaffMember] = field(default_factory=list)
    refused: list[tuple[StaffMember, str]] = field(default_factory=list)  # (person, why)

    def answer(self) -> dict[str, Any]:
        return {"action": self.action, "done": [m.staff_id for m in self.done],
                "refused": [{"staff_id": m.staff_id, "name": m.name, "message": why} for m, why in self.refused]}


def members(ctx: Context, user: User, staff_ids: Sequence[str], action: str) -> list[StaffMember]:
    """The people named, each readable by `user` (404 for an unknown one, 403 for another's)."""
    if action not in BULK_ACTIONS:
        raise bad_request("unknown_action", f"操作应为 {' / '.join(BULK_ACTIONS)} 之一")
    wanted = list(dict.fromkeys(str(s) for s in staff_ids if str(s).strip()))
    if not wanted:
        raise bad_request("nobody_selected", "请先勾选要办理的人员")
    if len(wanted) > MAX_PEOPLE:
        raise unprocessable("too_many_people", f"一次最多办理 {MAX_PEOPLE} 人")
    return [targets.readable_member(ctx, user, staff_id) for staff_id in wanted]


def run(ctx: Context, user: User, staff_ids: Sequence[str], action: str, comment: Any = None) -> Bulk:
    """Do `action` for every person named who may have it; one commit for all of them."""
    people = members(ctx, user, staff_ids, action)
    text = comment_text(comment)
    if action == approval.RETURN and not text:
        raise bad_request("comment_required", "退回时请填写审定意见")
    result = Bulk(action)
    writes: list[Write] = []
    with ctx.store.locked():
        if action == approval.SUBMIT:  # nobody of a department without an approver is sent
            for department in sorted({m.department for m in people}):
                targets.ensure_approver(ctx, department)
        for member in people:
            try:
                doc = _moved(ctx, user, member, action, text)
            except ApiError as exc:
                result.refused.append((member, exc.message))
                continue
            writes.append(Put(member.department, targets.TABLE, doc, {"staff_id": member.staff_id}))
            result.done.append(member)
        if not result.done:
            return result
        writes += _notes(ctx, result, text)
        departments = sorted({m.department for m in result.done})
        commit(ctx, writes, user.username, f"targets.bulk.{action}", departments=departments,
               staff_ids=[m.staff_id for m in result.done], comment=text)
        if action == approval.APPROVE:
            for department in departments:
                ctx.cache.forget(department)
    if action == approval.APPROVE:
        ctx.cache.changed(ctx.stamp())
    return result


def for_department(ctx: Context, user: User, department: str, staff_ids: Sequence[str], action: str) -> Bulk:
    """A department's page acting on its own people only (the template, submitting)."""
    department_or_404(ctx, department)
    access.ensure(user, access.DRAFT_TARGETS, department, "您只能办理本部门教职工的个性目标")
    for staff_id in staff_ids:
        member = ctx.content.staff(str(staff_id))
        if member is not None and member.department != department:
            raise ApiError(403, "forbidden", f"{member.name}（{member.staff_id}）不是本部门的教职工")
    return run(ctx, user, staff_ids, action)


def _moved(ctx: Context, user: User, member: StaffMember, action: str, text: str) -> dict[str, Any]:
    doc = targets.person_set(ctx, member)
    if action == TEMPLATE:
        role = ctx.content.role(member.role)
        rows = [line.as_dict() for line in target_rows.template_rows(role)] if role else []
        return targets.saved(ctx, user, member, doc, rows, submit=False)[0]
    if action == approval.SUBMIT:
        return targets.saved(ctx, user, member, doc, list(doc["rows"]), submit=True)[0]
    return targets.decided(ctx, user, member, doc, action, text)[0]


def _notes(ctx: Context, result: Bulk, text: str) -> list[Write]:
    by_department: dict[str, list[str]] = {}
    for member in result.done:
        by_department.setdefault(member.department, []).append(member.name)
    notes: list[Write] = []
    for department, names in by_department.items():
        if result.action == approval.SUBMIT:
            notes += notifications.waiting(ctx, department, names)
        elif result.action == approval.RETURN:
            notes += notifications.returned(ctx, department, names, text)
    return notes
