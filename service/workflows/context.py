"""What every use case works with: the settings, the content, the store, its audit log, the
clock, the cached state of the completion board, and the other figures kept from the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from service.config import Settings
from service.content.models import Content
from service.storage.audit import AuditLog, audit_key, data_secret
from service.storage.store import Store
from service.workflows.board import BoardCache
from service.workflows.kept import Kept


@dataclass(frozen=True)
class Context:
    settings: Settings
    content: Content
    store: Store
    audit: AuditLog
    now: Callable[[], dt.datetime]
    cache: BoardCache
    kept: Kept
    present: int | None = None  # the year the service runs, when this context is of an earlier one

    @classmethod
    def open(cls, settings: Settings, content: Content, now: Callable[[], dt.datetime],
             present: int | None = None) -> Context:
        """The store of the content's year over the settings' data directory; `present` is the
        service's current year when the content is an earlier year's."""
        store = Store(settings.data_dir, content.settings.year)
        secret = data_secret(store)  # read once: it never changes under a running context
        audit = AuditLog(settings.data_dir / "audit.log", store, audit_key(secret))
        return cls(settings, content, store, audit, now, BoardCache(content, store, lambda: secret), Kept(store),
                   present)

    @property
    def year(self) -> int:
        return self.content.settings.year

    @property
    def current_year(self) -> int:
        """The year the service runs (this context's own unless it is of an earlier year)."""
        return self.present if self.present is not None else self.year

    @property
    def past(self) -> bool:
        return self.year < self.current_year

    def release(self) -> None:
        """Let go of what is kept in memory from the store (the figures, the board's states, the
        files read): the context stays usable, and works them out again when next asked."""
        self.kept.clear()
        self.cache.release()
        self.store.release()

    def mark_key(self) -> bytes:
        """The key of the contract marks' tags: the data directory's secret."""
        return self.cache.key()

    def stamp(self) -> str:
        """Now, as stored on every record: ISO 8601 to the second, in the clock's zone."""
        return self.now().isoformat(timespec="seconds")

