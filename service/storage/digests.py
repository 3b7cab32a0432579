"""Digests of stored documents, carried by the audit log so that it vouches for the records.

Each commit's audit entry names every document the commit wrote or removed, under `docs`:
``{file: {table: {document id: digest}}}``, the file relative to `db/`, the digest None for a
removal. A digest is the first 128 bits (hex) of the SHA-256 of the document's canonical JSON
(sorted keys, compact separators, UTF-8), followed by a 16-bit tag per field (CRC-32 of the
field's name and canonical value, in key order), so that verification can name the fields
that differ; the tags only name fields, the SHA-256 decides whether a record was changed.

Notes the service keeps without anyone's action, and so without an audit entry (when a token
was last used, who opened a notification, a refused workbook resolved by a later upload),
are left out of the digest; so are the sessions file (nothing but such notes) and the audit
log's own head.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

UNAUDITED = frozenset({"audit_head.json", "sessions.json"})  # files of db/ that no entry vouches for
NOTES = {"tokens": ("last_used_at",), "notifications": ("read_by",),
         "workbook_errors": ("resolved_at", "resolved_by")}
# Fields no digest covers because the log must not let anyone recover them: a 民主测评 round's
# counts change with each ballot, and a digest per ballot, beside the voter's own entry, would
# let whoever reads the log try each possible ballot until the digest matches.
SECRET = {"ballot_counts": ("counts",)}
MAIN = 32  # hex digits of the SHA-256 kept
TAG = 4  # hex digits per field

Docs = dict[str, dict[str, dict[str, str | None]]]  # file -> table -> document id -> digest


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # made once, not per call


def _canonical(value: Any) -> str:
    return _ENCODER.encode(value)


def _vouched(table: str, doc: Mapping[str, Any]) -> Mapping[str, Any]:
    noted = NOTES.get(table) or SECRET.get(table)
    return {k: v for k, v in doc.items() if k not in noted} if noted else doc


def _main(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()[:MAIN]


def _fields(body: Mapping[str, Any]) -> list[str]:
    """Each field's `"key":value` in canonical JSON, in key order: joined, the canonical document."""
    return [f"{_canonical(key)}:{_canonical(body[key])}" for key in sorted(body)]


def _tag(field: str) -> str:
    return f"{zlib.crc32(field.encode('utf-8')) & 0xFFFF:04x}"


def digest(table: str, doc: Mapping[str, Any]) -> str:
    """The digest an audit entry records for `doc` of `table` (each field serialised once)."""
    fields = _fields(_vouched(table, doc))
    canonical = "{" + ",".join(fields) + "}"
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:MAIN] + "".join(_tag(f) for f in fields)


def matches(table: str, doc: Mapping[str, Any], logged: str) -> bool:
    """`doc` is what the recorded digest `logged` was made of (one SHA-256, no tags)."""
    return _main(_vouched(table, doc)) == logged[:MAIN]


def changed_fields(table: str, doc: Mapping[str, Any], logged: str) -> tuple[list[str], int]:
    """The fields of `doc` whose tag is not among the recorded ones (changed or added), and how
    many more fields the recorded document had (removed ones)."""
    recorded = [logged[i:i + TAG] for i in range(MAIN, len(logged), TAG)]
    tags = Counter(recorded)
    body = _vouched(table, doc)
    changed = []
    for key, field in zip(sorted(body), _fields(body), strict=True):
        tag = _tag(field)
        if tags[tag] > 0:
            tags[tag] -= 1
        else:
            changed.append(key)
    return changed, max(0, len(recorded) - len(body))


def of_documents(tables: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """The digests of every document of one TinyDB file's `tables`."""
    return {table: {str(doc_id): digest(table, doc) for doc_id, doc in docs.items()}
            for table, docs in tables.items() if isinstance(docs, dict)}


def audited_files(db_dir: Path) -> Iterator[Path]:
    """The TinyDB files under `db_dir` the audit log vouches for (temp files left out)."""
    for path in sorted(db_dir.rglob("*.json")):
        relative = path.relative_to(db_dir).as_posix()
        if not path.name.startswith(".") and relative not in UNAUDITED:
            yield path


def snapshot(db_dir: Path, tables_of: Callable[[Path], Mapping[str, Any]]) -> Docs:
    """The digests of every audited document under `db_dir`, each file's tables read by `tables_of`."""
    return {path.relative_to(db_dir).as_posix(): of_documents(tables_of(path)) for path in audited_files(db_dir)}


def of_written(written: Mapping[Path, Mapping[str, Collection[int | str]]], db_dir: Path,
               tables_of: Callable[[Path], Mapping[str, Any]]) -> Docs:
    """The digests of the documents `written` (file -> table -> ids), None for those now gone."""
    docs: Docs = {}
    for path, tables in written.items():
        data = tables_of(path)
        found = docs[path.relative_to(db_dir).as_posix()] = {}
        for table, ids in tables.items():
            stored = data.get(table) or {}
            found[table] = {str(i): digest(table, stored[str(i)]) if str(i) in stored else None for i in sorted(ids, key=str)}
    return docs
