"""One TinyDB file kept in memory: read once, changes marked for the store's next commit."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinydb.storages import Storage

if TYPE_CHECKING:
    from service.storage.store import Store

_VERSIONS = itertools.count(1)


class StoreCorrupt(Exception):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


class DurableStorage(Storage):
    """JSON storage kept in memory; `write` marks the file for the store's next commit.

    A file changed by another process (its stat signature moved) is read again, checked
    once each time the store takes the advisory lock anew.
    """

    def __init__(self, path: str, store: Store) -> None:
        self.path = Path(path)
        self.store = store
        self._data: dict[str, Any] | None = None
        self._signature: tuple[int, int, int] | None = None
        self._epoch = -1
        self.version = next(_VERSIONS)  # new on every load and change: indexes built on the data check it

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def stale(self) -> bool:
        """Changed on disk by someone else since it was read (checked once per lock epoch)."""
        if self._data is None or self._epoch == self.store.epoch:
            return False
        self._epoch = self.store.epoch
        return self._stat() != self._signature

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self._signature = self._stat()
            self._epoch = self.store.epoch
            if self._signature is None:
                return None
            try:
                self._data = json.loads(self.path.read_bytes() or b"{}")
            except (ValueError, UnicodeDecodeError) as exc:
                raise StoreCorrupt(self.path, f"不是有效的 JSON：{exc}") from exc
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self.version = next(_VERSIONS)
        self.store.changed(self.path)

    def payload(self) -> bytes:
        return json.dumps(self._data or {}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def written(self) -> None:
        self._signature = self._stat()

    def close(self) -> None:
        pass
