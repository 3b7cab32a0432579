"""After the notice: the person's signed view, 复核 and 申诉 on their clocks, HR's board of
them, the 备案 summary, and each person's grades across the years.

A case lives on the person's grade document: review {applied_on, reason, decided_on, grade,
note, by, at}, appeal {applied_on, authority, decided_on, grade, extended, note, by, at};
view {file, sha256, ext, size, at, by, note}. The grade stays in force while a case runs
and its outcome may keep or improve it, never worsen it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, BinaryIO

from service.content.codes import (
    CASE_APPEAL,
    CASE_REVIEW,
    CHALLENGEABLE,
    GRADE_BASIC,
    GRADE_FAIL,
    GRADE_NONE,
    GRADE_OUTCOMES,
    UNGRADED_OTHER,
    UNGRADED_REASONS,
)
from service.errors import ApiError, not_found, unprocessable
from service.rules import access, reviews
from service.rules.access import User
from service.storage import files
from service.workflows import grades
from service.workflows.commit import LinkedFile, Put, commit
from service.workflows.common import member_or_404
from service.workflows.context import Context
from service.workflows.grade_records import day, note_text, today
from service.workflows.grades import STEP_APPEAL, STEP_REVIEW, TABLE
from service.workflows.uploads import store_scan

HR_ONLY = "只有人事处可以登记复核、申诉"


def _person(ctx: Context, body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    b = body if isinstance(body, dict) else {}
    member = member_or_404(ctx, str(b.get("staff_id") or ""))
    doc = ctx.store.get(member.department, TABLE, staff_id=member.staff_id)
    if doc is None:
        raise not_found("no_grade", f"{member.name}尚无考核结果")
    return b, doc


def _save(ctx: Context, user: User, doc: dict[str, Any], action: str, **detail: Any) -> None:
    commit(ctx, [Put(doc["department"], TABLE, doc, {"staff_id": doc["staff_id"]})], user.username, action,
           staff_id=doc["staff_id"], **detail)


def apply_review(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """A 复核 application received: only against 基本合格 / 不合格, within the days from notification."""
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    with ctx.store.locked():
        b, doc = _person(ctx, body)
        applied = day(b.get("applied_on"), "applied_on", required=False) or today(ctx)
        return open_review(ctx, user, doc, applied, note_text(b.get("reason")))


def open_review(ctx: Context, user: User, doc: dict[str, Any], applied: dt.date, reason: str) -> dict[str, Any]:
    """Record a 复核 application on the person's grade document `doc`: HR registering a paper
    one, or the person applying online (the caller checked who may, and holds the store lock)."""
    if doc.get("review"):
        raise ApiError(409, "review_exists", "该考核结果已申请过复核")
    notified = dt.date.fromisoformat(doc["notified_on"]) if doc.get("notified_on") else None
    problem = reviews.application_problem(doc["grade"], notified, applied,
                                          ctx.content.settings.assessment.review.apply, "复核")
    if problem:
        raise unprocessable("review_refused", problem)
    doc["review"] = {"applied_on": str(applied), "reason": reason, "decided_on": None,
                     "grade_before": doc["grade"], "grade": None, "note": "", "by": user.username,
                     "at": ctx.stamp()}
    _save(ctx, user, doc, "grades.review.apply", applied_on=str(applied))
    return doc


def _decide(ctx: Context, user: User, body: Any, case: str) -> dict[str, Any]:
    key, step = ("review", STEP_REVIEW) if case == CASE_REVIEW else ("appeal", STEP_APPEAL)
    with ctx.store.locked():
        b, doc = _person(ctx, body)
        record = dict(doc.get(key) or {})
        if not record:
            raise ApiError(409, f"no_{key}", f"该考核结果没有待决定的{'复核' if key == 'review' else '申诉'}")
        if record.get("decided_on"):
            raise ApiError(409, "already_decided", "已经作出决定")
        decided = day(b.get("decided_on"), "decided_on", required=False) or today(ctx)
        if decided < dt.date.fromisoformat(record["applied_on"]):
            raise unprocessable("invalid_date", "决定日期不能早于申请日期")
        outcome = str(b.get("grade") or doc["grade"])
        problem = reviews.outcome_problem(doc["grade"], outcome)
        if problem:
            raise unprocessable("would_worsen" if outcome in GRADE_OUTCOMES else "invalid_grade", problem)
        note = note_text(b.get("note"))
        record.update(decided_on=str(decided), grade=outcome, note=note, decided_by=user.username,
                      extended=bool(b.get("extended")) if case == CASE_APPEAL else False)
        if outcome != doc["grade"]:
            member = member_or_404(ctx, doc["staff_id"])
            doc = grades.change(ctx, user, member, outcome, step, note or f"{step}决定", **{key: record})
        else:
            doc[key] = record
            _save(ctx, user, doc, f"grades.{key}.decide", grade=outcome, decided_on=str(decided))
    return doc


def decide_review(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    return _decide(ctx, user, body, CASE_REVIEW)


def apply_appeal(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """A 申诉 to the supervising authority, within the days from the 复核 decision."""
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    with ctx.store.locked():
        b, doc = _person(ctx, body)
        review = doc.get("review") or {}
        if doc.get("appeal"):
            raise ApiError(409, "appeal_exists", "已登记过申诉")
        applied = day(b.get("applied_on"), "applied_on", required=False) or today(ctx)
        decided = dt.date.fromisoformat(review["decided_on"]) if review.get("decided_on") else None
        problem = reviews.application_problem(doc["grade"], decided, applied,
                                              ctx.content.settings.assessment.review.appeal_apply, "申诉")
        if problem:
            raise unprocessable("appeal_refused", problem)
        doc["appeal"] = {"applied_on": str(applied), "authority": note_text(b.get("authority"), "authority", 100),
                         "decided_on": None, "grade": None, "extended": False, "note": "", "by": user.username,
                         "at": ctx.stamp()}
        _save(ctx, user, doc, "grades.appeal.apply", applied_on=str(applied))
    return doc


def decide_appeal(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    access.ensure(user, access.MANAGE_GRADES, None, HR_ONLY)
    return _decide(ctx, user, body, CASE_APPEAL)


def clocks(ctx: Context, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The person's running and finished clocks: the window to apply, each decision due."""
    r = ctx.content.settings.assessment.review
    on = today(ctx)
    found: list[tuple[str, str, reviews.Clock]] = []
    review, appeal = doc.get("review"), doc.get("appeal")
    if doc.get("grade") in CHALLENGEABLE and doc.get("notified_on") and not review:
        found.append((CASE_REVIEW, "申请复核期限", reviews.Clock(dt.date.fromisoformat(doc["notified_on"]), r.apply)))
    if review:
        found.append((CASE_REVIEW, "复核决定期限", reviews.Clock(
            dt.date.fromisoformat(review["applied_on"]), r.decide, _date(review.get("decided_on")))))
    if appeal:
        days = r.appeal_decide + (r.appeal_extend if appeal.get("extended") else 0)
        found.append((CASE_APPEAL, "申诉决定期限", reviews.Clock(
            dt.date.fromisoformat(appeal["applied_on"]), days, _date(appeal.get("decided_on")))))
    result = []
    for case, label, clock in found:
        window = label.startswith("申请")
        result.append({"case": case, "label": label, "start": str(clock.start), "due": str(clock.due),
                       "days_left": clock.days_left(on), "done_on": str(clock.done_on) if clock.done_on else None,
                       "overdue": clock.overdue(on) and not window, "expired": window and clock.overdue(on),
                       "late": clock.late()})
    return result


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def board(ctx: Context, user: User) -> list[dict[str, Any]]:
    """Every person with a challengeable grade or a case: their clocks, overdue first."""
    access.ensure(user, access.MANAGE_GRADES, None)
    rows = []
    for doc in grades.stored(ctx).values():
        if doc.get("grade") in CHALLENGEABLE or doc.get("review"):
            rows.append({**{k: doc.get(k) for k in ("staff_id", "name", "department", "department_name", "grade",
                                                    "notified_on", "review", "appeal")},
                         "clocks": clocks(ctx, doc)})
    return sorted(rows, key=lambda r: (not any(c["overdue"] for c in r["clocks"]), r["department"], r["staff_id"]))


# -- the signed view ----------------------------------------------------------------------


def record_view(ctx: Context, user: User, staff_id: str, stream: BinaryIO, note: str = "") -> dict[str, Any]:
    """The person's signed notice (本人意见) as a scan; a new upload replaces the one shown."""
    member = member_or_404(ctx, staff_id)
    access.ensure(user, access.RECORD_VIEW, member.department, "您只能为本部门的教职工上传本人意见")
    folder = ctx.settings.data_dir / "files" / str(ctx.year) / member.department / "grade-views"
    stored, ext = store_scan(ctx, stream, folder)
    try:
        with ctx.store.locked():
            doc = ctx.store.get(member.department, TABLE, staff_id=staff_id)
            if doc is None:
                raise not_found("no_grade", f"{member.name}尚无考核结果")
            doc["view"] = {"file": str(stored.path.relative_to(ctx.settings.data_dir)), "sha256": stored.sha256,
                           "ext": ext, "size": stored.size, "at": ctx.stamp(), "by": user.username,
                           "note": note_text(note)}
            commit(ctx, [Put(member.department, TABLE, doc, {"staff_id": staff_id}), LinkedFile(folder)],
                   user.username, "grades.view", staff_id=staff_id, sha256=stored.sha256)
    except BaseException:
        files.remove(stored.path)
        raise
    return doc["view"]


# -- 备案 and history ---------------------------------------------------------------------------


def filing(ctx: Context, user: User, year: int) -> dict[str, Any]:
    """People per grade and the ungraded by reason, per department and for the college."""
    access.ensure(user, access.EXPORT, None, "只有人事处可以导出备案表")
    docs = grades.of_year(ctx, year)
    names = {d.id: d.name for d in ctx.content.departments}
    order = list(names)
    rows: dict[str, dict[str, Any]] = {}
    for doc in docs.values():
        row = rows.setdefault(doc["department"], {"department": doc["department"],
                                                  "name": doc.get("department_name") or names.get(doc["department"], ""),
                                                  "people": 0, **{g: 0 for g in GRADE_OUTCOMES},
                                                  **{r: 0 for r in UNGRADED_REASONS}})
        row["people"] += 1
        row[doc["grade"]] += 1
        if doc["grade"] == GRADE_NONE:
            row[doc.get("reason") or UNGRADED_OTHER] += 1
    listed = sorted(rows.values(), key=lambda r: order.index(r["department"]) if r["department"] in order else 999)
    total = {"department": "", "name": "合计", **{k: sum(r[k] for r in listed) for k in
                                                  ("people", *GRADE_OUTCOMES, *UNGRADED_REASONS)}}
    return {"year": year, "college": ctx.content.settings.college, "rows": listed, "total": total}


def history(ctx: Context, user: User, staff_id: str) -> dict[str, Any]:
    """A person's grades year by year, with the flags of two weak years running."""
    everyone: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for year, _, doc in ctx.store.every(TABLE):
        if doc["staff_id"] == staff_id:
            everyone[staff_id].append({"year": int(year), **{k: doc.get(k) for k in (
                "name", "department", "department_name", "post", "score", "grade", "reason")}})
    member = ctx.content.staff(staff_id)
    years = sorted(everyone.get(staff_id, []), key=lambda r: r["year"])
    if member is None and not years:
        raise not_found("unknown_staff", f"没有工号为“{staff_id}”的教职工的考核记录")
    department = member.department if member else years[-1]["department"]
    access.ensure(user, access.READ_GRADES, department, "您只能查看本部门教职工的考核结果")
    return {"staff_id": staff_id, "name": member.name if member else years[-1]["name"], "years": years,
            "flags": running(years)}


def running(years: list[dict[str, Any]]) -> list[str]:
    """"连续两年基本合格" / "连续两年不合格" for each pair of consecutive years."""
    flags = []
    by_year = {r["year"]: r["grade"] for r in years}
    for year, grade in sorted(by_year.items()):
        if grade in (GRADE_BASIC, GRADE_FAIL) and by_year.get(year - 1) == grade:
            flags.append(f"{year - 1}—{year} 年连续两年{grade}")
    return flags


def weak_twice(ctx: Context) -> dict[str, str]:
    """staff_id → the flag, for everyone whose grade this year repeats last year's 基本合格 or 不合格."""
    last = grades.of_year(ctx, ctx.year - 1)
    return {sid: f"连续两年{doc['grade']}" for sid, doc in grades.stored(ctx).items()
            if doc.get("grade") in (GRADE_BASIC, GRADE_FAIL) and last.get(sid, {}).get("grade") == doc["grade"]}

