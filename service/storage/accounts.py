"""Accounts in the store: users and API tokens of every year, in db/accounts.json.

Every request looks its caller up, so users by name and usernames by token hash are kept
in an in-memory index, rebuilt when the file changed (here or, read again, by another process).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tinydb import Query, TinyDB

if TYPE_CHECKING:
    from service.storage.store import Record, Store

FILE = "accounts.json"


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._index: tuple[dict[str, Record], dict[str, str]] = ({}, {})
        self._index_key: int | None = None

    def database(self) -> TinyDB:
        return self.store.database(self.store.db_dir / FILE)

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
            found = self._users_and_tokens()[0].get(username)
            return dict(found) if found is not None else None

    def users(self) -> list[Record]:
        with self.store.locked():
            return [dict(u) for u in self.database().table("users").all()]

    def add_token(self, token_hash: str, username: str) -> None:
        with self.store.locked():
            self.database().table("tokens").insert(
                {"token_hash": token_hash, "username": username, "created_at": time.time()})

    def token_user(self, token_hash: str) -> str | None:
        with self.store.locked():
            return self._users_and_tokens()[1].get(token_hash)

    def _users_and_tokens(self) -> tuple[dict[str, Record], dict[str, str]]:
        db = self.database()
        key = db.storage.version  # type: ignore[attr-defined]
        if self._index_key != key:
            users = {u["username"]: u for u in db.table("users").all()}
            tokens = {t["token_hash"]: t["username"] for t in db.table("tokens").all()}
            self._index = (users, tokens)
            self._index_key = key
        return self._index
