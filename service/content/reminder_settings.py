"""settings.yml's `reminders:` section: when the service reminds departments of a deadline.

Every key may be left out (the default applies); a wrong value is reported like any other
settings error (file, path, what was expected).
"""

from __future__ import annotations

from typing import Any

from service.content.models import ReminderSettings
from service.content.yaml_files import Checker, show

FILE = "settings.yml"
ROOT = "reminders"
MAX_DAYS = 60


def check_reminders(check: Checker, data: Any) -> ReminderSettings | None:
    """The section as typed settings, or None when it has errors (added to `check.errors`)."""
    default = ReminderSettings()
    if data is None:
        return default
    if not isinstance(data, dict):
        check.fail(FILE, ROOT, f"应为映射（before_days、after_days、overdue_every_days），实际为 {show(data)}")
        return None
    start = len(check.errors)
    before = data.get("before_days", list(default.before_days))
    if not isinstance(before, list) or not all(_days(v, 1) for v in before):
        check.fail(FILE, f"{ROOT}.before_days", f"应为 1–{MAX_DAYS} 之间的天数列表，如 [3, 1]，实际为 {show(before)}")
        before = []
    after = data.get("after_days", default.after_days)
    if not _days(after, 0):
        check.fail(FILE, f"{ROOT}.after_days", f"应为 0–{MAX_DAYS} 之间的天数（0 表示截止后不再提醒），实际为 {show(after)}")
    every = data.get("overdue_every_days", default.overdue_every_days)
    if not _days(every, 0):
        check.fail(FILE, f"{ROOT}.overdue_every_days", f"应为 0–{MAX_DAYS} 之间的天数（0 表示逾期后不再每周提醒），"
                   f"实际为 {show(every)}")
    unknown = sorted(set(data) - {"before_days", "after_days", "overdue_every_days"})
    if unknown:
        check.fail(FILE, ROOT, f"未知的键：{'、'.join(str(k) for k in unknown)}")
    if len(check.errors) > start:
        return None
    return ReminderSettings(tuple(sorted(set(before), reverse=True)), after, every)


def _days(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_DAYS
