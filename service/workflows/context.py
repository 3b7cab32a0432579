"""What every use case works with: the settings, the content, the store, its audit log, the
clock, and the cached state of the completion board."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.config import Settings
from service.content.models import Content
from service.storage import files
from service.storage.audit import AuditLog
from service.storage.store import Store
from service.workflows.board import BoardCache


@dataclass(frozen=True)
class Context:
    settings: Settings
    content: Content
    store: Store
    audit: AuditLog
    now: Callable[[], dt.datetime]
    cache: BoardCache

    @classmethod
    def open(cls, settings: Settings, content: Content, now: Callable[[], dt.datetime]) -> Context:
        """The store of the content's year over the settings' data directory."""
        store = Store(settings.data_dir, content.settings.year)
        return cls(settings, content, store, AuditLog(settings.data_dir / "audit.log", store), now,
                   BoardCache(content, store, lambda: data_secret(settings.data_dir, store).encode()))

    @property
    def year(self) -> int:
        return self.content.settings.year

    def mark_key(self) -> bytes:
        """The key of the contract marks' tags: the data directory's secret."""
        return self.cache.key()

    def stamp(self) -> str:
        """Now, as stored on every record: ISO 8601 to the second, in the clock's zone."""
        return self.now().isoformat(timespec="seconds")


def data_secret(data_dir: Path, store: Store) -> str:
    """The data directory's secret (file `secret`, mode 0600), made on first use: it signs the
    session cookies and keys the contract marks' tags."""
    path = data_dir / "secret"
    with store.locked():
        if not path.exists():
            files.atomic_write(path, secrets.token_urlsafe(48).encode())
            path.chmod(0o600)
        return path.read_text().strip()
