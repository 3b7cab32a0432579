"""A staff member's objections to their own results: a common-target item of their score (HR's
deductions), a month's result (their department's summary) or their annual grade. Each has a
reason and up to three attachments (checked like scans), shows in the department's and HR's
lists, and is answered by whoever may change what it is about: HR for a score item, the
department (or HR) for a month, HR's 复核 decision for a grade. The person sees where it stands.

An objection to the grade IS the 复核 application of workflows/grade_reviews.py, with its
clocks: raising it opens the review on the grade document (refused outside its window or for
a grade that may not be reviewed), and its answer is the review's decision, which may keep
or improve the grade, never worsen it.

Store: the person's department partition, table "result_objections": {id, staff_id, kind,
ref {item_id | month | year}, subject, reason, attachments[{file, sha256, ext, size, name}],
at, by, state, answer, answered_by, answered_at}; a grade objection's state and answer are
read from the grade's review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from service.content.codes import (
    DISPUTE_ANSWERED,
    DISPUTE_GRADE,
    DISPUTE_KINDS,
    DISPUTE_LABELS,
    DISPUTE_MONTHLY,
    DISPUTE_OPEN,
    DISPUTE_SCORE_ITEM,
)
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, not_found, unprocessable
from service.rules import access
from service.rules.access import User
from service.storage import files
from service.storage.store import new_record
from service.workflows import grade_reviews, monthly, personal
from service.workflows.commit import Add, LinkedFile, Put, commit
from service.workflows.common import department_or_404, month_number, own_member
from service.workflows.context import Context
from service.workflows.grade_records import note_text, today
from service.workflows.kept import Same
from service.workflows.uploads import store_scan

TABLE = "result_objections"
MAX_REASON = 1000
MAX_ANSWER = 1000
MAX_FILES = 3
MAX_NAME = 80
# Who answers: the action that may change what the objection is about.
ANSWERED_BY = {DISPUTE_SCORE_ITEM: access.RECORD_SCORE_EVENTS, DISPUTE_MONTHLY: access.WRITE_DEPARTMENT,
               DISPUTE_GRADE: access.MANAGE_GRADES}


@dataclass(frozen=True)
class Attachment:
    stream: BinaryIO
    filename: str


# -- the person -------------------------------------------------------------------------------


def raise_objection(ctx: Context, user: User, kind: Any, ref: Any, reason: Any,
                    attachments: Sequence[Attachment] = ()) -> dict[str, Any]:
    """The signed-in staff member objects to one of their own results."""
    member = own_member(ctx, user, access.RAISE_OBJECTION)
    if kind not in DISPUTE_KINDS:
        raise bad_request("invalid_kind", f"异议的对象应为 {' / '.join(DISPUTE_KINDS.values())} 之一")
    text = note_text(reason, "reason", MAX_REASON, required=True)
    if len(attachments) > MAX_FILES:
        raise bad_request("too_many_files", f"附件最多 {MAX_FILES} 个")
    key, subject = _subject(ctx, member, kind, ref)
    folder = ctx.settings.data_dir / "files" / str(ctx.year) / member.department / "objections"
    stored: list[Path] = []
    try:
        kept = []
        for attachment in attachments:
            found, ext = store_scan(ctx, attachment.stream, folder, "附件")
            stored.append(found.path)
            kept.append({"file": str(found.path.relative_to(ctx.settings.data_dir)), "sha256": found.sha256,
                         "ext": ext, "size": found.size, "name": _name(attachment.filename, ext)})
        with ctx.store.locked():
            if any(o["kind"] == kind and o["ref"] == key and _state(ctx, member, o) == DISPUTE_OPEN
                   for o in ctx.store.find(member.department, TABLE, staff_id=member.staff_id)):
                raise ApiError(409, "objection_open", f"您对“{subject}”的异议尚未答复，请等待答复")
            if kind == DISPUTE_GRADE:
                doc = personal.published(ctx, member)
                assert doc is not None  # _subject checked
                grade_reviews.open_review(ctx, user, doc, today(ctx), text)
            record = new_record({"staff_id": member.staff_id, "kind": kind, "ref": key, "subject": subject,
                                 "reason": text, "attachments": kept, "at": ctx.stamp(), "by": user.username,
                                 "state": DISPUTE_OPEN, "answer": "", "answered_by": None, "answered_at": None})
            writes: list[Any] = [Add(member.department, TABLE, record)]
            if kept:
                writes.append(LinkedFile(folder))
            commit(ctx, writes, user.username, "objection.raise", id=record["id"], staff_id=member.staff_id,
                   department=member.department, kind=kind, ref=key,
                   attachments=[{"sha256": a["sha256"], "size": a["size"]} for a in kept])
    except BaseException:
        for path in stored:
            files.remove(path)
        raise
    return shown(ctx, member, record)


def _subject(ctx: Context, member: StaffMember, kind: str, ref: Any) -> tuple[dict[str, Any], str]:
    """What the objection is about, checked: its reference as stored, and its name."""
    if kind == DISPUTE_SCORE_ITEM:
        item = next((t for t in ctx.content.common_targets if t.id == str(ref or "")), None)
        if item is None:
            raise bad_request("invalid_item", "请选择要提出异议的共性目标条目")
        return {"item_id": item.id}, f"共性目标“{item.content[:40]}”得分"
    if kind == DISPUTE_MONTHLY:
        month = month_number(ref or "")
        doc = ctx.store.get(member.department, monthly.TABLE, month=month)
        if doc is None or not any(r.get("staff_id") == member.staff_id for r in doc["rows"]):
            raise unprocessable("not_reported", f"本部门尚未报送您 {month} 月的考核结果，暂不能对其提出异议")
        return {"month": month}, f"{ctx.year}年{month}月考核结果"
    doc = personal.published(ctx, member)
    if doc is None:
        raise unprocessable("no_grade", "您的年度考核结果通知书尚未送达，送达后才能申请复核")
    return {"year": ctx.year}, f"{ctx.year}年度考核档次（{doc['grade']}）"


def _name(filename: str, ext: str) -> str:
    base = str(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')[:MAX_NAME].strip()
    return base or f"附件.{ext}"


def mine(ctx: Context, user: User) -> list[dict[str, Any]]:
    """The signed-in person's objections, newest first, with where each stands."""
    member = own_member(ctx, user, access.RAISE_OBJECTION)
    found = ctx.store.find(member.department, TABLE, staff_id=member.staff_id)
    return [shown(ctx, member, o) for o in sorted(found, key=lambda o: o["at"], reverse=True)]


# -- the department and HR ------------------------------------------------------------------


def listing(ctx: Context, user: User, department: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
    """The objections the user may see (one department's, or every department's they may),
    open ones first, oldest first."""
    if state is not None and state not in DISPUTE_LABELS:
        raise bad_request("invalid_state", f"state 应为 {' / '.join(DISPUTE_LABELS)} 之一")
    if department is not None:
        department_or_404(ctx, department)
        access.ensure(user, access.SEE_OBJECTIONS, department, "您只能查看本部门教职工的异议")
        found = [(department, o) for o in ctx.store.records(department, TABLE)]
    else:
        access.ensure(user, access.SEE_OBJECTIONS, None, "只有人事处可以查看全院的异议")
        found = [(part, o) for part, o in ctx.store.across(TABLE)
                 if ctx.content.department(part) and access.allowed(user, access.SEE_OBJECTIONS, part)]
    rows = []
    for part, record in found:
        member = ctx.content.staff(record["staff_id"])
        row = shown(ctx, member, record, part)
        if state is None or row["state"] == state:
            row["may_answer"] = row["state"] == DISPUTE_OPEN and access.allowed(user, ANSWERED_BY[record["kind"]], part)
            rows.append(row)
    return sorted(rows, key=lambda r: (r["state"] != DISPUTE_OPEN, r["at"]))


def open_count(ctx: Context, user: User, department: str | None = None) -> int:
    """How many objections wait for an answer the user may give (a to-do list shows it), kept
    until the year's store changes."""
    return ctx.kept.of_year(("objections open", user, department), Same(ctx.content), lambda: sum(
        1 for row in listing(ctx, user, department, DISPUTE_OPEN) if row["may_answer"]))


def answer(ctx: Context, user: User, department: str, objection_id: str, body: Any) -> dict[str, Any]:
    """Answer an open objection: the text, and for a grade the 复核 decision (`grade`, kept or better)."""
    department_or_404(ctx, department)
    access.ensure(user, access.SEE_OBJECTIONS, department, "您只能处理本部门教职工的异议")
    b = body if isinstance(body, dict) else {}
    text = note_text(b.get("answer"), "answer", MAX_ANSWER, required=True)
    with ctx.store.locked():
        record = ctx.store.get(department, TABLE, id=objection_id)
        if record is None:
            raise not_found("unknown_objection", "找不到该异议")
        member = ctx.content.staff(record["staff_id"])
        access.ensure(user, ANSWERED_BY[record["kind"]], department, _who_answers(record["kind"]))
        if member is None or _state(ctx, member, record) != DISPUTE_OPEN:
            raise ApiError(409, "already_answered", "该异议已经答复")
        if record["kind"] == DISPUTE_GRADE:
            grade_reviews.decide_review(ctx, user, {"staff_id": member.staff_id, "grade": b.get("grade") or None,
                                                    "note": text})
        record = {**record, "state": DISPUTE_ANSWERED, "answer": text, "answered_by": user.username,
                  "answered_at": ctx.stamp()}
        commit(ctx, [Put(department, TABLE, record, {"id": record["id"]})], user.username, "objection.answer",
               id=record["id"], staff_id=record["staff_id"], department=department, kind=record["kind"])
    return shown(ctx, member, record, department)


def attachment(ctx: Context, user: User, department: str, objection_id: str, number: int) -> tuple[Path, str]:
    """An attachment's file and name, for the person or those who see the department's objections."""
    department_or_404(ctx, department)
    record = ctx.store.get(department, TABLE, id=objection_id)
    if record is None or not (access.allowed(user, access.SEE_OBJECTIONS, department)
                              or access.allowed(user, access.RAISE_OBJECTION, department, record["staff_id"])):
        raise not_found("unknown_objection", "找不到该异议")
    kept = record.get("attachments") or []
    if not 1 <= number <= len(kept):
        raise not_found("unknown_attachment", "该异议没有这个附件")
    item = kept[number - 1]
    return ctx.settings.data_dir / item["file"], item["name"]


# -- helpers ----------------------------------------------------------------------------------


def _who_answers(kind: str) -> str:
    if kind == DISPUTE_MONTHLY:
        return "月度考核结果的异议由本部门或人事处答复"
    return "共性目标得分的异议由人事处答复" if kind == DISPUTE_SCORE_ITEM else "年度考核的复核由人事处作出决定"


def _review(ctx: Context, member: StaffMember | None) -> dict[str, Any]:
    doc = personal.published(ctx, member) if member else None
    return (doc or {}).get("review") or {}


def _state(ctx: Context, member: StaffMember, record: dict[str, Any]) -> str:
    if record["kind"] == DISPUTE_GRADE:
        return DISPUTE_ANSWERED if _review(ctx, member).get("decided_on") else DISPUTE_OPEN
    return str(record["state"])


def shown(ctx: Context, member: StaffMember | None, record: dict[str, Any], department: str | None = None
          ) -> dict[str, Any]:
    """An objection as lists and the person see it: a grade's state and answer from its review."""
    row = {k: v for k, v in record.items() if k != "attachments"}
    row["attachments"] = [{"name": a["name"], "size": a["size"], "ext": a["ext"]} for a in record.get("attachments") or []]
    department = department or (member.department if member else "")
    found = ctx.content.department(department)
    row.update(name=member.name if member else record["staff_id"], department=department,
               department_name=found.name if found else department, kind_label=DISPUTE_KINDS[record["kind"]])
    if record["kind"] == DISPUTE_GRADE:
        review = _review(ctx, member)
        row["clocks"] = grade_reviews.clocks(ctx, personal.published(ctx, member) or {}) if member else []
        if review.get("decided_on"):
            row.update(state=DISPUTE_ANSWERED, answered_at=review.get("decided_on"),
                       answer=f"复核决定：{review.get('grade')}。{review.get('note') or ''}".strip(),
                       answered_by=review.get("decided_by") or record.get("answered_by"))
    row["state_label"] = DISPUTE_LABELS[row["state"]]
    return row
