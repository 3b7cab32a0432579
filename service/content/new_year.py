"""The next year's content from this year's: the same settings, departments, roles, common
targets, roster and pages, with the year and the dates of the old year moved to the new one.

Only text changes, so the files keep their comments and layout: `year: 2019` becomes
`year: 2020`, and in settings.yml, roles.yml and common_targets.yml every date of the old
year (2019-04-26, 2019年4月) moves to the new year; a 29 February that the new year lacks
becomes the 28th. Dates of other years (extra holidays already set for a later year) stay.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path

import yaml

from service.content.loader import COMMON_FILE, ROLES_FILE, SETTINGS_FILE, read_year

MOVED = (SETTINGS_FILE, ROLES_FILE, COMMON_FILE)
ARCHIVE = "years"  # content/years/<year>/ keeps each earlier year's content as it was


class NewYearRefused(Exception):
    pass


def move_text(text: str, old: int, new: int) -> str:
    def iso(match: re.Match[str]) -> str:
        month, day = int(match[1]), int(match[2])
        day = min(day, calendar.monthrange(new, month)[1]) if 1 <= month <= 12 else day
        return f"{new}-{match[1]}-{day:02d}"

    text = re.sub(rf"(?m)^year:\s*{old}\b", f"year: {new}", text)
    text = re.sub(rf"\b{old}-(\d\d)-(\d\d)\b", iso, text)
    return re.sub(rf"{old}(?=\s*年)", str(new), text)


def plan(content_dir: Path, year: int) -> tuple[int, dict[str, str]]:
    """(the current year, {file name: its text for `year`}) for the files that change."""
    current = read_year(content_dir)
    if current is None:
        raise NewYearRefused(f"{content_dir / SETTINGS_FILE}：读不出有效的 year，请先运行 portal check")
    if year <= current:
        raise NewYearRefused(f"新年度 {year} 应晚于当前年度 {current}")
    texts = {}
    for name in MOVED:
        path = content_dir / name
        texts[name] = move_text(path.read_text(encoding="utf-8"), current, year)
    return current, texts


def archive_dir(content_dir: Path, year: int) -> Path:
    return content_dir / ARCHIVE / str(year)


# -- a fresh set-up, seeded from the sample on the clock's day -----------------------------------

LEAD_DAYS = 14  # a fresh college's first deadline, when the sample's has passed: two weeks ahead
DEADLINE_LINE = r"(?m)^([ \t]+{key}:[ \t]*)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s#]+)"


def fresh(sample_dir: Path, today: dt.date) -> dict[str, str]:
    """{file name: its text} for a set-up seeded from the sample on `today`. A sample of an earlier
    year has its year and dates moved to today's year (as a new year moves them); when its
    deadlines would then already be past, they move to start `LEAD_DAYS` ahead (their spacing
    kept, none after the year's end) and the monthly cycle starts in the contract deadline's
    month, so the first day has nothing overdue. A sample of today's year (or a later one) is
    the college's own choice and is copied as it is ({})."""
    year = read_year(sample_dir)
    if year is None:
        return {}  # the loader names the problem when the set-up is read
    if today.year <= year:
        return {}
    texts = plan(sample_dir, today.year)[1]
    texts[SETTINGS_FILE] = _ahead(texts[SETTINGS_FILE], today)
    return texts


def _ahead(text: str, today: dt.date) -> str:
    """settings.yml with its deadlines moved so that none is before `today` (unchanged if none is)."""
    try:
        data = yaml.safe_load(text)
        raw = data["deadlines"]
        dates = {key: _date(value, today.year) for key, value in raw.items()}
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError):
        return text  # the loader names the problem
    if not dates or min(dates.values()) >= today:
        return text
    first, end = min(dates.values()), dt.date(today.year, 12, 31)
    start = today + dt.timedelta(days=LEAD_DAYS)
    moved = {key: min(start + (day - first), end) for key, day in dates.items()}
    head, block, tail = re.split(r"(?m)^(deadlines:)", text, maxsplit=1)
    for key, day in moved.items():
        tail = re.sub(DEADLINE_LINE.format(key=re.escape(key)), lambda m, d=day: f'{m[1]}"{d:%m-%d}"', tail, count=1)
    contracts = moved.get("contracts", max(moved.values()))
    text = head + block + tail
    return re.sub(r"(?m)^monthly_first_month:[ \t]*\d+", f"monthly_first_month: {contracts.month}", text)


def _date(value: object, year: int) -> dt.date:
    if isinstance(value, dt.date):
        return value
    month, day = str(value).strip().split("-")
    return dt.date(year, int(month), int(day))
