"""Annex 5 (完成情况): a department records, per person, 完成 or a leave that exempts them.

Store: the department's partition, table "statuses", one document {kind: "statuses",
entries: {staff_id: {status, by, at}}, at}. 完成 needs a signed scan on record first.
"""

from __future__ import annotations

from typing import Any

from service.content.models import COMPLETION_STATUSES, DONE, OUTSTANDING
from service.errors import bad_request, quoted, unprocessable
from service.rules import access
from service.rules.access import User
from service.rules.board import Counts
from service.workflows.board import STATUSES
from service.workflows.commit import Put, commit
from service.workflows.common import department_or_404
from service.workflows.context import Context

MAX_ENTRIES = 20_000


def save(ctx: Context, user: User, department_id: str, entries: Any) -> Counts:
    """Record annex-5 statuses for a department, all or nothing; return its new counts."""
    department_or_404(ctx, department_id)
    access.ensure(user, access.WRITE_DEPARTMENT, department_id, "您只能填报本部门的完成情况")
    wanted = _parse_entries(ctx, department_id, entries)
    state = ctx.cache.state(department_id)
    unsigned = [s for s, status in wanted.items() if status == DONE and s not in state.scanned]
    if unsigned:
        names = "、".join(f"{ctx.content.staff(s).name}（{s}）" for s in unsigned)  # type: ignore[union-attr]
        raise unprocessable("scan_required", f"以下人员尚未上传签字的责任状扫描件，不能填报“完成”：{names}",
                            staff_ids=unsigned)
    with ctx.store.locked():
        doc = ctx.store.get(department_id, STATUSES, kind=STATUSES) or {"entries": {}}
        current = dict(doc.get("entries", {}))
        stamp = ctx.stamp()
        changed = {}
        for staff_id, status in wanted.items():
            before = current.get(staff_id, {}).get("status")
            if status is None:
                current.pop(staff_id, None)
            else:
                current[staff_id] = {"status": status, "by": user.username, "at": stamp}
            if before != status:
                changed[staff_id] = status
        doc = {"kind": STATUSES, "entries": current, "at": stamp}
        commit(ctx, [Put(department_id, STATUSES, doc, {"kind": STATUSES})], user.username, "completion.update",
               department=department_id, changes=changed)
        ctx.cache.forget(department_id)
    ctx.cache.changed(ctx.stamp())
    return ctx.cache.counts(department_id)


def _parse_entries(ctx: Context, department_id: str, entries: Any) -> dict[str, str | None]:
    """{staff_id: status, None for 未完成} from [{"staff_id", "status"}, …], each one of the department."""
    if not isinstance(entries, list) or not entries:
        raise bad_request("invalid_entries", "entries 应为非空列表，每项包含 staff_id 和 status")
    if len(entries) > MAX_ENTRIES:
        raise bad_request("too_many_entries", f"一次最多填报 {MAX_ENTRIES} 人")
    wanted: dict[str, str | None] = {}
    others: list[str] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise bad_request("invalid_entries", f"entries[{i}] 应为对象，包含 staff_id 和 status")
        staff_id, status = entry.get("staff_id"), entry.get("status")
        if not isinstance(staff_id, str) or not staff_id:
            raise bad_request("invalid_staff_id", f"entries[{i}].staff_id 应为工号字符串")
        if status in ("", None, OUTSTANDING):
            status = None
        elif status not in COMPLETION_STATUSES:
            raise bad_request("invalid_status",
                              f"entries[{i}].status 应为 {'、'.join(COMPLETION_STATUSES)} 之一（或留空表示未完成）")
        if staff_id in wanted:
            raise unprocessable("duplicate_staff", f"工号 {staff_id} 在本次填报中出现了两次")
        member = ctx.content.staff(staff_id)
        if member is None:
            raise unprocessable("unknown_staff", f"名册中没有工号为“{quoted(staff_id)}”的教职工", staff_ids=[staff_id[:100]])
        if member.department != department_id:
            others.append(staff_id)
        wanted[staff_id] = status
    if others:
        raise unprocessable("staff_not_in_department",
                            f"以下工号不属于本部门：{'、'.join(others)}", staff_ids=others)
    return wanted
