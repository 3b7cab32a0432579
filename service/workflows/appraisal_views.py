"""The leaders' views on each person's year, as the registration form (年度考核登记表) carries them:
the supervising leader's comment and proposed grade (主管领导评语和考核等次建议), written by a
leader overseeing the person's department, and the unit head's view and grade (单位负责人意见及考核
等次), written by the department's own account for its head.

Store: the person's department partition of the year, table "appraisal_views", one document per
staff_id: {staff_id, leader: View | None, head: View | None, history: [View + {kind}]}, where a
View is {comment, grade, by, by_name, at}. Each change is audited with the comment's length and
the grade, never the text itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.content.codes import GRADE_FAIL, GRADE_NONE, VIEW_HEAD, VIEW_LABELS, VIEW_LEADER
from service.content.models import StaffMember
from service.errors import bad_request, not_found, quoted, unprocessable
from service.rules import access
from service.rules.access import User
from service.workflows.commit import Put, commit
from service.workflows.common import department_or_404, member_or_404
from service.workflows.context import Context

TABLE = "appraisal_views"
MAX_VIEW = 1000  # characters of one comment
KIND_ACTIONS = {VIEW_LEADER: access.LEADER_VIEW, VIEW_HEAD: access.HEAD_VIEW}
REFUSALS = {VIEW_LEADER: "只有主管该部门的院领导可以填写主管领导评语",
            VIEW_HEAD: "只有本部门（单位负责人）可以填写单位负责人意见"}


@dataclass(frozen=True)
class View:
    """One view: the comment, the grade it proposes, who wrote it and when."""

    comment: str
    grade: str
    by: str
    by_name: str
    at: str

    def json(self) -> dict[str, str]:
        return {"comment": self.comment, "grade": self.grade, "by": self.by, "by_name": self.by_name, "at": self.at}


@dataclass(frozen=True)
class Views:
    """A person's two views (None: not written yet)."""

    staff_id: str
    leader: View | None = None
    head: View | None = None

    def json(self) -> dict[str, Any]:
        return {"staff_id": self.staff_id, "leader": self.leader.json() if self.leader else None,
                "head": self.head.json() if self.head else None}


def grade_choices(ctx: Context) -> tuple[str, ...]:
    """The grades a view may propose: the year's grade bands, 不合格, and 不定档次 (comment only)."""
    names = [name for name, _ in ctx.content.settings.assessment.bands]
    return tuple(dict.fromkeys([*names, GRADE_FAIL, GRADE_NONE]))


def _view(doc: dict[str, Any] | None) -> View | None:
    if not doc:
        return None
    return View(str(doc.get("comment", "")), str(doc.get("grade", "")), str(doc.get("by", "")),
                str(doc.get("by_name", "")), str(doc.get("at", "")))


def _views(staff_id: str, doc: dict[str, Any] | None) -> Views:
    doc = doc or {}
    return Views(staff_id, _view(doc.get(VIEW_LEADER)), _view(doc.get(VIEW_HEAD)))


def views_for(ctx: Context, department: str) -> dict[str, Views]:
    """Every person of `department` (the roster's order) with their views: the reader other pages use."""
    stored = {d["staff_id"]: d for d in ctx.store.records(department, TABLE)}
    return {m.staff_id: _views(m.staff_id, stored.get(m.staff_id)) for m in ctx.content.members(department)}


def views_of(ctx: Context, member: StaffMember) -> Views:
    """One person's views."""
    return _views(member.staff_id, ctx.store.get(member.department, TABLE, staff_id=member.staff_id))


def person(ctx: Context, user: User, staff_id: str) -> dict[str, Any]:
    """What an account allowed to read the person's appraisal sees of their views."""
    member = member_or_404(ctx, staff_id)
    access.ensure(user, access.READ_APPRAISAL, member.department, "您无权查看该教职工的考核意见",
                  person=member.staff_id)
    return {**_person_json(member), **views_of(ctx, member).json(),
            "may_write": [kind for kind, action in KIND_ACTIONS.items()
                          if access.allowed(user, action, member.department)]}


def department(ctx: Context, user: User, department_id: str) -> dict[str, Any]:
    """The department's people with their views, and which views the account may write."""
    department_or_404(ctx, department_id)
    access.ensure(user, access.READ_APPRAISAL, department_id, "您只能查看本部门（或主管部门）教职工的考核意见")
    members = {m.staff_id: m for m in ctx.content.members(department_id)}
    people = [{**_person_json(members[staff_id]), **views.json()}
              for staff_id, views in views_for(ctx, department_id).items()]
    return {"department": department_id, "name": ctx.content.department(department_id).name,  # type: ignore[union-attr]
            "year": ctx.year, "grades": list(grade_choices(ctx)), "labels": VIEW_LABELS,
            "may_write": [kind for kind, action in KIND_ACTIONS.items() if access.allowed(user, action, department_id)],
            "people": people}


def _person_json(member: StaffMember) -> dict[str, Any]:
    return {"staff_id": member.staff_id, "name": member.name, "department": member.department, "post": member.post}


def kind_or_404(value: str) -> str:
    if value not in KIND_ACTIONS:
        raise not_found("unknown_view", f"没有“{quoted(value)}”这种意见（应为 leader 主管领导 或 head 单位负责人）")
    return value


def _comment(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request("missing_comment", "请填写评语或意见", field="comment")
    text = value.strip()
    if len(text) > MAX_VIEW:
        raise unprocessable("comment_too_long", f"评语或意见不能超过 {MAX_VIEW} 字（当前 {len(text)} 字）",
                            field="comment")
    return text


def _grade(ctx: Context, value: Any) -> str:
    choices = grade_choices(ctx)
    if not isinstance(value, str) or value.strip() not in choices:
        raise unprocessable("unknown_grade", f"考核等次应为{'、'.join(choices)}之一，当前为“{quoted(value)}”",
                            field="grade")
    return value.strip()


def record(ctx: Context, user: User, staff_id: str, kind: str, body: Any) -> dict[str, Any]:
    """`user` writes (or rewrites) the view of `kind` on the person: {comment, grade}."""
    kind = kind_or_404(kind)
    member = member_or_404(ctx, staff_id)
    access.ensure(user, KIND_ACTIONS[kind], member.department, REFUSALS[kind])
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "请求体应为 {\"comment\": 评语, \"grade\": 考核等次}")
    comment, grade = _comment(body.get("comment")), _grade(ctx, body.get("grade"))
    with ctx.store.locked():
        before = ctx.store.get(member.department, TABLE, staff_id=member.staff_id) or {}
        view = View(comment, grade, user.username, user.shown_name, ctx.stamp())
        previous = _view(before.get(kind))
        if previous is not None and (previous.comment, previous.grade) == (comment, grade):
            return person(ctx, user, staff_id)
        doc = {**before, "staff_id": member.staff_id, kind: view.json(),
               "history": [*before.get("history", []), {"kind": kind, **view.json()}]}
        commit(ctx, [Put(member.department, TABLE, doc, {"staff_id": member.staff_id})], user.username,
               f"appraisal.view.{kind}", staff_id=member.staff_id, department=member.department, grade=grade,
               comment_chars=len(comment), before=previous.grade if previous else None)
    return person(ctx, user, staff_id)
