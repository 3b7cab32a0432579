"""Annual grades: what the service suggests from the year's scores and the rules, departments'
proposals, HR's adjustments (each with its reason) and quota variants, and the views of them.

Store: the person's department partition, table "grades", one document per person:
{staff_id, name, department, department_name, post, role, score, grade, reason, reason_text, findings,
changes[{from, to, step, by, at, reason}], notified_on, view, review, appeal}. The name,
department and post are kept as they were that year, so earlier years read without their
content. The college partition's "grade_round" holds the year's steps (quota variants, the
collective decision, 公示): see workflows/grading.py. After the collective decision grades
change only through an objection upheld during 公示 or a 复核/申诉.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.content.codes import GRADE_EXCELLENT, GRADE_OUTCOMES, QUOTA_BASES, SCOPE_COLLEGE
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, unprocessable
from service.rules import access, grades
from service.rules.access import User
from service.rules.grades import Candidate, Problem, Quota
from service.storage.store import COLLEGE
from service.workflows import grade_records, scores
from service.workflows.commit import Put, commit
from service.workflows.common import department_or_404, member_or_404
from service.workflows.context import Context

TABLE = "grades"
ROUND = "grade_round"
ROUND_KEY = {"key": "round"}
STEP_PROPOSE = "部门拟定"
STEP_ADJUST = "人事处调整"
STEP_OBJECTION = "公示异议处理"
STEP_REVIEW = "复核"
STEP_APPEAL = "申诉"
MAX_REASON = 500


# -- the year's round and its units ---------------------------------------------------------


def round_doc(ctx: Context) -> dict[str, Any]:
    return ctx.store.get(COLLEGE, ROUND, **ROUND_KEY) or {**ROUND_KEY, "quotas": {}}


def ensure_open(round_: dict[str, Any]) -> None:
    if round_.get("decision"):
        raise ApiError(409, "grades_locked", "考核结果已经集体审定并锁定，只能通过公示异议处理或复核、申诉改变")


def unit_of(ctx: Context, department: str) -> str:
    return COLLEGE if ctx.content.settings.assessment.quota_scope == SCOPE_COLLEGE else department


def unit_name(ctx: Context, unit: str) -> str:
    found = ctx.content.department(unit)
    return found.name if found else "全院"


def unit_members(ctx: Context, unit: str) -> tuple[StaffMember, ...]:
    return ctx.content.roster if unit == COLLEGE else ctx.content.members(unit)


def units(ctx: Context) -> list[str]:
    if ctx.content.settings.assessment.quota_scope == SCOPE_COLLEGE:
        return [COLLEGE]
    return [d.id for d in ctx.content.departments]


def quota(ctx: Context, unit: str, candidates: dict[str, Candidate], round_: dict[str, Any]) -> Quota:
    s = ctx.content.settings.assessment
    members = unit_members(ctx, unit)
    base = len(members) if s.quota_base == "all" else sum(
        1 for m in members if candidates[m.staff_id].eligibility.graded)
    variant = (round_.get("quotas") or {}).get(unit) or {}
    return Quota(base, float(variant.get("percent", s.quota_percent)), s.quota_rounding, s.quota_base)


def candidates(ctx: Context) -> dict[str, Candidate]:
    """Everyone of the roster with their year's score and what the rules say of them."""
    s = ctx.content.settings
    found = grade_records.inputs(ctx)
    totals = {p.staff_id: p.total for p in scores.people(ctx)}
    return {m.staff_id: Candidate(m.staff_id, m.name, totals.get(m.staff_id), grades.eligibility(
        s.year, s.assessment, found.leave.get(m.staff_id, ()), found.sanctions.get(m.staff_id, ()),
        found.newcomers.get(m.staff_id))) for m in ctx.content.roster}


def stored(ctx: Context, department: str | None = None) -> dict[str, dict[str, Any]]:
    """staff_id → grade document of this year: one department's, or the college's."""
    if department is not None:
        return {d["staff_id"]: d for d in ctx.store.records(department, TABLE)}
    return {d["staff_id"]: d for _, d in ctx.store.across(TABLE)}


def of_year(ctx: Context, year: int) -> dict[str, dict[str, Any]]:
    """staff_id → grade document of any year (an earlier year is read as it was stored)."""
    if year == ctx.year:
        return stored(ctx)
    return {d["staff_id"]: d for y, _, d in ctx.store.every(TABLE) if int(y) == year}


def years(ctx: Context) -> list[int]:
    found = {int(y) for y, _, _ in ctx.store.every(TABLE)} | {ctx.year, ctx.current_year}
    return sorted(found, reverse=True)


# -- writing grades -------------------------------------------------------------------------


def _reason(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request("missing_reason", "请填写理由")
    if len(value.strip()) > MAX_REASON:
        raise bad_request("invalid_reason", f"理由不能超过 {MAX_REASON} 字")
    return value.strip()


def person_doc(ctx: Context, member: StaffMember, grade: str, candidate: Candidate, before: dict[str, Any] | None,
               step: str, user: User, reason: str = "") -> dict[str, Any]:
    """The person's grade document with `grade`, its change appended when the grade changed."""
    department = ctx.content.department(member.department)
    doc = dict(before or {})
    changes = list(doc.get("changes") or [])
    old = doc.get("grade")
    if old != grade:
        changes.append({"from": old, "to": grade, "step": step, "by": user.username, "at": ctx.stamp(),
                        "reason": reason})
    doc.update({"staff_id": member.staff_id, "name": member.name, "department": member.department,
                "department_name": department.name if department else member.department, "post": member.post,
                "role": member.role, "score": candidate.score, "grade": grade,
                "reason": candidate.eligibility.ungraded_reason,
                "reason_text": candidate.eligibility.ungraded_text, "findings": [f.text for f in
                                                                              candidate.eligibility.findings],
                "changes": changes})
    return doc


def _refuse(problems: list[Problem], **extra: Any) -> ApiError:
    first = problems[0]
    return unprocessable(first.code, "；".join(p.message for p in problems),
                         problems=[{"code": p.code, "staff_id": p.staff_id, "message": p.message} for p in problems],
                         **extra)


def _check(ctx: Context, proposed: dict[str, str], cands: dict[str, Candidate], round_: dict[str, Any]) -> None:
    """The rules for every grade proposed, then the quota of each unit touched."""
    problems = grades.check_grades(proposed, cands)
    if problems:
        raise _refuse(problems)
    current = {sid: d["grade"] for sid, d in stored(ctx).items()}
    merged = {**current, **proposed}
    touched = {unit_of(ctx, ctx.content.staff(sid).department) for sid in proposed}  # type: ignore[union-attr]
    for unit in sorted(touched):
        q = quota(ctx, unit, cands, round_)
        excellent = sum(1 for m in unit_members(ctx, unit) if merged.get(m.staff_id) == GRADE_EXCELLENT)
        problem = grades.quota_problem(excellent, q, unit_name(ctx, unit))
        if problem:
            raise _refuse([problem], unit=unit, proposed_excellent=excellent, places=q.places, base=q.base,
                          percent=q.percent)


def _entries(body: Any) -> dict[str, str]:
    raw = body.get("grades") if isinstance(body, dict) else None
    if isinstance(raw, dict):
        raw = [{"staff_id": k, "grade": v} for k, v in raw.items()]
    if not isinstance(raw, list) or not raw or not all(isinstance(e, dict) for e in raw):
        raise bad_request("invalid_grades", "请求体应为 {\"grades\": [{\"staff_id\": 工号, \"grade\": 档次}, …]}")
    entries: dict[str, str] = {}
    for e in raw:
        staff_id, grade = str(e.get("staff_id") or ""), e.get("grade")
        if not isinstance(grade, str) or grade not in GRADE_OUTCOMES:
            raise bad_request("invalid_grade", f"{staff_id}：档次应为 {' / '.join(GRADE_OUTCOMES)} 之一，实际为“{grade}”")
        entries[staff_id] = grade
    return entries


def propose(ctx: Context, user: User, department: str, body: Any) -> dict[str, Any]:
    """A department's grades for its people (all of them or some): checked against the rules
    and the quota as a whole; nothing is kept when one is refused."""
    department_or_404(ctx, department)
    access.ensure(user, access.PROPOSE_GRADES, department, "您只能为本部门的教职工拟定考核档次")
    entries = _entries(body)
    members = {m.staff_id: m for m in ctx.content.members(department)}
    strangers = [sid for sid in entries if sid not in members]
    if strangers:
        raise unprocessable("not_in_department", f"以下工号不是本部门教职工：{'、'.join(strangers)}")
    with ctx.store.locked():
        round_ = round_doc(ctx)
        ensure_open(round_)
        cands = candidates(ctx)
        _check(ctx, entries, cands, round_)
        before = stored(ctx, department)
        docs = [person_doc(ctx, members[sid], grade, cands[sid], before.get(sid), STEP_PROPOSE, user)
                for sid, grade in entries.items()]
        commit(ctx, [Put(department, TABLE, d, {"staff_id": d["staff_id"]}) for d in docs], user.username,
               "grades.propose", department=department, people=len(docs),
               excellent=sum(1 for g in entries.values() if g == GRADE_EXCELLENT))
    return {"department": department, "saved": len(docs)}


def adjust(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """HR changes one person's grade, with the reason (kept with the change and in the audit log)."""
    b = body if isinstance(body, dict) else {}
    member = member_or_404(ctx, str(b.get("staff_id") or ""))
    access.ensure(user, access.ADJUST_GRADES, member.department, "只有人事处可以调整考核档次")
    grade = _entries({"grades": [{"staff_id": member.staff_id, "grade": b.get("grade")}]})[member.staff_id]
    reason = _reason(b.get("reason"))
    with ctx.store.locked():
        round_ = round_doc(ctx)
        ensure_open(round_)
        return change(ctx, user, member, grade, STEP_ADJUST, reason, round_=round_)


def change(ctx: Context, user: User, member: StaffMember, grade: str, step: str, reason: str, *,
           round_: dict[str, Any] | None = None, **detail: Any) -> dict[str, Any]:
    """One person's grade changed by `step` with its reason (the caller holds the store lock)."""
    cands = candidates(ctx)
    _check(ctx, {member.staff_id: grade}, cands, round_ if round_ is not None else round_doc(ctx))
    before = ctx.store.get(member.department, TABLE, staff_id=member.staff_id)
    doc = person_doc(ctx, member, grade, cands[member.staff_id], before, step, user, reason)
    for key, value in detail.items():
        doc[key] = value
    commit(ctx, [Put(member.department, TABLE, doc, {"staff_id": member.staff_id})], user.username, "grades.adjust",
           staff_id=member.staff_id, department=member.department, step=step,
           **{"from": (before or {}).get("grade"), "to": grade}, reason=reason)
    return doc


def set_quota(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """An HR decision for the 15% or 25% variant of a unit's quota (or back to the default)."""
    access.ensure(user, access.ADJUST_GRADES, None, "只有人事处可以调整优秀比例")
    b = body if isinstance(body, dict) else {}
    s = ctx.content.settings.assessment
    unit = str(b.get("unit") or COLLEGE)
    if unit not in units(ctx):
        raise bad_request("invalid_unit", f"名额按{'全院' if units(ctx) == [COLLEGE] else '部门'}计算，"
                                          f"unit 应为 {' / '.join(units(ctx)[:5])}…之一")
    percent = b.get("percent")
    allowed = (s.quota_lowered, s.quota_percent, s.quota_raised)
    if isinstance(percent, str):
        try:
            percent = float(percent)
        except ValueError:
            percent = None
    if isinstance(percent, bool) or not isinstance(percent, int | float) or float(percent) not in allowed:
        raise bad_request("invalid_percent", f"优秀比例应为 {' / '.join(f'{p:g}%' for p in allowed)} 之一")
    reason = _reason(b.get("reason"))
    with ctx.store.locked():
        round_ = round_doc(ctx)
        ensure_open(round_)
        quotas = dict(round_.get("quotas") or {})
        quotas[unit] = {"percent": float(percent), "reason": reason, "by": user.username, "at": ctx.stamp()}
        commit(ctx, [Put(COLLEGE, ROUND, {**round_, "quotas": quotas}, ROUND_KEY)], user.username, "grades.quota",
               unit=unit, percent=float(percent), reason=reason)
    return quotas[unit]


# -- views ----------------------------------------------------------------------------------


def candidate_json(c: Candidate | None) -> dict[str, Any] | None:
    return None if c is None else {"staff_id": c.staff_id, "name": c.name, "score": c.score}


def quota_json(q: Quota, excellent: int) -> dict[str, Any]:
    return {"base": q.base, "base_kind": QUOTA_BASES[q.base_kind], "percent": q.percent, "places": q.places,
            "excellent": excellent, "explain": q.explain(), "over": excellent > q.places}


def department_view(ctx: Context, user: User, department: str, year: int | None = None) -> dict[str, Any]:
    """A department's people with their score, what the rules say, the suggestion and the grade;
    an earlier `year` shows the grades as stored then."""
    department_or_404(ctx, department)
    access.ensure(user, access.READ_GRADES, department, "您只能查看本部门教职工的考核结果")
    if ctx.past or (year is not None and year != ctx.year):
        year = year or ctx.year  # a past year's grades as they were stored
        docs = [d for d in of_year(ctx, year).values() if d["department"] == department]
        return {"year": year, "department": department, "current": False, "quota": None,
                "people": sorted(docs, key=lambda d: (d.get("score") is None, -(d.get("score") or 0)))}
    round_ = round_doc(ctx)
    cands = candidates(ctx)
    unit = unit_of(ctx, department)
    q = quota(ctx, unit, cands, round_)
    docs = stored(ctx, None if unit == COLLEGE else department)
    suggested = grades.suggest([cands[m.staff_id] for m in unit_members(ctx, unit)], q.places,
                               ctx.content.settings.assessment.bands)
    excellent = sum(1 for m in unit_members(ctx, unit) if (docs.get(m.staff_id) or {}).get("grade") == GRADE_EXCELLENT)
    people = []
    for c in grades.ranked(cands[m.staff_id] for m in ctx.content.members(department)):
        member = ctx.content.staff(c.staff_id)
        doc = docs.get(c.staff_id) or {}
        tip = suggested[c.staff_id]
        people.append({"staff_id": c.staff_id, "name": c.name, "post": member.post if member else "",
                       "score": c.score, "required": c.eligibility.required,
                       "may_excellent": c.eligibility.may_excellent,
                       "findings": [{"effect": f.effect, "rule": f.rule, "detail": f.detail}
                                    for f in c.eligibility.findings],
                       "suggested": tip.grade, "note": tip.note, "instead": candidate_json(tip.instead),
                       **{k: doc.get(k) for k in ("grade", "reason", "changes", "notified_on", "view", "review",
                                                  "appeal")}})
    return {"year": ctx.year, "department": department, "current": True, "unit": unit,
            "locked": bool(round_.get("decision")), "quota": quota_json(q, excellent), "people": people}


def unit_rows(ctx: Context, round_: dict[str, Any], docs: dict[str, dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Each quota unit: its quota and how many have a grade of each kind."""
    cands = candidates(ctx)
    for unit in units(ctx):
        members = unit_members(ctx, unit)
        counts = {g: 0 for g in GRADE_OUTCOMES}
        for m in members:
            grade = (docs.get(m.staff_id) or {}).get("grade")
            if grade in counts:
                counts[grade] += 1
        q = quota(ctx, unit, cands, round_)
        yield {"unit": unit, "name": unit_name(ctx, unit), "people": len(members),
               "proposed": sum(counts.values()), "counts": counts,
               "quota": quota_json(q, counts[GRADE_EXCELLENT]),
               "variant": (round_.get("quotas") or {}).get(unit)}
