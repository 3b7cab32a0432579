"""What the service holds for its lifetime kept out of the garbage collector's full passes.

CPython's full collection walks every object it tracks. A running service holds most of its
objects for good: the set-up (10,000 staff members and their departments), the store's files
read at start-up, the figures worked out then, and the set-up and store of each past year
opened. At 10,000 staff with a past year opened that is half a million objects, and every full
pass over them (one every few dozen requests, each request leaving some objects behind for
it) stalls whichever request is running for tens of milliseconds, more on a busy machine.

So once the start-up work is done, and again when a past year is opened, the heap is collected and what is left is frozen (`gc.freeze`): later passes walk
only what came after. Garbage among the frozen objects is freed by reference counting as
usual; the next settling collects whatever cycles it left.

A serving process turns this on (`portal serve`: web/server.py); tests and the CLI, which
build services by the hundred in one process, keep the collector as it is.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger("portal.heap")
_lock = threading.Lock()
_enabled = False


def enable() -> None:
    global _enabled
    _enabled = True


def settle(unless: threading.Event | None = None) -> None:
    """Collect everything once, then freeze what is left (when enabled, and `unless` is not set:
    a service stopping)."""
    if not _enabled or (unless is not None and unless.is_set()):
        return
    with _lock:
        began = time.perf_counter()
        gc.unfreeze()  # frozen objects that became cyclic garbage are collected now
        gc.collect()
        gc.freeze()
        log.info("内存已整理：%d 个长期保留的对象不再参与完整的垃圾回收（用时 %.0f 毫秒）", gc.get_freeze_count(),
                 1000 * (time.perf_counter() - began))
