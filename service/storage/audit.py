"""Append-only audit log: JSON lines, each entry carrying the hash of the one before it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.storage import files

if TYPE_CHECKING:
    from service.storage.store import Store

GENESIS = "0" * 64


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AuditLog:
    """The log at `path`. With a store, each entry is written in the same commit as the
    changes of the `Store.locked()` block that appends it; without one, at once."""

    def __init__(self, path: Path, store: Store | None = None) -> None:
        self.path = path
        self.store = store
        self._lock = threading.Lock()
        # (expected file size, last hash, last seq, store lock epoch) after the last append
        self._tail: tuple[int, str, int, int] | None = None
        if store is not None:
            store.rollback_hooks.append(self.forget)

    def forget(self) -> None:
        """Read the tail from the file again (a commit carrying entries failed)."""
        with self._lock:
            self._tail = None

    def recover(self) -> bool:
        """Cut a partial last line left by a crash mid-append; True if something was cut."""
        if not self.path.exists():
            return False
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return False
        keep = data.rfind(b"\n") + 1
        files.atomic_write(self.path, data[:keep])
        self.forget()
        return True

    def _epoch(self) -> int:
        return self.store.epoch if self.store is not None else 0

    def _last(self) -> tuple[int, str, int]:
        """(file size once everything appended is written, last hash, last seq)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if self._tail and (self._tail[0] == size or (self.store is not None and self._tail[3] == self._epoch())):
            return self._tail[0], self._tail[1], self._tail[2]  # same lock epoch: only we appended
        if size == 0:
            return 0, GENESIS, 0
        with open(self.path, "rb") as handle:
            handle.seek(max(0, size - 65536))
            lines = handle.read().splitlines()
        last = json.loads(lines[-1])
        return size, last["hash"], int(last["seq"])

    def append(self, actor: str, action: str, **detail: Any) -> dict[str, Any]:
        """Append one entry. Callers hold the store lock, so the CLI and the service interleave safely."""
        with self._lock:
            size, prev, seq = self._last()
            entry: dict[str, Any] = {
                "seq": seq + 1,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "actor": actor,
                "action": action,
                "detail": detail,
                "prev": prev,
            }
            entry["hash"] = entry_hash(entry)
            line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
            if self.store is not None:
                self.store.queue_line(self.path, line)
            else:
                files.append_bytes(self.path, line)
            self._tail = (size + len(line), entry["hash"], entry["seq"], self._epoch())
            return entry

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def verify_chain(path: Path) -> tuple[int, list[Problem]]:
    """Check every line parses, links to the previous hash and hashes to itself."""
    problems: list[Problem] = []
    if not path.exists():
        return 0, problems
    prev = GENESIS
    count = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"审计日志第 {number} 行"
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(Problem(where, "不是有效的 JSON"))
            prev = ""
            continue
        count += 1
        if entry.get("prev") != prev:
            problems.append(Problem(where, "与上一条记录的哈希不衔接（记录被删除、插入或改动）"))
        if entry.get("hash") != entry_hash(entry):
            problems.append(Problem(where, "记录内容与其哈希不符（记录被改动）"))
        prev = str(entry.get("hash"))
    return count, problems
