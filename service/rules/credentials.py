"""Credentials: password hashing (scrypt, of the NFKC-normalised password), API tokens and
session ids (random, stored as hashes), usernames and contact details as accepted, and matching
a form's CSRF token (pure helpers). Which passwords are accepted: rules/passwords.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from service.rules.passwords import is_common, normalized

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-.")
TOKEN_PREFIX = "pt_"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(normalized(password).encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


ONE_TIME_SCHEME = "sha256"


def hash_one_time_password(password: str) -> str:
    """A one-time password of `new_password` (12 random characters, about 70 bits) as stored: a
    salted SHA-256 is enough against guessing a random secret, so the slips of a department
    of hundreds are made in milliseconds; checking it still spends one scrypt run."""
    salt = secrets.token_bytes(16)
    digest = hashlib.sha256(salt + normalized(password).encode("utf-8")).digest()
    return f"{ONE_TIME_SCHEME}$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


# What a password is checked against when there is no account: as costly as a real hash.
DUMMY_HASH = "scrypt$Qq/mOd8UTbOZKNkbX+KhKQ==$UVQxknk4lfeaU4Hl+L5PAIXojd44qr+83oWiGE0TAr4="


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` is the one `stored` hashes. Hashes are of the NFKC-normalised password
    (a full-width ＡＢＣ typed later still matches); one made before that is also tried with the
    text as typed, when normalising changes it. Without a stored hash (no such account) one
    scrypt run is spent all the same, so the answer takes as long either way."""
    text = normalized(password)
    if stored is None:
        _matches(text, DUMMY_HASH)
        return False
    return _matches(text, stored) or (text != password and _matches(password, stored))


def _matches(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme == ONE_TIME_SCHEME:
        _matches(password, DUMMY_HASH)  # the same cost as any other sign-in
        salt = base64.b64decode(salt_b64)
        return hmac.compare_digest(hashlib.sha256(salt + password.encode("utf-8")).digest(),
                                   base64.b64decode(digest_b64))
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt_b64)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return secret_hash(token)


def token_id(token_hash: str) -> str:
    """The public name of a stored token (in lists and to revoke it): its hash's first 12 digits."""
    return token_hash[:12]


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(value: str) -> str:
    """How a token or a session id is stored: its SHA-256 (the value itself is never kept)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_password() -> str:
    """A one-time password: 12 characters, easy to read out (no 0/O, 1/l/I)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(12))
        if not is_common(password):
            return password


def username_problem(username: str) -> str | None:
    if not 2 <= len(username) <= 32 or not set(username) <= USERNAME_CHARS:
        return "用户名应为 2–32 个小写英文字母、数字、点、下划线或连字符"
    return None


DISPLAY_NAME_MAX = 40
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
PHONE = re.compile(r"^[0-9+()\- ]{3,32}$")


def contact_problem(display_name: str, email: str, phone: str) -> str | None:
    if len(display_name) > DISPLAY_NAME_MAX or any(not ch.isprintable() for ch in display_name):
        return f"显示名称最多 {DISPLAY_NAME_MAX} 个字，且不能含控制字符"
    if email and (len(email) > 120 or not EMAIL.match(email)):
        return "电子邮箱格式不正确（如 zhang@example.edu.cn）"
    if phone and not PHONE.match(phone):
        return "联系电话只能含数字、空格、+、-、括号，3–32 位"
    return None


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
