"""In-app notifications: an event that needs someone (targets returned to a department or
waiting for its leader, job duties returned) leaves a note for the accounts it concerns,
written in the same commit as the event itself; opening the note marks it read.

Store: the department's partition, table "notifications", one record per event:
{id, kind (a TODO_* code), department, text, link, at, to [usernames], read_by [usernames]}.
The recipients are the active accounts at the time: the department's own accounts, or the
leaders overseeing it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from service.content.codes import (
    ROLE_DEPARTMENT,
    ROLE_LEADER,
    TARGET_RETURNED,
    TODO_DUTIES,
    TODO_TARGETS_RETURNED,
    TODO_TARGETS_WAITING,
)
from service.errors import not_found
from service.rules.access import User
from service.storage.store import Record, new_record
from service.workflows.commit import Add, Put, Write, bookkeeping
from service.workflows.context import Context

logger = logging.getLogger("portal.notifications")
TABLE = "notifications"
SHOWN = 20  # unread notes on a landing page


def clerks(ctx: Context, department: str) -> list[Record]:
    """The department's active accounts (their contacts included)."""
    return [u for u in ctx.store.accounts.users()
            if u.get("active", True) and u.get("role") == ROLE_DEPARTMENT and u.get("department") == department]


def leaders(ctx: Context, department: str) -> list[Record]:
    """The active leaders overseeing the department."""
    return [u for u in ctx.store.accounts.users()
            if u.get("active", True) and u.get("role") == ROLE_LEADER and department in (u.get("oversees") or ())]


def note(ctx: Context, department: str, kind: str, text: str, link: str,
         accounts: Iterable[Record]) -> list[Write]:
    """The write leaving `text` for `accounts` (none when nobody is there to read it)."""
    to = sorted({str(a["username"]) for a in accounts})
    if not to:
        return []
    record = new_record({"kind": kind, "department": department, "text": text, "link": link, "at": ctx.stamp(),
                         "to": to, "read_by": []})
    return [Add(department, TABLE, record)]


def waiting(ctx: Context, department: str, names: Sequence[str]) -> list[Write]:
    """Target sets of `names` submitted: for the leaders overseeing the department."""
    text = f"{_name(ctx, department)}提交了 {len(names)} 人的个性目标，等待审定：{_listed(names)}"
    return note(ctx, department, TODO_TARGETS_WAITING, text, "/board/review", leaders(ctx, department))


def returned(ctx: Context, department: str, names: Sequence[str], comment: str) -> list[Write]:
    """Target sets of `names` returned by the leader: for the department's accounts."""
    text = f"{len(names)} 人的个性目标被退回修改：{_listed(names)}。审定意见：{comment}"
    return note(ctx, department, TODO_TARGETS_RETURNED, text, f"/board/{department}/targets?status={TARGET_RETURNED}",
                clerks(ctx, department))


def duties_returned(ctx: Context, department: str, role_id: str, role_name: str, comment: str) -> list[Write]:
    """A role's job duties returned by HR: for the department's accounts."""
    text = f"岗位“{role_name}”的岗位职责被人事处退回修改。意见：{comment}"
    return note(ctx, department, TODO_DUTIES, text, f"/board/{department}/duties#role-{role_id}", clerks(ctx, department))


def unread(ctx: Context, user: User) -> list[dict[str, Any]]:
    """The user's unread notes, newest first (at most SHOWN): read from the departments that
    hold some for them only."""
    waiting = _waiting(ctx)
    found = [record for department in _partitions(ctx, user) if waiting.get((department, user.username))
             for record in ctx.store.records(department, TABLE)
             if user.username in record.get("to", ()) and user.username not in record.get("read_by", ())]
    found.sort(key=lambda r: r["at"], reverse=True)
    return found[:SHOWN]


def _waiting(ctx: Context) -> Counter[tuple[str, str]]:
    """(department, username) → how many of the department's notes the account has not read, kept
    until a department's notes change (HR's landing page would otherwise read every note there is)."""
    departments = tuple(d.id for d in ctx.content.departments)

    def count() -> Counter[tuple[str, str]]:
        found: Counter[tuple[str, str]] = Counter()
        for department in departments:
            for record in ctx.store.scan(department, TABLE, fields=("to", "read_by")):
                read = record.get("read_by") or ()
                found.update((department, name) for name in record.get("to", ()) if name not in read)
        return found

    return ctx.kept.value("unread notes", [(d, TABLE) for d in departments], departments, count)


def opened(ctx: Context, user: User, department: str, note_id: str) -> str:
    """Mark the user's note read and return where it leads (404 for anyone else's)."""
    try:
        with ctx.store.locked():  # two readers of one note both stay marked
            record = ctx.store.get(department, TABLE, id=note_id) if ctx.content.department(department) else None
            if record is None or user.username not in record.get("to", ()):
                raise not_found("unknown_notification", "找不到这条通知")
            if user.username not in record.get("read_by", ()):
                changed = {**record, "read_by": [*record.get("read_by", []), user.username]}
                bookkeeping(ctx, [Put(department, TABLE, changed, {"id": note_id})])
    except OSError:  # best effort: the link opens anyway
        logger.warning("记录通知已读失败（已忽略）", exc_info=True)
    return str(record["link"])


def _name(ctx: Context, department: str) -> str:
    found = ctx.content.department(department)
    return found.name if found else department


def _listed(names: Sequence[str], shown: int = 10) -> str:
    return "、".join(names[:shown]) + (f" 等 {len(names)} 人" if len(names) > shown else "")


def _partitions(ctx: Context, user: User) -> list[str]:
    if user.role == ROLE_DEPARTMENT and user.department:
        return [user.department]
    if user.role == ROLE_LEADER:
        return [d for d in user.oversees if ctx.content.department(d)]
    return [d.id for d in ctx.content.departments]
