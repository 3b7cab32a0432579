"""Who may do what: every permission of the service, decided here and tested as a table.

An action is done on a resource of one department (its id) or of the college (None). For
each action, a role reaches ANY department and the college, or only its OWN department, or
the departments it OVERSEES (a leader's, assigned by HR), or nothing. A college-wide read by a
leader (None) is allowed when it oversees any department, and shows only those: the caller
filters per department with `allowed`. A staff member's account reaches only SELF: a resource
of one person (`person`, a 工号) that is their own, never a department's or the college's.
Views and use cases ask `allowed` or `ensure`; nothing else compares roles to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from service.content.codes import ROLE_DEPARTMENT, ROLE_HR, ROLE_LEADER, ROLE_STAFF
from service.errors import forbidden


@dataclass(frozen=True)
class User:
    """The account a request acts for."""

    username: str
    role: str
    department: str | None = None  # a department account's own department
    oversees: frozenset[str] = frozenset()  # a leader's departments
    display_name: str = ""  # shown in histories instead of the login name
    must_change_password: bool = False  # signed in with a one-time password
    staff_id: str | None = None  # a staff member's 工号 (their department is the roster's)

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


# The actions.
SEE_DEPARTMENT = "see_department"  # its people, scans, statuses, forms, job duties, monthly summaries
WRITE_DEPARTMENT = "write_department"  # deliver them: scans, annex 5, duties, monthly summaries, target workbooks
SEE_COLLEGE = "see_college"  # the completion board and the progress board of the whole college
READ_TARGETS = "read_targets"  # a person's individual target set; of the college: every stored set
DRAFT_TARGETS = "draft_targets"  # save, submit or withdraw a target set
DECIDE_TARGETS = "decide_targets"  # approve or return a submitted target set
REVIEW_DUTIES = "review_duties"  # accept or return a department's job duties
READ_DUTY_FILES = "read_duty_files"  # download the attachments of a department's job duties
READ_SCORES = "read_scores"  # the ranking of a department; of the college: everyone's
LIST_SCORE_EVENTS = "list_score_events"  # the common-target deductions recorded
RECORD_SCORE_EVENTS = "record_score_events"  # record or withdraw a deduction
EXPORT = "export"  # the completion workbook, the zip of scans, the score sheet
READ_GRADES = "read_grades"  # a person's annual grade, its findings, notice and history; of the college: all
PROPOSE_GRADES = "propose_grades"  # propose the annual grades of a department's people
ADJUST_GRADES = "adjust_grades"  # change a proposed grade (with a reason), set a quota variant
RECORD_DECISION = "record_decision"  # record the leadership's collective decision (集体审定)
CONFIRM_DECISION = "confirm_decision"  # a leader account confirms the collective decision
MANAGE_GRADES = "manage_grades"  # 公示, objections, notification, 复核/申诉, sanctions and leave, 备案
RECORD_VIEW = "record_view"  # upload a person's signed view (本人意见) on the written notice
OBJECT = "object"  # raise an objection to the 优秀 list during 公示
MANAGE_ACCOUNTS = "manage_accounts"  # create accounts, reset passwords, disable, enable, tokens of others
IMPORT_ROSTER = "import_roster"  # replace the staff roster from the personnel system's export
OWN_ACCOUNT = "own_account"  # change one's own password, list and revoke one's own API tokens
WITHDRAW_SCAN = "withdraw_scan"  # mark a stored scan withdrawn (its file is kept)
REOPEN_TARGETS = "reopen_targets"  # reopen an approved target set (its contract must be signed again)
CONFIRM_TARGETS = "confirm_targets"  # a staff member confirms (确认) their approved targets
RAISE_OBJECTION = "raise_objection"  # object to one's own score item, monthly result or grade
SEE_OBJECTIONS = "see_objections"  # the objections of a department's people (answered by who may change it)
SET_UP = "set_up"  # the college's set-up: settings, departments, roles, common targets, leaders' departments
READ_APPRAISAL = "read_appraisal"  # the annual summaries, the leaders' views and registration forms
LEADER_VIEW = "leader_view"  # record the supervising leader's comment and proposed grade
HEAD_VIEW = "head_view"  # record the unit head's view and grade (the department's account acts for its head)
WRITE_SUMMARY = "write_summary"  # a staff member writes, saves or uploads their own annual summary
LOCK_SUMMARIES = "lock_summaries"  # lock (or reopen) a department's annual summaries
MANAGE_BALLOTS = "manage_ballots"  # open, close and follow a 民主测评 round, print its sheet, enter a paper tally
READ_TALLY = "read_tally"  # the tally of a closed 民主测评 round of a unit (never a ballot)
CAST_BALLOT = "cast_ballot"  # a staff member casts their one ballot in a round they are a voter of
CHASE = "chase"  # the chase page, reminders sent by hand and their history, refused workbooks

ANY = "any"  # every department and the college
OWN = "own"  # the account's own department only
OVERSEEN = "overseen"  # the departments on a leader's account
SELF = "self"  # a staff member: a resource of their own person only

RULES: dict[str, dict[str, str]] = {
    SEE_DEPARTMENT: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN, ROLE_LEADER: OVERSEEN, ROLE_STAFF: SELF},
    WRITE_DEPARTMENT: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    SEE_COLLEGE: {ROLE_HR: ANY, ROLE_LEADER: ANY},
    READ_TARGETS: {ROLE_HR: ANY, ROLE_LEADER: OVERSEEN, ROLE_DEPARTMENT: OWN, ROLE_STAFF: SELF},
    DRAFT_TARGETS: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    DECIDE_TARGETS: {ROLE_LEADER: OVERSEEN},
    REVIEW_DUTIES: {ROLE_HR: ANY},
    READ_DUTY_FILES: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    READ_SCORES: {ROLE_HR: ANY, ROLE_LEADER: OVERSEEN, ROLE_DEPARTMENT: OWN, ROLE_STAFF: SELF},
    LIST_SCORE_EVENTS: {ROLE_HR: ANY, ROLE_LEADER: ANY},
    RECORD_SCORE_EVENTS: {ROLE_HR: ANY},
    EXPORT: {ROLE_HR: ANY},
    READ_GRADES: {ROLE_HR: ANY, ROLE_LEADER: OVERSEEN, ROLE_DEPARTMENT: OWN, ROLE_STAFF: SELF},
    PROPOSE_GRADES: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    ADJUST_GRADES: {ROLE_HR: ANY},
    RECORD_DECISION: {ROLE_HR: ANY},
    CONFIRM_DECISION: {ROLE_LEADER: ANY},
    MANAGE_GRADES: {ROLE_HR: ANY},
    RECORD_VIEW: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    OBJECT: {ROLE_HR: ANY, ROLE_LEADER: ANY, ROLE_DEPARTMENT: ANY, ROLE_STAFF: ANY},
    MANAGE_ACCOUNTS: {ROLE_HR: ANY},
    IMPORT_ROSTER: {ROLE_HR: ANY},
    OWN_ACCOUNT: {ROLE_HR: ANY, ROLE_DEPARTMENT: ANY, ROLE_LEADER: ANY, ROLE_STAFF: ANY},
    WITHDRAW_SCAN: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    REOPEN_TARGETS: {ROLE_HR: ANY},
    CONFIRM_TARGETS: {ROLE_STAFF: SELF},
    RAISE_OBJECTION: {ROLE_STAFF: SELF},
    SEE_OBJECTIONS: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    CHASE: {ROLE_HR: ANY},
    READ_APPRAISAL: {ROLE_HR: ANY, ROLE_LEADER: OVERSEEN, ROLE_DEPARTMENT: OWN, ROLE_STAFF: SELF},
    LEADER_VIEW: {ROLE_LEADER: OVERSEEN},
    HEAD_VIEW: {ROLE_DEPARTMENT: OWN},
    WRITE_SUMMARY: {ROLE_STAFF: SELF},
    LOCK_SUMMARIES: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    SET_UP: {ROLE_HR: ANY},
    MANAGE_BALLOTS: {ROLE_HR: ANY},
    READ_TALLY: {ROLE_HR: ANY, ROLE_LEADER: OVERSEEN},
    CAST_BALLOT: {ROLE_STAFF: SELF},
}
ACTIONS = tuple(RULES)


def allowed(user: User, action: str, department: str | None = None, person: str | None = None) -> bool:
    """May `user` do `action` on `department`'s resource (None: the college's), or on the resource
    of one `person` (their 工号) of that department?"""
    reach = RULES[action].get(user.role)
    if reach == ANY:
        return True
    if reach == OVERSEEN:
        return bool(user.oversees) if department is None else department in user.oversees
    if reach == SELF:
        return (person is not None and person == user.staff_id and department is not None
                and department == user.department)
    return reach == OWN and department is not None and user.department == department


def ensure(user: User, action: str, department: str | None = None, message: str | None = None,
           person: str | None = None) -> None:
    """`allowed`, or a 403 ApiError saying `message` (the general refusal without one)."""
    if not allowed(user, action, department, person):
        raise forbidden(message) if message else forbidden()


def in_own_department(user: User, action: str, department: str) -> bool:
    """Would `user` be allowed `action` on `department` if it were the account's own?"""
    return allowed(replace(user, department=department), action, department)


def reach_refusal(user: User, overseen_names: Sequence[str], message: str | None = None) -> str:
    """What an account is told when it asks for a department beyond its reach: an account whose
    reach is the departments it oversees (a leader's) hears their names (`overseen_names`), any
    other `message` or its own department's refusal."""
    if RULES[SEE_DEPARTMENT].get(user.role) != OVERSEEN:
        return message or "您的账号只能查看和填报本部门的数据"
    if not overseen_names:
        return "人事处尚未为您的院领导账号指定分管部门，暂时不能查看部门的数据"
    return f"院领导账号只能查看所分管部门的数据（您分管：{'、'.join(overseen_names)}），且不能代部门填报"
