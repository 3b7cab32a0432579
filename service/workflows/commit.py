"""The one write path: every change, with its audit entry, goes through `commit`.

The documents and the entry join one commit of the store, acknowledged only once durable:
`commit` returns (or the caller's outermost `store.locked()` block ends) when they are on
disk, and raises, with nothing kept, when they cannot be written. A use case that reads
before it writes holds `ctx.store.locked()` around both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.errors import ApiError
from service.rules import years
from service.storage.store import COLLEGE, Record, Store

logger = logging.getLogger("portal.commit")

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
class UserChange:
    """Change fields of the account `username`."""

    username: str
    changes: Record


@dataclass(frozen=True)
class NewToken:
    record: Record


@dataclass(frozen=True)
class TokenChange:
    token_hash: str
    changes: Record


@dataclass(frozen=True)
class NewSession:
    record: Record


@dataclass(frozen=True)
class SessionChange:
    id_hash: str
    changes: Record


@dataclass(frozen=True)
class EndSessions:
    """End every session of `username`, or those with these id hashes."""

    username: str | None = None
    id_hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkedFile:
    """An upload linked into `directory`: its entry is made durable with the commit."""

    directory: Path


Write = (Put | Add | Drop | NewUser | UserChange | NewToken | TokenChange | NewSession | SessionChange | EndSessions
         | LinkedFile)


YEAR_TABLE = "year"  # the college's record of the year: {key: "closed", at, by} once archived
YEAR_BOUND = (Put, Add, Drop, LinkedFile)  # writes into the context's year (accounts are of every year)


def year_state(ctx: Context) -> str:
    """The context's year: current, past or closed (rules/years.py)."""
    closed = ctx.past and ctx.store.get(COLLEGE, YEAR_TABLE, key="closed") is not None
    return years.state(ctx.year, ctx.current_year, closed)


def ensure_writable(ctx: Context, action: str, step: str | None = None) -> None:
    """409 `year_closed` unless a write audited as `action` may change the context's year."""
    if not ctx.past and action != years.CLOSE:
        return
    state = year_state(ctx)
    if not years.may_write(state, action, step):
        raise ApiError(409, "year_closed", years.refusal(ctx.year, state))


def commit(ctx: Context, writes: Iterable[Write], actor: str, action: str, **detail: Any) -> None:
    """Apply `writes`, then append one audit entry (`actor` did `action`), in one commit; a
    write into a year that no longer takes it is refused first (409 `year_closed`)."""
    writes = list(writes)
    with ctx.store.locked():
        if any(isinstance(write, YEAR_BOUND) for write in writes):
            ensure_writable(ctx, action, detail.get("step"))
        for write in writes:
            _apply(ctx.store, write)
        ctx.audit.append(actor, action, **detail)


def log(ctx: Context, actor: str, action: str, **detail: Any) -> None:
    """An audit entry alone (a login, a download, an export)."""
    commit(ctx, (), actor, action, **detail)


def bookkeeping(ctx: Context, writes: Iterable[Write]) -> None:
    """Writes that record no one's action, so no audit entry: when a token or a session was
    last used (at most once a minute each), sessions that ran out. Best effort: when the disk
    refuses them they are logged and dropped, and the request that noted them goes on."""
    try:
        with ctx.store.locked():
            for write in writes:
                _apply(ctx.store, write)
    except OSError:
        logger.warning("记录令牌或会话的最近使用时间失败（已忽略）", exc_info=True)


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
        case UserChange(username, changes):
            store.accounts.update_user(username, changes)
        case NewToken(record):
            store.accounts.add_token(record)
        case TokenChange(token_hash, changes):
            store.accounts.update_token(token_hash, changes)
        case NewSession(record):
            store.accounts.add_session(record)
        case SessionChange(id_hash, changes):
            store.accounts.update_session(id_hash, changes)
        case EndSessions(username, id_hashes):
            store.accounts.end_sessions(username=username, id_hashes=id_hashes)
        case LinkedFile(directory):
            store.sync_dir(directory)
