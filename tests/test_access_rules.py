"""Who may do what, as a table: every action of rules/access.py × every role × a resource of
the account's own department (a leader's: one it oversees), of another department, or of the
college; for a staff member's account, also the resources of one person (their own, or a
colleague's)."""

from __future__ import annotations

import pytest

from service.content.codes import ROLE_DEPARTMENT, ROLE_HR, ROLE_LEADER, ROLE_STAFF, ROLES
from service.errors import ApiError
from service.rules import access
from service.rules.access import User

OWN, OTHER, COLLEGE = "jxx", "dqx", None
USERS = {ROLE_HR: User("hr", ROLE_HR), ROLE_DEPARTMENT: User("clerk", ROLE_DEPARTMENT, OWN),
         ROLE_LEADER: User("boss", ROLE_LEADER, oversees=frozenset({OWN}))}
Y, N = True, False

# action: {role: (own department, another department, the college)}
TABLE: dict[str, dict[str, tuple[bool, bool, bool]]] = {
    access.SEE_DEPARTMENT: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (Y, N, Y)},
    access.WRITE_DEPARTMENT: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.SEE_COLLEGE: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (Y, Y, Y)},
    access.READ_TARGETS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (Y, N, Y)},
    access.DRAFT_TARGETS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.DECIDE_TARGETS: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (Y, N, Y)},
    access.REVIEW_DUTIES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.READ_DUTY_FILES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.READ_SCORES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (Y, N, Y)},
    access.LIST_SCORE_EVENTS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (Y, Y, Y)},
    access.RECORD_SCORE_EVENTS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.EXPORT: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.READ_GRADES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (Y, N, Y)},
    access.PROPOSE_GRADES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.ADJUST_GRADES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.RECORD_DECISION: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.CONFIRM_DECISION: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (Y, Y, Y)},
    access.MANAGE_GRADES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.RECORD_VIEW: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.OBJECT: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, Y, Y), ROLE_LEADER: (Y, Y, Y)},
    access.MANAGE_ACCOUNTS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.IMPORT_ROSTER: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.OWN_ACCOUNT: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, Y, Y), ROLE_LEADER: (Y, Y, Y)},
    access.WITHDRAW_SCAN: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.REOPEN_TARGETS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.CONFIRM_TARGETS: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.RAISE_OBJECTION: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.SEE_OBJECTIONS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.CHASE: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.SET_UP: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.READ_APPRAISAL: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (Y, N, Y)},
    access.LEADER_VIEW: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (Y, N, Y)},
    access.HEAD_VIEW: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.WRITE_SUMMARY: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.LOCK_SUMMARIES: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (Y, N, N), ROLE_LEADER: (N, N, N)},
    access.MANAGE_BALLOTS: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
    access.READ_TALLY: {ROLE_HR: (Y, Y, Y), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (Y, N, Y)},
    access.CAST_BALLOT: {ROLE_HR: (N, N, N), ROLE_DEPARTMENT: (N, N, N), ROLE_LEADER: (N, N, N)},
}

# A staff member of OWN: (their own person, a colleague of the department, the department, another
# department, the college). SELF reaches their own person and nothing else.
ME, COLLEAGUE = "100100", "100101"
STAFF = User(ME, ROLE_STAFF, OWN, staff_id=ME)
SELF_ONLY = (Y, N, N, N, N)
NOTHING = (N, N, N, N, N)
EVERYTHING = (Y, Y, Y, Y, Y)
STAFF_TABLE: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    **{action: NOTHING for action in TABLE},
    access.SEE_DEPARTMENT: SELF_ONLY,  # their own line: their completion status (leave included)
    access.READ_TARGETS: SELF_ONLY,
    access.READ_SCORES: SELF_ONLY,
    access.READ_GRADES: SELF_ONLY,
    access.CONFIRM_TARGETS: SELF_ONLY,
    access.RAISE_OBJECTION: SELF_ONLY,
    access.READ_APPRAISAL: SELF_ONLY,  # their own summary and registration form
    access.WRITE_SUMMARY: SELF_ONLY,
    access.CAST_BALLOT: SELF_ONLY,  # whether they are a voter of the round is the round's
    access.OBJECT: EVERYTHING,  # the 公示 of the 优秀 list is for every member of staff
    access.OWN_ACCOUNT: EVERYTHING,
}


def test_the_table_covers_every_action_and_role() -> None:
    assert set(TABLE) == set(access.ACTIONS)
    assert all(set(rows) == set(ROLES) for rows in TABLE.values())


@pytest.mark.parametrize(("action", "role"), [(a, r) for a in TABLE for r in ROLES])
def test_who_may_do_what(action: str, role: str) -> None:
    user = USERS[role]
    found = tuple(access.allowed(user, action, resource) for resource in (OWN, OTHER, COLLEGE))
    assert found == TABLE[action][role]


@pytest.mark.parametrize("action", sorted(STAFF_TABLE))
def test_what_a_staff_member_may_do(action: str) -> None:
    found = (access.allowed(STAFF, action, OWN, ME), access.allowed(STAFF, action, OWN, COLLEAGUE),
             access.allowed(STAFF, action, OWN), access.allowed(STAFF, action, OTHER), access.allowed(STAFF, action))
    assert found == STAFF_TABLE[action]


def test_the_staff_table_covers_every_action() -> None:
    assert set(STAFF_TABLE) == set(access.ACTIONS)


def test_a_staff_member_is_not_themselves_in_another_department() -> None:
    """Their 工号 in another department (a stale resource, a forged path) is not their own."""
    assert not any(access.allowed(STAFF, action, OTHER, ME) for action in access.ACTIONS
                   if STAFF_TABLE[action] == SELF_ONLY)
    assert not access.allowed(User(ME, ROLE_STAFF, OWN), access.READ_SCORES, OWN, ME)  # no staff id: no one


def test_others_reach_a_person_through_their_department() -> None:
    assert access.allowed(USERS[ROLE_DEPARTMENT], access.READ_SCORES, OWN, COLLEAGUE)
    assert not access.allowed(USERS[ROLE_DEPARTMENT], access.READ_SCORES, OTHER, COLLEAGUE)


def test_an_unknown_role_may_do_nothing() -> None:
    stranger = User("x", "guest", OWN, staff_id="x")
    assert not any(access.allowed(stranger, action, resource, person)
                   for action in access.ACTIONS for resource in (OWN, OTHER, COLLEGE) for person in (None, "x"))


def test_a_department_account_without_a_department_reaches_none() -> None:
    lost = User("x", ROLE_DEPARTMENT, None)
    assert not any(access.allowed(lost, action, resource)
                   for action in access.ACTIONS if access.RULES[action].get(ROLE_DEPARTMENT) != access.ANY
                   for resource in (OWN, OTHER, COLLEGE))


def test_a_leader_overseeing_nothing_reaches_no_department() -> None:
    unassigned = User("new-leader", ROLE_LEADER)
    for action in (access.READ_TARGETS, access.DECIDE_TARGETS, access.READ_SCORES):
        assert not any(access.allowed(unassigned, action, resource) for resource in (OWN, OTHER, COLLEGE))
    assert access.allowed(unassigned, access.SEE_COLLEGE)  # the board's department counts stay open


def test_ensure_refuses_with_the_callers_message() -> None:
    access.ensure(USERS[ROLE_HR], access.EXPORT)
    with pytest.raises(ApiError) as refused:
        access.ensure(USERS[ROLE_DEPARTMENT], access.WRITE_DEPARTMENT, OTHER, "您只能报送本部门的月汇总表")
    assert (refused.value.status, refused.value.code, refused.value.message) == (
        403, "forbidden", "您只能报送本部门的月汇总表")
    with pytest.raises(ApiError) as general:
        access.ensure(USERS[ROLE_LEADER], access.EXPORT)
    assert (general.value.status, general.value.message) == (403, "您的账号无权访问此内容")


def test_in_own_department_tells_a_department_refusal_from_a_role_refusal() -> None:
    clerk = USERS[ROLE_DEPARTMENT]
    assert access.in_own_department(clerk, access.DRAFT_TARGETS, OTHER)
    assert not access.in_own_department(USERS[ROLE_LEADER], access.DRAFT_TARGETS, OTHER)


@pytest.mark.parametrize(("role", "names", "message", "said"), [
    (ROLE_LEADER, ("机械工程系", "电气工程系"), "您只能填报本部门的完成情况",
     "院领导账号只能查看所分管部门的数据（您分管：机械工程系、电气工程系），且不能代部门填报"),
    (ROLE_LEADER, (), None, "人事处尚未为您的院领导账号指定分管部门，暂时不能查看部门的数据"),
    (ROLE_DEPARTMENT, (), "您只能填报本部门的完成情况", "您只能填报本部门的完成情况"),
    (ROLE_DEPARTMENT, (), None, "您的账号只能查看和填报本部门的数据"),
    (ROLE_STAFF, (), None, "您的账号只能查看和填报本部门的数据"),
])
def test_a_refusal_names_the_reach_the_rules_give_the_role(role: str, names: tuple[str, ...],
                                                           message: str | None, said: str) -> None:
    user = USERS.get(role) or User("100001", role, OWN, staff_id="100001")
    assert access.reach_refusal(user, names, message) == said
