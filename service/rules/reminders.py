"""Reminders (催办), pure: which steps are due, the window a day falls in, and the message.

A step of the year has a deadline per department: the contracts (settings), the job duties
(a lead department's and everyone's), each month's summary (the due day of the next month,
once the month is over). A department with work outstanding on a step is reminded on the
trigger days of its deadline: `before_days` before it, `after_days` after it, then every
`overdue_every_days` while the work stays outstanding. The window of a day is the latest
trigger on or before it; it lasts until the next trigger. A reminder is sent at most once
per department, step and window: the window's key says which one it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from service.content.codes import (
    STEP_CONTRACTS,
    STEP_DUTIES_ALL,
    STEP_DUTIES_LEAD,
    STEP_LABELS,
    STEP_MONTHLY,
    STEP_SUMMARY,
    WINDOW_AFTER,
    WINDOW_BEFORE,
    WINDOW_OVERDUE,
)
from service.content.formats import cn_date, cn_time
from service.content.models import Contact, Content, ReminderSettings
from service.rules import schedule

MAX_NAMES = 200  # a message names at most this many people; the rest are counted


@dataclass(frozen=True)
class Window:
    kind: str  # WINDOW_BEFORE / WINDOW_AFTER / WINDOW_OVERDUE
    start: dt.date  # its trigger day
    days: int  # before: days before the deadline; after and overdue: days after it

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.start.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == WINDOW_BEFORE:
            return f"截止前 {self.days} 天" if self.days else "截止当天"
        return "截止次日" if self.days == 1 and self.kind == WINDOW_AFTER else f"截止后第 {self.days} 天"


def triggers(deadline: dt.date, settings: ReminderSettings) -> Iterator[Window]:
    """The trigger days of a deadline in order: before it, after it, then every so many days."""
    for days in sorted(set(settings.before_days), reverse=True):
        yield Window(WINDOW_BEFORE, deadline - dt.timedelta(days=days), days)
    after = settings.after_days
    if after > 0:
        yield Window(WINDOW_AFTER, deadline + dt.timedelta(days=after), after)
    every = settings.overdue_every_days
    if every <= 0:
        return
    days = max(after, 0)
    while True:
        days += every
        yield Window(WINDOW_OVERDUE, deadline + dt.timedelta(days=days), days)


def window_on(deadline: dt.date, today: dt.date, settings: ReminderSettings) -> Window | None:
    """The window `today` falls in: the latest trigger on or before it (None before the first)."""
    found = None
    for window in triggers(deadline, settings):
        if window.start > today:
            break
        found = window
    return found


# -- what is due ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One deadline a department may owe: a step of the year (and the month, for a summary)."""

    step: str  # STEP_*
    deadline: dt.date
    month: int | None = None

    @property
    def key(self) -> str:
        return self.step if self.month is None else f"{self.step}-{self.month}"

    @property
    def label(self) -> str:
        label = STEP_LABELS[self.step]
        return label if self.month is None else f"{self.month}月{label}"


def steps_of(content: Content, department_id: str, today: dt.date) -> tuple[Step, ...]:
    """What the department owes this year: its duties deliveries, the contracts, the summary of
    every month from the first reported one that is over by `today`, and its people's annual
    summaries once their window has opened. A department without people owes only the job
    duties it leads for others."""
    s = content.settings
    found = [Step(STEP_DUTIES_LEAD if ob.kind == schedule.LEAD_DUTIES else STEP_DUTIES_ALL, ob.due)
             for ob in schedule.duty_obligations(content, department_id)]
    if not content.members(department_id):
        return tuple(found)
    found.append(Step(STEP_CONTRACTS, s.deadlines.contracts))
    for month in schedule.months_so_far(s.year, today, due_day=1, first=s.monthly_first_month):  # month over
        found.append(Step(STEP_MONTHLY, schedule.monthly_due(s.year, month, s.monthly_due_day), month))
    opens, closes = s.summary.window(s.year)
    if today >= opens:  # the annual summaries, once their window has opened
        found.append(Step(STEP_SUMMARY, closes))
    return tuple(found)


@dataclass(frozen=True)
class Outstanding:
    """A department's work not done on one step: the people (names only) or roles it still owes."""

    department: str
    department_name: str
    step: Step
    people: tuple[str, ...] = ()  # names of the people outstanding
    roles: tuple[str, ...] = ()  # names of the roles whose duties are outstanding
    summary_missing: bool = False  # a monthly summary not delivered at all

    @property
    def count(self) -> int:
        return len(self.people) + len(self.roles) + int(self.summary_missing)

    def overdue(self, today: dt.date) -> bool:
        return today > self.step.deadline


# -- the message -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def message(item: Outstanding, window: Window | None, now: dt.datetime, contact: Contact,
            link: str = "") -> Message:
    """The reminder of `item`: department, step, deadline, what is outstanding (names only)."""
    today = now.date()
    deadline = cn_date(item.step.deadline, year=True)
    late = (today - item.step.deadline).days
    when = (f"已逾期 {late} 天" if late > 0 else "今天截止" if late == 0 else f"还有 {-late} 天")
    subject = f"【催办】{item.department_name}：{item.step.label}（截止{cn_date(item.step.deadline)}，{when}）"
    lines = [f"{item.department_name}：", "",
             f"{item.step.label}的截止日期是{deadline}（{when}）。截至{cn_time(now)}，"
             + _outstanding_text(item)]
    if link:
        lines += ["", f"请登录报送系统办理：{link}"]
    lines += ["", f"如有疑问，请联系{contact.name}（电话 {contact.phone}，邮箱 {contact.email}）。", "",
              "人事处", f"（报送系统自动发送{'·' + window.label if window else ''}）"]
    return Message(subject, "\n".join(lines))


def _outstanding_text(item: Outstanding) -> str:
    if item.step.step in (STEP_DUTIES_LEAD, STEP_DUTIES_ALL):
        return f"以下 {len(item.roles)} 个岗位的岗位职责尚未报送（或被退回待修改）：\n" + _names(item.roles)
    if item.summary_missing:
        return "本部门的月汇总表（附件4）尚未报送。"
    if item.step.step == STEP_MONTHLY:
        return f"月汇总表只报送了部分人员，以下 {len(item.people)} 人尚未报送：\n" + _names(item.people)
    return f"以下 {len(item.people)} 人尚未完成：\n" + _names(item.people)


def _names(names: Sequence[str]) -> str:
    shown = "、".join(names[:MAX_NAMES])
    return shown + (f" 等 {len(names)} 人" if len(names) > MAX_NAMES else "")
