"""Who may do what: every permission of the service, decided here and tested as a table.

An action is done on a resource of one department (its id) or of the college (None). For
each action, a role reaches ANY department and the college, or only its OWN department, or
nothing. Views and use cases ask `allowed` or `ensure`; nothing else compares roles to decide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from service.content.models import ROLE_DEPARTMENT, ROLE_HR, ROLE_LEADER
from service.errors import forbidden


@dataclass(frozen=True)
class User:
    """The account a request acts for."""

    username: str
    role: str
    department: str | None = None  # a department account's own department


# The actions.
SEE_DEPARTMENT = "see_department"  # its people, scans, statuses, forms, job duties, monthly summaries
WRITE_DEPARTMENT = "write_department"  # deliver them: scans, annex 5, duties, monthly summaries, target workbooks
SEE_COLLEGE = "see_college"  # the completion board and the progress board of the whole college
READ_TARGETS = "read_targets"  # a person's individual target set; of the college: every stored set
DRAFT_TARGETS = "draft_targets"  # save, submit or withdraw a target set
DECIDE_TARGETS = "decide_targets"  # approve or return a submitted target set
REVIEW_DUTIES = "review_duties"  # accept or return a department's job duties
READ_SCORES = "read_scores"  # the ranking of a department; of the college: everyone's
LIST_SCORE_EVENTS = "list_score_events"  # the common-target deductions recorded
RECORD_SCORE_EVENTS = "record_score_events"  # record or withdraw a deduction
EXPORT = "export"  # the completion workbook, the zip of scans, the score sheet
WITHDRAW_SCAN = "withdraw_scan"  # mark a stored scan withdrawn (its file is kept)
REOPEN_TARGETS = "reopen_targets"  # reopen an approved target set (its contract must be signed again)

ANY = "any"  # every department and the college
OWN = "own"  # the account's own department only

RULES: dict[str, dict[str, str]] = {
    SEE_DEPARTMENT: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    WRITE_DEPARTMENT: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    SEE_COLLEGE: {ROLE_HR: ANY, ROLE_LEADER: ANY},
    READ_TARGETS: {ROLE_HR: ANY, ROLE_LEADER: ANY, ROLE_DEPARTMENT: OWN},
    DRAFT_TARGETS: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    DECIDE_TARGETS: {ROLE_LEADER: ANY},
    REVIEW_DUTIES: {ROLE_HR: ANY},
    READ_SCORES: {ROLE_HR: ANY, ROLE_LEADER: ANY, ROLE_DEPARTMENT: OWN},
    LIST_SCORE_EVENTS: {ROLE_HR: ANY, ROLE_LEADER: ANY},
    RECORD_SCORE_EVENTS: {ROLE_HR: ANY},
    EXPORT: {ROLE_HR: ANY},
    WITHDRAW_SCAN: {ROLE_HR: ANY, ROLE_DEPARTMENT: OWN},
    REOPEN_TARGETS: {ROLE_HR: ANY},
}
ACTIONS = tuple(RULES)


def allowed(user: User, action: str, department: str | None = None) -> bool:
    """May `user` do `action` on `department`'s resource (None: the college's)?"""
    reach = RULES[action].get(user.role)
    if reach == ANY:
        return True
    return reach == OWN and department is not None and user.department == department


def ensure(user: User, action: str, department: str | None = None, message: str | None = None) -> None:
    """`allowed`, or a 403 ApiError saying `message` (the general refusal without one)."""
    if not allowed(user, action, department):
        raise forbidden(message) if message else forbidden()


def in_own_department(user: User, action: str, department: str) -> bool:
    """Would `user` be allowed `action` on `department` if it were the account's own?"""
    return allowed(replace(user, department=department), action, department)
