"""The one module that touches TinyDB.

Layout under the data directory:

    db/accounts.json                    users and API tokens (all years)
    db/<year>/<department>/<table>.json one file per department, year and table
    db/<year>/<department>/<table>/<shard>.json   a table kept in shards (a person's records each)
    db/<year>/college/<table>.json      college-wide records of the year (HR's score events, …)

A submission rewrites one small file (its department's table, or the one shard it adds to), so
its cost grows neither with the college nor with the department's history. A table's records
are those of its file and of all its shards. Each change gives the table a new `generation`.

Changes are grouped into durable commits (group commit). A change runs under `locked()`,
which holds the process's lock and the data directory's advisory lock: it edits TinyDB in
memory and joins the open batch; when the outermost `locked()` block ends, the caller waits
until its batch is on disk. One waiting thread (the leader) seals the batch and writes it:
the queued audit lines first (one append and one fsync per log: the log is written ahead),
then each changed file (temp file, fsync, rename, fsync dir), one after another; while the
leader writes, other requests edit memory and form the next batch, so under load one round
of fsyncs carries many submissions.

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
import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from service.storage import files, shards
from service.storage.accounts import Accounts
from service.storage.batch import Batch
from service.storage.durable import DurableStorage, StoreCorrupt
from service.storage.meters import Meters
from service.storage.shards import Record

COLLEGE = "college"
KEPT_SHARDS = 512  # shards kept in memory once written (more are read from disk when asked)
_GENERATIONS = itertools.count(1)


class Busy(Exception):
    """The store's locks cannot be had at once (see `Store.locked(wait=False)`)."""


def new_record(fields: Record) -> Record:
    """`fields` with a new unique id first (an id already there is kept)."""
    return {"id": uuid.uuid4().hex, **fields}


class Store:
    def __init__(self, data_dir: Path, year: int) -> None:
        self.data_dir = data_dir
        self.year = year
        self.db_dir = data_dir / "db"
        self._year_dir = self.db_dir / str(year)
        self.files_dir = data_dir / "files"
        self.epoch = 0  # bumped each time the advisory lock is taken anew
        self.changes = 0  # bumped with every table generation: unchanged, nothing of the year changed
        self.rollback_hooks: list[Callable[[], None]] = []  # caches to drop when memory is reloaded
        self.written_last: set[Path] = set()  # files replaced after the rest of their batch (the audit head)
        self._lock = threading.RLock()  # memory: TinyDB objects and the open batch
        self._commit_lock = threading.RLock()  # one leader writes at a time
        self._holders = 0  # advisory lock users: the thread in `locked()` and unwritten batches
        self._holders_lock = threading.Lock()
        self._lock_fd: int | None = None
        self._dbs: dict[Path, TinyDB] = {}
        self._depth = 0
        self._open: Batch | None = None
        self._joined: Batch | None = None  # the batch the current outermost block changed
        self._paths: dict[tuple[str, str], Path] = {}
        self._wrote: dict[Path, dict[str, set[int]]] = {}  # documents written since the block's last entry
        self._generations: dict[tuple[str, str], int] = {}
        self._resident = shards.Resident(KEPT_SHARDS)
        self.accounts = Accounts(self)
        self.meters = Meters()  # hooks the running service fills with its metrics
        self._year_dir.mkdir(parents=True, exist_ok=True)

    # -- locking and commits ----------------------------------------------------------

    def _hold(self, wait: bool = True) -> None:
        if not self._holders_lock.acquire(blocking=wait):
            raise Busy
        try:
            if self._holders == 0:
                if self._lock_fd is None:
                    self._lock_fd = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise Busy from None
                self.epoch += 1
            self._holders += 1
        finally:
            self._holders_lock.release()

    def _release(self) -> None:
        with self._holders_lock:
            self._holders -= 1
            if self._holders == 0 and self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def locked(self, wait: bool = True) -> Iterator[None]:
        """Hold the process lock and the data directory's advisory lock (re-entrant).

        Leaving the outermost block returns once its changes are durable, or raises why not.
        With `wait` False, raises `Busy` instead of waiting for either lock (a quick read that
        has somewhere else to go when the store is busy).
        """
        joined = None
        if not self._lock.acquire(blocking=wait):
            raise Busy
        try:
            if self._depth == 0:
                self._hold(wait)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    joined, self._joined = self._joined, None
                    self._wrote.clear()  # writes no entry named: notes kept without anyone's action
                    self._release()
        finally:
            self._lock.release()
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
        self._bump(path)

    def generation(self, partition: str, table: str) -> int:
        """A number that changes whenever the table of `partition` (its file or a shard) changes in
        this process's memory, is reloaded after a failed commit, or is read again after another
        process wrote it."""
        with self._lock:
            return self._generations.get((partition, table), 0)

    def _bump(self, path: Path) -> None:
        key = shards.table_of(path, self._year_dir)
        if key is not None:
            self._generations[key] = next(_GENERATIONS)
            self.changes += 1

    def wrote(self, db: TinyDB, table: str, ids: Iterable[int]) -> None:
        """Documents of `db`'s `table` were written or removed: the block's next audit entry names them."""
        self._wrote.setdefault(db.storage.path, {}).setdefault(table, set()).update(ids)  # type: ignore[attr-defined]

    def take_written(self) -> dict[Path, dict[str, set[int]]]:
        """The documents written since the block's last audit entry (file -> table -> ids)."""
        taken, self._wrote = self._wrote, {}
        return taken

    def tables_of(self, path: Path) -> dict[str, Any]:
        """A TinyDB file's tables: from memory (with changes not yet committed) or from disk."""
        if path in self._dbs:
            return self._dbs[path].storage.read() or {}  # type: ignore[no-any-return]
        return shards.read_tables(path)

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
        """Until `batch` is written: a sealed batch is its leader's to write; for the open one,
        the first to get the commit lock writes it (and whatever joined it meanwhile)."""
        while not batch.done.is_set():
            if batch is not self._open:
                batch.done.wait()
                continue
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
            payloads = {path: self._dbs[path].storage.payload()  # type: ignore[attr-defined]
                        for path in sorted(batch.paths, key=lambda p: p in self.written_last) if path in self._dbs}
        try:
            self._write(batch, payloads)
        except BaseException as exc:
            self._roll_back(batch, exc)
        finally:
            batch.done.set()
            self._release()

    def _write(self, batch: Batch, payloads: dict[Path, bytes]) -> None:
        """Append the batch's lines (the audit log is written ahead), then replace its files."""
        started = time.perf_counter()
        files.replace_all(payloads, batch.directories, {path: b"".join(lines) for path, lines in batch.lines.items()})
        with self._lock:
            for path in payloads:
                db = self._dbs.get(path)
                if db is not None:
                    db.storage.written()  # type: ignore[attr-defined]
            for path in self._resident.written([p for p in payloads if shards.is_shard(p, self._year_dir)],
                                               self._open.paths if self._open else set()):
                self._forget(path)
        self.meters.committed(time.perf_counter() - started)

    def _roll_back(self, batch: Batch, exc: BaseException) -> None:
        """Forget what memory holds beyond the disk; the batch behind this one fails too."""
        with self._lock:
            behind, self._open = self._open, None
            for failed in (batch, behind):
                if failed is None:
                    continue
                failed.error = exc
                for path in failed.paths:
                    self._forget(path)
                    self._bump(path)
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
            self._bump(path)
        if db is None:
            db = TinyDB(str(path), storage=DurableStorage, store=self)
            self._dbs[path] = db
            if shards.is_shard(path, self._year_dir):
                self._resident.loaded(path)
        return db

    def release(self) -> None:
        """Forget the files read into memory that hold no change awaiting its commit (read again when used)."""
        with self._commit_lock, self._lock:
            for path in [p for p in self._dbs if not (self._open and p in self._open.paths)]:
                self._forget(path)
                self._bump(path)

    def _forget(self, path: Path) -> None:
        """Drop a file's TinyDB from memory (the disk holds what it held)."""
        self._dbs.pop(path, None)
        self._resident.dropped(path)

    def _path(self, partition: str, table: str) -> Path:
        path = self._paths.get((partition, table))
        if path is None:
            path = self._paths[partition, table] = self._year_dir / partition / f"{table}.json"
        return path

    def _target(self, partition: str, table: str, shard: str | None) -> Path:
        """Where a new record goes: the table's file, or the shard named."""
        return self._path(partition, table) if shard is None else self._year_dir / partition / table / shards.file_name(shard)

    def _sources(self, partition: str, table: str) -> list[Path]:
        """The table's file, then its shards: on disk, or in memory and not yet written."""
        directory = self._year_dir / partition / table
        found = set(shards.shard_files(directory)) | self._resident.under(directory)
        return [self._path(partition, table), *sorted(found)]

    def _docs(self, path: Path, table: str) -> Any:
        """The stored documents of one source: a table's file is read once and kept; a shard is
        read from memory when it is there, else from disk."""
        if path in self._dbs or not shards.is_shard(path, self._year_dir):
            return self.database(path).table(table).all()
        return shards.read_table(path, table)

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

    def insert(self, department: str, table: str, record: Record, *, shard: str | None = None) -> Record:
        """Add `record`, with a new id unless it brings one (`new_record`); into `shard` when given."""
        with self.locked():
            record = new_record(record)
            db = self.database(self._target(department, table, shard))
            self.wrote(db, table, [db.table(table).insert(record)])
            return record

    def records(self, department: str, table: str) -> list[Record]:
        return self.find(department, table)

    def find(self, department: str, table: str, **fields: Any) -> list[Record]:
        with self.locked():
            return [dict(r) for path in self._sources(department, table) for r in self._docs(path, table)
                    if shards.matches(r, fields)]

    def upsert(self, department: str, table: str, record: Record, *, shard: str | None = None, **key: Any) -> None:
        """Replace the documents matching `key` wherever they are, or add `record` (into `shard`)."""
        with self.locked():
            for path in self._holding(department, table, key) or [self._target(department, table, shard)]:
                db = self.database(path)
                self.wrote(db, table, db.table(table).upsert(record, Query().fragment(key)))

    def get(self, department: str, table: str, **key: Any) -> Record | None:
        found = self.find(department, table, **key)
        return found[0] if found else None

    def remove(self, department: str, table: str, **key: Any) -> None:
        with self.locked():
            for path in self._holding(department, table, key):
                db = self.database(path)
                self.wrote(db, table, db.table(table).remove(Query().fragment(key)))

    def _holding(self, partition: str, table: str, key: dict[str, Any]) -> list[Path]:
        """The table's file and shards that hold a document matching `key`."""
        return [path for path in self._sources(partition, table)
                if any(shards.matches(doc, key) for doc in self._docs(path, table))]

    def every(self, table: str) -> list[tuple[str, str, Record]]:
        """(year, partition, record) for `table` across every year and partition on disk."""
        found = []
        with self.locked():
            for path in sorted({*self.db_dir.glob(f"*/*/{table}.json"), *self.db_dir.glob(f"*/*/{table}/*.json")}):
                where = shards.place(path, self.db_dir)
                if where is not None:
                    found.extend((*where, record) for record in self._scan(path, table, None))
        return found

    def across(self, table: str, fields: tuple[str, ...] | None = None) -> list[tuple[str, Record]]:
        """(partition, record) for `table` in every partition of this year, the college's included;
        with `fields`, each record holds only those keys."""
        with self.locked():
            return [(partition, record) for partition in self._partitions(table)
                    for record in self.scan(partition, table, fields)]

    def scan(self, partition: str, table: str, fields: tuple[str, ...] | None = None) -> list[Record]:
        """The table's records of one partition, read without keeping its files in memory (with
        `fields`, only those keys): for reads whose result is kept elsewhere."""
        with self.locked():
            return [record for path in self._sources(partition, table) for record in self._scan(path, table, fields)]

    def _partitions(self, table: str) -> list[str]:
        """This year's partitions holding `table` (a file or shards), in partition order."""
        year = self._year_dir
        return sorted({p.parent.name for p in year.glob(f"*/{table}.json")}
                      | {p.parent.name for p in year.glob(f"*/{table}") if p.is_dir()})

    def _scan(self, path: Path, table: str, fields: tuple[str, ...] | None) -> list[Record]:
        """A file's records for a college-wide read: read from disk without being kept (a scan of
        every department must not hold them all), or from memory, with changes not yet committed."""
        docs: Any = self.database(path).table(table).all() if path in self._dbs else shards.read_table(path, table)
        if fields is None:
            return [dict(doc) for doc in docs]
        return [{key: doc[key] for key in fields if key in doc} for doc in docs]
