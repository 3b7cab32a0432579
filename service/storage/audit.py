"""Append-only audit log: JSON lines, each entry carrying the hash of the one before it.

With the data directory's key (derived from its `secret`, which backups carry) each entry's
hash is an HMAC-SHA256, so the chain cannot be recomputed after an edit without the key; and
the head (how many entries, the last one's hash, signed) is written to the store in the same
commit as each batch's lines, so cutting entries off the end is seen too. The lines are
appended before the store's files are replaced: a crash in between leaves entries past the
head, which are accepted when they carry the key (they cannot be forged).

A log begun before keys (plain SHA-256) keeps verifying: the first keyed append adds a marker
entry (`audit.keyed`) that names how many unkeyed entries precede it and the last one's hash,
sealing that prefix; every entry after the marker must carry the key.

Each entry also carries `docs`, the digests of the documents its commit wrote (see
storage/digests.py), so the log vouches for the records. A log begun before digests gets a
marker entry (`audit.digests`) on its first append: the digests of every stored document at
that moment are written to `audit.seal`, whose SHA-256 the marker records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.storage import digests, files

if TYPE_CHECKING:
    from service.storage.store import Store

GENESIS = "0" * 64
MARKER = "audit.keyed"
SEAL_MARKER = "audit.digests"
RECOVERED = "audit.recovered"
SEAL_FILE = "audit.seal"
SECRET_FILE = "secret"
HEAD_FILE = "audit_head.json"
HEAD_TABLE = "head"


def entry_hash(entry: dict[str, Any], key: bytes | None = None) -> str:
    """The entry's hash: HMAC-SHA256 with `key`, plain SHA-256 without (older logs)."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def head_mac(key: bytes, count: int, last: str) -> str:
    return hmac.new(key, f"audit-head:{count}:{last}".encode(), hashlib.sha256).hexdigest()


def audit_key(secret: bytes) -> bytes:
    """The chain's key, derived from the data directory's secret (one secret, one use each)."""
    return hmac.new(secret, b"portal audit chain", hashlib.sha256).digest()


class SecretMissing(Exception):
    """The log was written with a key whose secret is gone: a new one would make every entry
    look forged, so none is made (the message is Chinese, for the CLI)."""


def data_secret(store: Store) -> bytes:
    """The data directory's secret (`secret`, mode 0600), made on first use; backups carry it."""
    path = store.data_dir / SECRET_FILE
    with store.locked():
        if not path.exists():
            if (store.db_dir / HEAD_FILE).exists():
                raise SecretMissing(f"数据目录 {store.data_dir} 缺少密钥文件 {SECRET_FILE}，而审计日志是用它签名的："
                                    "请从备份中恢复该文件（portal restore 会一并恢复），不要新建")
            files.atomic_write(path, secrets.token_urlsafe(48).encode())
            path.chmod(0o600)
        return path.read_bytes().strip()


class AuditLog:
    """The log at `path`. With a store, each entry is written in the same commit as the
    changes of the `Store.locked()` block that appends it; without one, at once."""

    def __init__(self, path: Path, store: Store | None = None, key: bytes | None = None) -> None:
        self.path = path
        self.store = store
        self.key = key
        self._lock = threading.Lock()
        # (expected file size, last hash, last seq, store lock epoch) after the last append
        self._tail: tuple[int, str, int, int] | None = None
        if store is not None:
            store.rollback_hooks.append(self.forget)
            store.written_last.add(store.db_dir / HEAD_FILE)  # the head names only commits wholly on disk

    def forget(self) -> None:
        """Read the tail from the file again (a commit carrying entries failed)."""
        with self._lock:
            self._tail = None

    def recover(self) -> bool:
        """Cut a partial last line left by a crash mid-append; True if something was cut."""
        if not self.path.exists() or _ends_whole(self.path):
            return False  # the usual start: the last byte says so, the log (years of it) is not read
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return False
        keep = data.rfind(b"\n") + 1
        files.atomic_write(self.path, data[:keep])
        self.forget()
        return True

    def _epoch(self) -> int:
        return self.store.epoch if self.store is not None else 0

    def _last(self) -> tuple[int, str, int, bool, bool]:
        """(file size once everything appended is written, last hash, last seq, whether the
        last entry carries the key, whether it carries document digests)."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if self._tail and (self._tail[0] == size or (self.store is not None and self._tail[3] == self._epoch())):
            return self._tail[0], self._tail[1], self._tail[2], True, True  # same lock epoch: only we appended
        if size == 0:
            return 0, GENESIS, 0, True, True
        chunk = 65536
        with open(self.path, "rb") as handle:
            while True:  # back far enough to hold the whole last line (a big commit's is long)
                handle.seek(max(0, size - chunk))
                data = handle.read()
                if b"\n" in data[:-1] or chunk >= size:
                    break
                chunk *= 4
        last = json.loads(data.splitlines()[-1])
        keyed = self.key is None or entry_hash(last, self.key) == last["hash"]
        return size, last["hash"], int(last["seq"]), keyed, "docs" in last

    def reconcile(self) -> bool:
        """After a crash: the entries past the head were written ahead of a commit that may have
        been cut short, so record, in an `audit.recovered` entry, what the files hold of the
        documents they name; True if there were such entries."""
        head = self.head()
        count = head.get("count") if head is not None else None
        if self.store is None or not isinstance(count, int) or self._last()[2] <= count:
            return False
        try:
            unfinished = self.entries()[count:]
        except ValueError:
            return False  # a damaged log: verification names it
        named: dict[Path, dict[str, set[str]]] = {}
        for entry in unfinished:
            for file, tables in (entry.get("docs") or {}).items():
                for table, docs in tables.items():
                    named.setdefault(self.store.db_dir / file, {}).setdefault(table, set()).update(docs)
        with self.store.locked():
            self._append("system", RECOVERED, {"unfinished_entries": len(unfinished)},
                         digests.of_written(named, self.store.db_dir, self.store.tables_of))
        return True

    def append(self, actor: str, action: str, **detail: Any) -> dict[str, Any]:
        """Append one entry. Callers hold the store lock, so the CLI and the service interleave safely."""
        docs = None if self.store is None else digests.of_written(self.store.take_written(), self.store.db_dir,
                                                                  self.store.tables_of)
        return self._append(actor, action, detail, docs)

    def _append(self, actor: str, action: str, detail: dict[str, Any], docs: digests.Docs | None) -> dict[str, Any]:
        with self._lock:
            size, prev, seq, keyed, digested = self._last()
            if not keyed:  # an older, unkeyed log: seal it with the marker first
                size, prev, seq = self._write(size, prev, seq, "system", MARKER,
                                              {"unkeyed_entries": seq, "last_unkeyed": prev}, None)[:3]
            if not digested and self.store is not None:  # records written before digests: seal them
                size, prev, seq = self._write(size, prev, seq, "system", SEAL_MARKER, self._seal(), {})[:3]
            size, prev, seq, entry = self._write(size, prev, seq, actor, action, detail, docs or {})
            return entry

    def _seal(self) -> dict[str, Any]:
        """Write the digests of every stored document to `audit.seal`; the marker's detail."""
        assert self.store is not None
        sealed = digests.snapshot(self.store.db_dir, self.store.tables_of)
        data = json.dumps(sealed, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
        files.atomic_write(self.store.data_dir / SEAL_FILE, data)
        count = sum(len(docs) for tables in sealed.values() for docs in tables.values())
        return {"sealed_documents": count, "seal_sha256": hashlib.sha256(data).hexdigest()}

    def _write(self, size: int, prev: str, seq: int, actor: str, action: str, detail: dict[str, Any],
               docs: digests.Docs | None) -> tuple[int, str, int, dict[str, Any]]:
        entry: dict[str, Any] = {
            "seq": seq + 1,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "actor": actor,
            "action": action,
            "detail": detail,
            "prev": prev,
        }
        if docs is not None:
            entry["docs"] = docs
        entry["hash"] = entry_hash(entry, self.key)
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        if self.store is not None:
            self.store.queue_line(self.path, line)
            if self.key is not None:
                self._set_head(entry["seq"], entry["hash"])
        else:
            files.append_bytes(self.path, line)
        self._tail = (size + len(line), entry["hash"], entry["seq"], self._epoch())
        return size + len(line), entry["hash"], entry["seq"], entry

    def _set_head(self, count: int, last: str) -> None:
        """The head joins the same commit as the line (the caller holds the store's lock)."""
        assert self.store is not None and self.key is not None
        table = self.store.database(self.store.db_dir / HEAD_FILE).table(HEAD_TABLE)
        table.truncate()
        table.insert({"count": count, "hash": last, "mac": head_mac(self.key, count, last)})

    def head(self) -> dict[str, Any] | None:
        """The head on record, or None (a log never written with a key)."""
        if self.store is None:
            return None
        with self.store.locked():
            docs = self.store.database(self.store.db_dir / HEAD_FILE).table(HEAD_TABLE).all()
            return dict(docs[0]) if docs else None

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


def read_entries(path: Path) -> list[dict[str, Any] | None]:
    """The log's lines parsed, in order; None for a line that is not a JSON object."""
    entries: list[dict[str, Any] | None] = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        entries.append(entry if isinstance(entry, dict) else None)
    return entries


def verify_chain(path: Path, key: bytes | None = None, head: dict[str, Any] | None = None,
                 entries: list[dict[str, Any] | None] | None = None) -> tuple[int, list[Problem]]:
    """Check every line parses, follows the one before (hash and number) and hashes to itself
    (with `key`: an unkeyed prefix only up to the marker, every entry after it keyed); and,
    with the `head` on record, that nothing was cut off the end. `entries`: the log already read."""
    problems: list[Problem] = []
    prev, seq, count, keyed_seen = GENESIS, 0, 0, False
    hashes: list[str] = []
    for number, entry in enumerate(read_entries(path) if entries is None else entries, 1):
        where = f"审计日志第 {number} 行"
        if entry is None:
            problems.append(Problem(where, "不是有效的 JSON（记录被改动或截断）"))
            prev, seq = "", seq + 1
            hashes.append("")
            continue
        count += 1
        if entry.get("prev") != prev:
            problems.append(Problem(where, "与上一条记录的哈希不衔接（记录被删除、插入或改动）"))
        if entry.get("seq") != seq + 1:
            problems.append(Problem(where, f"序号为 {entry.get('seq')}，应为 {seq + 1}（前面的记录被删除或插入）"))
        keyed = key is not None and entry.get("hash") == entry_hash(entry, key)
        plain = not keyed and entry.get("hash") == entry_hash(entry)
        if keyed:
            if not keyed_seen and count > 1 and not _seals(entry, count - 1, prev):
                problems.append(Problem(where, "此前的记录没有密钥签名，而本条不是启用密钥的标记（记录被改动）"))
            keyed_seen = True
        elif plain and key is not None and keyed_seen:
            problems.append(Problem(where, "记录没有数据目录密钥的签名（哈希链被人在没有密钥的情况下重算）"))
        elif not plain:
            problems.append(Problem(where, "记录内容与其哈希不符（记录被改动）"))
        prev = str(entry.get("hash"))
        seq = entry["seq"] if isinstance(entry.get("seq"), int) else seq + 1
        hashes.append(prev)
    if key is not None:
        problems.extend(_check_head(key, head, hashes, keyed_seen))
    return count, problems


def _seals(entry: dict[str, Any], unkeyed: int, last: str) -> bool:
    detail = entry.get("detail") or {}
    return entry.get("action") == MARKER and detail.get("unkeyed_entries") == unkeyed and detail.get("last_unkeyed") == last


def _check_head(key: bytes, head: dict[str, Any] | None, hashes: list[str], keyed_seen: bool) -> list[Problem]:
    where = "审计日志头记录"
    if head is None:
        if keyed_seen:
            return [Problem(where, f"缺失（数据库中的 {HEAD_FILE} 被删除或替换），无法确认日志末尾是否完整")]
        return []  # an unkeyed log from before keys: sealed at its next entry
    count, last = head.get("count"), head.get("hash")
    if not isinstance(count, int) or not isinstance(last, str) or head.get("mac") != head_mac(key, count, last):
        return [Problem(where, "签名不符（头记录被改动）")]
    if not keyed_seen:
        return [Problem(where, "表明日志已启用密钥，但日志中没有任何带密钥签名的记录（日志被整体重写）")]
    if count > len(hashes):
        return [Problem(where, f"记录为 {count} 条，日志只有 {len(hashes)} 条：末尾的 {count - len(hashes)} 条被截去")]
    if hashes[count - 1] != last:
        return [Problem(where, f"第 {count} 条记录的哈希与头记录不符（记录被替换）")]
    return []


def _ends_whole(path: Path) -> bool:
    """Whether the file is empty or ends with a newline (its last entry complete)."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return True
        handle.seek(size - 1)
        return handle.read(1) == b"\n"
