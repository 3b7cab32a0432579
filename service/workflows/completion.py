"""Annex 5 (完成情况): a department records, per person, 完成 or a leave that exempts them.

Store: the department's partition, table "statuses", one document {kind: "statuses",
entries: {staff_id: {status, by, at}}, at}. 完成 needs a signed scan that counts; a person
whose signed scan counts is 完成 by that scan, and no leave status can be given until the
scan is withdrawn (a blank only clears what was recorded). A request that changes nothing
writes nothing. An uploaded annex 5 that would undo a status changed since its download is
refused whole (409 `stale_workbook`), never applied in part.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.content import text_forms
from service.content.codes import COMPLETION_STATUSES, DONE, OUTSTANDING, RESIGN
from service.content.formats import cn_time
from service.errors import ApiError, bad_request, quoted, unprocessable
from service.rules import access
from service.rules.access import User
from service.rules.board import Counts, DepartmentState, person_status, signed
from service.workflows import contracts
from service.workflows.board import CONTRACTS, STATUSES, TARGETS
from service.workflows.commit import Put, commit
from service.workflows.common import department_or_404
from service.workflows.context import Context

MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class Saved:
    counts: Counts  # the department's counts afterwards
    changes: dict[str, str | None]  # staff id → the status now recorded (None: cleared); empty: nothing saved


def printed(ctx: Context, department_id: str) -> dict[str, str]:
    """Each person's status as annex 5 prints it (staff_id → 完成 or a leave; nobody else)."""
    state = ctx.cache.state(department_id)
    shown = {m.staff_id: DONE if signed(s) else s for m in ctx.content.members(department_id)
             if (s := person_status(m, state)) != OUTSTANDING}
    return {staff_id: status for staff_id, status in shown.items() if status in COMPLETION_STATUSES}


def save(ctx: Context, user: User, department_id: str, entries: Any,
         downloaded: Mapping[str, str] | None = None) -> Saved:
    """Record annex-5 statuses for a department, all or nothing. `downloaded`: the statuses an
    uploaded annex 5 was printed with; a row that would undo a change made since is refused."""
    department_or_404(ctx, department_id)
    access.ensure(user, access.WRITE_DEPARTMENT, department_id, "您只能填报本部门的完成情况")
    wanted = _parse_entries(ctx, department_id, entries)
    with ctx.store.locked():
        if downloaded is not None:
            _refuse_stale(ctx, department_id, wanted, downloaded)
        _refuse_impossible(ctx, ctx.cache.state(department_id), wanted)
        doc = ctx.store.get(department_id, STATUSES, kind=STATUSES) or {"entries": {}}
        current = dict(doc.get("entries", {}))
        stamp = ctx.stamp()
        changed: dict[str, str | None] = {}
        for staff_id, status in wanted.items():
            if current.get(staff_id, {}).get("status") == status:
                continue
            if status is None:
                current.pop(staff_id, None)
            else:
                current[staff_id] = {"status": status, "by": user.username, "at": stamp}
            changed[staff_id] = status
        if not changed:
            return Saved(ctx.cache.counts(department_id), {})
        doc = {"kind": STATUSES, "entries": current, "at": stamp}
        commit(ctx, [Put(department_id, STATUSES, doc, {"kind": STATUSES})], user.username, "completion.update",
               department=department_id, changes=changed)
        ctx.cache.forget(department_id)
    ctx.cache.changed(ctx.stamp())
    return Saved(ctx.cache.counts(department_id), changed)


def _refuse_stale(ctx: Context, department_id: str, wanted: Mapping[str, str | None],
                  downloaded: Mapping[str, str]) -> None:
    """409 `stale_workbook`, naming each person and their status now, when a row's status changed
    on record since the workbook was downloaded and the row would set it to something else (a
    blank for someone whose scan counts changes nothing, so it is no conflict)."""
    now = printed(ctx, department_id)
    scanned = ctx.cache.state(department_id).scanned
    stale = [s for s, status in wanted.items() if now.get(s) != downloaded.get(s) and status != now.get(s)
             and not (status is None and s in scanned)]
    if not stale:
        return
    people = [{"staff_id": s, "name": ctx.content.staff(s).name,  # type: ignore[union-attr]
               "status": now.get(s, OUTSTANDING), "downloaded": downloaded.get(s, OUTSTANDING),
               "sheet": wanted[s] or OUTSTANDING} for s in stale]
    shown = "、".join(f"{p['name']}（{p['staff_id']}）现为“{p['status']}”（下载时为“{p['downloaded']}”，表中为“{p['sheet']}”）"
                     for p in people)
    raise ApiError(409, "stale_workbook", f"您下载附件5之后，以下人员的完成情况已被更新，上传的表格会把它改掉，"
                   f"未保存任何内容：{shown}。请重新下载附件5，核对后再上传。", people=people)


def _refuse_impossible(ctx: Context, state: DepartmentState, wanted: dict[str, str | None]) -> None:
    """Refuse, naming each person and why, what the scans on record do not allow."""
    def who(staff_id: str) -> str:
        return f"{ctx.content.staff(staff_id).name}（{staff_id}）"  # type: ignore[union-attr]

    resign = [s for s, status in wanted.items() if status == DONE and state.signing.get(s) == RESIGN]
    if resign:
        raise unprocessable("scan_stale", f"以下人员的扫描件不是现行审定版本的责任状（{RESIGN}），不能填报“完成”，"
                            f"请按审定后的个性目标重签并上传：{'、'.join(map(who, resign))}", staff_ids=resign)
    unsigned = [s for s, status in wanted.items() if status == DONE and s not in state.scanned]
    if unsigned:
        raise unprocessable("scan_required", f"以下人员尚未上传签字的责任状扫描件，不能填报“完成”：{'、'.join(map(who, unsigned))}",
                            staff_ids=unsigned)
    locked = [(s, status) for s, status in wanted.items() if s in state.scanned and status not in (DONE, None)]
    if locked:
        shown = "、".join(f"{who(s)}（要改为“{status}”）" for s, status in locked)
        raise ApiError(409, "status_locked", f"以下人员已上传签字的责任状扫描件，完成情况由扫描件确定为“{DONE}”，不能改为其他状态，"
                       f"应先撤回扫描件：{shown}", staff_ids=[s for s, _ in locked])


def sheet_lines(ctx: Context, department_id: str) -> tuple[tuple[str, str, str, str, int, str], ...]:
    """The department's people for the completion workbook: 工号, 姓名, 岗位、职务, 完成情况, how many
    scan versions, the last upload's time as people write it. Kept until the department's scans, statuses, target sets
    (an approval or a reopen makes a scan 需重签) or people change."""

    def lines() -> tuple[tuple[str, str, str, str, int, str], ...]:
        return tuple((p["staff_id"], p["name"], p["post"], p["status"], len(p["versions"]),
                      cn_time(p["versions"][-1]["uploaded_at"]) if p["versions"] else "")
                     for p in contracts.staff_view(ctx, department_id))

    tables = ((department_id, CONTRACTS), (department_id, STATUSES), (department_id, TARGETS))
    return ctx.kept.value(("completion sheet", department_id), tables, ctx.content.members(department_id), lines)


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
        typed, status = entry.get("staff_id"), entry.get("status")
        staff_id = text_forms.staff_id(typed) if isinstance(typed, str) else ""
        if not staff_id:
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
