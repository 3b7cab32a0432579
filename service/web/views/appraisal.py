"""The annual appraisal as the departments, the leaders and HR work it: per department its people
with their views (and later their summaries and forms), per person the view forms, and the JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content.codes import SUMMARY_SUBMITTED, VIEW_LABELS
from service.errors import ApiError, not_found
from service.office import pdf
from service.rules import access
from service.web.auth import signed_in
from service.web.views.common import (
    attachment,
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    page,
)
from service.workflows import appraisal_views, registration, summaries
from service.workflows.commit import log
from service.workflows.common import department_or_404, member_or_404

NOTICES = {"saved": "意见已保存。"}


def _year_query(request: Request) -> str:
    year = request.query_params.get("year")
    return f"?year={year}" if year and year.isascii() and year.isdigit() else ""


async def college_page(request: Request) -> Response:
    """The departments the account may read the appraisal of (a department goes to its own)."""
    user = signed_in(request)
    if not access.allowed(user, access.READ_APPRAISAL) and user.department and user.staff_id is None:
        return RedirectResponse(f"/board/{user.department}/appraisal{_year_query(request)}", status_code=303)
    access.ensure(user, access.READ_APPRAISAL, None, "只有人事处和院领导可以查看各部门的年度考核")
    ctx = context(request)
    departments = [d for d in ctx.content.departments if access.allowed(user, access.READ_APPRAISAL, d.id)]
    rows = []
    for d in departments:
        views = await off_loop(appraisal_views.views_for, ctx, d.id)
        written = await off_loop(summaries.summaries_for, ctx, d.id)
        rows.append({"id": d.id, "name": d.name, "people": len(views),
                     "submitted": sum(1 for s in written.values() if s.state == SUMMARY_SUBMITTED),
                     "leader": sum(1 for v in views.values() if v.leader),
                     "head": sum(1 for v in views.values() if v.head)})
    return page(request, "appraisal.html", "年度考核：个人总结与领导意见", rows=rows, labels=VIEW_LABELS)


async def department_page(request: Request) -> Response:
    department = request.path_params["department_id"]
    user = department_user(request, department, access.READ_APPRAISAL,
                           "您只能查看本部门（或主管部门）教职工的年度考核")
    ctx = context(request)
    data = await off_loop(appraisal_views.department, ctx, user, department)
    written = await off_loop(summaries.department_list, ctx, user, department)
    states = {p["staff_id"]: p for p in written["people"]}
    return page(request, "appraisal_department.html", f"{data['name']}：年度考核", data=data, summaries=written,
                states=states)


async def person_page(request: Request, *, error: ApiError | None = None, held: dict[str, str] | None = None,
                      ) -> Response:
    department = request.path_params["department_id"]
    user = department_user(request, department, access.READ_APPRAISAL,
                           "您只能查看本部门（或主管部门）教职工的年度考核")
    ctx = context(request)
    member = member_or_404(ctx, request.path_params["staff_id"])
    if member.department != department:
        raise ApiError(404, "unknown_staff", "该部门没有这位教职工")
    data = await off_loop(appraisal_views.person, ctx, user, member.staff_id)
    summary = await off_loop(summaries.person, ctx, user, member.staff_id)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return page(request, "appraisal_person.html", f"{member.name}：年度考核", status=error.status if error else 200,
                data=data, summary=summary, labels=VIEW_LABELS, grades=appraisal_views.grade_choices(ctx), error=error,
                notice=notice, held=held or {})


async def view_post(request: Request) -> Response:
    """A browser form: comment and grade of one view."""
    user = signed_in(request)
    department = request.path_params["department_id"]
    department_or_404(context(request), department)
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, str(form.get("csrf") or ""))
    body = {k: str(form.get(k) or "") for k in ("comment", "grade")}
    staff_id, kind = request.path_params["staff_id"], request.path_params["kind"]
    try:
        member = member_or_404(context(request), staff_id)
        if member.department != department:
            raise ApiError(404, "unknown_staff", "该部门没有这位教职工")
        await off_loop(appraisal_views.record, context(request), user, staff_id, kind, body)
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await person_page(request, error=exc, held={**body, "kind": kind})
    return RedirectResponse(f"/board/{department}/appraisal/{staff_id}?notice=saved", status_code=303)


async def api_department(request: Request) -> Response:
    department = request.path_params["department_id"]
    user = signed_in(request)
    return ok_json(await off_loop(appraisal_views.department, context(request), user, department))


async def api_person(request: Request) -> Response:
    user = signed_in(request)
    return ok_json(await off_loop(appraisal_views.person, context(request), user, request.path_params["staff_id"]))


async def api_record(request: Request) -> Response:
    """JSON {"comment": text, "grade": one of the year's grades}: the view of `kind` (leader / head)."""
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    return ok_json(await off_loop(appraisal_views.record, context(request), user, request.path_params["staff_id"],
                                  request.path_params["kind"], body))


# -- the registration forms -------------------------------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _kind(request: Request) -> str:
    kind = str(request.path_params["kind"])
    if kind not in ("docx", "pdf"):
        raise not_found("unknown_format", "年度考核登记表只提供 docx 和 pdf")
    return kind


def _render(forms: registration.Forms, kind: str) -> bytes:
    from service.office import registration_form  # Word: loaded when first used (see service/office)

    data = registration_form.forms_docx(forms)
    if kind == "pdf":
        try:
            data = pdf.docx_to_pdf(data, "form")
        except pdf.ConversionFailed as exc:
            raise ApiError(503, "pdf_unavailable", str(exc)) from None
    return data


def _file(data: bytes, kind: str, name: str) -> Response:
    return attachment(Response(data, media_type=DOCX if kind == "docx" else "application/pdf"), name)


async def department_forms(request: Request) -> Response:
    """The department's registration forms, one person a page: .docx or .pdf."""
    user = signed_in(request)
    ctx = context(request)
    kind = _kind(request)
    department = request.path_params["department_id"]
    staff_id = request.path_params.get("staff_id")

    def build() -> tuple[bytes, str]:
        forms = registration.department_forms(ctx, user, department, staff_id)
        data = _render(forms, kind)
        log(ctx, user.username, "export.registration_forms", department=department, staff_id=staff_id, format=kind)
        who = forms.people[0].name if staff_id else ctx.content.department(department).name  # type: ignore[union-attr]
        return data, registration.file_name(forms, kind, who)

    data, name = await off_loop(build)
    return _file(data, kind, name)


async def own_form(request: Request) -> Response:
    """The signed-in person's registration form."""
    user = signed_in(request)
    ctx = context(request)
    kind = _kind(request)

    def build() -> tuple[bytes, str]:
        forms = registration.own_form(ctx, user)
        return _render(forms, kind), registration.file_name(forms, kind, forms.people[0].name)

    data, name = await off_loop(build)
    return _file(data, kind, name)
