"""Running the service under uvicorn, with the guards uvicorn does not have.

uvicorn closes a keep-alive connection idle after a response (`timeout_keep_alive`) and caps
a request head's size (h11), but it has no deadline for the head or the body: a connection that
sends half a request line, or a whole head and then a body byte now and then, is held for ever,
and `limit_concurrency` only answers 503 once a whole request has arrived (counting those
half-open connections), so neither closes them nor keeps room for real clients.
`GuardedH11Protocol` adds:

- a head deadline: a connection must finish each request's head within
  `settings.header_timeout` seconds of opening or of its previous response, or is closed;
- a body rate: a request's body must start within `settings.body_timeout` seconds of its head
  and then bring at least `settings.body_min_rate` bytes a second, measured over each
  `BODY_WINDOW` seconds from its first byte (the first window is the grace), or the request is
  answered 408 and its connection closed. Time the service itself holds the body back (its
  reading paused while a view has not taken what came, or a `100 Continue` not yet sent) does
  not count against the client;
- a connection cap: past `settings.max_connections` open connections, the oldest one still
  sending its head is closed to make room, else the oldest one whose body is behind the
  minimum rate (one that is being answered never is), so a flood of half-open or trickling
  connections cannot lock out a real client.

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
import itertools
import json
import os
import resource
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from service.config import Settings
from service.errors import for_status
from service.web import heap
from service.web.access_log import logging_config

KEEP_ALIVE = 5  # seconds a connection may stay idle after a response
BODY_WINDOW = 5.0  # seconds over which a request body's rate is measured
SPARE_DESCRIPTORS = 64  # kept free below the limit for files, the store and the log
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter for the arena count


@dataclass(frozen=True)
class Limits:
    max_connections: int
    header_timeout: float
    body_timeout: float
    body_min_rate: int


class ConnectionGuard:
    """The open connections still sending a request's head, and those receiving a body, oldest first."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.waiting: collections.OrderedDict[GuardedH11Protocol, None] = collections.OrderedDict()
        self.receiving: collections.OrderedDict[GuardedH11Protocol, None] = collections.OrderedDict()
        self.closed_for_room = 0
        self.closed_for_time = 0
        self.closed_for_body = 0
        self.open = 0  # connections open now


class WatchedFlow(FlowControl):
    """uvicorn's flow control, remembering whether it held reading back since last asked."""

    held = False

    def pause_reading(self) -> None:
        super().pause_reading()
        self.held = True

    def held_since(self) -> bool:
        held, self.held = self.held or self.read_paused, False
        return held


@dataclass
class BodyWatch:
    """A request body arriving: bytes since `since` (the current window's start), and in all."""

    since: float
    window: int = 0
    total: int = 0
    timer: asyncio.TimerHandle | None = None


class GuardedH11Protocol(H11Protocol):
    guard: ConnectionGuard  # set on the subclass `guarded` makes
    flow: WatchedFlow

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.guard.open += 1
        self.flow = WatchedFlow(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._armed_cycle: object = None
        self._body: BodyWatch | None = None
        if len(self.connections) > self.guard.limits.max_connections and not self._make_room():
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        watch = self._body
        super().data_received(data)
        if watch is not None and watch is self._body:
            self._body_arrived(watch, len(data))
        self._started()

    def on_response_complete(self) -> None:
        self._end_body()
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()
            self._started()  # a pipelined request already read

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.open -= 1
        self._disarm()
        self._end_body()
        super().connection_lost(exc)

    def _make_room(self) -> bool:
        """Close the oldest connection still sending its head, else the oldest whose body is
        behind the minimum rate; False when there is none."""
        now = self.loop.time()
        for other in itertools.chain(self.guard.waiting, (c for c in self.guard.receiving if c._behind(now))):
            if other is not self:
                other._disarm()
                other._end_body()
                other.transport.close()
                self.guard.closed_for_room += 1
                return True
        return False

    # -- the head ---------------------------------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        self._armed_cycle = self.cycle
        self._deadline = self.loop.call_later(self.guard.limits.header_timeout, self._too_slow)
        self.guard.waiting[self] = None

    def _started(self) -> None:
        """A request's head has arrived (uvicorn made its cycle): no head deadline while it is
        answered; its body, when one is still to come, is watched."""
        if self._deadline is not None and self.cycle is not self._armed_cycle:
            self._disarm()
            if self.conn.their_state is h11.SEND_BODY and self._body is None:
                self._watch_body()

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

    # -- the body ---------------------------------------------------------------------------

    def _watch_body(self) -> None:
        arrived = len(self.cycle.body)  # what came with the head
        self._body = BodyWatch(since=self.loop.time(), window=arrived, total=arrived)
        self.guard.receiving[self] = None
        self._check_in(BODY_WINDOW if arrived else self.guard.limits.body_timeout)

    def _body_arrived(self, watch: BodyWatch, count: int) -> None:
        first = watch.total == 0
        watch.window += count
        watch.total += count
        if self.conn.their_state is not h11.SEND_BODY:
            self._end_body()  # all of it came
        elif first:
            watch.since, watch.window = self.loop.time(), count
            self._check_in(BODY_WINDOW)

    def _check_in(self, seconds: float) -> None:
        assert self._body is not None
        if self._body.timer is not None:
            self._body.timer.cancel()
        self._body.timer = self.loop.call_later(seconds, self._check_body)

    def _check_body(self) -> None:
        watch = self._body
        if watch is None:
            return
        watch.timer = None
        if (self.conn.their_state is not h11.SEND_BODY or self.cycle.response_started
                or self.transport.is_closing()):
            self._end_body()
            return
        held = self.flow.held_since()
        if held or self.cycle.waiting_for_100_continue or not self._behind(self.loop.time()):
            watch.since, watch.window = self.loop.time(), 0  # a new window
            self._check_in(BODY_WINDOW if watch.total else self.guard.limits.body_timeout)
            return
        self._body_too_slow()

    def _behind(self, now: float) -> bool:
        """The body has not started, or brings less than the minimum rate in this window."""
        watch = self._body
        if watch is None:
            return False
        return watch.total == 0 or watch.window < self.guard.limits.body_min_rate * (now - watch.since)

    def _end_body(self) -> None:
        watch = self._body
        if watch is not None:
            if watch.timer is not None:
                watch.timer.cancel()
            self._body = None
        self.guard.receiving.pop(self, None)

    def _body_too_slow(self) -> None:
        """Answer 408 (the app's own answer, if it comes, goes nowhere) and close."""
        self._end_body()
        self.guard.closed_for_body += 1
        self.cycle.disconnected = True  # the app reads a disconnect; what it sends is dropped
        self.cycle.message_event.set()
        error = for_status(408)
        body = json.dumps(error.body(), ensure_ascii=False).encode("utf-8")
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close"), (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff")]
        try:
            for event in (h11.Response(status_code=error.status, headers=headers, reason=STATUS_PHRASES[error.status]),
                          h11.Data(data=body), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event) or b"")
        except h11.LocalProtocolError:
            pass  # the connection cannot take an answer any more: closed without one
        self.transport.close()


def guarded(limits: Limits) -> type[GuardedH11Protocol]:
    """The protocol class for one server, with its own guard."""
    guard = ConnectionGuard(limits)
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
    heap.enable()  # what the service holds for good is frozen once worked out (web/heap.py)
    cap = max(16, min(settings.max_connections, descriptor_limit() - SPARE_DESCRIPTORS))
    limits = Limits(cap, settings.header_timeout, settings.body_timeout, settings.body_min_rate)
    protocol = guarded(limits)
    app.state.metrics.track_connections(lambda: protocol.guard.open)
    # one access line per request, the app's own (web/access_log.py): uvicorn's is off
    uvicorn.run(app, host=host, port=port, workers=1, log_level="warning", access_log=False,
                log_config=logging_config(settings.log_format), http=protocol, timeout_keep_alive=KEEP_ALIVE,
                proxy_headers=False, **options)
