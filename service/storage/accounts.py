"""Accounts in the store: users and API tokens of every year in db/accounts.json, browser
sessions in db/sessions.json.

Every request looks its caller up, so users by name, tokens by hash and sessions by the hash
of their id are kept in in-memory indexes, rebuilt when their file changed (here or, read
again, by another process). A request never scans a table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from tinydb import Query, TinyDB

if TYPE_CHECKING:
    from service.storage.store import Record, Store

FILE = "accounts.json"
SESSIONS_FILE = "sessions.json"


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

    def database(self) -> TinyDB:
        return self.store.database(self.store.db_dir / FILE)

    def sessions_database(self) -> TinyDB:
        return self.store.database(self.store.db_dir / SESSIONS_FILE)

    # -- users ------------------------------------------------------------------------

    def add_user(self, user: Record) -> None:
        """Add an account; KeyError when its username is taken."""
        with self.store.locked():
            users = self.database().table("users")
            if users.contains(Query().username == user["username"]):
                raise KeyError(user["username"])
            users.insert(user)

    def update_user(self, username: str, changes: Record) -> bool:
        with self.store.locked():
            return bool(self.database().table("users").update(changes, Query().username == username))

    def user(self, username: str) -> Record | None:
        with self.store.locked():
            found = self._users.of(self.database()).get(username)
            return dict(found) if found is not None else None

    def users(self) -> list[Record]:
        with self.store.locked():
            return [dict(u) for u in self.database().table("users").all()]

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
            self.database().table("tokens").insert(token)

    def update_token(self, token_hash: str, changes: Record) -> bool:
        with self.store.locked():
            return bool(self.database().table("tokens").update(changes, Query().token_hash == token_hash))

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
