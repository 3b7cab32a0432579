"""The one module that touches TinyDB.

Layout under the data directory:

    db/accounts.json            users and API tokens (all years)
    db/<year>/<department>.json one partition per department and year: contracts, statuses, …
    db/<year>/college.json      college-wide records of the year (HR's score events, …)

Every call runs under one process-wide lock plus an advisory file lock, so the CLI and the
running service can both write; each write goes through `DurableStorage` (temp file, fsync,
rename, fsync dir) and returns only once it is on disk. A write costs one partition, not the
whole college.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from service import files

T = TypeVar("T")
Record = dict[str, Any]
COLLEGE = "college"


class StoreCorrupt(Exception):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


class DurableStorage(Storage):
    """JSON storage that keeps the data in memory and replaces the file atomically on write.

    A file changed by another process (its stat signature moved) is read again.
    """

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._data: dict[str, Any] | None = None
        self._signature: tuple[int, int, int] | None = None

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def changed_on_disk(self) -> bool:
        return self._data is not None and self._stat() != self._signature

    def read(self) -> dict[str, Any] | None:
        if self._data is None or self._stat() != self._signature:
            self._signature = self._stat()
            if self._signature is None:
                self._data = None
                return None
            try:
                self._data = json.loads(self.path.read_bytes() or b"{}")
            except (ValueError, UnicodeDecodeError) as exc:
                raise StoreCorrupt(self.path, f"不是有效的 JSON：{exc}") from exc
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            files.atomic_write(self.path, payload)
        except BaseException:
            self._data = None  # memory may hold the unwritten change: reload from disk next time
            self._signature = None
            raise
        self._data = data
        self._signature = self._stat()

    def close(self) -> None:
        pass


class Store:
    def __init__(self, data_dir: Path, year: int) -> None:
        self.data_dir = data_dir
        self.year = year
        self.db_dir = data_dir / "db"
        self.files_dir = data_dir / "files"
        self._lock = threading.RLock()
        self._dbs: dict[Path, TinyDB] = {}
        self._depth = 0
        self._lock_file: int | None = None
        (self.db_dir / str(year)).mkdir(parents=True, exist_ok=True)

    # -- locking and partitions ------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the process lock and the data directory's advisory lock (re-entrant)."""
        with self._lock:
            if self._depth == 0:
                self._lock_file = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_file is not None:
                    fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                    os.close(self._lock_file)
                    self._lock_file = None

    def _db(self, path: Path) -> TinyDB:
        db = self._dbs.get(path)
        if db is not None and db.storage.changed_on_disk():  # type: ignore[attr-defined]
            db = None  # another process wrote it: fresh TinyDB, fresh id counters
        if db is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = TinyDB(str(path), storage=DurableStorage)
            self._dbs[path] = db
        return db

    def _partition(self, department: str) -> TinyDB:
        return self._db(self.db_dir / str(self.year) / f"{department}.json")

    def accounts(self) -> TinyDB:
        return self._db(self.db_dir / "accounts.json")

    def run(self, fn: Callable[[], T]) -> T:
        with self.locked():
            return fn()

    def check_all(self) -> list[Path]:
        """Load every partition; return the ones that are not valid JSON."""
        bad = []
        with self.locked():
            for path in sorted(self.db_dir.rglob("*.json")):
                try:
                    self._db(path).storage.read()
                except StoreCorrupt:
                    bad.append(path)
        return bad

    # -- accounts --------------------------------------------------------------------

    def add_user(self, user: Record) -> None:
        with self.locked():
            users = self.accounts().table("users")
            if users.contains(Query().username == user["username"]):
                raise KeyError(user["username"])
            users.insert(user)

    def update_user(self, username: str, changes: Record) -> bool:
        with self.locked():
            return bool(self.accounts().table("users").update(changes, Query().username == username))

    def user(self, username: str) -> Record | None:
        with self.locked():
            found = self.accounts().table("users").get(Query().username == username)
            return dict(found) if isinstance(found, Document) else None

    def users(self) -> list[Record]:
        with self.locked():
            return [dict(u) for u in self.accounts().table("users").all()]

    def add_token(self, token_hash: str, username: str) -> None:
        with self.locked():
            self.accounts().table("tokens").insert(
                {"token_hash": token_hash, "username": username, "created_at": time.time()})

    def token_user(self, token_hash: str) -> str | None:
        with self.locked():
            found = self.accounts().table("tokens").get(Query().token_hash == token_hash)
            return found["username"] if isinstance(found, Document) else None

    # -- per-department records ------------------------------------------------------

    def insert(self, department: str, table: str, record: Record) -> Record:
        with self.locked():
            record = {"id": uuid.uuid4().hex, **record}
            self._partition(department).table(table).insert(record)
            return record

    def records(self, department: str, table: str) -> list[Record]:
        with self.locked():
            return [dict(r) for r in self._partition(department).table(table).all()]

    def find(self, department: str, table: str, **fields: Any) -> list[Record]:
        with self.locked():
            query = Query().fragment(fields)
            return [dict(r) for r in self._partition(department).table(table).search(query)]

    def upsert(self, department: str, table: str, record: Record, **key: Any) -> None:
        with self.locked():
            self._partition(department).table(table).upsert(record, Query().fragment(key))

    def get(self, department: str, table: str, **key: Any) -> Record | None:
        found = self.find(department, table, **key)
        return found[0] if found else None

    def remove(self, department: str, table: str, **key: Any) -> None:
        with self.locked():
            self._partition(department).table(table).remove(Query().fragment(key))

    def next_version(self, department: str, staff_id: str) -> int:
        with self.locked():
            found = self.find(department, "contracts", staff_id=staff_id)
            return max((r["version"] for r in found), default=0) + 1

    def every(self, table: str) -> list[tuple[str, str, Record]]:
        """(year, partition, record) for `table` across every year and partition on disk."""
        found = []
        with self.locked():
            for path in sorted(self.db_dir.glob("*/*.json")):
                for record in self._db(path).table(table).all():
                    found.append((path.parent.name, path.stem, dict(record)))
        return found

    def department_ids(self) -> list[str]:
        year_dir = self.db_dir / str(self.year)
        return sorted(p.stem for p in year_dir.glob("*.json") if p.stem != COLLEGE)

    def across(self, table: str) -> list[tuple[str, Record]]:
        """(partition, record) for `table` in every partition of this year, the college's included."""
        found = []
        with self.locked():
            for path in sorted((self.db_dir / str(self.year)).glob("*.json")):
                found.extend((path.stem, dict(record)) for record in self._db(path).table(table).all())
        return found
