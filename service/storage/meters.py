"""What the service counts about its own work, as hooks on the store: the web layer fills them
with its metrics (web/metrics.py); left alone (the CLI, tests) they do nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _ignore(value: object) -> None:
    pass


@dataclass
class Meters:
    committed: Callable[[float], None] = _ignore  # seconds one commit took to reach the disk
    uploaded: Callable[[int], None] = _ignore  # bytes of one stored upload
    reminded: Callable[[str], None] = _ignore  # one reminder's outcome: "sent" or "failed"
