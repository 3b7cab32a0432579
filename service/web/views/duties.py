"""Job duties: departments deliver them per role (with Word or PDF attachments), HR accepts
(→ site rebuild) or returns them."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from service.errors import ApiError, bad_request
from service.rules import access, schedule
from service.web.auth import signed_in
from service.web.views.common import (
    MAX_JSON,
    attachment,
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    page,
    permitted,
)
from service.workflows import duties, duty_files

MAX_FORM_FIELDS = 100
MAX_FORM_FILES = 200  # all roles' attachments of one delivery; one role's limit is the settings'
NOTICES = {"submit": "岗位职责已报送人事处。", "accept": "已接受。门户网站的岗位页面将在后台重建后显示（约需数秒）。",
           "return": "已退回部门修改。"}
KIND_TITLES = {schedule.LEAD_DUTIES: "牵头拟定的岗位（全院）", schedule.OWN_DUTIES: "本部门其他岗位"}


# -- JSON ---------------------------------------------------------------------------------


async def api_get(request: Request) -> JSONResponse:
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    obligations = await off_loop(duties.department_view, context(request), department_id)
    return ok_json({"department": department_id, "obligations": _linked(request, department_id, obligations)})


async def api_submit(request: Request) -> JSONResponse:
    """JSON {"roles": [{role_id, duties}, …]}, or a form as the page sends it (fields
    `duties:<role_id>`; multipart with files `files:<role_id>` to deliver attachments with the text)."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    check_csrf(request, None)
    uploads: dict[str, list[duty_files.Upload]] = {}
    if request.headers.get("content-type", "").startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        typed, uploads = _delivery(await _form(request))
        roles: Any = _entries(typed, uploads)
    else:
        body = await json_body(request)
        roles = body.get("roles") if isinstance(body, dict) else None
    obligations = await off_loop(duties.submit, context(request), user, department_id, roles, uploads)
    return ok_json({"department": department_id, "obligations": _linked(request, department_id, obligations)})


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
    form = await _form(request)
    check_csrf(request, str(form.get("csrf") or ""))
    typed, uploads = _delivery(form)
    entries = _entries(typed, uploads)
    try:
        if not entries:
            raise bad_request("invalid_roles", "请至少填写一个岗位的岗位职责")
        await off_loop(duties.submit, context(request), user, department_id, entries, uploads)
    except ApiError as exc:
        return await _render(request, error=exc, typed=typed)
    return RedirectResponse(f"/board/{department_id}/duties?notice=submit", status_code=303)


async def attachment_file(request: Request) -> Response:
    """An attachment of a role's duties, for HR and the department that delivered it."""
    params = request.path_params
    user = department_user(request, params["department_id"], access.READ_DUTY_FILES,
                           "只有人事处和报送部门可以下载岗位职责的附件")
    path, name = await off_loop(duty_files.file_path, context(request), user, params["department_id"],
                                params["role_id"], params["file_id"])
    return attachment(FileResponse(path), name)


async def _form(request: Request) -> FormData:
    """The delivery's form: multipart (its files spooled to disk as they come), or url-encoded
    fields, held in memory, within the JSON body's limit."""
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    if not multipart and len(await request.body()) > MAX_JSON:
        raise ApiError(413, "too_large", "请求体过大")
    return await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)


def _delivery(form: FormData) -> tuple[dict[str, str], dict[str, list[duty_files.Upload]]]:
    """The duties typed per role (`duties:<role_id>`) and the files chosen per role (`files:<role_id>`;
    a file input left empty sends a part without a name, which is no file)."""
    typed = {key[7:]: str(value) for key, value in form.multi_items()
             if key.startswith("duties:") and isinstance(value, str)}
    uploads: dict[str, list[duty_files.Upload]] = {}
    for key, value in form.multi_items():
        if key.startswith("files:") and isinstance(value, UploadFile) and value.filename:
            uploads.setdefault(key[6:], []).append(duty_files.Upload(value.filename, value.file))
    return typed, uploads


def _entries(typed: dict[str, str], uploads: dict[str, list[duty_files.Upload]]) -> list[dict[str, str]]:
    """The roles delivered: those with text, and those with files (whose text is then required)."""
    return [{"role_id": role_id, "duties": typed.get(role_id, "")} for role_id in dict.fromkeys([*typed, *uploads])
            if typed.get(role_id, "").strip() or role_id in uploads]


def _linked(request: Request, department_id: str, obligations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The obligations with each attachment's download address (of the request's year)."""
    year = request.query_params.get("year")
    query = f"?year={year}" if year and year.isascii() and year.isdigit() else ""
    for obligation in obligations:
        for role in obligation["roles"]:
            for key in ("attachments", "earlier_attachments"):
                role[key] = [{**f, "url": f"/board/{department_id}/duties/{role['role_id']}/files/{f['id']}{query}"}
                             for f in role[key]]
    return obligations


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
                can_download=access.allowed(user, access.READ_DUTY_FILES, department_id),
                max_files=ctx.content.settings.duty_files_max_count, max_mb=ctx.content.settings.duty_files_max_mb,
                kind_titles=KIND_TITLES, notice=notice, error=error)
