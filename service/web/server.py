"""Running the service under uvicorn, with the two guards uvicorn does not have.

uvicorn closes a keep-alive connection idle after a response (`timeout_keep_alive`) and caps
a request head's size (h11), but it has no deadline for the head itself: a connection that
sends half a request line and stops is held for ever, and `limit_concurrency` only answers
503 once a whole request has arrived (counting those half-open connections), so neither closes
them nor keeps room for real clients. `GuardedH11Protocol` adds:

- a head deadline: a connection must finish each request's head within
  `settings.header_timeout` seconds of opening or of its previous response, or is closed;
- a connection cap: past `settings.max_connections` open connections, the oldest one still
  sending its head is closed to make room (one that is being answered never is), so a flood
  of half-open connections cannot lock out a real client.

The process's file-descriptor limit is raised to its hard limit, and the cap kept below it.
glibc's malloc is held to two arenas: by default it gives each thread that allocates at the
same time as another an arena of its own (up to eight per core), and each worker thread's
arena keeps what it freed: about 10 MB more resident memory at 10,000 staff, and no faster
(Python objects are allocated under the interpreter lock, one thread at a time). An operator's
`MALLOC_ARENA_MAX`, when set, is left to decide.
"""

from __future__ import annotations

import asyncio
import collections
import ctypes
import os
import resource
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.config import Settings

KEEP_ALIVE = 5  # seconds a connection may stay idle after a response
SPARE_DESCRIPTORS = 64  # kept free below the limit for files, the store and the log
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter for the arena count


class ConnectionGuard:
    """The open connections still sending a request's head, oldest first."""

    def __init__(self, max_connections: int, header_timeout: float) -> None:
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.waiting: collections.OrderedDict[GuardedH11Protocol, None] = collections.OrderedDict()
        self.closed_for_room = 0
        self.closed_for_time = 0


class GuardedH11Protocol(H11Protocol):
    guard: ConnectionGuard  # set on the subclass `guarded` makes

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._armed_cycle: object = None
        if len(self.connections) > self.guard.max_connections and not self._make_room():
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._started()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()
            self._started()  # a pipelined request already read

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _make_room(self) -> bool:
        """Close the oldest connection still sending its head; False when there is none."""
        for other in self.guard.waiting:
            if other is not self:
                other._disarm()
                other.transport.close()
                self.guard.closed_for_room += 1
                return True
        return False

    def _arm(self) -> None:
        self._disarm()
        self._armed_cycle = self.cycle
        self._deadline = self.loop.call_later(self.guard.header_timeout, self._too_slow)
        self.guard.waiting[self] = None

    def _started(self) -> None:
        """A request's head has arrived (uvicorn made its cycle): no deadline while it is answered."""
        if self._deadline is not None and self.cycle is not self._armed_cycle:
            self._disarm()

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()  # type: ignore[union-attr]
            self._deadline = None
        self.guard.waiting.pop(self, None)

    def _too_slow(self) -> None:
        self._deadline = None
        self.guard.waiting.pop(self, None)
        if not self.transport.is_closing():
            self.guard.closed_for_time += 1
            self.transport.close()


def guarded(max_connections: int, header_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class for one server, with its own guard."""
    guard = ConnectionGuard(max_connections, header_timeout)
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"guard": guard})


def descriptor_limit() -> int:
    """Raise the soft limit on open files to the hard one; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Hold glibc's malloc to `arenas` arenas for every thread started from now on; False when
    `MALLOC_ARENA_MAX` decides instead or the C library is not glibc."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):  # no mallopt: not glibc
        return False


def run(app: Starlette, settings: Settings, host: str, port: int, **options: Any) -> None:
    """Serve `app` (one process) until stopped. The client address and scheme come from the
    app's own proxy middleware (trusted proxies only), never from uvicorn's."""
    limit_malloc_arenas()  # before the lifespan starts the first thread
    cap = max(16, min(settings.max_connections, descriptor_limit() - SPARE_DESCRIPTORS))
    uvicorn.run(app, host=host, port=port, workers=1, log_level="warning", access_log=False,
                http=guarded(cap, settings.header_timeout), timeout_keep_alive=KEEP_ALIVE, proxy_headers=False,
                **options)
