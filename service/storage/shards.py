"""Where the store's tables live on disk: a table's file, its shards, and reading one of them.

A table of a partition is the file `<partition>/<table>.json`; a table kept in shards also has
the directory `<partition>/<table>/`, one file per shard (`<shard>.json`), each holding the
same table. Its records are those of the file and of every shard.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import OrderedDict
from collections.abc import Container, Iterable, Mapping
from pathlib import Path
from typing import Any

from service.storage.durable import StoreCorrupt

Record = dict[str, Any]
_PLAIN = re.compile(r"[0-9A-Za-z_-]{1,64}")


def file_name(shard: str) -> str:
    """A shard's file name: its key when that is a plain name, otherwise a digest of the key."""
    if _PLAIN.fullmatch(shard):
        return f"{shard}.json"
    return f"~{hashlib.sha256(shard.encode('utf-8')).hexdigest()[:32]}.json"


def table_of(path: Path, year_dir: Path) -> tuple[str, str] | None:
    """(partition, table) of a file of the year's store: a table's file or one of its shards."""
    if path.parent.parent == year_dir:
        return path.parent.name, path.stem
    if path.parent.parent.parent == year_dir:
        return path.parent.parent.name, path.parent.name
    return None


def is_shard(path: Path, year_dir: Path) -> bool:
    return path.parent.parent.parent == year_dir


def place(path: Path, db_dir: Path) -> tuple[str, str] | None:
    """(year, partition) of any year's table file or shard under `db_dir`; None for another file."""
    parts = path.relative_to(db_dir).parts
    if len(parts) in (3, 4) and parts[0].isdigit() and not parts[-1].startswith("."):
        return parts[0], parts[1]
    return None


def shard_files(directory: Path) -> list[Path]:
    """The shards on disk of a table's shard directory, in name order (temp files left out)."""
    try:
        entries = os.scandir(directory)
    except FileNotFoundError:
        return []
    with entries:
        return sorted(Path(e.path) for e in entries if e.name.endswith(".json") and not e.name.startswith("."))


def read_tables(path: Path) -> dict[str, Any]:
    """The tables of the file at `path`, read from disk (none when there is no file)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        tables = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise StoreCorrupt(path, f"不是有效的 JSON：{exc}") from exc
    if not isinstance(tables, dict):
        raise StoreCorrupt(path, "不是有效的 JSON：应为对象")
    return tables


def read_table(path: Path, table: str) -> list[Record]:
    """The records of `table` in the file at `path`, read from disk (none when there is no file)."""
    try:
        return list((read_tables(path).get(table) or {}).values())
    except AttributeError as exc:
        raise StoreCorrupt(path, f"不是有效的 JSON：{exc}") from exc


def matches(doc: Mapping[str, Any], fields: Mapping[str, Any]) -> bool:
    """The document holds every one of `fields` with that value (TinyDB's `Query().fragment`)."""
    return all(key in doc and doc[key] == value for key, value in fields.items())


class Resident:
    """Which shards a store holds in memory, per shard directory, and which to let go: at most
    `keep` written shards stay, the least recently written leave first (never one that waits
    for a commit)."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._by_directory: dict[Path, set[Path]] = {}
        self._written: OrderedDict[Path, None] = OrderedDict()

    def loaded(self, path: Path) -> None:
        self._by_directory.setdefault(path.parent, set()).add(path)

    def dropped(self, path: Path) -> None:
        self._by_directory.get(path.parent, set()).discard(path)
        self._written.pop(path, None)

    def under(self, directory: Path) -> set[Path]:
        return self._by_directory.get(directory, set())

    def written(self, paths: Iterable[Path], pending: Container[Path]) -> list[Path]:
        """Shards just written; returns those to drop from memory now."""
        for path in paths:
            self._written[path] = None
            self._written.move_to_end(path)
        leaving = []
        while len(self._written) > self.keep:
            path, _ = self._written.popitem(last=False)
            if path not in pending:
                leaving.append(path)
        return leaving
