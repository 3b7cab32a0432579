"""The reminder schedule, run by the service itself: a task in the lifespan wakes up now and
then and lets the reminders due by the (injectable) clock go out, in a worker thread.

Runs coalesce (at most one running and one waiting); a run that fails is logged and the
next one comes all the same (workflows/reminders.py records every failure and goes on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from service.web.coalesce import Coalescer, cancelled
from service.workflows import reminders
from service.workflows.context import Context


class ReminderTimer:
    def __init__(self, current: Callable[[], Context], every: float) -> None:
        self.every = every  # seconds between looks at the schedule
        self.runs = 0
        self._worker = Coalescer(lambda: self._run(current()), "按计划发送催办失败")
        self._task: asyncio.Task[None] | None = None

    def _run(self, ctx: Context) -> None:
        reminders.run_schedule(ctx)
        self.runs += 1

    async def start(self) -> None:
        await self._worker.start()
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> None:
        await cancelled(self._task)
        self._task = None
        await self._worker.stop()

    async def _tick(self) -> None:
        while True:
            self._worker.poke()
            await asyncio.sleep(self.every)
