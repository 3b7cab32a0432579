"""The next year's content from this year's: the same settings, departments, roles, common
targets, roster and pages, with the year and the dates of the old year moved to the new one.

Only text changes, so the files keep their comments and layout: `year: 2019` becomes
`year: 2020`, and in settings.yml, roles.yml and common_targets.yml every date of the old
year (2019-04-26, 2019年4月) moves to the new year; a 29 February that the new year lacks
becomes the 28th. Dates of other years (extra holidays already set for a later year) stay.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path

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
