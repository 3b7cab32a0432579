"""How failed sign-ins are slowed, as pure functions of the failures counted (web/throttle.py
keeps the counts).

A failure is counted under keys that depend on who tried:

- from a browser that signed in to this account before (its signed "known device" cookie): that
  browser alone (`device`), with the same back-off as a pair;
- otherwise, for a name that is an account or a roster member: the (account, address) pair, with
  a growing back-off (1 s, 2 s, 4 s … up to the cap), and the account from every address, which
  only slows: at most `account_wait` seconds after its last failure;
- for a name that is neither: the pair and the address, each with the growing back-off.

So failures from one address never hold up a correct sign-in of another account from it (a
campus NAT), an attacker anywhere slows an account by at most a couple of seconds and never
holds up the browsers it was signed in on, and names sprayed at random slow their address.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from service.config import LoginLimits

PAIR = "pair"
ACCOUNT = "account"
ADDRESS = "address"
DEVICE = "device"
Key = tuple[str, ...]


@dataclass(frozen=True)
class Failures:
    count: int
    last: float  # when the last one happened (the throttle's clock)


@dataclass(frozen=True)
class Attempt:
    """Who tries to sign in: the name typed, the client's address, whether the name is an
    account or a roster member, and the browser's known-device id for this name (or "")."""

    username: str
    address: str
    known: bool = False
    device: str = ""


def keys(attempt: Attempt) -> tuple[Key, ...]:
    """The counts an attempt is held by, and a failure of it adds to."""
    name = attempt.username.lower()
    if attempt.device:
        return ((DEVICE, name, attempt.device),)
    if attempt.known:
        return ((PAIR, name, attempt.address), (ACCOUNT, name))
    return ((PAIR, name, attempt.address), (ADDRESS, attempt.address))


def hold(limits: LoginLimits, kind: str, count: int) -> float:
    """Seconds after the last of `count` failures under a key of `kind` before the next try."""
    free = {PAIR: limits.pair_free, DEVICE: limits.pair_free, ADDRESS: limits.address_free,
            ACCOUNT: limits.account_free}[kind]
    if count < free:
        return 0.0
    wait = min(limits.cap, limits.base * 2 ** min(count - free, 30))
    return min(wait, limits.account_wait) if kind == ACCOUNT else wait


def wait(limits: LoginLimits, attempt: Attempt, counts: Mapping[Key, Failures], now: float) -> float:
    """Seconds before `attempt` may be tried (0: now); counts older than `forget_after` are ignored."""
    waits = [0.0]
    for key in keys(attempt):
        found = counts.get(key)
        if found is not None and now - found.last < limits.forget_after:
            waits.append(found.last + hold(limits, key[0], found.count) - now)
    return max(waits)


# -- the known-device cookie: "<issued>.<nonce>.<signature>.<username>" -------------------------

DEVICE_DOMAIN = b"portal known device/1\n"


def device_key(secret: bytes) -> bytes:
    """The cookie's signing key, derived from the data directory's secret (one secret, one use each)."""
    return hmac.new(secret, b"portal known devices", hashlib.sha256).digest()


def _signature(key: bytes, issued: int, nonce: str, username: str) -> str:
    text = f"{issued}\n{nonce}\n{username.lower()}".encode()
    return hmac.new(key, DEVICE_DOMAIN + text, hashlib.sha256).hexdigest()[:32]


def device_cookie(key: bytes, username: str, nonce: str, issued: int) -> str:
    """The cookie a browser gets when it signs in to `username` (`issued`: epoch seconds)."""
    return f"{issued}.{nonce}.{_signature(key, issued, nonce, username)}.{username}"


def known_device(key: bytes, cookie: str | None, username: str, now: float, days: int) -> str:
    """The browser's device id (its nonce) when `cookie` is a genuine, unexpired one for
    `username`; "" otherwise."""
    parts = (cookie or "").split(".", 3)
    if len(parts) != 4 or not parts[0].isdigit() or parts[3].lower() != username.lower() or not parts[1]:
        return ""
    issued, nonce, signature, _ = parts
    if not 0 <= now - int(issued) <= days * 86400:
        return ""
    return nonce if hmac.compare_digest(signature, _signature(key, int(issued), nonce, username)) else ""
