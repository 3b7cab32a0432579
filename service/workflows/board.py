"""The completion board over the store: each department's scans, annex-5 statuses and approved
target sets, read once and kept until a submission, a withdrawal or an approval changes them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from service.content.codes import SCAN_WITHDRAWN, TARGET_APPROVED
from service.content.models import Content
from service.rules import contract_mark
from service.rules.board import (
    Board,
    Counts,
    DepartmentState,
    SignatureDay,
    compute,
    count,
    department_state,
    signatures_by_day,
)
from service.rules.chart import SignatureChart, chart_range, signature_chart
from service.rules.signing import Approved, Tie
from service.storage.store import Record, Store
from service.workflows.kept import Same

if TYPE_CHECKING:
    from service.workflows.context import Context

CONTRACTS = "contracts"
STATUSES = "statuses"
TARGETS = "targets"
FIRST_VERSION = 1


APPROVAL_FIELDS = ("staff_id", "state", "approved", "rows")  # what `approved_of` reads


def approved_of(doc: Record | None, year: int, key: Callable[[], bytes]) -> Approved | None:
    """The approved version of a stored target set; None unless it is approved now. A set
    approved before versions were recorded is version 1, its tag computed from its rows."""
    if doc is None or doc.get("state") != TARGET_APPROVED:
        return None
    snapshot = doc.get("approved")
    if snapshot:
        return Approved(int(snapshot["version"]), str(snapshot["tag"]))
    return Approved(FIRST_VERSION, contract_mark.tag_for(key(), year, doc["staff_id"], doc.get("rows", [])))


def issued_tags(doc: Record | None, year: int, key: Callable[[], bytes]) -> set[str]:
    """Every tag an approval of the set has had (a contract printed from any of them is ours)."""
    if doc is None:
        return set()
    tags = {str(entry["tag"]) for entry in doc.get("approvals", [])}
    current = approved_of(doc, year, key)
    return tags | {current.tag} if current else tags


class BoardCache:
    """Department states and their counts, and when the last submission was accepted.

    Writers change a department's state under the store's lock; a failed commit (memory
    reloaded from disk) drops every cached state.
    """

    def __init__(self, content: Content, store: Store, key: Callable[[], bytes] = lambda: b"") -> None:
        self.content = content
        self.store = store
        self.key = key  # the contract marks' key (the data directory's secret)
        self.on_change: Callable[[], None] = lambda: None
        self._states: dict[str, DepartmentState] = {}
        self._counts: dict[str, tuple[DepartmentState, Counts]] = {}
        self._files: dict[str, list[tuple[str, str, int]]] | None = None  # sha256 → valid scans (dept, staff, version)
        self._updated_at: str | None = None
        self._updated_loaded = False
        store.rollback_hooks.append(self._drop_all)

    def use(self, content: Content) -> None:
        """The roster changed: counts are worked out again against `content`."""
        self.content = content
        self._counts = {}

    def state(self, department_id: str) -> DepartmentState:
        with self.store.locked():  # writers change the cached state under the same lock
            cached = self._states.get(department_id)
            if cached is None:
                doc = self.store.get(department_id, STATUSES, kind=STATUSES)
                statuses = {k: v["status"] for k, v in (doc or {}).get("entries", {}).items()}
                year = self.content.settings.year
                sets = self.store.scan(department_id, TARGETS, fields=APPROVAL_FIELDS)  # rows not kept
                approved = {target["staff_id"]: found for target in sets
                            if (found := approved_of(target, year, self.key)) is not None}
                cached = department_state(self.store.records(department_id, CONTRACTS), statuses, approved)
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

    def scanned(self, department_id: str, record: Record) -> None:
        """A valid scan was stored (the caller holds the store's lock)."""
        staff_id = record["staff_id"]
        tie = Tie(record["uploaded_at"], record.get("target_tag"))
        self._states[department_id] = self.state(department_id).with_scan(staff_id, tie, record["version"])
        if self._files is not None:
            self._files.setdefault(record["sha256"], []).append((department_id, staff_id, record["version"]))

    def forget(self, department_id: str) -> None:
        """The department's statuses or approved sets changed (the caller holds the store's lock)."""
        self._states.pop(department_id, None)

    def withdrawn(self, department_id: str, record: Record) -> None:
        """A scan was withdrawn (the caller holds the store's lock)."""
        self.forget(department_id)
        if self._files is not None:
            kept = [f for f in self._files.get(record["sha256"], [])
                    if f != (department_id, record["staff_id"], record["version"])]
            self._files[record["sha256"]] = kept

    def same_file(self, sha256: str) -> list[tuple[str, str, int]]:
        """The valid scans stored with this SHA-256: (department, staff id, version)."""
        with self.store.locked():
            if self._files is None:
                found: dict[str, list[tuple[str, str, int]]] = {}
                for partition, record in self.store.across(CONTRACTS, fields=("sha256", "staff_id", "version", "state")):
                    if record.get("state") != SCAN_WITHDRAWN:
                        found.setdefault(record["sha256"], []).append(
                            (partition, record["staff_id"], record["version"]))
                self._files = found
            return list(self._files.get(sha256, ()))

    def _drop_all(self) -> None:
        self._states.clear()
        self._files = None

    def release(self) -> None:
        """Let the board's states and counts go (worked out again when next read)."""
        with self.store.locked():
            self._drop_all()
            self._counts = {}

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
    """Signed people per day (each person's first scan) against the contract deadline; the days
    kept until a department's scans change or the day does."""
    states = [ctx.cache.state(d.id) for d in ctx.content.departments]

    def days() -> tuple[tuple[SignatureDay, ...], dt.date, dt.date]:
        firsts = [{"staff_id": staff_id, "uploaded_at": at} for state in states for staff_id, at in state.scanned.items()]
        start, end = chart_range([dt.datetime.fromisoformat(r["uploaded_at"]).date() for r in firsts],
                                 current.deadline, current.today)
        return (signatures_by_day(firsts, start, min(end, current.today)) if current.today >= start else (),
                start, end)

    series, start, end = ctx.kept.value("signatures by day", (), (Same(*states), current.deadline, current.today),
                                        days)
    due = current.totals.staff - current.totals.exempt
    return signature_chart(series, start, end, due, current.deadline)
