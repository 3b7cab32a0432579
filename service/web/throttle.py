"""The login throttle: in memory, per running service.

Failures are counted per (account, address) pair and per address. After a few free failures
each further one makes the next attempt wait longer (1 s, 2 s, 4 s … up to 15 minutes); a
success clears its pair. Nothing counts per account alone, so failures from one address never
lock an account out of every other address, and people behind one address (a proxy that is
not trusted, a NAT) are slowed together only after many failures. Counts are forgotten an
hour after their last failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Failures:
    count: int
    last: float


class LoginThrottle:
    def __init__(self, pair_free: int = 5, address_free: int = 20, base: float = 1.0, cap: float = 900.0,
                 forget_after: float = 3600.0, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.pair_free = pair_free
        self.address_free = address_free
        self.base = base
        self.cap = cap
        self.forget_after = forget_after
        self.max_keys = max_keys
        self.clock = clock
        self._failures: dict[tuple[str, ...], Failures] = {}

    def _keys(self, username: str, address: str) -> tuple[tuple[tuple[str, ...], int], ...]:
        return ((("pair", username.lower(), address), self.pair_free), (("address", address), self.address_free))

    def _delay(self, failures: Failures, free: int) -> float:
        if failures.count < free:
            return 0.0
        return min(self.cap, self.base * 2 ** min(failures.count - free, 30))

    def _current(self, key: tuple[str, ...], now: float) -> Failures | None:
        found = self._failures.get(key)
        if found is not None and now - found.last >= self.forget_after:
            del self._failures[key]
            return None
        return found

    def wait(self, username: str, address: str) -> float:
        """Seconds before this account may try again from this address (0: now)."""
        now = self.clock()
        waits = [0.0]
        for key, free in self._keys(username, address):
            found = self._current(key, now)
            if found is not None:
                waits.append(found.last + self._delay(found, free) - now)
        return max(waits)

    def fail(self, username: str, address: str) -> None:
        now = self.clock()
        if len(self._failures) >= self.max_keys:
            self._forget_oldest(now)
        for key, _ in self._keys(username, address):
            found = self._current(key, now)
            self._failures[key] = Failures(found.count + 1 if found else 1, now)

    def succeed(self, username: str, address: str) -> None:
        self._failures.pop(("pair", username.lower(), address), None)

    def _forget_oldest(self, now: float) -> None:
        """Too many keys (names sprayed at random): drop the stale ones, then the oldest half."""
        for key in [k for k, f in self._failures.items() if now - f.last >= self.forget_after]:
            del self._failures[key]
        if len(self._failures) >= self.max_keys:
            for key in sorted(self._failures, key=lambda k: self._failures[k].last)[: self.max_keys // 2]:
                del self._failures[key]
