"""Job duties (岗位职责): departments deliver them per role, HR accepts or returns them.

A lead department delivers the duties of the roles it leads (due duties_lead, 04-18), every
department those of its other posts (due duties_all, 04-23): rules/schedule.py says which.
Store: the delivering department's partition, table "duties", one document per role_id:
{role_id, kind lead|own, duties[…], attachments[…], earlier_attachments[…], state (one of DUTY_STATES),
submitted_at, delivered_at, reviewed_at, comment, by, accepted{duties, attachments, at, by}, history[…]}.
A delivery may carry Word or PDF attachments per role (workflows/duty_files.py).

`delivered_at` is when HR first had the version it is holding: kept when a delivered
(submitted or accepted) role is revised, cleared when HR returns it. The board judges on
time / late by it. `accepted` is the last version HR accepted; it stays on the portal's role
page while a revision waits for review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from service.content.codes import DELIVERY_LABELS, DUTY_ACCEPTED, DUTY_RETURNED, DUTY_SUBMITTED
from service.errors import ApiError, bad_request, not_found, quoted, unprocessable
from service.rules import access, schedule
from service.rules.access import User
from service.workflows import duty_files, notifications
from service.workflows.commit import LinkedFile, Put, commit, ensure_writable
from service.workflows.common import comment_text, department_or_404, parse_time
from service.workflows.context import Context

TABLE = "duties"
ACCEPT = "accept"
RETURN = "return"
REVIEWS = (ACCEPT, RETURN)
REVIEW_LABELS = {ACCEPT: "接受", RETURN: "退回"}
MAX_DUTIES = 40
MAX_DUTY_TEXT = 500
EMPTY: dict[str, Any] = {"state": None, "duties": [], "attachments": [], "earlier_attachments": [],
                         "comment": "", "history": [], "accepted": None,
                         "submitted_at": None, "delivered_at": None, "reviewed_at": None, "by": None}


# -- reading ------------------------------------------------------------------------------


def department_view(ctx: Context, department: str) -> list[dict[str, Any]]:
    """The department's obligations (lead batch, own posts), each with its roles' documents."""
    content = ctx.content
    now = ctx.now()
    docs = {d["role_id"]: d for d in ctx.store.records(department, TABLE)}
    result = []
    for obligation in schedule.duty_obligations(content, department):
        roles = []
        for role in obligation.roles:
            doc = docs.get(role.id)
            stored = {k: v for k, v in (doc or {}).items() if k not in ("id", "role_id")}
            for key in ("attachments", "earlier_attachments"):
                stored[key] = duty_files.shown(stored.get(key, []))
            roles.append({"role_id": role.id, "role_name": role.name, "template": list(role.duties),
                          **EMPTY, "kind": obligation.kind, **stored})
        delivered = obligation_delivered_at(obligation, docs.values())
        state = schedule.delivery_state(delivered, obligation.due, now, content.settings.timezone)
        result.append({"kind": obligation.kind, "due": obligation.due.isoformat(), "state": state,
                       "state_label": DELIVERY_LABELS[state],
                       "delivered_at": delivered.isoformat(timespec="seconds") if delivered else None,
                       "roles": roles})
    return result


def delivered(ctx: Context, department: str) -> Mapping[str, dt.datetime]:
    """role_id → when the department's duties HR holds were delivered, kept until they change."""
    return ctx.kept.value(("duties", department), ((department, TABLE),), None,
                          lambda: delivered_times(ctx.store.scan(department, TABLE)))


def delivered_times(docs: Iterable[dict[str, Any]]) -> dict[str, dt.datetime]:
    """role_id → when the version HR holds was delivered (returned roles left out)."""
    times = {}
    for doc in docs:
        at = parse_time(doc.get("delivered_at"))
        if at is not None and doc.get("state") in (DUTY_SUBMITTED, DUTY_ACCEPTED):
            times[doc["role_id"]] = at
    return times


def obligation_delivered_at(obligation: schedule.DutyObligation,
                            docs: Iterable[dict[str, Any]]) -> dt.datetime | None:
    return schedule.obligation_delivered_at(obligation, delivered_times(docs))


# -- writing ------------------------------------------------------------------------------


def submit(ctx: Context, user: User, department: str, entries: Any,
           uploads: Mapping[str, Sequence[duty_files.Upload]] | None = None) -> list[dict[str, Any]]:
    """Deliver (or revise) the duties of some of the department's roles, each with the files of
    `uploads` (role_id → its attachments, which replace those delivered before), all or nothing."""
    department_or_404(ctx, department)
    access.ensure(user, access.WRITE_DEPARTMENT, department, "您只能报送本部门的岗位职责")
    kinds = {role.id: ob.kind for ob in schedule.duty_obligations(ctx.content, department)
             for role in ob.roles}
    wanted = _parse_entries(ctx, entries, kinds)
    uploads = {role_id: items for role_id, items in (uploads or {}).items() if items}
    names = {role_id: _role_name(ctx, role_id) for role_id in {*wanted, *uploads}}
    for role_id in uploads:
        if role_id not in kinds:
            raise unprocessable("role_not_due", f"岗位“{names[role_id]}”不在本部门应报送岗位职责的岗位之列")
        if role_id not in wanted:
            raise unprocessable("attachments_without_duties", f"“{names[role_id]}”的附件须与该岗位的岗位职责一同报送")
    ensure_writable(ctx, "duties.submit")  # a past year refuses before any file is stored
    attached = duty_files.store(ctx, user, department, uploads, names) if uploads else {}
    try:
        _record(ctx, user, department, wanted, kinds, attached)
    except BaseException:
        duty_files.discard(ctx, (r for records in attached.values() for r in records))
        raise
    return department_view(ctx, department)


def _record(ctx: Context, user: User, department: str, wanted: Mapping[str, list[str]], kinds: Mapping[str, str],
            attached: Mapping[str, list[dict[str, Any]]]) -> None:
    with ctx.store.locked():
        stamp = ctx.stamp()
        changed: list[dict[str, Any]] = []
        for role_id, duties in wanted.items():
            before = ctx.store.get(department, TABLE, role_id=role_id)
            new_files = attached.get(role_id)
            if before and before.get("state") in (DUTY_SUBMITTED, DUTY_ACCEPTED) and before.get("duties") == duties \
                    and not new_files:
                continue  # the same text again: nothing to review
            doc = dict(before or {"role_id": role_id, "history": [], "accepted": None})
            doc.pop("id", None)
            if new_files:
                doc.update(duty_files.replaced(doc, new_files))
            delivered = before and before.get("state") in (DUTY_SUBMITTED, DUTY_ACCEPTED) and before.get("delivered_at")
            doc.update({"kind": kinds[role_id], "duties": duties, "state": DUTY_SUBMITTED, "submitted_at": stamp,
                        "delivered_at": delivered or stamp, "by": user.username, "comment": "",
                        "history": [*doc["history"], {"action": "submit", "state": DUTY_SUBMITTED,
                                                      "by": user.username, "at": stamp, "duties": duties,
                                                      "attachments": [f["id"] for f in doc.get("attachments", [])]}]})
            changed.append(doc)
        if changed:
            linked = [LinkedFile(duty_files.folder(ctx, department))] if attached else []
            commit(ctx, [*(Put(department, TABLE, doc, {"role_id": doc["role_id"]}) for doc in changed), *linked],
                   user.username, "duties.submit", department=department, roles=[d["role_id"] for d in changed],
                   attachments={role_id: duty_files.audited(records) for role_id, records in attached.items()})


def review(ctx: Context, user: User, department: str, role_id: str, action: str,
           comment: Any = None) -> dict[str, Any]:
    """HR accepts a delivered version (it goes on the role page) or returns it with a comment."""
    department_or_404(ctx, department)
    access.ensure(user, access.REVIEW_DUTIES, department, "只有人事处可以接受或退回岗位职责")
    if action not in REVIEWS:
        raise bad_request("unknown_action", f"操作应为 {' / '.join(REVIEWS)} 之一")
    text = comment_text(comment)
    if action == RETURN and not text:
        raise bad_request("comment_required", "退回时请填写意见")
    with ctx.store.locked():
        doc = ctx.store.get(department, TABLE, role_id=role_id)
        if doc is None:
            raise not_found("unknown_duties", "该部门尚未报送此岗位的岗位职责")
        if doc.get("state") != DUTY_SUBMITTED:
            raise ApiError(409, "bad_state", f"当前状态为“{doc.get('state')}”，只有已提交的岗位职责可以{REVIEW_LABELS[action]}")
        stamp = ctx.stamp()
        state = DUTY_ACCEPTED if action == ACCEPT else DUTY_RETURNED
        doc = {**doc, "state": state, "reviewed_at": stamp, "comment": text,
               "history": [*doc["history"], {"action": action, "state": state, "by": user.username,
                                             "at": stamp, "comment": text}]}
        if action == ACCEPT:
            doc["accepted"] = {"duties": doc["duties"], "attachments": [f["id"] for f in doc.get("attachments", [])],
                               "at": stamp, "by": user.username}
        else:
            doc["delivered_at"] = None
        doc.pop("id", None)
        role = ctx.content.role(role_id)
        notes = (notifications.duties_returned(ctx, department, role_id, role.name if role else role_id, text)
                 if action == RETURN else [])
        commit(ctx, [Put(department, TABLE, doc, {"role_id": role_id}), *notes], user.username, f"duties.{action}",
               department=department, role_id=role_id, comment=text)
    return doc


# -- helpers ------------------------------------------------------------------------------


def _role_name(ctx: Context, role_id: str) -> str:
    role = ctx.content.role(role_id)
    return role.name if role else quoted(role_id)


def _parse_entries(ctx: Context, entries: Any, kinds: dict[str, str]) -> dict[str, list[str]]:
    """{role_id: [duty, …]} from [{"role_id", "duties": [...]}, …] or {role_id: [...]}."""
    if isinstance(entries, dict):
        entries = [{"role_id": k, "duties": v} for k, v in entries.items()]
    if not isinstance(entries, list) or not entries:
        raise bad_request("invalid_roles", "roles 应为非空列表，每项包含 role_id 和 duties（岗位职责条目列表）")
    wanted: dict[str, list[str]] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("role_id"), str):
            raise bad_request("invalid_roles", f"roles[{i}] 应包含 role_id 和 duties")
        role_id = entry["role_id"]
        role = ctx.content.role(role_id)
        if role_id not in kinds:
            name = f"“{role.name}”" if role else f"“{quoted(role_id)}”"
            raise unprocessable("role_not_due", f"岗位{name}不在本部门应报送岗位职责的岗位之列")
        if role_id in wanted:
            raise unprocessable("duplicate_role", f"岗位“{role.name if role else quoted(role_id)}”在本次报送中出现了两次")
        wanted[role_id] = duty_lines(entry.get("duties"), role.name if role else role_id)
    return wanted


def duty_lines(value: Any, role_name: str) -> list[str]:
    """A role's duties: a list of non-empty strings (or one text, one duty per line), bounded."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request("invalid_duties", f"“{role_name}”的 duties 应为文字列表，每项一条岗位职责")
    lines = [v.strip() for v in value if v.strip()]
    if not lines:
        raise unprocessable("empty_duties", f"请填写“{role_name}”的岗位职责")
    if len(lines) > MAX_DUTIES:
        raise unprocessable("too_many_duties", f"“{role_name}”的岗位职责最多 {MAX_DUTIES} 条")
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_DUTY_TEXT:
            raise unprocessable("duty_too_long", f"“{role_name}”第 {n} 条岗位职责不能超过 {MAX_DUTY_TEXT} 字")
    return lines
