"""Leave counted once for the half-year line: the periods HR records (dated) and the days the
monthly summaries (附件4) report (per month, undated), merged month by month in calendar days.

- HR's periods: every calendar day of a counted kind in the year counts once, however many
  periods cover it.
- Annex 4: its 事假 and 病假 columns sit beside 出勤 and are days of the working month (出勤,
  事假, 病假 and 旷工 add up to the month's working days), while the regulation's half year is
  calendar days. A month's reported days are converted by that month's own ratio:
  reported × calendar days of the month ÷ working days of the month (rounded to 0.1), at most
  the month's length, so a whole working month off is the whole month.
- For each month the larger of the two counts: HR's days falling in the month, or the annex's
  converted days. The same days reported both ways are never added; the month names which
  source it took.
- A record with neither dates nor a month (a year's total imported by an earlier release) is
  added as it is.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from service.content.codes import LEAVE_SOURCES, SOURCE_HR, SOURCE_MONTHLY
from service.content.formats import num
from service.rules.workdays import Calendar


@dataclass(frozen=True)
class Leave:
    kind: str
    days: float  # for a period: its calendar days; for a month of annex 4: the working days reported
    start: dt.date | None = None
    end: dt.date | None = None
    source: str = SOURCE_HR
    month: int | None = None  # the annex-4 month the days were reported for

    def days_in(self, year: int) -> float:
        if self.start is None or self.end is None:
            return self.days
        first, last = max(self.start, dt.date(year, 1, 1)), min(self.end, dt.date(year, 12, 31))
        return max(0, (last - first).days + 1)

    def describe(self) -> str:
        span = f"{self.start} 至 {self.end}，" if self.start and self.end else ""
        month = f"{self.month}月，" if self.month else ""
        return f"{self.kind} {month}{span}{num(self.days)} 天（{LEAVE_SOURCES.get(self.source, self.source)}）"


@dataclass(frozen=True)
class MonthLeave:
    """One month: HR's calendar days in it, the annex's working days and their calendar days."""

    month: int
    hr_days: int = 0
    hr_kinds: tuple[str, ...] = ()
    reported: float = 0
    converted: float = 0
    reported_kinds: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        return SOURCE_HR if self.hr_days >= self.converted else SOURCE_MONTHLY

    @property
    def days(self) -> float:
        return max(self.hr_days, self.converted)

    def describe(self) -> str:
        hr_label, annex_label = LEAVE_SOURCES[SOURCE_HR], LEAVE_SOURCES[SOURCE_MONTHLY]
        hr = f"{hr_label}{'、'.join(self.hr_kinds)} {self.hr_days} 天" if self.hr_days else ""
        annex = (f"{annex_label}{self.month}月{'、'.join(self.reported_kinds)} {num(self.reported)} 个工作日"
                 f"折合 {num(self.converted)} 天" if self.reported else "")
        both = f"，取{hr_label if self.source == SOURCE_HR else annex_label}" if hr and annex else ""
        return f"{self.month}月 {num(self.days)} 天（{'；'.join(p for p in (hr, annex) if p)}{both}）"


@dataclass(frozen=True)
class LeaveTotal:
    months: tuple[MonthLeave, ...] = ()
    undated: tuple[Leave, ...] = ()

    @property
    def total(self) -> float:
        return round(sum(m.days for m in self.months) + sum(item.days for item in self.undated), 1)

    @property
    def detail(self) -> str:
        parts = [m.describe() for m in self.months] + [item.describe() for item in self.undated]
        return "；".join(parts) + f"，累计 {num(self.total)} 天"

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "detail": self.detail,
                "months": [{"month": m.month, "days": m.days, "source": m.source,
                            "source_label": LEAVE_SOURCES[m.source], "hr_days": m.hr_days,
                            "reported_workdays": m.reported, "reported_days": m.converted}
                           for m in self.months],
                "undated": [{"kind": item.kind, "days": item.days, "source": item.source} for item in self.undated]}


def month_days(year: int, month: int) -> int:
    return month_calendar.monthrange(year, month)[1]


def to_calendar_days(reported: float, year: int, month: int, cal: Calendar) -> float:
    """A month's reported working days as calendar days, by the month's ratio, at most the month."""
    length = month_days(year, month)
    working = sum(1 for d in range(1, length + 1) if cal.is_workday(dt.date(year, month, d))[0])
    if working == 0:
        return min(float(length), reported)
    return min(float(length), round(reported * length / working, 1))


def counted_leave(year: int, leave: Iterable[Leave], kinds: Collection[str], cal: Calendar | None = None) -> LeaveTotal:
    """The year's leave of `kinds`, each day once, month by month (see the module's rules)."""
    cal = cal or Calendar()
    hr_days: dict[int, set[dt.date]] = defaultdict(set)
    hr_kinds: dict[int, set[str]] = defaultdict(set)
    reported: dict[int, float] = defaultdict(float)
    reported_kinds: dict[int, set[str]] = defaultdict(set)
    undated: list[Leave] = []
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    for item in leave:
        if item.kind not in kinds:
            continue
        if item.start is not None and item.end is not None:
            day = max(item.start, first)
            while day <= min(item.end, last):
                hr_days[day.month].add(day)
                hr_kinds[day.month].add(item.kind)
                day += dt.timedelta(days=1)
        elif item.month is not None and 1 <= item.month <= 12:
            if item.days > 0:
                reported[item.month] += item.days
                reported_kinds[item.month].add(item.kind)
        elif item.days > 0:
            undated.append(item)
    months = tuple(
        MonthLeave(m, len(hr_days[m]), tuple(sorted(hr_kinds[m])), reported[m],
                   to_calendar_days(reported[m], year, m, cal) if reported[m] else 0,
                   tuple(sorted(reported_kinds[m])))
        for m in sorted(set(hr_days) | set(reported)))
    return LeaveTotal(months, tuple(undated))
