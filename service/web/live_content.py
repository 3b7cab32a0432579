"""The content the running service answers with, swapped whole when the set-up changes.

The context (settings, content, store …) in force is held here; each request takes the one
current when it arrives (`scope["portal.context"]`) and keeps it to the end, so a request
never sees two set-ups. A change made from the web (a roster import, the set-up console) is
swapped in at once (`replace`): settings, departments, roles, common targets and roster
together, in one assignment. A file changed by the CLI or by hand while the service runs is
noticed at the next request: every request compares the set-up files' stat signatures (inode,
mtime, size: one `stat` each, a few µs) with the ones loaded, and on a change the content is
read again off the event loop. Content that no longer validates, or names another year, is not
taken: the service keeps answering with what it had and logs why. Each swap counts one
`generation`; after it the status page is refreshed and the site rebuilt in the background
(`on_swap`).

A year is a scope too: a request with `?year=` of an earlier year gets that year's context
(its store partition, its archived set-up), opened when first read; it stays open, with the
figures worked out for it (board, scores, the files read), while it is the past year read last,
so memory does not grow with the years kept. An unknown year or one that
is not a number is kept on the scope as the error the view raises when it asks for its context.
A year started from the browser (`begin`) answers from the next request on, and the year it
follows stays readable as a past year.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Callable

import anyio
import anyio.to_thread
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from service.content.loader import SETUP_FILES, ContentInvalid, load_content
from service.content.models import Content
from service.errors import ApiError
from service.web import heap
from service.workflows import years
from service.workflows.context import Context

log = logging.getLogger("portal.content")
# Past years read with `?year=` that stay open (set-up, store, figures): tens of MB each at
# 10,000 staff. The others are opened again, and their figures worked out again, when next read.
PAST_YEARS_OPEN = 1
Signature = tuple[tuple[int, int, int] | None, ...]


class LiveContent:
    def __init__(self, ctx: Context, on_swap: Callable[[Context], None] = lambda ctx: None) -> None:
        self.ctx = ctx
        self.on_swap = on_swap
        self.paths = [ctx.settings.content_dir / name for name in SETUP_FILES]
        self.generation = 0  # content swapped in since the start
        self._signature = self._stat()
        self._lock: anyio.Lock | None = None
        self._past: dict[int, Context] = {}
        self._read: dict[int, None] = {}  # the past years whose figures are kept, read longest ago first
        self._past_lock = threading.Lock()
        self.starting = threading.Lock()  # one new year started at a time

    def _stat(self) -> Signature:
        return tuple(_signature(path) for path in self.paths)

    async def current(self) -> Context:
        """The context in force, read again first when a set-up file changed on disk."""
        if self._stat() != self._signature:
            if self._lock is None:
                self._lock = anyio.Lock()
            async with self._lock:
                if self._stat() != self._signature:
                    await anyio.to_thread.run_sync(self.reload)
        return self.ctx

    def reload(self) -> bool:
        """Read the content again; True when it was swapped in."""
        signature = self._stat()
        try:
            content = load_content(self.ctx.settings.content_dir)
        except ContentInvalid as exc:
            log.error("内容已改动但校验未通过，服务继续使用原有内容：\n%s", exc)
            self._signature = signature
            return False
        self._signature = signature
        return self.replace(content)

    def replace(self, content: Content) -> bool:
        """Answer with `content` from the next request on (a different year needs a restart)."""
        if content.settings.year != self.ctx.year:
            log.error("内容中的年度由 %s 改为 %s，需重启服务才生效", self.ctx.year, content.settings.year)
            return False
        self._signature = self._stat()
        self.ctx.cache.use(content)
        self.ctx = dataclasses.replace(self.ctx, content=content)
        self.generation += 1
        self.on_swap(self.ctx)
        return True

    def of_year(self, year: int) -> Context:
        """The context of `year`: the current one, or an earlier year's (404 `unknown_year`)."""
        ctx = self.ctx
        if year == ctx.year:
            return ctx
        if year not in years.known(ctx):
            raise years.unknown(year)
        return self._opened(ctx, year, released=False)

    def read_year(self, year: int) -> Context:
        """`of_year` for a request scoped to `year` (`?year=`), which reads its figures: at most
        `PAST_YEARS_OPEN` past years stay open, the year read longest ago is let go whole (its set-up,
        its store's files and its figures: opened again when next asked for; a request still
        using it finishes with it), before the year read now is opened."""
        ctx = self.ctx
        if year == ctx.year:
            return ctx
        if year not in years.known(ctx):
            raise years.unknown(year)
        with self._past_lock:
            self._read.pop(year, None)
            self._read[year] = None
            leaving = list(self._read)[:-PAST_YEARS_OPEN]
            for left in leaving:
                del self._read[left]
            released = [self._past.pop(y) for y in leaving if y in self._past]
        for other in released:
            other.release()
        return self._opened(ctx, year, released=bool(released))

    def _opened(self, ctx: Context, year: int, *, released: bool) -> Context:
        """The past year's context, opened when it is not; the heap settled when a year was
        opened or let go (web/heap.py: what a year let go held is freed, cycles included)."""
        with self._past_lock:
            found = self._past.get(year)
            if found is None or found.present != ctx.year:
                found = self._past[year] = Context.open(ctx.settings, years.content_of(ctx, year), ctx.now,
                                                        present=ctx.year)
                released = True
        if released:
            heap.settle()  # what stays is frozen from now on; what a year let go held is freed
        return found

    @property
    def open_years(self) -> tuple[int, ...]:
        """The past years whose context is open."""
        with self._past_lock:
            return tuple(sorted(self._past))

    def begin(self, content: Content) -> Context:
        """A new year's content: its context answers from the next request on; the year it
        follows is kept as a past year (same store, same kept figures)."""
        old = self.ctx
        new = Context.open(old.settings, content, old.now)
        with self._past_lock:
            self._past = {year: dataclasses.replace(ctx, present=new.year) for year, ctx in self._past.items()}
            self._past[old.year] = dataclasses.replace(old, present=new.year)
        self.ctx = new
        self._signature = self._stat()
        self.on_swap(new)
        return new


def _signature(path: os.PathLike[str]) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class CurrentContext:
    """Puts the context in force on each HTTP request's scope, before identity is resolved."""

    def __init__(self, app: ASGIApp, live: LiveContent) -> None:
        self.app = app
        self.live = live

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            ctx = await self.live.current()
            asked = QueryParams(scope.get("query_string", b"")).get("year")
            if asked:
                try:
                    year = years.parse_year(asked)
                    if year != ctx.year:
                        ctx = await anyio.to_thread.run_sync(self.live.read_year, year)
                except ApiError as exc:
                    scope["portal.year_error"] = exc
            scope["portal.context"] = ctx
        await self.app(scope, receive, send)
