"""The college's set-up in the data directory: placed once, copied from the shipped sample.

The set-up (settings, departments, roles and their templates, common targets, roster, pages)
lives in `settings.content_dir`, by default `<data>/setup`; the checkout's content/ is only the
sample it starts from, never written. On a fresh data directory the sample is copied in. On a
data directory a service has already used (an installation from before the set-up lived here,
whose content/ in the checkout HR edited in place), the same copy carries that content over:
`Placed.moved` says so, and the caller records the move in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.config import Settings
from service.storage import files
from service.storage.data_format import USED_MARKS


@dataclass(frozen=True)
class Placed:
    source: Path
    target: Path
    moved: bool  # a used data directory: the checkout's (possibly edited) content/ carried over
    count: int

    @property
    def message(self) -> str:
        if self.moved:
            return (f"学院设置已从代码目录 {self.source} 移到数据目录：{self.target}"
                    f"（共 {self.count} 个文件；今后人事处的修改都在这里，{self.source} 不再读取）")
        return f"学院设置：{self.target}（首次运行，已从样例 {self.source} 复制）"


class SetupMissing(Exception):
    """Neither the set-up nor the sample to seed it from exists; the message is Chinese."""


def place(settings: Settings) -> Placed | None:
    """Copy the sample into `settings.content_dir` when it does not exist yet; None when it does."""
    target = settings.content_dir
    if target.exists():
        return None
    source = settings.sample_dir
    if not source.is_dir():
        raise SetupMissing(f"学院设置目录 {target} 不存在，样例目录 {source} 也不存在")
    moved = any((settings.data_dir / mark).exists() for mark in USED_MARKS)
    try:
        count = files.copy_tree(source, target)
    except FileExistsError:
        return None  # another command placed it at the same moment
    return Placed(source, target, moved, count)


def inside_data(settings: Settings) -> Path | None:
    """The set-up's path relative to the data directory, when it lives there (the default)."""
    try:
        return settings.content_dir.relative_to(settings.data_dir)
    except ValueError:
        return None
