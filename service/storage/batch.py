"""Changes waiting for one durable commit of the store (see storage/store.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(eq=False)
class Batch:
    """The files changed in memory, the log lines to append and the directories whose new
    entries must be made durable, written together; `done` is set once written or given up."""

    paths: set[Path] = field(default_factory=set)
    lines: dict[Path, list[bytes]] = field(default_factory=dict)
    directories: set[Path] = field(default_factory=set)  # new entries to make durable
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
