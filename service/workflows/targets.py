"""Individual target sets (附件3) per person: draft from the role's template, submit, approve or return.

Store: the person's department partition, table "targets", one document per staff_id:
{staff_id, state, rows, comment, history[…], submitted_at, decided_at, by, approved_version,
approved {version, tag, rows, at, by}, approvals[{version, tag, at, by}]}.
Each approval is the person's next version, with the tag of its rows (rules/contract_mark.py)
that the signed contract carries; HR reopening an approved set makes it a draft again.
The rows' rules (60 points, required columns) are content/target_rows.py's, the moves
between states rules/approval.py's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.content import target_rows
from service.content.codes import TARGET_NOT_STARTED, TARGET_STATES
from service.content.models import StaffMember, TargetRow
from service.errors import ApiError, bad_request, unprocessable
from service.rules import access, approval, contract_mark
from service.rules.access import User
from service.rules.contract_mark import ContractMark
from service.workflows import notifications
from service.workflows.board import TARGETS, approved_of
from service.workflows.commit import Put, commit
from service.workflows.common import comment_text, department_or_404, member_or_404
from service.workflows.context import Context

TABLE = TARGETS
MAX_RAW_ROWS = 2 * target_rows.MAX_ROWS
DECISIONS = (approval.WITHDRAW, approval.APPROVE, approval.RETURN, approval.REOPEN)
_STATES = {state: state for state in TARGET_STATES}  # one string object per state for every kept set
_STATUS = {"not_leader": 403, "not_overseen": 403, "leader_cannot_edit": 403, "not_own_department": 403,
           "forbidden_role": 403, "not_hr": 403, "bad_state": 409, "comment_required": 400, "reason_required": 400,
           "unknown_action": 400, "unknown_state": 409}
BOARD_ACTIONS = (approval.APPROVE, approval.REOPEN)  # they change whose contract counts


def refused(exc: approval.TransitionRefused) -> ApiError:
    return ApiError(_STATUS.get(exc.code, 400), exc.code, exc.message)


# -- reading ------------------------------------------------------------------------------


def readable_member(ctx: Context, user: User, staff_id: str) -> StaffMember:
    member = member_or_404(ctx, staff_id)
    access.ensure(user, access.READ_TARGETS, member.department, "您的账号只能查看本部门教职工的个性目标")
    return member


def person_set(ctx: Context, member: StaffMember) -> dict[str, Any]:
    """The stored set, or a new one drafted from the role's template (state None)."""
    doc = ctx.store.get(member.department, TABLE, staff_id=member.staff_id)
    if doc is not None:
        return doc
    role = ctx.content.role(member.role)
    rows = [line.as_dict() for line in target_rows.template_rows(role)] if role else []
    return {"staff_id": member.staff_id, "state": None, "rows": rows, "comment": "", "history": [],
            "submitted_at": None, "decided_at": None, "by": None}


@dataclass(frozen=True)
class Printable:
    """What a person's contract (annex 1) and target sheet (annex 3) print."""

    rows: list[dict[str, Any]] | None  # None: the role's template (no set yet)
    mark: ContractMark | None  # the approved version's mark
    draft: bool  # no set approved (none at all, or one not yet): printed as 草稿，未经审定


def printable(ctx: Context, member: StaffMember) -> Printable:
    """The approved version with its mark; else the set as it stands, as a draft; else nothing
    of the person's own (the role's template), a draft too: nothing approved is there to sign."""
    doc = ctx.store.get(member.department, TABLE, staff_id=member.staff_id)
    if doc is None:
        return Printable(None, None, True)
    approved = approved_of(doc, ctx.year, ctx.mark_key)
    if approved is None:
        return Printable(list(doc["rows"]), None, True)
    rows = (doc.get("approved") or {}).get("rows", doc["rows"])
    return Printable(list(rows), ContractMark(ctx.year, member.staff_id, approved.version, approved.tag), False)


def view(ctx: Context, user: User, staff_id: str) -> dict[str, Any]:
    member = readable_member(ctx, user, staff_id)
    doc = person_set(ctx, member)
    role = ctx.content.role(member.role)
    budget = ctx.content.settings.individual_points
    return {
        **{k: v for k, v in doc.items() if k != "id"},
        "state_label": doc["state"] or TARGET_NOT_STARTED,
        "name": member.name, "department": member.department, "post": member.post,
        "role": member.role, "role_name": role.name if role else member.role,
        "total": _total(doc["rows"]), "budget": budget,
        "problems": [p.message for p in target_rows.validate_target_rows(doc["rows"], budget)],
        "actions": list(approval.allowed_actions(doc["state"], user, member.department)),
    }


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored set as the listings and the progress board show it."""

    state: str
    total: float
    submitted_at: str | None
    comment: str


def stored(ctx: Context, department: str) -> Mapping[str, Stored]:
    """staff_id → the department's stored sets, read when one of them changed and kept."""

    def read() -> dict[str, Stored]:
        fields = ("staff_id", "state", "rows", "submitted_at", "comment")
        return {doc["staff_id"]: Stored(_STATES.get(doc["state"], doc["state"]), _total(doc["rows"]),
                                        doc.get("submitted_at"), doc.get("comment", ""))
                for doc in ctx.store.scan(department, TABLE, fields)}

    return ctx.kept.value(("targets", department), ((department, TABLE),), None, read)


def listing(ctx: Context, user: User, department: str | None = None,
            state: str | None = None) -> list[dict[str, Any]]:
    """One line per person: every member of `department`, or every stored set college-wide."""
    content = ctx.content
    if department is not None:
        department_or_404(ctx, department)
        access.ensure(user, access.READ_TARGETS, department, "您的账号只能查看本部门的个性目标")
        docs = stored(ctx, department)
        members: list[StaffMember] = list(content.members(department))
    else:
        access.ensure(user, access.READ_TARGETS, None, "只有人事处和主管院领导可以查看全院的个性目标")
        docs = {staff_id: doc for d in content.departments if access.allowed(user, access.READ_TARGETS, d.id)
                for staff_id, doc in stored(ctx, d.id).items() if not state or doc.state == state}
        members = [m for m in (content.staff(s) for s in docs) if m is not None]
    names = {d.id: d.name for d in content.departments}
    roles = {r.id: r.name for r in content.roles}
    lines = []
    for member in members:
        doc = docs.get(member.staff_id)
        label = doc.state if doc else TARGET_NOT_STARTED
        if state and label != state:
            continue
        lines.append({"staff_id": member.staff_id, "name": member.name, "department": member.department,
                      "department_name": names.get(member.department, member.department), "post": member.post,
                      "role_name": roles.get(member.role, member.role), "state": label,
                      "total": doc.total if doc else None, "submitted_at": doc.submitted_at if doc else None,
                      "comment": doc.comment if doc else ""})
    lines.sort(key=lambda line: (line["submitted_at"] or "", line["staff_id"]))
    return lines


# -- writing ------------------------------------------------------------------------------


def save(ctx: Context, user: User, staff_id: str, raw_rows: Any, *, submit: bool) -> dict[str, Any]:
    """Save the rows as a draft, and with `submit` send them to the leader (60 points checked)."""
    member = member_or_404(ctx, staff_id)
    rows = _draft_rows(raw_rows)
    with ctx.store.locked():
        doc, action = saved(ctx, user, member, person_set(ctx, member), rows, submit=submit)
        notes = notifications.waiting(ctx, member.department, [member.name]) if submit else []
        commit(ctx, [Put(member.department, TABLE, doc, {"staff_id": staff_id}), *notes], user.username,
               f"targets.{action}", department=member.department, staff_id=staff_id, total=_total(doc["rows"]))
    return view(ctx, user, staff_id)


def saved(ctx: Context, user: User, member: StaffMember, doc: dict[str, Any], rows: list[dict[str, Any]], *,
          submit: bool) -> tuple[dict[str, Any], str]:
    """The set with `rows` saved (and submitted), and the action done; ApiError when refused."""
    state = doc["state"]
    try:
        state = approval.transition(state, approval.SAVE, user, member.department)
        action = approval.SAVE
        if submit:
            state = approval.transition(state, approval.SUBMIT, user, member.department)
            action = approval.SUBMIT
    except approval.TransitionRefused as exc:
        raise refused(exc) from None
    if submit:
        rows = _checked(rows, ctx.content.settings.individual_points)
        ensure_approver(ctx, member.department)
    stamp = ctx.stamp()
    doc = {**doc, "state": state, "rows": rows, "by": user.username,
           "history": [*doc["history"], {"action": action, "state": state, "by": user.username, "at": stamp}]}
    if submit:  # the last return's comment is answered: it stays in the history only
        doc["submitted_at"] = stamp
        doc["comment"] = ""
    return doc, action


def ensure_approver(ctx: Context, department: str) -> None:
    """Submitted targets wait for a leader overseeing the department: refuse when there is none."""
    if not notifications.leaders(ctx, department):
        raise ApiError(409, "no_approver", "本部门尚未指定主管院领导，请联系人事处")


def save_lines(ctx: Context, user: User, department: str, staff_id: str, lines: Sequence[TargetRow], *,
               submit: bool) -> dict[str, Any]:
    """The rows of a filled annex 3 workbook of `department` (office/annex3.py reads them) saved
    like the web form's."""
    department_or_404(ctx, department)
    access.ensure(user, access.WRITE_DEPARTMENT, department, "您只能为本部门的教职工上传个性目标")
    return save(ctx, user, staff_id, [target_rows.normalise_row(line) for line in lines], submit=submit)


def decide(ctx: Context, user: User, staff_id: str, action: str, comment: Any = None) -> dict[str, Any]:
    """Withdraw (the department), approve or return (the leader, returning with a comment)."""
    if action not in DECISIONS:
        raise bad_request("unknown_action", f"操作应为 {' / '.join(DECISIONS)} 之一")
    member = member_or_404(ctx, staff_id)
    text = comment_text(comment)
    with ctx.store.locked():
        doc, detail = decided(ctx, user, member, person_set(ctx, member), action, text)
        notes = notifications.returned(ctx, member.department, [member.name], text) if action == approval.RETURN else []
        commit(ctx, [Put(member.department, TABLE, doc, {"staff_id": staff_id}), *notes], user.username,
               f"targets.{action}", department=member.department, staff_id=staff_id, comment=text, **detail)
        if action in BOARD_ACTIONS:
            ctx.cache.forget(member.department)
    if action in BOARD_ACTIONS:
        ctx.cache.changed(ctx.stamp())
    return view(ctx, user, staff_id)


def decided(ctx: Context, user: User, member: StaffMember, doc: dict[str, Any], action: str,
            text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The set after `action` and the audit detail of an approval; ApiError when refused."""
    try:
        state = approval.transition(doc["state"], action, user, member.department, comment=text)
    except approval.TransitionRefused as exc:
        raise refused(exc) from None
    stamp = ctx.stamp()
    entry = {"action": action, "state": state, "by": user.username, "at": stamp}
    if text:
        entry["comment"] = text
    doc = {**doc, "state": state, "by": user.username, "history": [*doc["history"], entry]}
    if action in (approval.APPROVE, approval.RETURN, approval.REOPEN):
        doc["decided_at"] = stamp
        doc["comment"] = text
    detail: dict[str, Any] = {}
    if action == approval.REOPEN and not doc.get("approved"):  # approved before versions were kept
        doc = _approved(ctx, user, {**doc, "approved_version": 0}, doc.get("decided_at") or stamp)
    if action == approval.APPROVE:
        doc = _approved(ctx, user, doc, stamp)
        entry["version"] = detail["version"] = doc["approved_version"]
        detail["tag"] = doc["approved"]["tag"]
    return doc, detail


def _approved(ctx: Context, user: User, doc: dict[str, Any], stamp: str) -> dict[str, Any]:
    """The set as approved: its next version, the tag of its rows, a copy of them."""
    version = int(doc.get("approved_version") or 0) + 1
    tag = contract_mark.tag_for(ctx.mark_key(), ctx.year, doc["staff_id"], doc["rows"])
    entry = {"version": version, "tag": tag, "at": stamp, "by": user.username}
    return {**doc, "approved_version": version, "approved": {**entry, "rows": doc["rows"]},
            "approvals": [*doc.get("approvals", []), entry]}


# -- helpers ------------------------------------------------------------------------------


def _draft_rows(raw_rows: Any) -> list[dict[str, Any]]:
    """Rows as typed (blank lines dropped, columns normalised): a draft may be incomplete."""
    if not isinstance(raw_rows, list) or not all(isinstance(r, dict) for r in raw_rows):
        raise bad_request("invalid_rows", "rows 应为列表，每项为一行目标（目标内容、分值、佐证材料及分值、完成时限、备注）")
    if len(raw_rows) > MAX_RAW_ROWS:
        raise unprocessable("too_many_rows", f"个性目标最多 {target_rows.MAX_ROWS} 条")
    rows = []
    for number, raw in enumerate(raw_rows, start=1):
        row = target_rows.normalise_row(raw)
        if target_rows.is_blank(row):
            continue
        clean: dict[str, Any] = {}
        for name in target_rows.COLUMNS:
            value = row.get(name)
            if name == target_rows.COL_POINTS:
                points = target_rows.parse_points(value)
                clean[name] = points if points is not None else _text(value)
            else:
                clean[name] = _text(value)
            if isinstance(clean[name], str) and len(clean[name]) > target_rows.MAX_TEXT:
                raise unprocessable("text_too_long", f"第 {number} 行：{name}不能超过 {target_rows.MAX_TEXT} 字")
        rows.append(clean)
    return rows


def _checked(rows: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The rows of a set being submitted: complete, totalling `budget` (422 naming the total)."""
    try:
        lines = target_rows.parse_target_rows(rows, budget)
    except target_rows.TargetRowsInvalid as exc:
        raise unprocessable("invalid_targets", str(exc), problems=[p.message for p in exc.problems]) from None
    return [line.as_dict() for line in lines]


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value).strip()


def _total(rows: list[dict[str, Any]]) -> float:
    points = (target_rows.parse_points(r.get(target_rows.COL_POINTS)) for r in rows)
    return round(sum(p for p in points if p is not None), 2)
