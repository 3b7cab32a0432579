"""The injectable clock: every deadline decision asks a Clock, never `datetime.now()` directly.

`now()` is always time-zone aware and expressed in the college's zone (settings.timezone), so
`now().date()` is the college's calendar day. `clock_from` builds the clock the service uses:
the system clock, or one pinned by PORTAL_TODAY for demos and tests.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Protocol, runtime_checkable

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    """A tzinfo from a zone name ("Asia/Shanghai") or a tzinfo passed through."""
    return zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz


def as_local(moment: dt.datetime, tz: str | dt.tzinfo) -> dt.datetime:
    """`moment` expressed in `tz`; a naive datetime is refused (its meaning is ambiguous)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} needs a time zone")
    return moment.astimezone(zone(tz))


@runtime_checkable
class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


class SystemClock:
    """The real time, in the college's time zone."""

    def __init__(self, tz: str | dt.tzinfo) -> None:
        self.tz = zone(tz)

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    """A clock that stands still at one moment until a test moves it (`set`, `advance`).

    A naive `moment` is read as wall time in `tz`; an aware one is converted to `tz`
    (or kept in its own zone when no `tz` is given).
    """

    def __init__(self, moment: dt.datetime, tz: str | dt.tzinfo | None = None) -> None:
        self.tz = zone(tz) if tz is not None else None
        self._moment = self._normalise(moment)

    def _normalise(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            if self.tz is None:
                raise ValueError("FixedClock needs an aware datetime or a tz")
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz) if self.tz is not None else moment

    def now(self) -> dt.datetime:
        return self._moment

    def today(self) -> dt.date:
        return self._moment.date()

    def set(self, moment: dt.datetime) -> None:
        self._moment = self._normalise(moment)

    def advance(self, delta: dt.timedelta) -> None:
        self._moment = self._moment + delta


class PinnedDateClock:
    """Today is pinned to one calendar day; the time of day still runs.

    Used for PORTAL_TODAY=YYYY-MM-DD: a demo can pretend it is 04-19 while successive
    submissions keep distinct, ordered timestamps (a resubmission is later than the first).
    """

    def __init__(self, day: dt.date, tz: str | dt.tzinfo) -> None:
        self.day = day
        self.tz = zone(tz)

    def now(self) -> dt.datetime:
        real = dt.datetime.now(self.tz)
        return dt.datetime.combine(self.day, real.timetz())

    def today(self) -> dt.date:
        return self.day


def clock_from(settings_tz: str, pinned: str | None) -> Clock:
    """The service's clock: SystemClock, or pinned by PORTAL_TODAY.

    `pinned` is "YYYY-MM-DD" (a PinnedDateClock) or an ISO datetime such as
    "2019-04-18T23:30" or "2019-04-18T15:30:00+00:00" (a FixedClock; without an offset it
    is college wall time). Raises ValueError with a Chinese message for anything else.
    """
    tz = zone(settings_tz)
    if pinned is None or not pinned.strip():
        return SystemClock(tz)
    text = pinned.strip()
    try:
        if _DATE_ONLY.fullmatch(text):
            return PinnedDateClock(dt.date.fromisoformat(text), tz)
        return FixedClock(dt.datetime.fromisoformat(text), tz)
    except ValueError:
        raise ValueError(
            f"PORTAL_TODAY 应为“YYYY-MM-DD”日期或 ISO 格式的日期时间（如 2019-04-18T23:30），实际为“{pinned}”"
        ) from None
