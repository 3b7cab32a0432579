"""Browser sessions: started at sign-in, stored (they survive a restart), ended at sign-out.

The browser holds an opaque random id; the store keeps only its SHA-256, the account, when it
began and was last used, and the session's CSRF token. A session ends after
`settings.session_idle_minutes` unused or `settings.session_hours` after sign-in; signing out,
a password change or reset and disabling the account end every session of that account at
once. Its last use is written at most once a minute.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from service.rules import credentials
from service.rules.access import User
from service.storage.store import Record
from service.workflows import accounts
from service.workflows.commit import EndSessions, NewSession, SessionChange, Write, commit
from service.workflows.context import Context


@dataclass(frozen=True)
class Session:
    id_hash: str
    user: User
    csrf: str
    started_at: float


def start(ctx: Context, user: User, address: str, action: str = "login") -> tuple[str, Session]:
    """A new session of `user`: the id for the cookie (shown to no one else) and the session.
    Sessions that ran out, of anyone, are dropped in the same commit."""
    session_id = credentials.new_session_id()
    digest = credentials.secret_hash(session_id)
    now = ctx.now().timestamp()
    record = {"id_hash": digest, "username": user.username, "created_at": now, "last_seen": now,
              "csrf": secrets.token_urlsafe(24), "address": address[:64]}
    with ctx.store.locked():
        expired = tuple(s["id_hash"] for s in ctx.store.accounts.all_sessions() if _ended(ctx, s, now))
        writes = [NewSession(record), *([EndSessions(id_hashes=expired)] if expired else [])]
        commit(ctx, writes, user.username, action, ip=address[:64])
    return session_id, Session(digest, user, record["csrf"], now)


def look_up(ctx: Context, session_id: str) -> tuple[Session | None, list[Write]]:
    """The live session with this id and its active account (None when unknown, ended, run out
    or its account is disabled), and what is due to be noted (its last use, or its end
    when it ran out) for the caller to write (see `bookkeeping`)."""
    if not session_id or len(session_id) > 200:
        return None, []
    digest = credentials.secret_hash(session_id)
    record = ctx.store.accounts.session(digest)
    if record is None:
        return None, []
    now = ctx.now().timestamp()
    if _ended(ctx, record, now):
        return None, [EndSessions(id_hashes=(digest,))]
    user = accounts.user_named(ctx, record["username"])
    if user is None:
        return None, []
    due: list[Write] = [SessionChange(digest, {"last_seen": now})] if now - record["last_seen"] >= accounts.USE_EVERY else []
    return Session(digest, user, record["csrf"], record["created_at"]), due


def end_all(ctx: Context, username: str, action: str = "logout") -> None:
    """Sign out: every session of `username` ends."""
    commit(ctx, [EndSessions(username=username)], username, action)


def count(ctx: Context, username: str) -> int:
    """Live sessions of `username` (the accounts page shows it)."""
    now = ctx.now().timestamp()
    return sum(1 for s in ctx.store.accounts.sessions(username) if not _ended(ctx, s, now))


def _ended(ctx: Context, record: Record, now: float) -> bool:
    settings = ctx.settings
    return (now - record["created_at"] >= settings.session_hours * 3600
            or now - record["last_seen"] >= settings.session_idle_minutes * 60)
