"""Staff members' objections as the departments and HR see them: the list (with the count of
those waiting for the viewer's answer), the answer form, and the JSON for scripts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content.codes import DISPUTE_LABELS, GRADES
from service.errors import ApiError, bad_request
from service.rules import access
from service.web.auth import signed_in
from service.web.views.common import check_csrf, context, json_body, off_loop, ok_json, page
from service.workflows import result_objections

NOTICES = {"answered": "答复已保存，提出人可在“我的异议”中看到。"}


def _state(request: Request) -> str | None:
    state = request.query_params.get("state") or None
    if state is not None and state not in DISPUTE_LABELS:
        raise bad_request("invalid_state", f"state 应为 {' / '.join(DISPUTE_LABELS)} 之一")
    return state


async def college_page(request: Request) -> Response:
    user = signed_in(request)
    if not access.allowed(user, access.SEE_OBJECTIONS) and user.department and user.staff_id is None:
        return RedirectResponse(f"/board/{user.department}/objections", status_code=303)
    return await _list_page(request, None)


async def department_page(request: Request, *, error: ApiError | None = None) -> Response:
    return await _list_page(request, request.path_params["department_id"], error=error)


async def _list_page(request: Request, department: str | None, *, error: ApiError | None = None) -> Response:
    user = signed_in(request)
    ctx = context(request)
    state = _state(request)
    rows = await off_loop(result_objections.listing, ctx, user, department, state)
    found = ctx.content.department(department) if department else None
    title = f"{found.name}：教职工的异议" if found else "教职工的异议"
    waiting = sum(1 for r in rows if r["may_answer"])
    return page(request, "objections.html", title, status=error.status if error else 200, rows=rows,
                department=department, state=state, labels=DISPUTE_LABELS, waiting=waiting, grades=GRADES,
                notice=NOTICES.get(request.query_params.get("notice", "")), error=error)


async def answer_post(request: Request) -> Response:
    user = signed_in(request)
    department = request.path_params["department_id"]
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, str(form.get("csrf") or ""))
    body = {k: str(form.get(k) or "").strip() for k in ("answer", "grade")}
    try:
        await off_loop(result_objections.answer, context(request), user, department,
                       request.path_params["objection_id"], body)
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await department_page(request, error=exc)
    return RedirectResponse(f"/board/{department}/objections?notice=answered", status_code=303)


async def api_list(request: Request) -> Response:
    """`department` (optional) and `state` (open / answered): the objections and how many wait for
    the caller's answer."""
    user = signed_in(request)
    department = request.query_params.get("department") or None
    if department is None and not access.allowed(user, access.SEE_OBJECTIONS) and user.staff_id is None:
        department = user.department  # a department: its own people's
    rows = await off_loop(result_objections.listing, context(request), user, department, _state(request))
    return ok_json({"department": department, "waiting": sum(1 for r in rows if r["may_answer"]),
                    "objections": rows})


async def api_answer(request: Request) -> Response:
    """JSON {"answer": text, "grade": a 复核 outcome (for a grade)}."""
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    return ok_json(await off_loop(result_objections.answer, context(request), user,
                                  request.path_params["department_id"], request.path_params["objection_id"], body))
