"""The processes that read scanned pages: one pool for the service, a worker per core.

Rendering a page (pdfium, which one process may enter from one thread at a time) and reading
its codes (zxing) is CPU work; in a pool of processes the pages of one stack, and the uploads
of many people, are read on every core while the event loop stays free. The pool starts on the
first scan read (a service that reads none starts no process) and is shut down with the service.
Workers are forked from a small server process started before any of them ("forkserver"), never
from the service's own threads.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
PRELOAD = ["service.office.scans"]  # imported once in the fork server, so every worker starts warm


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class ScanPool:
    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or cores()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    def executor(self) -> Executor | None:
        """The pool, started on first use; None once the service is stopping (read in-process then)."""
        with self._lock:
            if self._closed:
                return None
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            return self._executor

    def run(self, work: Callable[[Executor | None], T]) -> T:
        """`work` given the pool (call it off the event loop); once more in-process if the pool broke."""
        executor = self.executor()
        try:
            return work(executor)
        except BrokenProcessPool:
            if executor is None:
                raise
            self.broken(executor)
            return work(None)

    def broken(self, executor: Executor) -> None:
        """A worker died (killed, out of memory): the next read starts a fresh pool."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

