"""The public status page: the built page's board swapped for a fresh one, written atomically.

Bursts coalesce: at most one regeneration runs and at most one waits behind it, however many
submissions arrive meanwhile. The board also changes with the date alone (the deadline passes
with people outstanding), so it is re-rendered now and then and published when it differs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import anyio.to_thread

from service.storage import files
from service.web.coalesce import Coalescer, cancelled

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
    def __init__(self, site_dir: Path, render: Callable[[], str], refresh_every: float = 60.0,
                 min_interval: float = 0.5) -> None:
        self.path = site_dir / "status" / "index.html"
        self.render = render
        self.refresh_every = refresh_every  # seconds between checks that the date has not changed the board
        self.generations = 0
        self._worker = Coalescer(self.publish_now, "状态页生成失败", min_interval)  # at most 2 a second
        self._published: str | None = None
        self._refresher: asyncio.Task[None] | None = None

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
        fragment = self.render()
        files.atomic_write(self.path, swap_board(shell, fragment).encode("utf-8"), durable=False)
        self._published = fragment
        self.generations += 1
        return True

    async def start(self) -> None:
        await self._worker.start()
        self._refresher = asyncio.create_task(self._refresh())

    async def stop(self) -> None:
        await cancelled(self._refresher)
        self._refresher = None
        await self._worker.stop()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_every)
            try:
                fragment = await anyio.to_thread.run_sync(self.render)
            except Exception:
                log.exception("状态页生成失败")
                continue
            if self._published is not None and fragment != self._published:
                self.poke()

    def poke(self) -> None:
        """Ask for a regeneration; safe from any thread."""
        self._worker.poke()

    async def settled(self) -> None:
        """Wait until no regeneration is running or pending."""
        await self._worker.settled()
