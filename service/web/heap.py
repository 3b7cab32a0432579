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

What a request makes and drops (a workbook of the whole college: tens of MB at 10,000 staff)
goes back to the C library's heap, between the objects kept, and stays with the process: the
next such request would add its own on top. So after such a request, and after each settling,
the heap's free pages are handed back to the system (glibc's `malloc_trim`; nothing elsewhere).

A serving process turns this on (`portal serve`: web/server.py); tests and the CLI, which
build services by the hundred in one process, keep the collector as it is.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import logging
import threading
import time
from collections.abc import Callable

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
        trim()
        log.info("内存已整理：%d 个长期保留的对象不再参与完整的垃圾回收（用时 %.0f 毫秒）", gc.get_freeze_count(),
                 1000 * (time.perf_counter() - began))


def trim() -> None:
    """Hand the heap's free pages back to the system (when enabled, and the C library is glibc)."""
    if _enabled and (release := _malloc_trim()) is not None:
        release(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None
