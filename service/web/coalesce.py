"""Coalesced background work: at most one run in progress and at most one waiting behind it.

`poke()` from any thread asks for a run; however many pokes arrive while a run is going,
exactly one more run follows it, no sooner than `min_interval` seconds after the start of
the one before (a burst of submissions costs a few runs, not one per submission). The job
runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import anyio.to_thread

log = logging.getLogger("portal.coalesce")


async def cancelled(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task (if any) and wait until it has ended."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Coalescer:
    def __init__(self, job: Callable[[], object], failure: str, min_interval: float = 0.0) -> None:
        self.job = job
        self.failure = failure  # logged (Chinese) when a run raises
        self.min_interval = min_interval
        self._began = -min_interval
        self._asked = False  # a poke is on its way to the loop: later pokes need not wake it
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wanted: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wanted = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await cancelled(self._task)
        self._task = None
        self._loop = None

    def poke(self) -> None:
        """Ask for a run; safe from any thread. Ignored before start() and after stop()."""
        loop = self._loop
        if loop is None or self._wanted is None or self._asked:
            return
        self._asked = True
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._mark)

    def _mark(self) -> None:
        assert self._wanted is not None and self._idle is not None
        self._asked = False
        self._idle.clear()
        self._wanted.set()

    async def settled(self) -> None:
        """Wait until no run is in progress or pending."""
        if self._idle is not None:
            await self._idle.wait()

    async def _run(self) -> None:
        assert self._wanted is not None and self._idle is not None
        while True:
            await self._wanted.wait()
            await asyncio.sleep(max(0.0, self._began + self.min_interval - time.monotonic()))
            self._wanted.clear()  # what arrived while waiting is part of this run
            self._began = time.monotonic()
            try:
                await anyio.to_thread.run_sync(self.job)
            except Exception:  # a failed run must not stop later ones
                log.exception(self.failure)
            if not self._wanted.is_set():
                self._idle.set()
