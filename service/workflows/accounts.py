"""Accounts: creating and editing them, passwords (one-time, reset, changed by their owner),
disabling and enabling, API tokens, and knowing who signs in or presents a token.

Users and tokens live in the store's accounts file (storage/accounts.py); only a token's
hash and a password's scrypt hash are kept. An account is never deleted (the audit trail
keeps its name): it is disabled. A reset, a password change and disabling end every browser
session of the account at once (workflows/sessions.py); a reset also revokes its API tokens,
and a password change does unless its owner keeps them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from service.content.codes import ROLE_DEPARTMENT, ROLE_HR, ROLE_LEADER, ROLE_STAFF, ROLES
from service.errors import ApiError, bad_request, not_found
from service.rules import credentials, passwords
from service.rules.access import User
from service.rules.clock import zone
from service.storage.store import Record
from service.workflows.commit import (
    EndSessions,
    NewToken,
    NewUser,
    TokenChange,
    UserChange,
    Write,
    commit,
)
from service.workflows.context import Context

TOKEN_NAME_MAX = 60
USE_EVERY = 60.0  # seconds: a token's or a session's last use is written at most this often


@dataclass(frozen=True)
class Profile:
    """What HR fills in for an account besides its name, role and password."""

    display_name: str = ""
    email: str = ""
    phone: str = ""
    department: str | None = None  # a department account's department
    oversees: tuple[str, ...] = ()  # a leader's departments

    def as_record(self) -> Record:
        return {"display_name": self.display_name, "email": self.email, "phone": self.phone,
                "department": self.department, "oversees": list(self.oversees)}


def profile(display_name: str = "", email: str = "", phone: str = "", department: str | None = None,
            oversees: Iterable[str] = ()) -> Profile:
    """A profile from typed text: trimmed, departments deduplicated in the order given."""
    seen = dict.fromkeys(d.strip() for d in oversees if d and d.strip())
    return Profile(display_name.strip(), email.strip(), phone.strip(), (department or "").strip() or None,
                   tuple(seen))


def _problem(ctx: Context, role: str, details: Profile) -> str | None:
    if role == ROLE_STAFF:
        return "教职工账号由名册生成：姓名、部门以教职工名册为准，不能在此填写或修改"
    if role not in ROLES:
        return f"角色应为 {' / '.join(ROLES)} 之一"
    if role == ROLE_DEPARTMENT and not ctx.content.department(details.department or ""):
        return f"部门账号须指定 departments.yml 中的部门代码，“{(details.department or '')[:40]}”不存在"
    if role != ROLE_DEPARTMENT and details.department:
        return "只有部门账号可以指定所在部门"
    if details.oversees and role != ROLE_LEADER:
        return "只有院领导账号可以指定主管部门"
    unknown = [d for d in details.oversees if not ctx.content.department(d)]
    if unknown:
        return f"主管部门“{'、'.join(d[:40] for d in unknown[:5])}”不在 departments.yml 中"
    return credentials.contact_problem(details.display_name, details.email, details.phone)


def leaders_without_departments(ctx: Context) -> list[str]:
    """Active leader accounts that oversee no department (they see nothing until HR sets one)."""
    return sorted(u["username"] for u in ctx.store.accounts.users()
                  if u.get("role") == ROLE_LEADER and u.get("active", True) and not u.get("oversees"))


def add_user(ctx: Context, username: str, role: str, department: str | None, password: str, actor: str,
             details: Profile | None = None, *, must_change: bool = False) -> None:
    """Add an account. `department` is a department account's own (it overrides the profile's)."""
    details = details or Profile()
    if department is not None:
        details = Profile(details.display_name, details.email, details.phone, department, details.oversees)
    problem = (credentials.username_problem(username) or _problem(ctx, role, details)
               or passwords.password_problem(password, username, ctx.settings.password_min_score))
    if problem:
        raise bad_request("invalid_user", problem)
    record = new_user(ctx, username, role, details.department, password)
    record.update({**details.as_record(), "must_change_password": must_change})
    try:
        commit(ctx, [NewUser(record)], actor, "user.create", username=username, role=role,
               department=details.department, oversees=list(details.oversees), display_name=details.display_name)
    except KeyError:
        raise ApiError(409, "user_exists", f"用户“{username}”已存在") from None


def add_with_one_time_password(ctx: Context, username: str, role: str, details: Profile, actor: str) -> str:
    """Add an account with a one-time password (shown once, changed at the first sign-in)."""
    password = credentials.new_password()
    add_user(ctx, username, role, None, password, actor, details, must_change=True)
    return password


def new_user(ctx: Context, username: str, role: str, department: str | None, password: str) -> Record:
    """An account record: the password kept as its scrypt hash only."""
    return {"username": username, "role": role, "department": department,
            "password_hash": credentials.hash_password(password), "created_at": ctx.stamp(), "active": True}


def update_profile(ctx: Context, username: str, details: Profile, actor: str) -> None:
    """HR edits an account's display name, contacts, department or overseen departments."""
    with ctx.store.locked():
        record = existing(ctx, username)
        problem = _problem(ctx, record["role"], details)
        if problem:
            raise bad_request("invalid_user", problem)
        commit(ctx, [UserChange(username, details.as_record())], actor, "user.update", username=username,
               department=details.department, oversees=list(details.oversees), display_name=details.display_name)


@dataclass(frozen=True)
class Reset:
    password: str  # the new one-time password (shown once)
    tokens_revoked: int  # how many of the account's API tokens stopped working


def reset_password(ctx: Context, username: str, actor: str) -> Reset:
    """A new one-time password for `username` (shown once); every session of it ends and every
    API token of it is revoked (a password believed stolen may have made them)."""
    password = credentials.new_password()
    with ctx.store.locked():
        existing(ctx, username)
        changes = {"password_hash": credentials.hash_password(password), "must_change_password": True,
                   "password_changed_at": ctx.stamp()}
        revoked = _revoke_all(ctx, username)
        commit(ctx, [UserChange(username, changes), EndSessions(username=username), *revoked], actor,
               "user.password_reset", username=username, tokens_revoked=len(revoked))
    return Reset(password, len(revoked))


def change_password(ctx: Context, username: str, current: str, new: str, repeated: str | None = None, *,
                    revoke_tokens: bool = True) -> int:
    """The account's owner changes its password (the current one required); sessions end, and
    its API tokens are revoked unless `revoke_tokens` is False. How many were revoked."""
    if repeated is not None and new != repeated:
        raise bad_request("password_mismatch", "两次输入的新密码不一致")
    with ctx.store.locked():
        record = existing(ctx, username)
        if not credentials.verify_password(current, record["password_hash"]):
            raise ApiError(403, "wrong_password", "当前密码不正确")
        problem = passwords.password_problem(new, username, ctx.settings.password_min_score)
        if problem is None and passwords.normalized(new) == passwords.normalized(current):
            problem = ("新密码不能与人事处给的一次性密码相同" if record["must_change_password"]
                       else "新密码不能与当前密码相同")
        if problem:
            raise bad_request("invalid_password", problem)
        changes = {"password_hash": credentials.hash_password(new), "must_change_password": False,
                   "password_changed_at": ctx.stamp()}
        revoked = _revoke_all(ctx, username) if revoke_tokens else []
        commit(ctx, [UserChange(username, changes), EndSessions(username=username), *revoked], username,
               "user.password_change", username=username, tokens_revoked=len(revoked))
    return len(revoked)


def _revoke_all(ctx: Context, username: str) -> list[TokenChange]:
    """Revoking every API token of `username` still in use."""
    now = ctx.now().timestamp()
    return [TokenChange(t["token_hash"], {"revoked_at": now}) for t in ctx.store.accounts.tokens(username)
            if not t.get("revoked_at")]


def set_active(ctx: Context, username: str, active: bool, actor: str) -> None:
    """Disable (its sessions end, its tokens stop working) or enable an account."""
    with ctx.store.locked():
        record = existing(ctx, username)
        if not active:
            if username == actor:
                raise ApiError(409, "own_account", "不能停用自己正在使用的账号")
            if record["role"] == ROLE_HR and not [u for u in ctx.store.accounts.users() if u["role"] == ROLE_HR
                                                  and u.get("active", True) and u["username"] != username]:
                raise ApiError(409, "last_hr", "这是最后一个启用的人事处账号，不能停用")
        writes: list[Any] = [UserChange(username, {"active": active})]
        if not active:
            writes.append(EndSessions(username=username))
        commit(ctx, writes, actor, "user.enable" if active else "user.disable", username=username)


DEFAULTS: Record = {"display_name": "", "email": "", "phone": "", "department": None, "oversees": [],
                    "must_change_password": False, "active": True, "password_changed_at": None}


def existing(ctx: Context, username: str) -> Record:
    """The account `username` with every field (older records lack the newer ones); 404 else."""
    record = ctx.store.accounts.user(username)
    if record is None:
        raise not_found("unknown_user", f"用户“{username[:100]}”不存在")
    return {**DEFAULTS, **record}


def users(ctx: Context) -> list[Record]:
    return [{**DEFAULTS, **u} for u in ctx.store.accounts.users()]


def display_names(ctx: Context) -> dict[str, str]:
    """Login name → the name histories show (the login name when none was given)."""
    return ctx.store.accounts.display_names()


# -- API tokens ------------------------------------------------------------------------


def new_token(ctx: Context, username: str, actor: str, name: str = "") -> str:
    """A new API token of `username` (shown once; only its hash is stored)."""
    name = name.strip()
    if len(name) > TOKEN_NAME_MAX or any(not ch.isprintable() for ch in name):
        raise bad_request("invalid_token_name", f"令牌名称最多 {TOKEN_NAME_MAX} 个字，且不能含控制字符")
    with ctx.store.locked():
        existing(ctx, username)
        token = credentials.new_token()
        digest = credentials.token_hash(token)
        record = {"token_hash": digest, "username": username, "name": name,
                  "created_at": ctx.now().timestamp(), "last_used_at": None, "revoked_at": None}
        commit(ctx, [NewToken(record)], actor, "token.create", username=username, token=credentials.token_id(digest),
               name=name)
        return token


def tokens(ctx: Context, username: str) -> list[Record]:
    """The account's tokens, newest first: id, name, created_at, last_used_at, revoked_at (ISO
    times in the college's zone, None when not yet)."""
    tz = zone(ctx.content.settings.timezone)

    def moment(epoch: float | None) -> str | None:
        return dt.datetime.fromtimestamp(epoch, tz).isoformat(timespec="seconds") if epoch else None

    stored = sorted(ctx.store.accounts.tokens(username), key=lambda t: t.get("created_at") or 0, reverse=True)
    return [{"id": credentials.token_id(t["token_hash"]), "name": t.get("name") or "",
             "created_at": moment(t.get("created_at")), "last_used_at": moment(t.get("last_used_at")),
             "revoked_at": moment(t.get("revoked_at"))} for t in stored]


def revoke_token(ctx: Context, username: str, token_id: str, actor: str) -> None:
    """Revoke one of `username`'s tokens by its id: refused (401) from the next request on."""
    with ctx.store.locked():
        existing(ctx, username)
        matches = [t for t in ctx.store.accounts.tokens(username)
                   if credentials.token_id(t["token_hash"]) == token_id.strip()]
        if not matches:
            raise not_found("unknown_token", f"账号“{username}”没有编号为“{token_id[:40]}”的令牌")
        token = matches[0]
        if token.get("revoked_at"):
            raise ApiError(409, "token_revoked", "该令牌已经停用")
        commit(ctx, [TokenChange(token["token_hash"], {"revoked_at": ctx.now().timestamp()})], actor,
               "token.revoke", username=username, token=token_id)


# -- who is calling --------------------------------------------------------------------


def authenticate(ctx: Context, username: str, password: str) -> User | None:
    """The active account whose password this is; None otherwise. One scrypt run either way."""
    record = ctx.store.accounts.user(username)
    known = record is not None and record.get("active", True)
    matches = credentials.verify_password(password, record.get("password_hash") if known and record else None)
    return active_user(ctx, record) if known and matches else None


def token_use(ctx: Context, token: str) -> tuple[User | None, list[Write]]:
    """The active account of an unrevoked token, and the note of its last use when one is due:
    a read only (the caller writes the note, see `bookkeeping`)."""
    digest = credentials.token_hash(token)
    record = ctx.store.accounts.token(digest)
    user = user_named(ctx, record["username"]) if record else None
    if user is not None and record is not None:
        now = ctx.now().timestamp()
        if not record.get("last_used_at") or now - record["last_used_at"] >= USE_EVERY:
            return user, [TokenChange(digest, {"last_used_at": now})]
    return user, []


def user_named(ctx: Context, username: str) -> User | None:
    """The active account `username` (a session names its user)."""
    return active_user(ctx, ctx.store.accounts.user(username))


def active_user(ctx: Context, record: Record | None) -> User | None:
    """The user of an active account; a staff member's only while on the roster, in the
    roster's department and name."""
    if record is None or not record.get("active", True):
        return None
    if record["role"] != ROLE_STAFF:
        return as_user(record)
    member = ctx.content.staff(record["username"])
    if member is None:
        return None
    return User(member.staff_id, ROLE_STAFF, member.department, display_name=member.name,
                must_change_password=bool(record.get("must_change_password")), staff_id=member.staff_id)


def as_user(record: Record) -> User:
    return User(record["username"], record["role"], record.get("department"),
                oversees=frozenset(record.get("oversees") or ()), display_name=record.get("display_name") or "",
                must_change_password=bool(record.get("must_change_password")))
