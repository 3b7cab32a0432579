"""The one module that touches TinyDB.

Layout under the data directory:

    db/accounts.json                    users and API tokens (all years)
    db/<year>/<department>/<table>.json one file per department, year and table
    db/<year>/college/<table>.json      college-wide records of the year (HR's score events, …)

A submission rewrites one small file (its department's table), so its cost does not grow
with the college.

Changes are grouped into durable commits (group commit). A change runs under `locked()`,
which holds the process's lock and the data directory's advisory lock: it edits TinyDB in
memory and joins the open batch; when the outermost `locked()` block ends, the caller waits
until its batch is on disk. One waiting thread (the leader) seals the batch and writes it:
the queued audit lines first (one append and one fsync per log: the log is written ahead),
then each changed file (temp file, fsync, rename, fsync dir). The files of a batch are written side by side, so their
fsyncs overlap; while the leader writes, other requests edit memory and form the next batch,
so under load one round of fsyncs carries many submissions.

A failed commit takes everything back: the files it replaced get their old bytes, the audit
log its old length, memory is reloaded from disk, and every change of that batch and of the
one forming behind it raises the error to its caller. Nothing is acknowledged before it is
durable. The advisory lock is held while any change is in memory and not yet written, so
the CLI never reads or writes under a pending change, and cached files are checked against
the disk whenever the lock is taken again.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from service.storage import files
from service.storage.accounts import Accounts
from service.storage.durable import DurableStorage, StoreCorrupt

Record = dict[str, Any]
COLLEGE = "college"


@dataclass(eq=False)
class Batch:
    """Changes waiting for one durable commit."""

    paths: set[Path] = field(default_factory=set)
    lines: dict[Path, list[bytes]] = field(default_factory=dict)
    directories: set[Path] = field(default_factory=set)  # new entries to make durable
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


def new_record(fields: Record) -> Record:
    """`fields` with a new unique id first (an id already there is kept)."""
    return {"id": uuid.uuid4().hex, **fields}


class Store:
    def __init__(self, data_dir: Path, year: int) -> None:
        self.data_dir = data_dir
        self.year = year
        self.db_dir = data_dir / "db"
        self.files_dir = data_dir / "files"
        self.epoch = 0  # bumped each time the advisory lock is taken anew
        self.rollback_hooks: list[Callable[[], None]] = []  # caches to drop when memory is reloaded
        self._lock = threading.RLock()  # memory: TinyDB objects and the open batch
        self._commit_lock = threading.RLock()  # one leader writes at a time
        self._holders = 0  # advisory lock users: the thread in `locked()` and unwritten batches
        self._holders_lock = threading.Lock()
        self._lock_fd: int | None = None
        self._dbs: dict[Path, TinyDB] = {}
        self._depth = 0
        self._open: Batch | None = None
        self._joined: Batch | None = None  # the batch the current outermost block changed
        self._pool: ThreadPoolExecutor | None = None
        self._paths: dict[tuple[str, str], Path] = {}
        self.accounts = Accounts(self)
        (self.db_dir / str(year)).mkdir(parents=True, exist_ok=True)

    # -- locking and commits ----------------------------------------------------------

    def _hold(self) -> None:
        with self._holders_lock:
            if self._holders == 0:
                if self._lock_fd is None:
                    self._lock_fd = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
                self.epoch += 1
            self._holders += 1

    def _release(self) -> None:
        with self._holders_lock:
            self._holders -= 1
            if self._holders == 0 and self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the process lock and the data directory's advisory lock (re-entrant).

        Leaving the outermost block returns once its changes are durable, or raises why not.
        """
        joined = None
        try:
            with self._lock:
                if self._depth == 0:
                    self._hold()
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                    if self._depth == 0:
                        joined, self._joined = self._joined, None
                        self._release()
        finally:
            if joined is not None:  # what was changed is committed, even when the block raised
                self._wait(joined)

    @contextlib.contextmanager
    def settled(self) -> Iterator[None]:
        """`locked()` with every earlier change on disk and no commit running: for backups,
        integrity checks and recovery, which read the files themselves."""
        with self._commit_lock:
            self._flush_open()
            with self.locked():
                yield

    def changed(self, path: Path) -> None:
        """A TinyDB file was changed in memory: it joins the open batch."""
        self._batch().paths.add(path)

    def queue_line(self, path: Path, line: bytes) -> None:
        """Append `line` to the log at `path` in the same commit as the block's changes."""
        self._batch().lines.setdefault(path, []).append(line)

    def sync_dir(self, directory: Path) -> None:
        """Make new entries of `directory` (an upload linked in) durable with the block's commit."""
        self._batch().directories.add(directory)

    def _batch(self) -> Batch:
        if self._depth == 0:
            raise RuntimeError("store changes must run under Store.locked()")
        if self._open is None:
            self._open = Batch()
            self._hold()  # released when the batch is on disk or given up
        self._joined = self._open
        return self._open

    def _wait(self, batch: Batch) -> None:
        while not batch.done.is_set():
            with self._commit_lock:
                if not batch.done.is_set():
                    self._flush_open()
        if batch.error is not None:
            raise batch.error

    def _flush_open(self) -> None:
        """Seal the open batch and write it (the caller holds the commit lock)."""
        with self._lock:
            batch, self._open = self._open, None
            if batch is None:
                return
            payloads = {path: self._dbs[path].storage.payload() for path in batch.paths  # type: ignore[attr-defined]
                        if path in self._dbs}
        try:
            self._write(batch, payloads)
        except BaseException as exc:
            self._roll_back(batch, exc)
        finally:
            batch.done.set()
            self._release()

    def _write(self, batch: Batch, payloads: dict[Path, bytes]) -> None:
        """Append the batch's lines (the audit log is written ahead), then replace its files
        side by side (their fsyncs overlap)."""
        kept: dict[Path, Path | None] = {}
        appended: list[tuple[Path, int]] = []
        try:
            for path, lines in batch.lines.items():
                appended.append((path, files.append_bytes(path, b"".join(lines))))
            for path in payloads:
                kept[path] = files.keep(path)
            jobs = [functools.partial(files.atomic_write, path, data) for path, data in payloads.items()]
            jobs += [functools.partial(files.fsync_dir, directory) for directory in batch.directories]
            if len(jobs) == 1:
                jobs[0]()
            elif jobs:
                writes = [self._writers().submit(job) for job in jobs]
                wait(writes)  # every write ends before any is judged or put back
                for write in writes:
                    write.result()
        except BaseException:
            for path, old in kept.items():
                with contextlib.suppress(OSError):
                    files.put_back(path, old)
            for path, size in appended:
                with contextlib.suppress(OSError):
                    files.truncate(path, size)
            raise
        for old in kept.values():
            if old is not None:
                files.remove(old)
        with self._lock:
            for path in payloads:
                db = self._dbs.get(path)
                if db is not None:
                    db.storage.written()  # type: ignore[attr-defined]

    def _writers(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="store-write")
        return self._pool

    def _roll_back(self, batch: Batch, exc: BaseException) -> None:
        """Forget what memory holds beyond the disk; the batch behind this one fails too."""
        with self._lock:
            behind, self._open = self._open, None
            for failed in (batch, behind):
                if failed is None:
                    continue
                failed.error = exc
                for path in failed.paths:
                    self._dbs.pop(path, None)
            if behind is not None:
                behind.done.set()
                self._release()
            for hook in self.rollback_hooks:
                hook()

    def database(self, path: Path) -> TinyDB:
        """The TinyDB of one file, read again when another process changed it."""
        db = self._dbs.get(path)
        if db is not None and db.storage.stale():  # type: ignore[attr-defined]
            db = None  # another process wrote it: fresh TinyDB, fresh id counters
        if db is None:
            db = TinyDB(str(path), storage=DurableStorage, store=self)
            self._dbs[path] = db
        return db

    def _table(self, department: str, table: str) -> Any:
        path = self._paths.get((department, table))
        if path is None:
            path = self._paths[department, table] = self.db_dir / str(self.year) / department / f"{table}.json"
        return self.database(path).table(table)

    def check_all(self) -> list[Path]:
        """Load every file; return the ones that are not valid JSON."""
        bad = []
        with self.locked():
            for path in sorted(self.db_dir.rglob("*.json")):
                try:
                    self.database(path).storage.read()
                except StoreCorrupt:
                    bad.append(path)
        return bad

    # -- per-department records ------------------------------------------------------

    def insert(self, department: str, table: str, record: Record) -> Record:
        """Add `record`, with a new id unless it brings one (`new_record`)."""
        with self.locked():
            record = new_record(record)
            self._table(department, table).insert(record)
            return record

    def records(self, department: str, table: str) -> list[Record]:
        with self.locked():
            return [dict(r) for r in self._table(department, table).all()]

    def find(self, department: str, table: str, **fields: Any) -> list[Record]:
        with self.locked():
            query = Query().fragment(fields)
            return [dict(r) for r in self._table(department, table).search(query)]

    def upsert(self, department: str, table: str, record: Record, **key: Any) -> None:
        with self.locked():
            self._table(department, table).upsert(record, Query().fragment(key))

    def get(self, department: str, table: str, **key: Any) -> Record | None:
        found = self.find(department, table, **key)
        return found[0] if found else None

    def remove(self, department: str, table: str, **key: Any) -> None:
        with self.locked():
            self._table(department, table).remove(Query().fragment(key))

    def every(self, table: str) -> list[tuple[str, str, Record]]:
        """(year, partition, record) for `table` across every year and partition on disk."""
        found = []
        with self.locked():
            for path in sorted(self.db_dir.glob(f"*/*/{table}.json")):
                found.extend((path.parent.parent.name, path.parent.name, record)
                             for record in self._scan(path, table, None))
        return found

    def across(self, table: str, fields: tuple[str, ...] | None = None) -> list[tuple[str, Record]]:
        """(partition, record) for `table` in every partition of this year, the college's included;
        with `fields`, each record holds only those keys."""
        found = []
        with self.locked():
            for path in self._partition_files(table):
                found.extend((path.parent.name, record) for record in self._scan(path, table, fields))
        return found

    def each_partition(self, table: str, fields: tuple[str, ...] | None = None) -> Iterator[tuple[str, list[Record]]]:
        """`across`, one partition at a time: each file is read under the lock by itself, so the
        caller holds one partition's records at once and writers wait for one file, not the scan."""
        with self.locked():
            paths = self._partition_files(table)
        for path in paths:
            with self.locked():
                records = self._scan(path, table, fields)
            yield path.parent.name, records

    def _partition_files(self, table: str) -> list[Path]:
        """This year's files of `table`, one per partition, in partition order."""
        return sorted((self.db_dir / str(self.year)).glob(f"*/{table}.json"))

    def _scan(self, path: Path, table: str, fields: tuple[str, ...] | None) -> list[Record]:
        """A table's records for a college-wide read. A file not already in memory is read
        without being kept (a scan of every department must not hold them all); one in
        memory is read there, with any change not yet committed."""
        if path in self._dbs:
            docs: Any = self.database(path).table(table).all()
        else:
            try:
                docs = (json.loads(path.read_bytes() or b"{}").get(table) or {}).values()
            except (ValueError, UnicodeDecodeError) as exc:
                raise StoreCorrupt(path, f"不是有效的 JSON：{exc}") from exc
        if fields is None:
            return [dict(doc) for doc in docs]
        return [{key: doc[key] for key in fields if key in doc} for doc in docs]
