"""The one write path: every change, with its audit entry, goes through `commit`.

The documents and the entry join one commit of the store, acknowledged only once durable:
`commit` returns (or the caller's outermost `store.locked()` block ends) when they are on
disk, and raises, with nothing kept, when they cannot be written. A use case that reads
before it writes holds `ctx.store.locked()` around both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.storage.store import Record, Store

if TYPE_CHECKING:
    from service.workflows.context import Context


@dataclass(frozen=True)
class Put:
    """Replace the document of `table` matching `key` (or add it, into `shard` when given)."""

    partition: str
    table: str
    doc: Record
    key: Mapping[str, Any]
    shard: str | None = None


@dataclass(frozen=True)
class Add:
    """Add a record (made with `storage.store.new_record`, so its id is known before); a table
    kept in shards takes it into `shard` (a commit then writes that shard alone)."""

    partition: str
    table: str
    record: Record
    shard: str | None = None


@dataclass(frozen=True)
class Drop:
    """Remove the records of `table` matching `key`."""

    partition: str
    table: str
    key: Mapping[str, Any]


@dataclass(frozen=True)
class NewUser:
    """Add an account (KeyError when its username is taken)."""

    record: Record


@dataclass(frozen=True)
class NewToken:
    token_hash: str
    username: str


@dataclass(frozen=True)
class LinkedFile:
    """An upload linked into `directory`: its entry is made durable with the commit."""

    directory: Path


Write = Put | Add | Drop | NewUser | NewToken | LinkedFile


def commit(ctx: Context, writes: Iterable[Write], actor: str, action: str, **detail: Any) -> None:
    """Apply `writes`, then append one audit entry (`actor` did `action`), in one commit."""
    with ctx.store.locked():
        for write in writes:
            _apply(ctx.store, write)
        ctx.audit.append(actor, action, **detail)


def log(ctx: Context, actor: str, action: str, **detail: Any) -> None:
    """An audit entry alone (a login, a download, an export)."""
    commit(ctx, (), actor, action, **detail)


def _apply(store: Store, write: Write) -> None:
    match write:
        case Put(partition, table, doc, key, shard):
            store.upsert(partition, table, doc, shard=shard, **key)
        case Add(partition, table, record, shard):
            store.insert(partition, table, record, shard=shard)
        case Drop(partition, table, key):
            store.remove(partition, table, **key)
        case NewUser(record):
            store.accounts.add_user(record)
        case NewToken(token_hash, username):
            store.accounts.add_token(token_hash, username)
        case LinkedFile(directory):
            store.sync_dir(directory)
