"""A staff member's annual summary (个人总结述职): written on their own page, or uploaded as a Word or
PDF document, within the window of the year's settings (`summary:`), kept as a draft or submitted,
and changeable until the department locks the round.

Store: the person's department partition of the year, table "summaries", one document per
staff_id: {staff_id, state (draft / submitted), text, saved_at, submitted_at, file: {file, sha256,
ext, size, name, at} | None, changes}; table "summary_lock", one document {key: "lock", locked, at,
by}. The audit log records each save with its length and state, never the text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from service.content.codes import SUMMARY_DRAFT, SUMMARY_LABELS, SUMMARY_NONE, SUMMARY_SUBMITTED
from service.content.formats import cn_date
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, not_found, unprocessable
from service.rules import access, scans
from service.rules.access import User
from service.storage import files
from service.workflows.commit import LinkedFile, Put, commit
from service.workflows.common import department_or_404, member_or_404, own_member
from service.workflows.context import Context
from service.workflows.uploads import store_document

TABLE = "summaries"
LOCK_TABLE = "summary_lock"
WHAT = "个人总结"


@dataclass(frozen=True)
class Summary:
    """A person's summary as the registration form and the lists read it."""

    staff_id: str
    state: str  # SUMMARY_NONE / SUMMARY_DRAFT / SUMMARY_SUBMITTED
    text: str = ""
    file_name: str = ""  # the uploaded document's name ("" when none)
    submitted_at: str | None = None


def window(ctx: Context) -> dict[str, Any]:
    """The year's window, and whether today is inside it."""
    opens, closes = ctx.content.settings.summary.window(ctx.year)
    today = ctx.now().date()
    return {"opens": opens.isoformat(), "closes": closes.isoformat(), "open": opens <= today <= closes,
            "before": today < opens, "text": f"{cn_date(opens)}至{cn_date(closes)}"}


def lock_of(ctx: Context, department: str) -> dict[str, Any] | None:
    doc = ctx.store.get(department, LOCK_TABLE, key="lock")
    return doc if doc and doc.get("locked") else None


def summary_of(doc: dict[str, Any] | None, staff_id: str) -> Summary:
    if not doc:
        return Summary(staff_id, SUMMARY_NONE)
    return Summary(staff_id, str(doc.get("state", SUMMARY_DRAFT)), str(doc.get("text", "")),
                   str((doc.get("file") or {}).get("name", "")), doc.get("submitted_at"))


def summaries_for(ctx: Context, department: str) -> dict[str, Summary]:
    """Every person of `department` (roster order) with their summary: the reader other pages use."""
    stored = {d["staff_id"]: d for d in ctx.store.records(department, TABLE)}
    return {m.staff_id: summary_of(stored.get(m.staff_id), m.staff_id) for m in ctx.content.members(department)}


def _json(ctx: Context, member: StaffMember, doc: dict[str, Any] | None) -> dict[str, Any]:
    doc = doc or {}
    state = doc.get("state", SUMMARY_NONE)
    file = doc.get("file")
    return {"staff_id": member.staff_id, "name": member.name, "department": member.department,
            "state": state, "state_label": SUMMARY_LABELS[state], "text": doc.get("text", ""),
            "saved_at": doc.get("saved_at"), "submitted_at": doc.get("submitted_at"),
            "file": {k: file.get(k) for k in ("name", "ext", "size", "at", "sha256")} if file else None,
            "window": window(ctx), "locked": lock_of(ctx, member.department) is not None,
            "max_chars": ctx.content.settings.summary.max_chars}


def mine(ctx: Context, user: User) -> dict[str, Any]:
    member = own_member(ctx, user, access.WRITE_SUMMARY)
    return _json(ctx, member, ctx.store.get(member.department, TABLE, staff_id=member.staff_id))


def person(ctx: Context, user: User, staff_id: str) -> dict[str, Any]:
    """A person's summary, for who may read their appraisal."""
    member = member_or_404(ctx, staff_id)
    access.ensure(user, access.READ_APPRAISAL, member.department, "您无权查看该教职工的个人总结", person=staff_id)
    return _json(ctx, member, ctx.store.get(member.department, TABLE, staff_id=member.staff_id))


def _ensure_writable(ctx: Context, member: StaffMember) -> None:
    w = window(ctx)
    if not w["open"]:
        when = "尚未开始" if w["before"] else "已经截止"
        raise ApiError(409, "summary_closed", f"个人总结的填写时间为{w['text']}，现在{when}，不能保存")
    if lock_of(ctx, member.department) is not None:
        raise ApiError(409, "summary_locked", "本部门已锁定个人总结，不能再修改；如需修改请联系部门或人事处")


def _text(ctx: Context, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request("invalid_text", "个人总结（text）应为文字", field="text")
    text = value.replace("\r\n", "\n").strip()
    limit = ctx.content.settings.summary.max_chars
    if len(text) > limit:
        raise unprocessable("summary_too_long", f"个人总结不能超过 {limit} 字（当前 {len(text)} 字）", field="text")
    return text


def _submit_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad_request("invalid_submit", "submit 应为 true（提交）或 false（保存草稿）", field="submit")
    return value


def save(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """JSON {text, submit}: the summary kept as a draft, or submitted (an uploaded document stays)."""
    member = own_member(ctx, user, access.WRITE_SUMMARY)
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "请求体应为 {\"text\": 个人总结, \"submit\": true 或 false}")
    text, submit = _text(ctx, body.get("text")), _submit_flag(body.get("submit", False))
    with ctx.store.locked():
        _ensure_writable(ctx, member)
        before = ctx.store.get(member.department, TABLE, staff_id=member.staff_id) or {}
        if submit and not text and not before.get("file"):
            raise bad_request("summary_empty", "个人总结是空的：请填写内容或上传文件后再提交", field="text")
        _put(ctx, user, member, before, {"text": text}, submit)
    return mine(ctx, user)


def upload(ctx: Context, user: User, stream: BinaryIO, filename: str) -> dict[str, Any]:
    """The summary as a Word or PDF document: stored and submitted (the text written stays as it is)."""
    member = own_member(ctx, user, access.WRITE_SUMMARY)
    with ctx.store.locked():
        _ensure_writable(ctx, member)
    folder = ctx.settings.data_dir / "files" / str(ctx.year) / member.department / "summaries"
    folder.mkdir(parents=True, exist_ok=True)
    stored, ext = store_document(ctx, stream, folder, WHAT)
    try:
        with ctx.store.locked():
            _ensure_writable(ctx, member)
            before = ctx.store.get(member.department, TABLE, staff_id=member.staff_id) or {}
            name = scans.display_name(filename) or f"个人总结.{ext}"
            file = {"file": str(stored.path.relative_to(ctx.settings.data_dir)), "sha256": stored.sha256,
                    "ext": ext, "size": stored.size, "name": name, "at": ctx.stamp()}
            _put(ctx, user, member, before, {"file": file}, True, LinkedFile(folder))
    except BaseException:
        files.remove(stored.path)
        raise
    return mine(ctx, user)


def _put(ctx: Context, user: User, member: StaffMember, before: dict[str, Any], change: dict[str, Any],
         submit: bool, *extra: LinkedFile) -> None:
    now = ctx.stamp()
    state = SUMMARY_SUBMITTED if submit else SUMMARY_DRAFT
    doc = {"text": "", "file": None, **before, **change, "staff_id": member.staff_id, "state": state,
           "saved_at": now, "submitted_at": now if submit else None, "changes": int(before.get("changes", 0)) + 1}
    commit(ctx, [Put(member.department, TABLE, doc, {"staff_id": member.staff_id}), *extra], user.username,
           "summary.upload" if "file" in change else "summary.save", staff_id=member.staff_id,
           department=member.department, state=state, chars=len(doc["text"]),
           sha256=(change.get("file") or {}).get("sha256"))


def file_path(ctx: Context, user: User, staff_id: str) -> tuple[Path, str, str]:
    """The uploaded document of a person (its path, the name to give it, its type)."""
    member = member_or_404(ctx, staff_id)
    access.ensure(user, access.READ_APPRAISAL, member.department, "您无权查看该教职工的个人总结", person=staff_id)
    doc = ctx.store.get(member.department, TABLE, staff_id=member.staff_id) or {}
    file = doc.get("file")
    if not file:
        raise not_found("no_summary_file", f"{member.name}没有上传个人总结文件")
    return ctx.settings.data_dir / file["file"], str(file["name"]), str(file["ext"])


def set_lock(ctx: Context, user: User, department: str, locked: bool) -> dict[str, Any]:
    """The department (or HR) locks its summaries, or opens them again."""
    department_or_404(ctx, department)
    access.ensure(user, access.LOCK_SUMMARIES, department, "您只能锁定本部门的个人总结")
    with ctx.store.locked():
        if (lock_of(ctx, department) is not None) != locked:
            doc = {"key": "lock", "locked": locked, "at": ctx.stamp(), "by": user.username}
            commit(ctx, [Put(department, LOCK_TABLE, doc, {"key": "lock"})], user.username,
                   "summary.lock" if locked else "summary.unlock", department=department)
    return department_list(ctx, user, department)


def department_list(ctx: Context, user: User, department: str) -> dict[str, Any]:
    """Who of the department has submitted, saved a draft, or written nothing yet."""
    department_or_404(ctx, department)
    access.ensure(user, access.READ_APPRAISAL, department, "您只能查看本部门（或主管部门）教职工的个人总结")
    stored = {d["staff_id"]: d for d in ctx.store.records(department, TABLE)}
    people = []
    for member in ctx.content.members(department):
        doc = stored.get(member.staff_id) or {}
        state = doc.get("state", SUMMARY_NONE)
        people.append({"staff_id": member.staff_id, "name": member.name, "post": member.post, "state": state,
                       "state_label": SUMMARY_LABELS[state], "submitted_at": doc.get("submitted_at"),
                       "has_file": bool(doc.get("file")), "chars": len(doc.get("text", ""))})
    lock = lock_of(ctx, department)
    return {"department": department, "year": ctx.year, "window": window(ctx), "locked": lock is not None,
            "locked_at": lock["at"] if lock else None, "counts": counts(p["state"] for p in people),
            "may_lock": access.allowed(user, access.LOCK_SUMMARIES, department), "people": people}


def counts(states: Iterable[str]) -> dict[str, int]:
    found = dict.fromkeys(SUMMARY_LABELS, 0)
    for state in states:
        found[state] += 1
    return found


def missing(ctx: Context, department: str) -> list[StaffMember]:
    """The people of `department` with no submitted summary (for to-dos and reminders)."""
    submitted = {d["staff_id"] for d in ctx.store.records(department, TABLE) if d.get("state") == SUMMARY_SUBMITTED}
    return [m for m in ctx.content.members(department) if m.staff_id not in submitted]


def closes(ctx: Context) -> dt.date:
    return ctx.content.settings.summary.window(ctx.year)[1]
