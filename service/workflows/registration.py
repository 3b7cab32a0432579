"""What each person's annual registration form (年度考核登记表) is filled with: the roster's facts,
the summary, the leaders' views, the score and the grade, in the layout of the college's set-up
(its registration_form.yml, else the shipped one). The person's own form shows the views, the score
and the grade only once their grade was delivered; the department, its leaders and HR see them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.content.codes import GRADE_NONE, GRADE_PENDING
from service.content.formats import num
from service.content.models import StaffMember
from service.content.registration_form import FORM_FILE, FormLayout, read_layout
from service.content.yaml_files import ContentInvalid
from service.errors import ApiError
from service.rules import access
from service.rules.access import User
from service.workflows import appraisal_views, grades, personal, scores, summaries
from service.workflows.common import department_or_404, member_or_404, own_member
from service.workflows.context import Context


@dataclass(frozen=True)
class PersonForm:
    """One person's form: field → text, for the header items and the sections."""

    staff_id: str
    name: str
    header: dict[str, str] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Forms:
    layout: FormLayout
    college: str
    year: int
    people: list[PersonForm]


def layout(ctx: Context) -> FormLayout:
    """The set-up's layout, or the shipped one when the set-up has none (409 when it is wrong)."""
    own = ctx.settings.content_dir / FORM_FILE
    path = own if own.exists() else ctx.settings.sample_dir / FORM_FILE
    try:
        return read_layout(path)
    except ContentInvalid as exc:
        first = exc.errors[0]
        raise ApiError(409, "setup_invalid", f"学院设置中的年度考核登记表版式有误：{first.file}："
                       f"{first.path or '(顶层)'}：{first.message}", problems=len(exc.errors)) from None


def _forms(ctx: Context, members: list[StaffMember], released: bool) -> Forms:
    departments = {m.department for m in members}
    views = {sid: v for d in departments for sid, v in appraisal_views.views_for(ctx, d).items()}
    written = {sid: s for d in departments for sid, s in summaries.summaries_for(ctx, d).items()}
    decided = {sid: doc for d in departments for sid, doc in grades.stored(ctx, d).items()}
    totals = {p.staff_id: p.total for p in scores.people(ctx)} if released else {}
    people = [_person(ctx, m, views[m.staff_id], written[m.staff_id], decided.get(m.staff_id),
                      totals.get(m.staff_id), released) for m in members]
    return Forms(layout(ctx), ctx.content.settings.college, ctx.year, people)


def _person(ctx: Context, m: StaffMember, views: appraisal_views.Views, summary: summaries.Summary,
            decided: dict[str, Any] | None, total: float | None, released: bool) -> PersonForm:
    department = ctx.content.department(m.department)
    role = ctx.content.role(m.role)
    unit = department.name if department else m.department
    score = decided.get("score") if decided and decided.get("score") is not None else total
    header = {"name": m.name, "gender": m.gender, "birth": m.birth, "politics": m.politics,
              "education": m.education, "unit_post": f"{ctx.content.settings.college}{unit}　{m.post}",
              "post_since": m.post_since, "work": role.name if role else m.post, "department": unit, "post": m.post,
              "score": num(score) if released and score is not None else ""}
    text = summary.text
    if summary.file_name:
        text = f"{text}\n（个人总结见所附文件：{summary.file_name}）".strip()
    sections = {"summary": text, "leader_view": "", "head_view": "", "ungraded": "", "own_view": ""}
    if released:
        grade = (decided or {}).get("grade") or ""
        if views.leader:
            sections["leader_view"] = f"{views.leader.comment}\n建议考核等次：{views.leader.grade}"
        head = [views.head.comment] if views.head else []
        if score is not None:
            head.append(f"年度考核得分：{num(score)} 分")
        shown = grade or (views.head.grade if views.head else "")
        if shown:
            head.append(f"考核等次：{shown}")
        sections["head_view"] = "\n".join(head)
        if grade in (GRADE_NONE, GRADE_PENDING):
            sections["ungraded"] = f"{grade}：{(decided or {}).get('reason_text') or (decided or {}).get('reason') or ''}"
    return PersonForm(m.staff_id, m.name, header, sections)


def department_forms(ctx: Context, user: User, department: str, staff_id: str | None = None) -> Forms:
    """The department's forms (or one person's), for who may read their appraisal."""
    department_or_404(ctx, department)
    access.ensure(user, access.READ_APPRAISAL, department, "您只能下载本部门（或主管部门）教职工的年度考核登记表")
    members = list(ctx.content.members(department))
    if staff_id is not None:
        member = member_or_404(ctx, staff_id)
        if member.department != department:
            raise ApiError(404, "unknown_staff", "该部门没有这位教职工")
        members = [member]
    if not members:
        raise ApiError(404, "no_people", "该部门没有教职工")
    return _forms(ctx, members, released=True)


def own_form(ctx: Context, user: User) -> Forms:
    """The signed-in person's form: the views, score and grade once their grade was delivered."""
    member = own_member(ctx, user, access.READ_APPRAISAL)
    return _forms(ctx, [member], released=personal.published(ctx, member) is not None)


def file_name(forms: Forms, kind: str, who: str) -> str:
    return f"{forms.year}年度考核登记表-{who}.{kind}"
