"""Accounts: password hashing, API tokens, CSRF tokens and the login throttle (pure helpers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

ROLES = ("hr", "department", "leader")
ROLE_NAMES = {"hr": "人事处", "department": "部门/系", "leader": "院领导"}
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")


@dataclass(frozen=True)
class User:
    username: str
    role: str
    department: str | None = None

    @property
    def is_hr(self) -> bool:
        return self.role == "hr"

    def may_see(self, department_id: str) -> bool:
        """A department's people and their leave statuses: HR and that department only."""
        return self.role == "hr" or self.department == department_id

    def may_write(self, department_id: str) -> bool:
        return self.role == "hr" or (self.role == "department" and self.department == department_id)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt_b64)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def new_token() -> str:
    return "pt_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(12)


def username_problem(username: str) -> str | None:
    if not 2 <= len(username) <= 32 or not set(username) <= USERNAME_CHARS:
        return "用户名应为 2–32 个小写英文字母、数字、点、下划线或连字符"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < 8:
        return "密码至少 8 个字符"
    return None


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


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
