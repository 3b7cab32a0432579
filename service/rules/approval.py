"""A target set's approval (定标): who may move it from which state to which.

A department drafts each person's set, submits it, and may withdraw it while it waits; the
responsible college leader approves (已审定) or returns it (退回, with a comment); a returned
set is edited and submitted again. HR may reopen an approved set (with a reason): it is a
draft again, and its signed contract must be signed again once it is approved anew.
"""

from __future__ import annotations

from service.content.codes import (
    TARGET_APPROVED,
    TARGET_DRAFT,
    TARGET_RETURNED,
    TARGET_STATES,
    TARGET_SUBMITTED,
)
from service.rules import access

SAVE = "save"  # create or edit the rows
SUBMIT = "submit"  # send to the leader
WITHDRAW = "withdraw"  # take a submitted set back to edit it
APPROVE = "approve"
RETURN = "return"  # back to the department, with the leader's comment
REOPEN = "reopen"  # HR takes an approved set back to a draft, with a reason
ACTIONS = (SAVE, SUBMIT, WITHDRAW, APPROVE, RETURN, REOPEN)
ACTION_LABELS = {SAVE: "保存", SUBMIT: "提交审定", WITHDRAW: "撤回", APPROVE: "审定通过", RETURN: "退回修改",
                 REOPEN: "重新打开"}

# action -> (states it may start from, state it leads to); None = no set exists yet
_MOVES: dict[str, tuple[tuple[str | None, ...], str]] = {
    SAVE: ((None, TARGET_DRAFT, TARGET_RETURNED), TARGET_DRAFT),
    SUBMIT: ((TARGET_DRAFT, TARGET_RETURNED), TARGET_SUBMITTED),
    WITHDRAW: ((TARGET_SUBMITTED,), TARGET_DRAFT),
    APPROVE: ((TARGET_SUBMITTED,), TARGET_APPROVED),
    RETURN: ((TARGET_SUBMITTED,), TARGET_RETURNED),
    REOPEN: ((TARGET_APPROVED,), TARGET_DRAFT),
}
_LEADER_ACTIONS = (APPROVE, RETURN)


class TransitionRefused(Exception):
    """An illegal move. Codes: unknown_state, unknown_action, not_leader, not_overseen,
    leader_cannot_edit, not_own_department, forbidden_role, not_hr (→ HTTP 403 for the role/department
    ones), bad_state (→ 409), comment_required, reason_required (→ 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def transition(state: str | None, action: str, actor: access.User, owner_department: str, *,
               comment: str | None = None) -> str:
    """The state after `action`, or TransitionRefused.

    Who may (rules/access.py): a department drafts, submits and withdraws its own people's
    sets; HR may do the same for any department but never approves; only a leader overseeing
    the department approves or returns, and a leader never edits; only HR reopens an approved set.
    Returning needs a non-empty `comment`, reopening a reason (`comment`).
    `state` is None when the person has no set yet.
    """
    if state is not None and state not in TARGET_STATES:
        raise TransitionRefused("unknown_state", f"未知的状态“{state}”")
    if action not in _MOVES:
        raise TransitionRefused("unknown_action", f"未知的操作“{action}”")
    _check_actor(action, actor, owner_department)
    sources, target = _MOVES[action]
    if state not in sources:
        raise TransitionRefused("bad_state", _bad_state_message(state, action))
    if action == RETURN and not (comment or "").strip():
        raise TransitionRefused("comment_required", "退回时请填写审定意见")
    if action == REOPEN and not (comment or "").strip():
        raise TransitionRefused("reason_required", "重新打开已审定的个性目标须填写原因")
    return target


def allowed_actions(state: str | None, actor: access.User, owner_department: str) -> tuple[str, ...]:
    """The actions this actor may take now (for the buttons a page shows)."""
    result = []
    for action in ACTIONS:
        try:
            transition(state, action, actor, owner_department, comment="-")
        except TransitionRefused:
            continue
        result.append(action)
    return tuple(result)


def _check_actor(action: str, actor: access.User, owner: str) -> None:
    """Refuse the actor rules/access.py does not allow, saying why."""
    if action == REOPEN:
        if not access.allowed(actor, access.REOPEN_TARGETS, owner):
            raise TransitionRefused("not_hr", "只有人事处可以重新打开已审定的个性目标")
        return
    if action in _LEADER_ACTIONS:
        if not access.allowed(actor, access.DECIDE_TARGETS, owner):
            verb = "审定" if action == APPROVE else "退回"
            if access.RULES[access.DECIDE_TARGETS].get(actor.role):  # a leader, of other departments
                raise TransitionRefused("not_overseen", f"只有主管该部门的院领导可以{verb}该部门的个性目标")
            raise TransitionRefused("not_leader", f"只有主管院领导可以{verb}个性目标")
        return
    if access.allowed(actor, access.DRAFT_TARGETS, owner):
        return
    if access.allowed(actor, access.DECIDE_TARGETS, owner):
        raise TransitionRefused("leader_cannot_edit", "院领导只能审定或退回，不能修改、提交或撤回个性目标")
    if access.in_own_department(actor, access.DRAFT_TARGETS, owner):
        raise TransitionRefused("not_own_department", "只能操作本部门教职工的个性目标")
    raise TransitionRefused("forbidden_role", "您的账号无权操作个性目标")


def _bad_state_message(state: str | None, action: str) -> str:
    label = ACTION_LABELS[action]
    if state is None:
        return f"尚未建立个性目标，不能{label}"
    if action == REOPEN:
        return f"个性目标尚未审定（当前为“{state}”），无需重新打开"
    if state == TARGET_APPROVED:
        return "个性目标已审定，不能再修改或重复审定；如需修改，请人事处先重新打开"
    if state == TARGET_SUBMITTED and action == SAVE:
        return "个性目标已提交待审定，如需修改请先撤回"
    return f"当前状态为“{state}”，不能{label}"
