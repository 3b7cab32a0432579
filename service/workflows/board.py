"""The completion board over the store: each department's scans and annex-5 statuses, read
once and kept until a submission changes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from service.content.models import Content
from service.rules.board import Board, Counts, DepartmentState, compute, count, signatures_by_day
from service.rules.chart import SignatureChart, chart_range, signature_chart
from service.storage.store import Store

if TYPE_CHECKING:
    from service.workflows.context import Context

CONTRACTS = "contracts"
STATUSES = "statuses"


class BoardCache:
    """Department states and their counts, and when the last submission was accepted.

    Writers change a department's state under the store's lock; a failed commit (memory
    reloaded from disk) drops every cached state.
    """

    def __init__(self, content: Content, store: Store) -> None:
        self.content = content
        self.store = store
        self.on_change: Callable[[], None] = lambda: None
        self._states: dict[str, DepartmentState] = {}
        self._counts: dict[str, tuple[DepartmentState, Counts]] = {}
        self._updated_at: str | None = None
        self._updated_loaded = False
        store.rollback_hooks.append(self._states.clear)

    def use(self, content: Content) -> None:
        """The roster changed: counts are worked out again against `content`."""
        self.content = content
        self._counts = {}

    def state(self, department_id: str) -> DepartmentState:
        with self.store.locked():  # writers change the cached state under the same lock
            cached = self._states.get(department_id)
            if cached is None:
                scanned: dict[str, str] = {}
                versions: dict[str, int] = {}
                for record in sorted(self.store.records(department_id, CONTRACTS), key=lambda r: r["version"]):
                    scanned.setdefault(record["staff_id"], record["uploaded_at"])
                    versions[record["staff_id"]] = record["version"]
                doc = self.store.get(department_id, STATUSES, kind=STATUSES)
                statuses = {k: v["status"] for k, v in (doc or {}).get("entries", {}).items()}
                cached = DepartmentState(scanned, statuses, versions)
                self._states[department_id] = cached
            return cached

    def counts(self, department_id: str) -> Counts:
        """The department's counts, recounted only when its state changed."""
        state = self.state(department_id)
        counts = self._counts
        cached = counts.get(department_id)
        if cached is None or cached[0] is not state:
            cached = counts[department_id] = (state, count(self.content.members(department_id), state))
        return cached[1]

    def updated_at(self) -> str | None:
        """When the last submission was accepted; after a restart, read back from the store."""
        if not self._updated_loaded:
            stamps = []
            for department in self.content.departments:
                stamps += [r["uploaded_at"] for r in self.store.records(department.id, CONTRACTS)]
                doc = self.store.get(department.id, STATUSES, kind=STATUSES) or {}
                stamps += [doc["at"]] if doc.get("at") else []
                stamps += [e["at"] for e in doc.get("entries", {}).values()]
            self._updated_at = max(stamps, key=dt.datetime.fromisoformat, default=None)
            self._updated_loaded = True
        return self._updated_at

    def scanned(self, department_id: str, staff_id: str, at: str, version: int) -> None:
        """A scan was stored (the caller holds the store's lock)."""
        self._states[department_id] = self.state(department_id).with_scan(staff_id, at, version)

    def forget(self, department_id: str) -> None:
        """The department's statuses changed (the caller holds the store's lock)."""
        self._states.pop(department_id, None)

    def changed(self, at: str) -> None:
        """A submission was accepted at `at`: the board is out of date."""
        self._updated_at = at
        self._updated_loaded = True
        self.on_change()


def current(ctx: Context) -> Board:
    """The board now: every department's counts against the contract deadline."""
    counts = {d.id: ctx.cache.counts(d.id) for d in ctx.content.departments}
    return compute(ctx.content, counts, ctx.now().date(), ctx.cache.updated_at())


def chart(ctx: Context, current: Board) -> SignatureChart:
    """Signed people per day (each person's first scan) against the contract deadline."""
    firsts = [{"staff_id": staff_id, "uploaded_at": at}
              for d in ctx.content.departments for staff_id, at in ctx.cache.state(d.id).scanned.items()]
    days = [dt.datetime.fromisoformat(r["uploaded_at"]).date() for r in firsts]
    start, end = chart_range(days, current.deadline, current.today)
    series = signatures_by_day(firsts, start, min(end, current.today)) if current.today >= start else ()
    due = current.totals.staff - current.totals.exempt
    return signature_chart(series, start, end, due, current.deadline)
