"""Whether the store can be read from disk as it is now: every file of the accounts and of the
current year parses. A file that parsed is not read again until its stat signature moves, so a
frequent check costs a stat per file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from service.storage.accounts import STAFF_DIR
from service.storage.files import TMP_PREFIX
from service.storage.store import Store

Signature = tuple[int, int, int]


class StoreCheck:
    def __init__(self) -> None:
        self._good: dict[Path, Signature] = {}

    def unreadable(self, store: Store) -> list[Path]:
        """The files of the accounts and of the store's year that are not valid JSON (or cannot be read)."""
        paths = [*store.db_dir.glob("*.json"), *(store.db_dir / STAFF_DIR).glob("*.json"),
                 *(store.db_dir / str(store.year)).rglob("*.json")]
        bad: list[Path] = []
        good: dict[Path, Signature] = {}
        for path in sorted(p for p in paths if not p.name.startswith(TMP_PREFIX)):
            try:
                st = os.stat(path)
                signature = (st.st_ino, st.st_mtime_ns, st.st_size)
                if self._good.get(path) != signature:
                    json.loads(path.read_bytes() or b"{}")
            except FileNotFoundError:
                continue  # replaced or removed meanwhile: the next check sees what is there
            except (OSError, ValueError, UnicodeDecodeError):
                bad.append(path)
                continue
            good[path] = signature
        self._good = good
        return bad
