"""Job duties: departments deliver them per role, HR accepts (→ site rebuild) or returns them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.errors import ApiError, bad_request
from service.rules import access, schedule
from service.web.auth import signed_in
from service.web.views.common import (
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    page,
    permitted,
)
from service.workflows import duties

MAX_FORM_FIELDS = 100
NOTICES = {"submit": "岗位职责已报送人事处。", "accept": "已接受。门户网站的岗位页面将在后台重建后显示（约需数秒）。",
           "return": "已退回部门修改。"}
KIND_TITLES = {schedule.LEAD_DUTIES: "牵头拟定的岗位（全院）", schedule.OWN_DUTIES: "本部门其他岗位"}


# -- JSON ---------------------------------------------------------------------------------


async def api_get(request: Request) -> JSONResponse:
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    obligations = await off_loop(duties.department_view, context(request), department_id)
    return ok_json({"department": department_id, "obligations": obligations})


async def api_submit(request: Request) -> JSONResponse:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    check_csrf(request, None)
    body = await json_body(request)
    roles = body.get("roles") if isinstance(body, dict) else None
    obligations = await off_loop(duties.submit, context(request), user, department_id, roles)
    return ok_json({"department": department_id, "obligations": obligations})


async def api_review(request: Request) -> JSONResponse:
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request) if await request.body() else {}
    comment = body.get("comment") if isinstance(body, dict) else None
    params = request.path_params
    doc = await off_loop(duties.review, context(request), user, params["department_id"], params["role_id"],
                         params["action"], comment)
    if params["action"] == duties.ACCEPT:
        request.app.state.rebuilder.poke()
    return ok_json(doc)


# -- pages --------------------------------------------------------------------------------


async def department_page(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    return await _render(request, notice=NOTICES.get(request.query_params.get("notice", "")))


async def submit_post(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    typed = {key[7:]: str(value) for key, value in form.multi_items()
             if key.startswith("duties:") and isinstance(value, str)}
    entries = [{"role_id": role_id, "duties": text} for role_id, text in typed.items() if text.strip()]
    try:
        if not entries:
            raise bad_request("invalid_roles", "请至少填写一个岗位的岗位职责")
        await off_loop(duties.submit, context(request), user, department_id, entries)
    except ApiError as exc:
        return await _render(request, error=exc, typed=typed)
    return RedirectResponse(f"/board/{department_id}/duties?notice=submit", status_code=303)


async def review_post(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    user = permitted(request, access.REVIEW_DUTIES)
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, str(form.get("csrf") or ""))
    action = str(form.get("action") or "")
    try:
        await off_loop(duties.review, context(request), user, department_id, request.path_params["role_id"],
                       action, str(form.get("comment") or ""))
    except ApiError as exc:
        return await _render(request, error=exc)
    if action == duties.ACCEPT:
        request.app.state.rebuilder.poke()
    return RedirectResponse(f"/board/{department_id}/duties?notice={action}", status_code=303)


async def _render(request: Request, *, notice: str | None = None, error: ApiError | None = None,
                  typed: dict[str, str] | None = None) -> Response:
    department_id = request.path_params["department_id"]
    user = signed_in(request)
    ctx = context(request)
    obligations = await off_loop(duties.department_view, ctx, department_id)
    department = ctx.content.department(department_id)
    name = department.name if department else department_id
    return page(request, "duties.html", f"{name}：岗位职责", status=error.status if error else 200,
                department_id=department_id, department_name=name, obligations=obligations,
                can_write=access.allowed(user, access.WRITE_DEPARTMENT, department_id), typed=typed or {},
                kind_titles=KIND_TITLES, notice=notice, error=error)
