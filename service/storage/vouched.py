"""The stored records against the digests the audit log carries (see storage/digests.py).

The log's `docs` are replayed in order, from the seal taken when digests began (or from the
first entry of a log that had them from the start); the last digest of each document is what
its file must hold. Every document that differs is named with its file, table, id and person,
and the fields whose tags differ; so is every document the log never wrote (added by hand),
one it recorded as removed, and one it last wrote that is gone. A log that never had digests
(written by an older version, not yet appended to since) is not checked here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from service.storage import digests, shards
from service.storage.audit import SEAL_FILE, SEAL_MARKER
from service.storage.durable import StoreCorrupt

Key = tuple[str, str, str]  # file, table, document id
ABSENT = object()


def check(entries: list[dict[str, Any] | None], data_dir: Path, db_dir: Path,
          head: int | None = None) -> tuple[int, list[str]]:
    """(documents checked, problems in Chinese), the log's `entries` read (None: a line that does not parse).
    The entries past the `head` (how many the head names) were written ahead of a commit a crash may
    have cut short (the service records what it finds when it starts again): each document they
    name may hold what they recorded or what it held before."""
    recorded, problems = _recorded(entries[:head] if head is not None else entries, data_dir / SEAL_FILE)
    if recorded is None:
        return 0, problems
    unfinished: dict[Key, list[Any]] = {}
    for entry in entries[head:] if head is not None else ():
        for key, digest in _named(entry.get("docs") if entry is not None else None):
            unfinished.setdefault(key, [recorded.get(key, ABSENT)]).append(digest)
            recorded[key] = digest
    seen: set[Key] = set()
    unreadable: set[str] = set()
    for path in digests.audited_files(db_dir):
        file = path.relative_to(db_dir).as_posix()
        try:
            tables = shards.read_tables(path)
        except StoreCorrupt as exc:
            problems.append(f"数据文件损坏：{exc}")
            unreadable.add(file)
            continue
        for table, docs in tables.items():
            for doc_id, doc in (docs.items() if isinstance(docs, dict) else ()):
                key = (file, table, str(doc_id))
                seen.add(key)
                problem = _compare(table, doc, recorded.get(key, ABSENT))
                if problem and not any(isinstance(d, str) and isinstance(doc, dict) and digests.matches(table, doc, d)
                                       for d in unfinished.get(key, ())):
                    problems.append(f"{_where(key, doc)}: {problem}")
    for key in sorted(recorded):
        gone = recorded[key] is None or any(d is None or d is ABSENT for d in unfinished.get(key, ()))
        if not gone and key not in seen and key[0] not in unreadable:
            problems.append(f"{_where(key, None)}: 审计日志最后一次写入的这条记录在文件中已没有（记录被手工删除）")
    return len(seen), problems


def _compare(table: str, doc: Any, logged: Any) -> str | None:
    if logged is ABSENT:
        return "审计日志从未写入这条记录（记录是手工加入的）"
    if logged is None:
        return "审计日志记下这条记录已删除，文件中却仍有（记录是手工加回的）"
    if not isinstance(doc, dict):
        return "不是有效的记录（应为 JSON 对象，记录被改动）"
    if isinstance(logged, str) and digests.matches(table, doc, logged):
        return None
    message = "与审计日志最后一次写入的内容不符（记录被改动）"
    if isinstance(logged, str):
        changed, removed = digests.changed_fields(table, doc, logged)
        if changed:
            message += "，改动的字段：" + "、".join(changed)
        if removed:
            message += f"，另有 {removed} 个字段被删去"
    return message


NAMED_BY = (("staff_id", "工号"), ("username", "用户名"), ("month", "月份"))  # what says whose a record is


def _where(key: Key, doc: Any) -> str:
    file, table, doc_id = key
    where = f"db/{file} 表 {table} 第 {doc_id} 条记录"
    named = [f"{label} {doc[field]}" for field, label in NAMED_BY if isinstance(doc, dict) and doc.get(field)]
    return f"{where}（{'，'.join(named)}）" if named else where


def _recorded(lines: list[dict[str, Any] | None], seal: Path) -> tuple[dict[Key, Any] | None, list[str]]:
    """Each document's last digest by the log (None: removed), or None for a log without digests;
    with the problems of the seal (lines that do not parse are the chain check's to report)."""
    entries = [(number, entry) for number, entry in enumerate(lines, 1)
               if entry is not None and isinstance(entry.get("docs"), dict)]
    if not entries:
        return None, []
    problems: list[str] = []
    recorded: dict[Key, Any] = {}
    sealed = [i for i, (_, entry) in enumerate(entries) if entry.get("action") == SEAL_MARKER]
    if sealed:
        entries = entries[sealed[-1]:]  # a seal holds every document: what came before it is in it
        _replay(recorded, _seal(seal, *entries[0], problems))
    elif entries[0][0] != 1:
        problems.append(f"审计日志第 {entries[0][0]} 行: 文档摘要从这里开始，但没有封存此前记录的标记（记录被改动）")
    for _, entry in entries:
        _replay(recorded, entry["docs"])
    return recorded, problems


def _seal(path: Path, number: int, marker: dict[str, Any], problems: list[str]) -> Any:
    where = f"封存快照 {SEAL_FILE}"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.append(f"{where}: 缺失（审计日志第 {number} 行记下了它），启用摘要之前写入的记录无法核对")
        return {}
    if hashlib.sha256(data).hexdigest() != (marker.get("detail") or {}).get("seal_sha256"):
        problems.append(f"{where}: 与审计日志第 {number} 行记下的 SHA-256 不符（快照被改动）")
    try:
        return json.loads(data)
    except ValueError:
        problems.append(f"{where}: 不是有效的 JSON（快照被改动）")
        return {}


def _named(docs: Any) -> Iterator[tuple[Key, Any]]:
    """(file, table, id) and digest of each document an entry's `docs` names."""
    for file, tables in (docs.items() if isinstance(docs, dict) else ()):
        for table, written in (tables.items() if isinstance(tables, dict) else ()):
            for doc_id, digest in (written.items() if isinstance(written, dict) else ()):
                yield (file, table, doc_id), digest


def _replay(recorded: dict[Key, Any], docs: Any) -> None:
    recorded.update(_named(docs))
