"""The login throttle: in-memory, per running service."""

from __future__ import annotations

import time


class LoginThrottle:
    """Refuse logins for a name or address after too many recent failures."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window]
        self._failures[key] = kept
        return kept

    def blocked(self, *keys: str, now: float | None = None) -> bool:
        moment = time.monotonic() if now is None else now
        return any(len(self._recent(k, moment)) >= self.limit for k in keys)

    def fail(self, *keys: str, now: float | None = None) -> None:
        moment = time.monotonic() if now is None else now
        for key in keys:
            self._recent(key, moment).append(moment)

    def succeed(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
