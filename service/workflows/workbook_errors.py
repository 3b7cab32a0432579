"""Workbooks refused on upload (annex 3, 4 and 5): kept so HR sees who is stuck and why.

Store: the department's partition, table "workbook_errors", one record per refusal:
{id, annex, file, code, message, by, at, resolved_at, resolved_by}. A later upload of the
same annex by the department that is accepted resolves its open ones; HR may mark one
handled. Open ones count on HR's to-do list.
"""

from __future__ import annotations

from typing import Any

from service.errors import ApiError, not_found
from service.rules import access
from service.rules.access import User
from service.storage.store import Record, new_record
from service.workflows.commit import Add, Put, bookkeeping, commit
from service.workflows.context import Context
from service.workflows.kept import Same

TABLE = "workbook_errors"
RECORDED = (400, 409, 413, 415, 422)  # the refusals of the workbook itself
QUESTIONS = frozenset({"already_reported"})  # asked of the uploader (replace the month?), not a refusal
MAX_MESSAGE = 2000
MAX_FILE_NAME = 120
SYSTEM = "system"


def record(ctx: Context, user: User, department: str, annex: int, file_name: str, error: ApiError) -> None:
    """Keep a refusal (the error the uploader saw) for HR."""
    if error.status not in RECORDED or error.code in QUESTIONS or not ctx.content.department(department):
        return
    entry = new_record({"annex": annex, "file": file_name[:MAX_FILE_NAME], "code": error.code,
                        "message": error.message[:MAX_MESSAGE], "by": user.username, "at": ctx.stamp(),
                        "resolved_at": None, "resolved_by": None})
    commit(ctx, [Add(department, TABLE, entry)], user.username, "workbook.refused", department=department,
           annex=annex, code=error.code, id=entry["id"])


def accepted(ctx: Context, department: str, annex: int) -> None:
    """The department's annex was uploaded and accepted: its open refusals are resolved."""
    found = [r for r in ctx.store.records(department, TABLE) if r["annex"] == annex and not r.get("resolved_at")]
    if found:
        stamp = ctx.stamp()
        bookkeeping(ctx, [Put(department, TABLE, {**r, "resolved_at": stamp, "resolved_by": SYSTEM}, {"id": r["id"]})
                          for r in found])


def handled(ctx: Context, user: User, department: str, error_id: str) -> None:
    """HR marks a refusal handled (the department was told, or it no longer matters)."""
    access.ensure(user, access.CHASE, department, "只有人事处可以处理工作簿错误")
    with ctx.store.locked():
        found = ctx.store.get(department, TABLE, id=error_id) if ctx.content.department(department) else None
        if found is None:
            raise not_found("unknown_error", "找不到这条记录")
        if found.get("resolved_at"):
            return
        commit(ctx, [Put(department, TABLE, {**found, "resolved_at": ctx.stamp(), "resolved_by": user.username},
                         {"id": error_id})], user.username, "workbook.handled", department=department, id=error_id)


def open_count(ctx: Context) -> int:
    """How many refusals wait for HR (a to-do list shows it), kept until the year's store changes."""
    return ctx.kept.of_year("workbook errors open", Same(ctx.content), lambda: len(listing(ctx, open_only=True)))


def listing(ctx: Context, *, open_only: bool = False) -> list[dict[str, Any]]:
    """Every refusal of the year, the latest first, with its department's name."""
    names = {d.id: d.name for d in ctx.content.departments}
    found: list[Record] = [{**r, "department": partition, "department_name": names[partition]}
                           for partition, r in ctx.store.across(TABLE) if partition in names
                           and not (open_only and r.get("resolved_at"))]
    return sorted(found, key=lambda r: r["at"], reverse=True)
