"""How numbers and dates read in Chinese pages, forms and messages."""

from __future__ import annotations

import datetime as dt
import unicodedata

WEEKDAYS = "一二三四五六日"


def num(value: float) -> str:
    """59 → "59", 59.5 → "59.5", 59.99999999 → "60": points without float noise."""
    rounded = round(float(value), 2)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:g}"


def plain_number(text: str) -> str:
    """Typed number text as ASCII: full-width digits, point and signs (“１５．５”) read as the
    digits they are, as everywhere numbers are typed; spaces around dropped."""
    return unicodedata.normalize("NFKC", text).strip()


def cn_date(day: dt.date, *, year: bool = False, weekday: bool = False) -> str:
    """4月18日, 2019年4月18日, 4月18日（星期四）."""
    text = f"{day.month}月{day.day}日"
    if year:
        text = f"{day.year}年{text}"
    if weekday:
        text += f"（星期{WEEKDAYS[day.weekday()]}）"
    return text


def cn_time(value: str | dt.datetime | dt.date | None, form: str = "full") -> str:
    """A timestamp as people read it, in the zone it was stamped in (the service stamps in the
    college's): `full` 2026年4月20日 10:31, `short` 4月20日 10:31, `date` 2026年4月20日. An ISO
    date alone (a deadline) shows as a date. Pages and exported workbooks use it; JSON answers keep ISO 8601."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = (dt.date.fromisoformat(value) if len(value) == 10
                     else dt.datetime.fromisoformat(value))
        except ValueError:
            return value  # not a timestamp: shown as it is
    day = cn_date(value, year=form != "short")
    if form == "date" or not isinstance(value, dt.datetime):
        return day
    return f"{day} {value:%H:%M}"
