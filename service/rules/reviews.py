"""复核 and 申诉: their clocks, and the rule that a review never makes a grade worse.

Days are counted as the law counts a period: the day that starts it (notification, a
decision, an application) is not counted, so with 30 days the last day is start + 30 and
"day 31" is start + 31. Only 基本合格 and 不合格 may be challenged; the grade applies while a
case runs (不停止执行) and the outcome may keep it or improve it, never worsen it (不加重).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from service.content.codes import CHALLENGEABLE, GRADES
from service.rules.grades import worse


def day_number(start: dt.date, day: dt.date) -> int:
    """Which day of a period started on `start` `day` is (the day after `start` is day 1)."""
    return (day - start).days


def last_day(start: dt.date, days: int) -> dt.date:
    return start + dt.timedelta(days=days)


@dataclass(frozen=True)
class Clock:
    """A period that a step must end within: when it started, its last day, whether it is done."""

    start: dt.date
    days: int
    done_on: dt.date | None = None

    @property
    def due(self) -> dt.date:
        return last_day(self.start, self.days)

    def days_left(self, today: dt.date) -> int:
        return (self.due - today).days

    def overdue(self, today: dt.date) -> bool:
        """Not done and past its last day (on day `days + 1` or later)."""
        return self.done_on is None and today > self.due

    def late(self) -> bool:
        """Done, but after its last day."""
        return self.done_on is not None and self.done_on > self.due


def application_problem(grade: str, start: dt.date | None, applied_on: dt.date, days: int, what: str) -> str | None:
    """Why an application made on `applied_on` is refused (None: accepted). `start` is the day
    the period began (notification for 复核, the 复核 decision for 申诉)."""
    if grade not in CHALLENGEABLE:
        return f"只有{'、'.join(CHALLENGEABLE)}可以申请{what}，该考核结果为{grade}"
    if start is None:
        return f"尚未登记送达（或作出决定）的日期，{what}期限无从起算"
    if applied_on < start:
        return f"申请日期 {applied_on} 早于期限起算日 {start}"
    number = day_number(start, applied_on)
    if number > days:
        return (f"{what}应在 {start} 起 {days} 日内（{last_day(start, days)} 前）提出，"
                f"{applied_on} 已是第 {number} 日，超过期限")
    return None


def outcome_problem(before: str, after: str) -> str | None:
    """Why a 复核 or 申诉 may not change `before` into `after` (None: it may)."""
    if after not in GRADES:
        return f"结果应为 {' / '.join(GRADES)} 之一，实际为“{after}”"
    if worse(after, before):
        return f"复核、申诉不得加重：原考核结果为{before}，不能改为{after}"
    return None
