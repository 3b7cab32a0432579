"""Accounts: adding users and API tokens, and knowing who signs in or presents a token.

Users and tokens live in the store's accounts file (storage/accounts.py); only a token's
hash and a password's scrypt hash are kept.
"""

from __future__ import annotations

from service.content.models import ROLE_DEPARTMENT, ROLES
from service.errors import ApiError, bad_request, not_found
from service.rules import credentials
from service.rules.access import User
from service.storage.store import Record
from service.workflows.commit import NewToken, NewUser, commit
from service.workflows.context import Context


def add_user(ctx: Context, username: str, role: str, department: str | None, password: str, actor: str) -> None:
    problem = credentials.username_problem(username) or credentials.password_problem(password)
    if role not in ROLES:
        problem = f"角色应为 {' / '.join(ROLES)} 之一"
    elif role == ROLE_DEPARTMENT and not ctx.content.department(department or ""):
        problem = f"部门账号须指定 departments.yml 中的部门代码，“{department or ''}”不存在"
    elif role != ROLE_DEPARTMENT and department:
        problem = "只有部门账号可以指定部门"
    if problem:
        raise bad_request("invalid_user", problem)
    try:
        commit(ctx, [NewUser(new_user(ctx, username, role, department, password))], actor, "user.create",
               username=username, role=role, department=department)
    except KeyError:
        raise ApiError(409, "user_exists", f"用户“{username}”已存在") from None


def new_user(ctx: Context, username: str, role: str, department: str | None, password: str) -> Record:
    """An account record: the password kept as its scrypt hash only."""
    return {"username": username, "role": role, "department": department,
            "password_hash": credentials.hash_password(password), "created_at": ctx.stamp()}


def new_token(ctx: Context, username: str, actor: str) -> str:
    """A new API token of `username` (shown once; only its hash is stored)."""
    with ctx.store.locked():
        if not ctx.store.accounts.user(username):
            raise not_found("unknown_user", f"用户“{username}”不存在")
        token = credentials.new_token()
        commit(ctx, [NewToken(credentials.token_hash(token), username)], actor, "token.create", username=username)
        return token


def users(ctx: Context) -> list[Record]:
    return ctx.store.accounts.users()


def authenticate(ctx: Context, username: str, password: str) -> User | None:
    """The active account whose password this is; None otherwise, in the same time either way."""
    record = ctx.store.accounts.user(username)
    if not record or not record.get("active", True):
        credentials.verify_password(password, credentials.hash_password("x"))  # same cost either way
        return None
    if not credentials.verify_password(password, record["password_hash"]):
        return None
    return _user(record)


def user_for_token(ctx: Context, token: str) -> User | None:
    username = ctx.store.accounts.token_user(credentials.token_hash(token))
    return user_named(ctx, username) if username else None


def user_named(ctx: Context, username: str) -> User | None:
    """The active account `username` (a session names its user)."""
    record = ctx.store.accounts.user(username)
    return _user(record) if record and record.get("active", True) else None


def _user(record: Record) -> User:
    return User(record["username"], record["role"], record.get("department"))
