"""The public status page: the built page's board swapped for a fresh one, written atomically.

Bursts coalesce: at most one regeneration runs and at most one waits behind it, however many
submissions arrive meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import anyio.to_thread

from service import files

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
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wanted: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def publish_now(self) -> bool:
        """Regenerate synchronously; False when the site has not been built."""
        try:
            page = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        files.atomic_write(self.path, swap_board(page, self.render()).encode("utf-8"), durable=False)
        self.generations += 1
        return True

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wanted = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def poke(self) -> None:
        """Ask for a regeneration; safe from any thread."""
        if self._loop is None or self._wanted is None:
            return
        self._loop.call_soon_threadsafe(self._mark)

    def _mark(self) -> None:
        assert self._wanted is not None and self._idle is not None
        self._idle.clear()
        self._wanted.set()

    async def settled(self) -> None:
        """Wait until no regeneration is running or pending."""
        if self._idle is not None:
            await self._idle.wait()

    async def _run(self) -> None:
        assert self._wanted is not None and self._idle is not None
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                await anyio.to_thread.run_sync(self.publish_now)
            except Exception:  # a failed regeneration must not stop later ones
                log.exception("状态页生成失败")
            if not self._wanted.is_set():
                self._idle.set()
