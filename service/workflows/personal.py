"""What a staff member sees of their own, and nothing of anyone else: their targets (the
approved version, its state and history, their confirmation), their signed contract on file,
their monthly results and score by month and year to date, their grade and its notice once
the notice was delivered (送达 recorded by HR).

Every function takes the signed-in account and reads only its own person: the 工号 is the
account's, never a parameter, and rules/access.py is asked with that person (SELF).
"""

from __future__ import annotations

from typing import Any

from service.content import target_rows
from service.content.codes import CHALLENGEABLE, LEAVE_STATUSES, TARGET_APPROVED, TARGET_NOT_STARTED
from service.content.models import StaffMember
from service.errors import ApiError
from service.rules import access, approval
from service.rules.access import User
from service.rules.board import person_status
from service.workflows import confirmations, contracts, grade_reviews, grades, monthly, scores, targets
from service.workflows.common import own_member
from service.workflows.context import Context

SCAN_FIELDS = ("id", "version", "ext", "size", "uploaded_at")


def overview(ctx: Context, user: User) -> dict[str, Any]:
    """The person, their targets with the confirmation, their contract on file and completion."""
    member = own_member(ctx, user, access.READ_TARGETS)
    department = ctx.content.department(member.department)
    role = ctx.content.role(member.role)
    doc = ctx.store.get(member.department, targets.TABLE, staff_id=member.staff_id)
    current = confirmations.approved(doc)
    state = doc["state"] if doc else None
    access.ensure(user, access.SEE_DEPARTMENT, member.department, person=member.staff_id)
    scans = contracts.versions(ctx, member.department).get(member.staff_id, [])
    status = person_status(member, ctx.cache.state(member.department))
    return {
        "staff_id": member.staff_id, "name": member.name, "department": member.department,
        "department_name": department.name if department else member.department, "post": member.post,
        "role_name": role.name if role else member.role, "year": ctx.year,
        "targets": {
            "state": state, "state_label": state or TARGET_NOT_STARTED, "approved": current is not None,
            "version": current.version if current else None, "approved_at": current.at if current else None,
            "rows": current.rows if current else list(doc["rows"]) if doc else [],
            "total": _total(current.rows if current else doc["rows"] if doc else []),
            "comment": (doc or {}).get("comment", ""),
            "history": [{"action": h.get("action"), "label": approval.ACTION_LABELS.get(h.get("action", ""), ""),
                         "state": h.get("state"), "at": h.get("at"), "by": h.get("by"), "comment": h.get("comment", "")}
                        for h in (doc or {}).get("history", [])],
        },
        "confirmation": confirmations.status(ctx, member),
        "contract": {"status": status, "on_leave": status in LEAVE_STATUSES,
                     "scans": [{k: s.get(k) for k in SCAN_FIELDS} for s in scans]},
        "printable": state == TARGET_APPROVED,
    }


def results(ctx: Context, user: User) -> dict[str, Any]:
    """Month by month (attendance as reported, 其他项目, business result, the month's score) and
    the year to date, with each common item's deductions and the events behind them."""
    member = own_member(ctx, user, access.READ_SCORES)
    events = [e for e in scores.events(ctx) if e["department"] == member.department]
    person = scores.book(ctx, member.department).person(member, None)
    items = {t.id: t for t in ctx.content.common_targets}
    submitted = {doc["month"]: doc.get("submitted_at")
                 for doc in ctx.store.scan(member.department, monthly.TABLE, ("month", "submitted_at"))}
    months = []
    for m in person.months:
        reported = m.row is not None
        months.append({"month": m.month, "reported": reported, "submitted_at": submitted.get(m.month),
                       "attendance": dict(m.attendance or {}), "other": m.other, "business": m.business,
                       "common": m.common, "total": m.total})
    return {
        "staff_id": member.staff_id, "name": member.name, "year": ctx.year,
        "business_rule": ctx.content.settings.business_score_rule,
        "common": person.common, "business": person.business, "total": person.total, "other": person.other,
        "months_reported": person.months_reported, "months": months,
        "items": [{"item_id": i.item_id, "content": items[i.item_id].content if i.item_id in items else i.item_id,
                   "points": i.points, "deducted": i.deducted, "score": i.score,
                   "events": [{"id": e["id"], "at": e.get("at"), "deduction": e.get("deduction"), "note": e.get("note", "")}
                              for e in events if e["item_id"] == i.item_id]}
                  for i in person.common_by_item],
    }


def grade(ctx: Context, user: User) -> dict[str, Any]:
    """The person's grade of the year, once its written notice was delivered (before that the
    grade is still the college's business: not shown)."""
    member = own_member(ctx, user, access.READ_GRADES)
    doc = published(ctx, member)
    if doc is None:
        return {"published": False, "year": ctx.year}
    return {"published": True, "year": ctx.year,
            **{k: doc.get(k) for k in ("grade", "score", "reason", "findings", "notified_on", "review", "appeal")},
            "challengeable": doc.get("grade") in CHALLENGEABLE, "clocks": grade_reviews.clocks(ctx, doc)}


def published(ctx: Context, member: StaffMember) -> dict[str, Any] | None:
    """The person's grade document once its notice was delivered; None before."""
    doc = ctx.store.get(member.department, grades.TABLE, staff_id=member.staff_id)
    return doc if doc is not None and doc.get("notified_on") else None


def notice_doc(ctx: Context, user: User) -> dict[str, Any]:
    """The grade document the person's notice is printed from (404 before it was delivered)."""
    member = own_member(ctx, user, access.READ_GRADES)
    doc = published(ctx, member)
    if doc is None:
        raise ApiError(404, "no_notice", "您的年度考核结果通知书尚未送达，送达后可在此下载")
    return doc


def _total(rows: list[dict[str, Any]]) -> float:
    points = (target_rows.parse_points(r.get(target_rows.COL_POINTS)) for r in rows)
    return round(sum(p for p in points if p is not None), 2)
