"""Annual grade pages: HR's overview and boards, a department's grades, a person's history,
and the public 公示 page (the 优秀 list only, only while 公示 runs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content import text_forms
from service.content.codes import (
    EFFECT_LABELS,
    GRADE_OUTCOMES,
    GRADES,
    LEAVE_KINDS,
    LEAVE_SOURCES,
    OBJECTION_LABELS,
    RECORD_KINDS,
    STAGE_LABELS,
)
from service.errors import ApiError, bad_request
from service.rules import access
from service.web.auth import signed_in, user_of
from service.web.views.common import check_csrf, context, off_loop, page, permitted
from service.web.views.grades import notice_text, overview
from service.workflows import grade_records, grade_reviews, grades, grading


def _page(request: Request, template: str, title: str, status: int = 200, **values: object) -> Response:
    """A grade page, with the notice of the action just done (`?notice=`) and no error."""
    values.setdefault("error", None)
    return page(request, template, title, status=status, notice=notice_text(request), **values)


async def college_page(request: Request) -> Response:
    user = signed_in(request)
    if not access.allowed(user, access.READ_GRADES) and user.department:
        return RedirectResponse(f"/board/{user.department}/grades", status_code=303)
    ctx = context(request)
    data = await off_loop(overview, ctx, user)
    return _page(request, "grades.html", f"{data['year']}年度考核", data=data, stages=STAGE_LABELS,
                grades=GRADE_OUTCOMES, settings=ctx.content.settings.assessment,
                names={d.id: d.name for d in ctx.content.departments}, today=grade_records.today(ctx))


async def department_page(request: Request, *, error: ApiError | None = None,
                          held: dict[str, str] | None = None) -> Response:
    """The department's grades; after a refused proposal, its message and the grades chosen."""
    user = signed_in(request)
    ctx = context(request)
    department = request.path_params["department_id"]
    data = await off_loop(grades.department_view, ctx, user, department)
    name = ctx.content.department(department).name  # type: ignore[union-attr]
    return _page(request, "grades_department.html", f"{name}：{data['year']}年度考核",
                 status=error.status if error else 200, error=error, held=held, data=data, name=name,
                 choices=GRADE_OUTCOMES, grades=GRADES, effects=EFFECT_LABELS,
                 years=grades.years(ctx), stage=grading.stage(grades.round_doc(ctx), grade_records.today(ctx)))


async def propose_form(request: Request) -> Response:
    """The department's form: one `grade-<工号>` field per person. A refusal comes back to the
    page with its message and the grades as chosen."""
    user = signed_in(request)
    department = request.path_params["department_id"]
    form = await request.form(max_files=0, max_fields=5000)
    check_csrf(request, str(form.get("csrf") or ""))
    chosen = {k.removeprefix("grade-"): str(v) for k, v in form.items() if k.startswith("grade-") and isinstance(v, str)}
    entries = [{"staff_id": sid, "grade": grade} for sid, grade in chosen.items() if grade]
    try:
        if not entries:
            raise bad_request("invalid_grades", "请至少为一人选择档次")
        await off_loop(grades.propose, context(request), user, department, {"grades": entries})
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await department_page(request, error=exc, held=chosen)
    return RedirectResponse(f"/board/{department}/grades?notice=propose", status_code=303)


async def reviews_page(request: Request) -> Response:
    user = permitted(request, access.MANAGE_GRADES)
    ctx = context(request)
    cases = await off_loop(grade_reviews.board, ctx, user)
    return _page(request, "grades_reviews.html", "复核与申诉", cases=cases, grades=GRADES,
                days=ctx.content.settings.assessment.review)


async def objections_page(request: Request) -> Response:
    user = permitted(request, access.MANAGE_GRADES)
    ctx = context(request)
    found = await off_loop(grading.objections, ctx, user)
    return _page(request, "grades_objections.html", "公示异议", objections=found, labels=OBJECTION_LABELS,
                grades=GRADES)


async def records_page(request: Request) -> Response:
    permitted(request, access.MANAGE_GRADES)
    ctx = context(request)
    found = await off_loop(grade_records.listing, ctx)
    return _page(request, "grades_records.html", "处分、请假与新进人员登记", records=found, kinds=RECORD_KINDS,
                leave_kinds=LEAVE_KINDS, sources=LEAVE_SOURCES)


async def history_page(request: Request) -> Response:
    user = signed_in(request)
    staff_id = text_forms.staff_id(request.query_params.get("staff_id", ""))
    found = None
    error = None
    if staff_id:
        try:
            found = await off_loop(grade_reviews.history, context(request), user, staff_id)
        except ApiError as exc:
            if exc.status != 404:
                raise
            error = exc
    return _page(request, "grades_history.html", "历年考核结果", found=found, staff_id=staff_id, error=error,
                status=error.status if error else 200)


async def gongshi(request: Request) -> Response:
    """Public: during 公示 the 优秀 list and its end date; otherwise a closed notice."""
    ctx = context(request)
    data = await off_loop(grading.public_list, ctx)
    title = f"{ctx.content.settings.college}{data['year']}年度考核优秀等次人员公示"
    return _page(request, "gongshi.html", title, data=data, college=ctx.content.settings.college,
                contact=ctx.content.settings.contact, signed_in=user_of(request) is not None)
