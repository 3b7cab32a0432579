"""settings.yml's `summary:` section: the window in which staff write their annual summary.

Every key may be left out: the window is then December of the year, 3,000 characters at most.
Dates are written like the deadlines (“月-日”, the year taken from `year`); the window may not
close before it opens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from service.content.models import SummarySettings
from service.content.yaml_files import Checker, show

FILE = "settings.yml"
ROOT = "summary"
KEYS = ("opens", "closes", "max_chars")
MAX_CHARS = 20_000


def check_summary(check: Checker, data: Any, year: int,
                  month_day: Callable[[str, Any, int], dt.date | None]) -> SummarySettings | None:
    """The section as typed settings, or None when it has errors (added to `check.errors`)."""
    default = SummarySettings()
    if data is None:
        return default
    if not isinstance(data, dict):
        check.fail(FILE, ROOT, f"应为映射（opens、closes、max_chars），实际为 {show(data)}")
        return None
    start = len(check.errors)
    opens = month_day(f"{ROOT}.opens", data["opens"], year) if "opens" in data else None
    closes = month_day(f"{ROOT}.closes", data["closes"], year) if "closes" in data else None
    first, last = SummarySettings(opens, closes).window(year)
    if len(check.errors) == start and last < first:
        check.fail(FILE, ROOT, f"截止日期（{last:%m-%d}）不能早于开始日期（{first:%m-%d}）")
    chars = data.get("max_chars", default.max_chars)
    if isinstance(chars, bool) or not isinstance(chars, int) or not 100 <= chars <= MAX_CHARS:
        check.fail(FILE, f"{ROOT}.max_chars", f"应为 100–{MAX_CHARS} 之间的字数，实际为 {show(chars)}")
    unknown = sorted(str(k) for k in set(data) - set(KEYS))
    if unknown:
        check.fail(FILE, ROOT, f"未知的键：{'、'.join(unknown)}")
    if len(check.errors) > start:
        return None
    return SummarySettings(opens, closes, chars)
