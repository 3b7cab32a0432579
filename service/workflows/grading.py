"""The year's grading steps: the collective decision (集体审定), 公示 of the 优秀 list with
objections, and the written notification that starts the 复核 clock.

Store: the college partition's "grade_round", one document {key: "round", quotas,
decision {date, leaders, note, by, at, confirmations}, publicity {start, end, days,
workdays, warning, by, at, closed_at, closed_by}}; "objections" {id, staff_id, text, by, at,
state, resolution, resolved_by, resolved_at, grade}.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.content.codes import (
    GRADE_EXCELLENT,
    OBJECTION_OPEN,
    OBJECTION_RESOLVED,
    STAGE_CLOSED,
    STAGE_DECIDED,
    STAGE_PROPOSING,
    STAGE_PUBLICITY,
    STAGE_PUBLICITY_ENDED,
)
from service.errors import ApiError, bad_request, not_found, unprocessable
from service.rules import access
from service.rules.access import User
from service.storage.store import COLLEGE, new_record
from service.workflows import grades
from service.workflows.commit import Add, Put, commit, ensure_writable
from service.workflows.common import department_or_404, member_or_404
from service.workflows.context import Context
from service.workflows.grade_records import calendar, day, note_text, today
from service.workflows.grades import ROUND, ROUND_KEY, STEP_OBJECTION, TABLE, round_doc

OBJECTIONS = "objections"
MAX_OBJECTION = 1000
MAX_LEADERS = 30


def stage(round_: dict[str, Any], on: dt.date) -> str:
    publicity = round_.get("publicity")
    if not round_.get("decision"):
        return STAGE_PROPOSING
    if not publicity or on < dt.date.fromisoformat(publicity["start"]):
        return STAGE_DECIDED
    if publicity.get("closed_at"):
        return STAGE_CLOSED
    return STAGE_PUBLICITY if on <= dt.date.fromisoformat(publicity["end"]) else STAGE_PUBLICITY_ENDED


def publicity_open(ctx: Context, round_: dict[str, Any] | None = None) -> bool:
    return stage(round_ if round_ is not None else round_doc(ctx), today(ctx)) == STAGE_PUBLICITY


def _save_round(ctx: Context, user: User, round_: dict[str, Any], key: str, value: dict[str, Any], action: str,
                **detail: Any) -> None:
    """The round with its `key` step replaced, and the audit entry (the caller holds the lock)."""
    commit(ctx, [Put(COLLEGE, ROUND, {**round_, key: value}, ROUND_KEY)], user.username, action, **detail)


# -- the collective decision ----------------------------------------------------------------


def _ready(ctx: Context) -> None:
    """Everyone has a grade, and every unit is within its quota."""
    docs = grades.stored(ctx)
    missing = [m for m in ctx.content.roster if m.staff_id not in docs]
    if missing:
        by_department: dict[str, int] = {}
        for m in missing:
            by_department[m.department] = by_department.get(m.department, 0) + 1
        named = "、".join(f"{grades.unit_name(ctx, d)} {n} 人" for d, n in by_department.items())
        raise unprocessable("grades_missing", f"尚有 {len(missing)} 人没有拟定档次（{named}），不能集体审定",
                            missing=len(missing))
    over = [row for row in grades.unit_rows(ctx, round_doc(ctx), docs) if row["quota"]["over"]]
    if over:
        raise unprocessable("quota_exceeded", "；".join(
            f"{row['name']}优秀 {row['quota']['excellent']} 人，超过名额 {row['quota']['places']} 人" for row in over))


def _leaders(value: Any) -> list[str]:
    if value is None:
        value = []
    if isinstance(value, str):
        value = [part for part in value.replace("，", "、").replace(",", "、").split("、")]
    if not isinstance(value, list):
        raise bad_request("invalid_leaders", "leaders 应为出席的院领导姓名列表")
    names = [str(v).strip() for v in value if str(v).strip()]
    if not names or len(names) > MAX_LEADERS or any(len(n) > 40 for n in names):
        raise bad_request("missing_leaders", "请填写出席集体审定的院领导（姓名，用顿号分隔）")
    return names


def record_decision(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """HR records the leadership's collective decision: its date and the leaders present.
    From then on the grades are locked."""
    access.ensure(user, access.RECORD_DECISION, None, "只有人事处可以登记集体审定")
    b = body if isinstance(body, dict) else {}
    on = day(b.get("date"), "date")
    assert on is not None
    if on > today(ctx):
        raise unprocessable("future_date", f"集体审定日期 {on} 晚于今天")
    leaders = _leaders(b.get("leaders"))
    with ctx.store.locked():
        round_ = round_doc(ctx)
        grades.ensure_open(round_)
        _ready(ctx)
        decision = {"date": str(on), "leaders": leaders, "note": note_text(b.get("note")), "by": user.username,
                    "at": ctx.stamp(), "confirmations": []}
        _save_round(ctx, user, round_, "decision", decision, "grades.decision", **decision)
    return decision


def confirm_decision(ctx: Context, user: User, body: Any = None) -> dict[str, Any]:
    """A leader account confirms the collective decision (the first confirmation records it)."""
    access.ensure(user, access.CONFIRM_DECISION, None, "只有院领导账号可以确认集体审定")
    with ctx.store.locked():
        round_ = round_doc(ctx)
        decision = dict(round_.get("decision") or {})
        if not decision:
            _ready(ctx)
            decision = {"date": str(today(ctx)), "leaders": [], "note": "", "by": user.username, "at": ctx.stamp(),
                        "confirmations": []}
        confirmations = list(decision.get("confirmations") or [])
        if any(c["username"] == user.username for c in confirmations):
            return decision
        confirmations.append({"username": user.username, "at": ctx.stamp()})
        decision["confirmations"] = confirmations
        _save_round(ctx, user, round_, "decision", decision, "grades.decision.confirm", date=decision["date"])
    return decision


# -- 公示 -------------------------------------------------------------------------------------


def start_publicity(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """Publish the 优秀 list from `start` for the settings' working days; the end is computed."""
    access.ensure(user, access.MANAGE_GRADES, None, "只有人事处可以发布公示")
    b = body if isinstance(body, dict) else {}
    start = day(b.get("start"), "start", required=False) or today(ctx)
    with ctx.store.locked():
        round_ = round_doc(ctx)
        decision = round_.get("decision")
        if not decision:
            raise ApiError(409, "not_decided", "考核结果尚未集体审定，不能公示")
        if start < dt.date.fromisoformat(decision["date"]):
            raise unprocessable("invalid_start", f"公示开始日期 {start} 早于集体审定日期 {decision['date']}")
        if start < today(ctx):
            raise unprocessable("invalid_start", f"公示开始日期 {start} 已经过去")
        old = round_.get("publicity")
        if old and dt.date.fromisoformat(old["start"]) <= today(ctx):
            raise ApiError(409, "publicity_started", f"公示已于 {old['start']} 开始，不能重新发布")
        days = ctx.content.settings.assessment.publicity_days
        span = calendar(ctx).count_from(start, days)
        publicity = {"start": str(start), "end": str(span.end), "days": days,
                     "workdays": [str(d) for d in span.workdays], "warning": span.warning,
                     "by": user.username, "at": ctx.stamp(), "closed_at": None, "closed_by": None}
        _save_round(ctx, user, round_, "publicity", publicity, "grades.publicity", start=publicity["start"],
                    end=publicity["end"], warning=span.warning)
    return publicity


def close_publicity(ctx: Context, user: User, body: Any = None) -> dict[str, Any]:
    """End 公示 once its period has run and every objection is resolved."""
    access.ensure(user, access.MANAGE_GRADES, None, "只有人事处可以结束公示")
    with ctx.store.locked():
        round_ = round_doc(ctx)
        publicity = dict(round_.get("publicity") or {})
        if not publicity:
            raise ApiError(409, "no_publicity", "尚未发布公示")
        if today(ctx) <= dt.date.fromisoformat(publicity["end"]):
            raise unprocessable("publicity_running", f"公示期为 {publicity['days']} 个工作日，至 {publicity['end']} 结束，"
                                                     "不能提前结束")
        open_ = [o for o in ctx.store.records(COLLEGE, OBJECTIONS) if o["state"] == OBJECTION_OPEN]
        if open_:
            raise unprocessable("objections_open", f"尚有 {len(open_)} 条异议未处理，请先登记处理结果")
        publicity.update(closed_at=ctx.stamp(), closed_by=user.username)
        _save_round(ctx, user, round_, "publicity", publicity, "grades.publicity.close", end=publicity["end"])
    return publicity


def public_list(ctx: Context) -> dict[str, Any]:
    """What the public 公示 page shows: during 公示, the 优秀 list (name, department, post) and
    the end date; at any other time, nothing but whether it has ended."""
    round_ = round_doc(ctx)
    publicity = round_.get("publicity")
    now = stage(round_, today(ctx))
    if now != STAGE_PUBLICITY or not publicity:
        return {"open": False, "year": ctx.year, "ended": now in (STAGE_PUBLICITY_ENDED, STAGE_CLOSED)}
    people = sorted((d for d in grades.stored(ctx).values() if d.get("grade") == GRADE_EXCELLENT),
                    key=lambda d: (_order(ctx, d["department"]), d["staff_id"]))
    return {"open": True, "year": ctx.year, "start": publicity["start"], "end": publicity["end"],
            "days": publicity["days"], "people": [{"staff_id": d["staff_id"], "name": d["name"],
                                                   "department_name": d["department_name"], "post": d["post"]}
                                                  for d in people]}


def _order(ctx: Context, department: str) -> int:
    ids = [d.id for d in ctx.content.departments]
    return ids.index(department) if department in ids else len(ids)


# -- objections -----------------------------------------------------------------------------


def object_to(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """Anyone signed in may object during 公示, about a person on the list or the list as a whole."""
    access.ensure(user, access.OBJECT, None)
    b = body if isinstance(body, dict) else {}
    text = note_text(b.get("text"), "text", MAX_OBJECTION, required=True)
    staff_id = str(b.get("staff_id") or "")
    with ctx.store.locked():
        ensure_writable(ctx, "grades.objection")  # a past year's 公示 takes no more objections
        if not publicity_open(ctx):
            raise ApiError(409, "publicity_closed", "现在不在公示期内，不能提出异议")
        if staff_id and grades.stored(ctx).get(staff_id, {}).get("grade") != GRADE_EXCELLENT:
            raise unprocessable("not_listed", "该工号不在公示的优秀名单中")
        record = new_record({"staff_id": staff_id, "text": text, "by": user.username,
                             "by_name": objector_name(ctx, user.staff_id or user.username, user.shown_name),
                             "by_staff_id": user.staff_id, "at": ctx.stamp(),
                             "state": OBJECTION_OPEN, "resolution": "", "resolved_by": None, "resolved_at": None,
                             "grade": None})
        commit(ctx, [Add(COLLEGE, OBJECTIONS, record)], user.username, "grades.objection", id=record["id"],
               staff_id=staff_id)
    return record


def resolve_objection(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """HR records how an objection was resolved; an objection upheld may change the grade."""
    access.ensure(user, access.MANAGE_GRADES, None, "只有人事处可以处理异议")
    b = body if isinstance(body, dict) else {}
    resolution = note_text(b.get("resolution"), "resolution", MAX_OBJECTION, required=True)
    grade = b.get("grade") or None
    with ctx.store.locked():
        record = ctx.store.get(COLLEGE, OBJECTIONS, id=str(b.get("id") or ""))
        if record is None:
            raise not_found("unknown_objection", "找不到该异议")
        if record["state"] == OBJECTION_RESOLVED:
            raise ApiError(409, "already_resolved", "该异议已经处理")
        if grade is not None:
            if not record["staff_id"]:
                raise unprocessable("no_person", "该异议未指向具体人员，不能据此改变档次")
            member = member_or_404(ctx, record["staff_id"])
            grades.change(ctx, user, member, str(grade), STEP_OBJECTION, resolution, objection=record["id"])
        record = {**record, "state": OBJECTION_RESOLVED, "resolution": resolution, "resolved_by": user.username,
                  "resolved_at": ctx.stamp(), "grade": grade}
        commit(ctx, [Put(COLLEGE, OBJECTIONS, record, {"id": record["id"]})], user.username,
               "grades.objection.resolve", id=record["id"], resolution=resolution, grade=grade)
    return record


def objector_name(ctx: Context, who: str, shown: str = "") -> str:
    """The objector as HR reads them: the roster's name for a 工号, else the account's name."""
    member = ctx.content.staff(who)
    return member.name if member else shown or who


def objections(ctx: Context, user: User) -> list[dict[str, Any]]:
    """Every objection with the person it names and who raised it (name and 工号 or account)."""
    access.ensure(user, access.MANAGE_GRADES, None)
    docs = grades.stored(ctx)
    return [{**o, "name": docs.get(o["staff_id"], {}).get("name", ""),
             "department_name": docs.get(o["staff_id"], {}).get("department_name", ""),
             "by_name": o.get("by_name") or objector_name(ctx, o.get("by_staff_id") or o["by"])}
            for o in sorted(ctx.store.records(COLLEGE, OBJECTIONS), key=lambda o: o["at"])]


# -- notification -----------------------------------------------------------------------------


def record_notified(ctx: Context, user: User, body: Any) -> dict[str, Any]:
    """The day the written notices reached the people of the departments chosen (one or several),
    or the people listed: it starts their 复核 clock."""
    access.ensure(user, access.MANAGE_GRADES, None, "只有人事处可以登记通知书送达")
    b = body if isinstance(body, dict) else {}
    on = day(b.get("date"), "date")
    assert on is not None
    if on > today(ctx):
        raise unprocessable("future_date", f"送达日期 {on} 晚于今天")
    chosen = b.get("departments", b.get("department"))
    ids = [chosen] if isinstance(chosen, str) else chosen
    if chosen and (not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids)):
        raise bad_request("invalid_departments", "departments 应为部门代码的列表")
    with ctx.store.locked():
        round_ = round_doc(ctx)
        if stage(round_, today(ctx)) not in (STAGE_PUBLICITY_ENDED, STAGE_CLOSED):
            raise ApiError(409, "publicity_not_ended", "公示期满后才能登记考核结果通知书的送达")
        if dt.date.fromisoformat(round_["publicity"]["end"]) >= on:
            raise unprocessable("invalid_date", f"送达日期应晚于公示结束日 {round_['publicity']['end']}")
        if chosen:
            departments = [department_or_404(ctx, i) for i in dict.fromkeys(ids)]
            docs = [d for department in departments for d in grades.stored(ctx, department).values()]
        else:
            wanted = b.get("staff_ids")
            if not isinstance(wanted, list) or not wanted:
                raise bad_request("invalid_people", "请给出 departments（部门代码列表）或 staff_ids（工号列表）")
            everyone = grades.stored(ctx)
            docs = [everyone[str(s)] for s in wanted if str(s) in everyone]
        docs = [{**d, "notified_on": str(on)} for d in docs if not d.get("notified_on")]
        commit(ctx, [Put(d["department"], TABLE, d, {"staff_id": d["staff_id"]}) for d in docs], user.username,
               "grades.notified", date=str(on), people=len(docs))
    return {"date": str(on), "people": len(docs)}
