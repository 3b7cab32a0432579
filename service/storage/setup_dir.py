"""The college's set-up in the data directory: placed once, copied from the shipped sample.

The set-up (settings, departments, roles and their templates, common targets, roster, pages)
lives in `settings.content_dir`, by default `<data>/setup`; the checkout's content/ is only the
sample it starts from, never written. On a fresh data directory the sample is copied in. On a
data directory a service has already used (an installation from before the set-up lived here,
whose content/ in the checkout HR edited in place), the same copy carries that content over:
`Placed.moved` says so, and the caller records the move in the audit log.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import functools
from dataclasses import dataclass
from pathlib import Path

from service.config import Settings
from service.content.loader import ROSTER_FILE, SETTINGS_FILE
from service.content.new_year import fresh
from service.content.yaml_files import read_yaml
from service.rules.clock import clock_from
from service.storage import files
from service.storage.data_format import USED_MARKS

DEFAULT_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Placed:
    source: Path
    target: Path
    moved: bool  # a used data directory: the checkout's (possibly edited) content/ carried over
    count: int
    year: int | None = None  # a fresh set-up moved from the sample's year to the clock's

    @property
    def message(self) -> str:
        if self.moved:
            return (f"学院设置已从代码目录 {self.source} 移到数据目录：{self.target}"
                    f"（共 {self.count} 个文件；今后人事处的修改都在这里，{self.source} 不再读取）")
        moved_to = f"，年度与各项日期已移到 {self.year} 年" if self.year else ""
        return f"学院设置：{self.target}（首次运行，已从样例 {self.source} 复制{moved_to}）"


class SetupMissing(Exception):
    """Neither the set-up nor the sample to seed it from exists; the message is Chinese."""


def place(settings: Settings, today: dt.date | None = None) -> Placed | None:
    """Copy the sample into `settings.content_dir` when it does not exist yet; None when it does.

    A fresh install starts on `today` (default: the service's clock): a sample of an earlier year
    is seeded with its year and dates moved to today's year (content/new_year.py `fresh`)."""
    target = settings.content_dir
    if target.exists():
        return None
    source = settings.sample_dir
    if not source.is_dir():
        raise SetupMissing(f"学院设置目录 {target} 不存在，样例目录 {source} 也不存在")
    moved = any((settings.data_dir / mark).exists() for mark in USED_MARKS)
    day = today or _today(settings)
    texts = {} if moved else fresh(source, day)
    try:
        count = files.copy_tree(source, target, replaced={k: v.encode("utf-8") for k, v in texts.items()})
    except FileExistsError:
        return None  # another command placed it at the same moment
    return Placed(source, target, moved, count, day.year if texts else None)


def _today(settings: Settings) -> dt.date:
    """The service's calendar day, in the sample's time zone (PORTAL_TODAY pins it)."""
    data = read_yaml(settings.sample_dir / SETTINGS_FILE, [])
    zone = data.get("timezone") if isinstance(data, dict) else None
    try:
        return clock_from(str(zone or DEFAULT_ZONE), settings.today).today()
    except (ValueError, KeyError):  # an unknown zone or PORTAL_TODAY: named where the service starts
        return clock_from(DEFAULT_ZONE, None).today()


def inside_data(settings: Settings) -> Path | None:
    """The set-up's path relative to the data directory, when it lives there (the default)."""
    try:
        return settings.content_dir.relative_to(settings.data_dir)
    except ValueError:
        return None


def holds_sample_roster(settings: Settings) -> bool:
    """Whether the set-up's roster is still the sample's, byte for byte: no roster of the college's
    own has been imported (on the web, by `portal import-roster` or by hand)."""
    mine, sample = settings.content_dir / ROSTER_FILE, settings.sample_dir / ROSTER_FILE
    try:
        a, b = mine.stat(), sample.stat()
    except OSError:
        return False
    return a.st_size == b.st_size and _same(mine, (a.st_ino, a.st_mtime_ns), sample, (b.st_ino, b.st_mtime_ns))


@functools.lru_cache(maxsize=16)
def _same(a: Path, a_signature: tuple[int, int], b: Path, b_signature: tuple[int, int]) -> bool:
    """Two files' bytes compared once per pair of stat signatures."""
    return filecmp.cmp(a, b, shallow=False)
