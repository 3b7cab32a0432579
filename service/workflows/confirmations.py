"""A staff member confirms (确认) their approved targets online: an acknowledgment that they
have read this exact version, not an electronic signature (the signed paper contract stays
the record).

Store: the person's department partition, table "confirmations", one document per staff_id:
{staff_id, version, digest, at, history[{version, digest, at}]}. The version is the approved
version's number (the set's approvals counted), the digest the SHA-256 of the approved rows;
the audit log records both with the time. A reopened set is a draft with nothing to confirm,
and its next approval is a new version that asks to be confirmed again.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from service.content.codes import (
    CONFIRM_DONE,
    CONFIRM_LABELS,
    CONFIRM_NOT_APPROVED,
    CONFIRM_PENDING,
    TARGET_APPROVED,
)
from service.content.models import StaffMember
from service.errors import ApiError
from service.rules import access, approval
from service.rules.access import User
from service.workflows import targets
from service.workflows.commit import Put, commit
from service.workflows.common import department_or_404, own_member, whole_number
from service.workflows.context import Context

TABLE = "confirmations"
NOTE = ("本确认仅表示您已阅读并知悉经审定的个性工作目标，不是电子签名，不代替纸质责任状：签字的纸质责任状仍是正式文本。")


@dataclass(frozen=True)
class Approved:
    """The approved version of a person's targets."""

    version: int
    digest: str
    rows: list[dict[str, Any]]
    at: str | None


def approved_version(doc: dict[str, Any]) -> int:
    """Which approval this is: the set's own count when it keeps one, else its approvals in the history."""
    kept = doc.get("approved_version")
    if isinstance(kept, int) and kept > 0:
        return kept
    return sum(1 for entry in doc.get("history") or () if entry.get("action") == approval.APPROVE)


def approved(doc: dict[str, Any] | None) -> Approved | None:
    """The approved version of a stored set; None unless it stands approved now."""
    if doc is None or doc.get("state") != TARGET_APPROVED:
        return None
    rows = list((doc.get("approved") or {}).get("rows") or doc.get("rows") or [])
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
    return Approved(approved_version(doc), digest, rows, doc.get("decided_at"))


def state_of(current: Approved | None, confirmation: dict[str, Any] | None) -> str:
    if current is None:
        return CONFIRM_NOT_APPROVED
    if confirmation and confirmation.get("version") == current.version and confirmation.get("digest") == current.digest:
        return CONFIRM_DONE
    return CONFIRM_PENDING


def status(ctx: Context, member: StaffMember) -> dict[str, Any]:
    """Where the person's confirmation stands: the version to confirm, and the last one confirmed."""
    current = approved(ctx.store.get(member.department, targets.TABLE, staff_id=member.staff_id))
    confirmation = ctx.store.get(member.department, TABLE, staff_id=member.staff_id)
    state = state_of(current, confirmation)
    return {"state": state, "state_label": CONFIRM_LABELS[state], "version": current.version if current else None,
            "approved_at": current.at if current else None,
            "confirmed_version": (confirmation or {}).get("version"), "confirmed_at": (confirmation or {}).get("at"),
            "note": NOTE}


def confirm(ctx: Context, user: User, version: Any) -> dict[str, Any]:
    """The signed-in staff member confirms the approved `version` of their targets (the one the
    page showed: a set approved anew since is refused, to be read first)."""
    member = own_member(ctx, user, access.CONFIRM_TARGETS)
    wanted = whole_number(version, 1, 10_000, code="invalid_version", message="请确认页面上显示的目标版本")
    with ctx.store.locked():
        current = approved(ctx.store.get(member.department, targets.TABLE, staff_id=member.staff_id))
        if current is None:
            raise ApiError(409, "not_approved", "您的个性工作目标尚未审定（或已重新打开修改），暂时无需确认")
        if current.version != wanted:
            raise ApiError(409, "version_changed", f"您的个性工作目标已更新为第 {current.version} 版，请先阅读新的内容再确认")
        before = ctx.store.get(member.department, TABLE, staff_id=member.staff_id)
        if state_of(current, before) == CONFIRM_DONE:
            return status(ctx, member)
        entry = {"version": current.version, "digest": current.digest, "at": ctx.stamp()}
        history = [*(before or {}).get("history", []), entry]
        doc = {"staff_id": member.staff_id, **entry, "history": history}
        commit(ctx, [Put(member.department, TABLE, doc, {"staff_id": member.staff_id})], user.username,
               "targets.confirm", staff_id=member.staff_id, department=member.department, **entry)
    return status(ctx, member)


def _states(ctx: Context) -> dict[str, dict[str, str]]:
    """department → staff_id → confirmation state, of every stored set. The rows of an approved
    version never change (editing needs a reopening, and the next approval is a new version),
    so the college's board compares versions and leaves the rows unread."""
    confirmed: dict[str, dict[str, Any]] = defaultdict(dict)
    for partition, doc in ctx.store.across(TABLE, fields=("staff_id", "version")):
        confirmed[partition][doc["staff_id"]] = doc.get("version")
    states: dict[str, dict[str, str]] = defaultdict(dict)
    for partition, doc in ctx.store.across(targets.TABLE, fields=("staff_id", "state", "history", "approved_version")):
        if doc.get("state") != TARGET_APPROVED:
            state = CONFIRM_NOT_APPROVED
        else:
            state = CONFIRM_DONE if confirmed[partition].get(doc["staff_id"]) == approved_version(doc) else CONFIRM_PENDING
        states[partition][doc["staff_id"]] = state
    return states


def board(ctx: Context, user: User) -> list[dict[str, Any]]:
    """Per department the user may read the targets of: people, approved sets, confirmed, not yet."""
    access.ensure(user, access.READ_TARGETS, None, "只有人事处和院领导可以查看全院的确认情况")
    states = _states(ctx)
    rows = []
    for department in ctx.content.departments:
        if not access.allowed(user, access.READ_TARGETS, department.id):
            continue
        people = ctx.content.members(department.id)
        mine = states.get(department.id, {})
        counts = dict.fromkeys(CONFIRM_LABELS, 0)
        for member in people:
            counts[mine.get(member.staff_id, CONFIRM_NOT_APPROVED)] += 1
        rows.append({"id": department.id, "name": department.name, "people": len(people),
                     "approved": counts[CONFIRM_DONE] + counts[CONFIRM_PENDING], **counts})
    return rows


def department_list(ctx: Context, user: User, department: str) -> list[dict[str, Any]]:
    """Each person of the department with their confirmation state and when they confirmed."""
    department_or_404(ctx, department)
    access.ensure(user, access.READ_TARGETS, department, "您只能查看本部门教职工的确认情况")
    sets = {d["staff_id"]: approved(d) for d in ctx.store.records(department, targets.TABLE)}
    found = {d["staff_id"]: d for d in ctx.store.records(department, TABLE)}
    rows = []
    for member in ctx.content.members(department):
        current, confirmation = sets.get(member.staff_id), found.get(member.staff_id)
        state = state_of(current, confirmation)
        rows.append({"staff_id": member.staff_id, "name": member.name, "post": member.post, "state": state,
                     "version": current.version if current else None,
                     "confirmed_at": confirmation.get("at") if confirmation and state == CONFIRM_DONE else None})
    return rows
