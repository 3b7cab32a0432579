"""May this write happen in this year: the one rule, a pure function tested as a table.

A year is CURRENT (the year the service runs: every write), PAST (an earlier year not yet
archived: only what legally continues after the year ends — 复核 and 申诉, the written notice,
its delivery and the person's signed view, staff objections and their answers, and the grade
change a review or appeal decides), or CLOSED (archived by HR after filing: only 复核 and
申诉, whose own windows the grading rules check). A write is named by its audit action; a
grade change also by the step that made it.
"""

from __future__ import annotations

CURRENT = "current"
PAST = "past"
CLOSED = "closed"
STATE_LABELS = {CURRENT: "当前年度", PAST: "往年（未归档）", CLOSED: "已归档"}

REVIEW_STEPS = frozenset({"复核", "申诉"})  # the steps whose grade change a past year still takes
GRADE_CHANGE = "grades.adjust"
CASES = frozenset({"grades.review.apply", "grades.review.decide", "grades.appeal.apply", "grades.appeal.decide"})
AFTER_THE_YEAR = CASES | frozenset({"grades.notified", "grades.view", "objection.raise", "objection.answer"})
CLOSE = "year.close"


def state(year: int, current: int, closed: bool) -> str:
    if year >= current:
        return CURRENT
    return CLOSED if closed else PAST


def may_write(year_state: str, action: str, step: str | None = None) -> bool:
    """Whether a write audited as `action` (a grade change made by `step`) may change a year in `year_state`."""
    if year_state == CURRENT:
        return action != CLOSE
    allowed = CASES if year_state == CLOSED else AFTER_THE_YEAR | {CLOSE}
    if action == GRADE_CHANGE:
        return step in REVIEW_STEPS
    return action in allowed


def refusal(year: int, year_state: str) -> str:
    """The Chinese message of a refused write."""
    if year_state == CLOSED:
        return f"{year} 年度已归档，只能办理期限内的复核、申诉，其他内容不能再修改"
    return (f"{year} 年度已结束，只能办理复核、申诉、考核结果通知书及本人意见、教职工异议，"
            f"其他内容请在当前年度办理")
