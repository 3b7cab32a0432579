"""The login throttle: failure counts in memory, per running service; what they hold up is
decided by rules/login_limits.py (per account and address, per account only slowing, per
address only for names that are no account, per known browser).

A success clears its pair (or its browser's count); the account's count is left, so an attacker
cannot reset it by signing in elsewhere. Counts are forgotten `forget_after` seconds after
their last failure; when too many keys pile up (names sprayed at random) the oldest go.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from service.config import LoginLimits
from service.rules.login_limits import DEVICE, PAIR, Attempt, Failures, Key, keys, wait


class LoginThrottle:
    def __init__(self, limits: LoginLimits | None = None, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or LoginLimits()
        self.max_keys = max_keys
        self.clock = clock
        self._failures: dict[Key, Failures] = {}

    def wait(self, username: str, address: str, *, known: bool = False, device: str = "") -> float:
        """Seconds before `username` may be tried from `address` (0: now): see `Attempt`."""
        return wait(self.limits, Attempt(username, address, known, device), self._failures, self.clock())

    def fail(self, username: str, address: str, *, known: bool = False, device: str = "") -> None:
        attempt = Attempt(username, address, known, device)
        now = self.clock()
        if len(self._failures) >= self.max_keys:
            self._forget_oldest(now)
        for key in keys(attempt):
            found = self._failures.get(key)
            fresh = found is not None and now - found.last < self.limits.forget_after
            self._failures[key] = Failures(found.count + 1 if found and fresh else 1, now)

    def succeed(self, username: str, address: str, *, known: bool = True, device: str = "") -> None:
        for key in keys(Attempt(username, address, known, device)):
            if key[0] in (PAIR, DEVICE):
                self._failures.pop(key, None)

    def _forget_oldest(self, now: float) -> None:
        """Too many keys: drop the stale ones, then the oldest half."""
        for key in [k for k, f in self._failures.items() if now - f.last >= self.limits.forget_after]:
            del self._failures[key]
        if len(self._failures) >= self.max_keys:
            for key in sorted(self._failures, key=lambda k: self._failures[k].last)[: self.max_keys // 2]:
                del self._failures[key]
