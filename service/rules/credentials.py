"""Credentials: password hashing (scrypt), API tokens, usernames and passwords as accepted,
and matching a form's CSRF token (pure helpers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")
TOKEN_PREFIX = "pt_"


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
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


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
