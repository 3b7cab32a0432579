"""Chinese working days: the State Council's holidays and make-up workdays (chinese-calendar),
with the extra holidays and workdays of settings on top.

The package knows the years its release covers; for any other year a day is a workday from
Monday to Friday unless settings list it as a holiday, and a weekend day only when settings
list it as a workday. Such years are named in the result's warning, so a page can say that
the dates rest on settings alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import chinese_calendar


@dataclass(frozen=True)
class Span:
    """`days` working days counted from `start` (the first day counted when it is a workday)."""

    start: dt.date
    days: int
    end: dt.date
    workdays: tuple[dt.date, ...]
    unknown_years: tuple[int, ...]  # years chinese-calendar does not cover

    @property
    def warning(self) -> str | None:
        if not self.unknown_years:
            return None
        years = "、".join(f"{year} 年" for year in self.unknown_years)
        return (f"chinese-calendar 未收录 {years}的法定节假日安排：按周一至周五计算工作日，"
                f"并使用设置（assessment.calendar）中补充的节假日和调休工作日，请人事处核对")


@dataclass(frozen=True)
class Calendar:
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()

    @classmethod
    def of(cls, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()) -> Calendar:
        return cls(frozenset(holidays), frozenset(workdays))

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, the package knows the year)."""
        if day in self.extra_holidays:
            return False, known_year(day.year)
        if day in self.extra_workdays:
            return True, known_year(day.year)
        try:
            return bool(chinese_calendar.is_workday(day)), True
        except NotImplementedError:
            return day.weekday() < 5, False

    def count_from(self, start: dt.date, days: int) -> Span:
        """The `days`-th working day counting from `start` itself."""
        if days < 1:
            raise ValueError("days must be at least 1")
        found: list[dt.date] = []
        unknown: set[int] = set()
        day = start
        while len(found) < days:
            workday, known = self.is_workday(day)
            if not known:
                unknown.add(day.year)
            if workday:
                found.append(day)
            day += dt.timedelta(days=1)
        return Span(start, days, found[-1], tuple(found), tuple(sorted(unknown)))


def known_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True
