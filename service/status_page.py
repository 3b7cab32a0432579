"""The public status page: the built page's board swapped for a fresh one, written atomically.

Bursts coalesce: at most one regeneration runs and at most one waits behind it, however many
submissions arrive meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from service import files
from service.coalesce import Coalescer

START = "<!-- status-board:start -->"
END = "<!-- status-board:end -->"
log = logging.getLogger("portal.status")


def swap_board(page: str, fragment: str) -> str:
    start = page.find(START)
    end = page.find(END, start)
    if start < 0 or end < 0:
        raise ValueError("status page has no board markers")
    return page[: start + len(START)] + "\n" + fragment + "\n" + page[end:]


class StatusPublisher:
    def __init__(self, site_dir: Path, render: Callable[[], str]) -> None:
        self.path = site_dir / "status" / "index.html"
        self.render = render
        self.generations = 0
        self._worker = Coalescer(self.publish_now, "状态页生成失败")

    def publish_now(self, shell: str | None = None) -> bool:
        """Regenerate synchronously; False when the site has not been built.

        `shell` is a freshly built status page to put the board into (after a site rebuild);
        by default the page on disk is reused.
        """
        if shell is None:
            try:
                shell = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return False
        files.atomic_write(self.path, swap_board(shell, self.render()).encode("utf-8"), durable=False)
        self.generations += 1
        return True

    async def start(self) -> None:
        await self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def poke(self) -> None:
        """Ask for a regeneration; safe from any thread."""
        self._worker.poke()

    async def settled(self) -> None:
        """Wait until no regeneration is running or pending."""
        await self._worker.settled()
