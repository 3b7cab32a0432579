"""Staff members' accounts: made from the roster (username = 工号, never typed one by one),
signed in through the campus directory or with a local password, per the settings.

An account is made on the first directory sign-in, or for a whole department when HR prints
its one-time password slips; either way its name and department are the roster's, and a
person no longer on the roster can no longer sign in. A slip's password must be changed at
the first sign-in with it; signing in through the directory instead voids an unused slip. Accounts HR made one by one (HR, departments, leaders) sign in as before.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from service.content.codes import (
    ROLE_STAFF,
    STAFF_DIRECTORY,
    STAFF_DISABLED,
    STAFF_NO_ACCOUNT,
    STAFF_ONE_TIME,
    STAFF_OWN_PASSWORD,
)
from service.rules import access, credentials
from service.rules.access import User
from service.storage.store import Record
from service.workflows import accounts
from service.workflows.commit import EndSessions, NewUser, UserChange, commit
from service.workflows.common import department_or_404
from service.workflows.context import Context

logger = logging.getLogger("portal.directory")
WRONG = "用户名或密码不正确"
SIGNED_IN = "ok"
REFUSED = "wrong_password"
NOT_ON_ROSTER = "not_on_roster"
UNAVAILABLE = "directory_unavailable"


@dataclass(frozen=True)
class SignIn:
    """How a sign-in went: the user, or why not (`code`, and the Chinese `message`)."""

    user: User | None
    code: str
    message: str = ""
    guessed: bool = True  # a password was checked and refused (the login throttle counts it)


def sign_in(ctx: Context, username: str, password: str) -> SignIn:
    """Sign `username` in: an account HR made by its password; a staff member by the local
    password (when enabled) and then the campus directory (when enabled)."""
    record = ctx.store.accounts.user(username)
    settings = ctx.settings
    if (record is not None and record["role"] != ROLE_STAFF) or not (settings.local_sign_in
                                                                     or settings.directory_sign_in):
        user = accounts.authenticate(ctx, username, password)
        return SignIn(user, SIGNED_IN) if user else SignIn(None, REFUSED, WRONG)
    if settings.local_sign_in:
        user = accounts.authenticate(ctx, username, password)
        if user is not None:
            return SignIn(user, SIGNED_IN)
    if not settings.directory_sign_in:
        return SignIn(None, REFUSED, WRONG)
    assert settings.directory is not None
    from service.storage import directory  # ldap3, loaded once a directory is set up and asked

    try:
        bound = directory.check_password(settings.directory, username, password)
    except directory.DirectoryUnavailable as exc:
        logger.warning("统一身份认证不可用：%s", exc)
        fallback = ("已领取一次性密码条或已设置本系统密码的教职工，可以用本系统密码登录；也可稍后再试。"
                    if settings.local_sign_in else "请稍后再试，或联系人事处。")
        return SignIn(None, UNAVAILABLE, f"统一身份认证暂时不可用：{exc}。{fallback}", guessed=settings.local_sign_in)
    if not bound:
        return SignIn(None, REFUSED, WRONG)
    member = ctx.content.staff(username)
    if member is None:
        contact = ctx.content.settings.contact
        return SignIn(None, NOT_ON_ROSTER, f"统一身份认证已通过，但工号“{username[:32]}”不在{ctx.year}年度教职工名册中，"
                                           f"不能登录本系统。如有疑问请联系人事处（{contact.name}，{contact.phone}）。",
                      guessed=False)
    if record is None:
        _create(ctx, username)
    elif record.get("must_change_password") and record.get("active", True):
        _void_slip(ctx, username)
    user = accounts.user_named(ctx, username)
    if user is None:
        return SignIn(None, REFUSED, "该账号已停用，请联系人事处")
    return SignIn(user, SIGNED_IN)


def known_name(ctx: Context, username: str) -> bool:
    """Whether `username` is an account or a roster member (the login throttle counts failures
    for other names per address)."""
    return ctx.store.accounts.user(username) is not None or ctx.content.staff(username) is not None


def _create(ctx: Context, staff_id: str) -> None:
    """The account of a staff member signing in through the directory for the first time."""
    record = {"username": staff_id, "role": ROLE_STAFF, "department": None, "password_hash": None,
              "created_at": ctx.stamp(), "active": True, "must_change_password": False, "source": STAFF_DIRECTORY}
    with contextlib.suppress(KeyError):  # made by a sign-in a moment ago
        commit(ctx, [NewUser(record)], staff_id, "user.create", username=staff_id, role=ROLE_STAFF,
               via=STAFF_DIRECTORY)


def _void_slip(ctx: Context, staff_id: str) -> None:
    """A person who signed in through the directory no longer needs their unused slip: it stops working."""
    commit(ctx, [UserChange(staff_id, {"password_hash": None, "must_change_password": False})], staff_id,
           "staff.slip_void", username=staff_id)


# -- HR: a department's accounts and its password slips -------------------------------------


def state_of(record: Record | None) -> str:
    if record is None:
        return STAFF_NO_ACCOUNT
    if not record.get("active", True):
        return STAFF_DISABLED
    if not record.get("password_hash"):
        return STAFF_DIRECTORY
    return STAFF_ONE_TIME if record.get("must_change_password") else STAFF_OWN_PASSWORD


def department_accounts(ctx: Context, user: User, department: str) -> list[dict[str, Any]]:
    """Each member of the department with where their account stands."""
    department_or_404(ctx, department)
    access.ensure(user, access.MANAGE_ACCOUNTS, department, "只有人事处可以管理教职工账号")
    rows = []
    for member in ctx.content.members(department):
        record = ctx.store.accounts.user(member.staff_id)
        clash = record is not None and record["role"] != ROLE_STAFF
        rows.append({"staff_id": member.staff_id, "name": member.name, "post": member.post,
                     "state": None if clash else state_of(record),
                     "clash": clash, "created_at": record.get("created_at") if record else None,
                     "password_changed_at": record.get("password_changed_at") if record else None})
    return rows


@dataclass(frozen=True)
class Slip:
    staff_id: str
    name: str
    post: str
    password: str


@dataclass(frozen=True)
class Issued:
    department: str
    department_name: str
    slips: tuple[Slip, ...]
    skipped: tuple[dict[str, str], ...]  # {staff_id, name, reason}


def issue_slips(ctx: Context, user: User, department: str, *, everyone: bool = False) -> Issued:
    """New one-time passwords for the department's people, in one commit: those without an
    account get one; those still on an earlier slip get a new one (the old slip no longer
    works); with `everyone`, also those who set their own password or use the directory.
    Their sessions end. Skipped: disabled accounts, and names HR gave another account."""
    department_or_404(ctx, department)
    access.ensure(user, access.MANAGE_ACCOUNTS, department, "只有人事处可以打印一次性密码条")
    found = ctx.content.department(department)
    slips: list[Slip] = []
    skipped: list[dict[str, str]] = []
    writes: list[Any] = []
    with ctx.store.locked():
        for member in ctx.content.members(department):
            record = ctx.store.accounts.user(member.staff_id)
            state = state_of(record) if record is None or record["role"] == ROLE_STAFF else None
            reason = _skip_reason(state, everyone)
            if reason:
                skipped.append({"staff_id": member.staff_id, "name": member.name, "reason": reason})
                continue
            password = credentials.new_password()
            changes = {"password_hash": credentials.hash_one_time_password(password), "must_change_password": True,
                       "password_changed_at": ctx.stamp()}
            if record is None:
                writes.append(NewUser({"username": member.staff_id, "role": ROLE_STAFF, "department": None,
                                       "created_at": ctx.stamp(), "active": True, "source": "slip", **changes}))
            else:
                writes += [UserChange(member.staff_id, changes), EndSessions(username=member.staff_id)]
            slips.append(Slip(member.staff_id, member.name, member.post, password))
        if slips:
            commit(ctx, writes, user.username, "staff.slips", department=department, people=len(slips),
                   staff_ids=[s.staff_id for s in slips], everyone=everyone)
    return Issued(department, found.name if found else department, tuple(slips), tuple(skipped))


def _skip_reason(state: str | None, everyone: bool) -> str | None:
    if state is None:
        return "该工号已被人事处建立的其他账号占用"
    if state == STAFF_DISABLED:
        return "账号已停用"
    if not everyone and state in (STAFF_OWN_PASSWORD, STAFF_DIRECTORY):
        return "已设置本系统密码" if state == STAFF_OWN_PASSWORD else "已通过统一身份认证登录"
    return None
