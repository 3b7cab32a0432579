"""Accounts in the store: users and API tokens of every year in db/accounts.json, staff
members' accounts in db/staff-accounts/<shard>.json, browser sessions in db/sessions.json.

Every request looks its caller up, so users by name, tokens by hash and sessions by the hash
of their id are kept in in-memory indexes, rebuilt when their file changed (here or, read
again, by another process). A request never scans a table. Staff accounts (thousands, one
per person of the roster) are spread over shards by a hash of their username, so a first
sign-in or a password change rewrites a file of a few dozen accounts, and the accounts file
HR's and the departments' accounts and every token live in stays small.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from tinydb import Query, TinyDB

from service.content.codes import ROLE_STAFF

if TYPE_CHECKING:
    from service.storage.store import Record, Store

FILE = "accounts.json"
SESSIONS_FILE = "sessions.json"
STAFF_DIR = "staff-accounts"
STAFF_SHARDS = 64


def staff_shard(username: str) -> str:
    """The shard a staff account lives in: fixed by its username."""
    return f"{int(hashlib.sha256(username.encode('utf-8')).hexdigest()[:8], 16) % STAFF_SHARDS:02d}"


class Index:
    """Records of one table by one key, rebuilt when the file's version moved."""

    def __init__(self, table: str, key: Callable[[Record], str], keep: Callable[[Record], bool] = lambda r: True) -> None:
        self.table = table
        self.key = key
        self.keep = keep
        self._by_key: dict[str, Record] = {}
        self._version: int | None = None

    def of(self, db: TinyDB) -> dict[str, Record]:
        version = db.storage.version  # type: ignore[attr-defined]
        if self._version != version:
            self._by_key = {self.key(r): r for r in db.table(self.table).all() if self.keep(r)}
            self._version = version
        return self._by_key


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._users = Index("users", lambda r: r["username"])
        self._tokens = Index("tokens", lambda r: r["token_hash"], lambda r: not r.get("revoked_at"))
        self._sessions = Index("sessions", lambda r: r["id_hash"])
        self._names: tuple[dict[str, Record] | None, dict[str, str]] = (None, {})
        self._staff: dict[str, Index] = {}

    def database(self) -> TinyDB:
        return self.store.database(self.store.db_dir / FILE)

    def staff_database(self, shard: str) -> TinyDB:
        return self.store.database(self.store.db_dir / STAFF_DIR / f"{shard}.json")

    def _staff_index(self, username: str) -> dict[str, Record]:
        shard = staff_shard(username)
        index = self._staff.get(shard)
        if index is None:
            index = self._staff[shard] = Index("users", lambda r: r["username"])
        return index.of(self.staff_database(shard))

    def sessions_database(self) -> TinyDB:
        return self.store.database(self.store.db_dir / SESSIONS_FILE)

    # -- users ------------------------------------------------------------------------

    def add_user(self, user: Record) -> None:
        """Add an account (a staff member's to its shard); KeyError when its username is taken."""
        username = user["username"]
        with self.store.locked():
            if username in self._users.of(self.database()) or username in self._staff_index(username):
                raise KeyError(username)
            db = self.staff_database(staff_shard(username)) if user["role"] == ROLE_STAFF else self.database()
            self.store.wrote(db, "users", [db.table("users").insert(user)])

    def update_user(self, username: str, changes: Record) -> bool:
        with self.store.locked():
            db = self.database()
            if username not in self._users.of(db):
                db = self.staff_database(staff_shard(username))
            ids = db.table("users").update(changes, Query().username == username)
            self.store.wrote(db, "users", ids)
            return bool(ids)

    def user(self, username: str) -> Record | None:
        with self.store.locked():
            found = self._users.of(self.database()).get(username)
            if found is None:
                found = self._staff_index(username).get(username)
            return dict(found) if found is not None else None

    def version(self) -> int:
        """A number that moves whenever the accounts file changes (here, or read again after another
        process wrote it): what is worked out from `users` is kept until it does."""
        with self.store.locked():
            return int(self.database().storage.version)  # type: ignore[attr-defined]

    def users(self) -> list[Record]:
        """The accounts HR made one by one (staff members' accounts: `staff_users`)."""
        with self.store.locked():
            return [dict(u) for u in self.database().table("users").all()]

    def staff_users(self) -> list[Record]:
        """Every staff member's account, shard by shard."""
        found: list[Record] = []
        for number in range(STAFF_SHARDS):
            with self.store.locked():
                found.extend(dict(u) for u in self.staff_database(f"{number:02d}").table("users").all())
        return found

    def display_names(self) -> dict[str, str]:
        """Login name → the name histories show, from the index (no table read per request)."""
        with self.store.locked():
            users = self._users.of(self.database())
            if self._names[0] is not users:
                self._names = (users, {name: u.get("display_name") or name for name, u in users.items()})
            return self._names[1]

    # -- API tokens -------------------------------------------------------------------

    def add_token(self, token: Record) -> None:
        with self.store.locked():
            db = self.database()
            self.store.wrote(db, "tokens", [db.table("tokens").insert(token)])

    def update_token(self, token_hash: str, changes: Record) -> bool:
        with self.store.locked():
            db = self.database()
            ids = db.table("tokens").update(changes, Query().token_hash == token_hash)
            self.store.wrote(db, "tokens", ids)
            return bool(ids)

    def token(self, token_hash: str) -> Record | None:
        """The token with this hash, unless revoked."""
        with self.store.locked():
            found = self._tokens.of(self.database()).get(token_hash)
            return dict(found) if found is not None else None

    def tokens(self, username: str | None = None) -> list[Record]:
        """Every token (revoked ones too) of `username`, or of everyone."""
        with self.store.locked():
            table = self.database().table("tokens")
            found = table.all() if username is None else table.search(Query().username == username)
            return [dict(t) for t in found]

    # -- browser sessions -------------------------------------------------------------

    def add_session(self, session: Record) -> None:
        with self.store.locked():
            self.sessions_database().table("sessions").insert(session)

    def session(self, id_hash: str) -> Record | None:
        with self.store.locked():
            found = self._sessions.of(self.sessions_database()).get(id_hash)
            return dict(found) if found is not None else None

    def update_session(self, id_hash: str, changes: Record) -> bool:
        with self.store.locked():
            return bool(self.sessions_database().table("sessions").update(changes, Query().id_hash == id_hash))

    def end_sessions(self, *, username: str | None = None, id_hashes: Collection[str] = ()) -> int:
        """Remove every session of `username`, or those with these id hashes; how many."""
        condition = Query().username == username if username is not None else Query().id_hash.one_of(list(id_hashes))
        with self.store.locked():
            table = self.sessions_database().table("sessions")
            if not table.contains(condition):
                return 0
            return len(table.remove(condition))

    def all_sessions(self) -> list[Record]:
        with self.store.locked():
            return [dict(s) for s in self._sessions.of(self.sessions_database()).values()]

    def sessions(self, username: str) -> list[Record]:
        with self.store.locked():
            return [dict(s) for s in self._sessions.of(self.sessions_database()).values() if s["username"] == username]
