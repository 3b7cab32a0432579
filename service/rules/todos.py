"""What a user has to do, counted (pure): one item per kind, with its count and one link.

The use cases gather what the store knows (workflows/todos.py, one provider per item and
role); these functions count it and say where the work is done. An item with nothing to
do is None: a landing page lists only what waits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service.content.codes import (
    DUTY_SUBMITTED,
    OUTSTANDING,
    RESIGN,
    STEP_LABELS,
    TARGET_DRAFT,
    TARGET_RETURNED,
    TARGET_SUBMITTED,
    TODO_CONFIRM,
    TODO_DUTIES,
    TODO_DUTIES_REVIEW,
    TODO_LABELS,
    TODO_LEADERS_UNASSIGNED,
    TODO_MONTHLY,
    TODO_MY_SUMMARY,
    TODO_NO_SCAN,
    TODO_OBJECTIONS,
    TODO_ORGANISATION,
    TODO_OVERDUE,
    TODO_RESIGN,
    TODO_SUMMARIES,
    TODO_TARGETS_OPEN,
    TODO_TARGETS_RETURNED,
    TODO_TARGETS_WAITING,
    TODO_WORKBOOK_ERRORS,
)
from service.content.formats import cn_date
from service.rules.reminders import Outstanding

UNIT = {TODO_DUTIES: "个岗位", TODO_MONTHLY: "个月", TODO_OVERDUE: "个部门", TODO_DUTIES_REVIEW: "个岗位",
        TODO_WORKBOOK_ERRORS: "份", TODO_OBJECTIONS: "件", TODO_CONFIRM: "版",
        TODO_LEADERS_UNASSIGNED: "个账号", TODO_ORGANISATION: "项", TODO_MY_SUMMARY: "份"}


@dataclass(frozen=True)
class Todo:
    kind: str  # TODO_*
    count: int
    link: str
    detail: str = ""  # what the count is about, e.g. the deadline or the step

    @property
    def label(self) -> str:
        return TODO_LABELS[self.kind]

    @property
    def unit(self) -> str:
        return UNIT.get(self.kind, "人")


def _item(kind: str, count: int, link: str, detail: str = "") -> Todo | None:
    return Todo(kind, count, link, detail) if count > 0 else None


def no_scan(department: str, statuses: Iterable[str], deadline: dt.date) -> Todo | None:
    """People without a valid scan, leave and 需重签 aside: the bulk scan page does them."""
    count = sum(1 for status in statuses if status == OUTSTANDING)
    return _item(TODO_NO_SCAN, count, f"/board/{department}/scans", f"{cn_date(deadline)}截止")


def resign(department: str, statuses: Iterable[str]) -> Todo | None:
    count = sum(1 for status in statuses if status == RESIGN)
    return _item(TODO_RESIGN, count, f"/board/{department}?status={RESIGN}#people")


def targets_open(department: str, states: Iterable[str | None]) -> Todo | None:
    """Sets not started or still drafts: the targets page applies the template and submits."""
    count = sum(1 for state in states if state in (None, TARGET_DRAFT))
    return _item(TODO_TARGETS_OPEN, count, f"/board/{department}/targets")


def targets_returned(department: str, states: Iterable[str | None]) -> Todo | None:
    count = sum(1 for state in states if state == TARGET_RETURNED)
    return _item(TODO_TARGETS_RETURNED, count, f"/board/{department}/targets?status={TARGET_RETURNED}")


def duties(department: str, outstanding: Iterable[Outstanding]) -> Todo | None:
    """Roles whose duties the department still owes, over its lead and own deliveries."""
    found = list(outstanding)
    count = sum(len(item.roles) for item in found)
    deadline = min((item.step.deadline for item in found if item.roles), default=None)
    return _item(TODO_DUTIES, count, f"/board/{department}/duties", f"{cn_date(deadline)}截止" if deadline else "")


def monthly(department: str, outstanding: Iterable[Outstanding]) -> Todo | None:
    """Months whose summary is missing or partial; the link goes to the latest of them."""
    months = sorted((item.step for item in outstanding if item.step.month), key=lambda step: step.month or 0)
    if not months:
        return None
    last = months[-1]
    return Todo(TODO_MONTHLY, len(months), f"/board/{department}/monthly/{last.month}",
                f"{last.month}月，{cn_date(last.deadline)}截止")


def waiting(states: Iterable[str | None], link: str = "/board/review") -> Todo | None:
    """Target sets submitted and waiting for the leader."""
    return _item(TODO_TARGETS_WAITING, sum(1 for state in states if state == TARGET_SUBMITTED), link)


def overdue(step_key: str, step_label: str, departments: int) -> Todo | None:
    """Departments past a step's deadline with work outstanding (HR chases them)."""
    return _item(TODO_OVERDUE, departments, f"/board/chase?step={step_key}", step_label)


def duties_review(states: Iterable[str]) -> Todo | None:
    return _item(TODO_DUTIES_REVIEW, sum(1 for state in states if state == DUTY_SUBMITTED), "/board/progress#duties")


def workbook_errors(count: int) -> Todo | None:
    return _item(TODO_WORKBOOK_ERRORS, count, "/board/workbooks")


def objections(count: int, link: str) -> Todo | None:
    """Objections of staff members waiting for an answer the account may give."""
    return _item(TODO_OBJECTIONS, count, link)


def confirm(pending: bool, version: int | None) -> Todo | None:
    """A staff member's approved target version, waiting for their confirmation."""
    return _item(TODO_CONFIRM, 1 if pending else 0, "/me", f"第 {version} 版" if version else "")


def summaries(department: str, outstanding: Iterable[Outstanding]) -> Todo | None:
    """People of the department whose annual summary is not submitted, with its deadline."""
    found = list(outstanding)
    deadline = min((item.step.deadline for item in found), default=None)
    return _item(TODO_SUMMARIES, sum(len(item.people) for item in found), f"/board/{department}/summaries",
                 f"{cn_date(deadline)}截止" if deadline else "")


def my_summary(owed: bool, closes: dt.date) -> Todo | None:
    """A staff member's own annual summary, while its window is open and it is not submitted."""
    return _item(TODO_MY_SUMMARY, 1 if owed else 0, "/me/summary", f"{cn_date(closes)}截止")


def leaders_unassigned(count: int) -> Todo | None:
    return _item(TODO_LEADERS_UNASSIGNED, count, "/board/accounts", "院领导只能看到所主管部门的内容，请在账号管理中设置")


def organisation(gaps: int) -> Todo | None:
    """Gaps in the organisation (departments without a leader or an account, empty ones)."""
    return _item(TODO_ORGANISATION, gaps, "/board/setup#checks", "无主管院领导、无部门账号或无人员的部门")


def overdue_by_step(items: Iterable[Outstanding], today: dt.date) -> Mapping[str, tuple[str, int]]:
    """Step key (the month's summaries together) → (label, departments overdue on it)."""
    found: dict[str, tuple[str, set[str]]] = {}
    for item in items:
        if item.overdue(today) and item.count:
            found.setdefault(item.step.step, (STEP_LABELS[item.step.step], set()))[1].add(item.department)
    return {key: (label, len(departments)) for key, (label, departments) in found.items()}
