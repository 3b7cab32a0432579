"""HR's set-up console: each part of the college's set-up as a page and a JSON API.

`GET`/`PUT /api/setup/{part}` read and replace a part (settings take only the keys sent); the
pages post forms that become the same data. A valid change is swapped into the running service
at once (every later request, the board, /api/status, reads it), the public status page is
regenerated before the answer, and the portal site is rebuilt in the background: the answer
carries the rebuild's number, and `GET /api/setup/site` says when the public site shows it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content.models import COL_CONTENT, COL_POINTS, DEPARTMENT_KINDS, SELF_LEAD
from service.content.registration_form import HEADER_FIELDS, SECTION_FIELDS
from service.content.target_rows import MAX_ROWS
from service.errors import ApiError
from service.rules import access
from service.rules.organisation import as_json
from service.web.views import setup_forms as forms
from service.web.views.common import (
    check_csrf,
    context,
    json_body,
    linked,
    off_loop,
    ok_json,
    page,
    permitted,
    yes,
)
from service.workflows import leaders, organisation, setup
from service.workflows.context import Context

LEADERS = "leaders"
MAX_FIELDS = 3000
BLANK_ROWS = 4  # empty template rows offered below a role's rows


def _part(part: str) -> str:
    if part != LEADERS:
        setup.file_of(part)  # 404 for an unknown part
    return part


def site_state(request: Request) -> dict[str, Any]:
    rebuilder = request.app.state.rebuilder
    return {"requested": rebuilder.requested, "published": rebuilder.published, "error": rebuilder.last_error}


async def api_site(request: Request) -> Response:
    permitted(request, access.SET_UP)
    return ok_json(site_state(request))


async def api_get(request: Request) -> Response:
    permitted(request, access.SET_UP)
    part = _part(request.path_params["part"])
    ctx = context(request)
    data = await off_loop(_read, ctx, part)
    return ok_json({"part": part, part: data, "generation": request.app.state.live.generation,
                    "site": site_state(request)})


async def api_put(request: Request) -> Response:
    user = permitted(request, access.SET_UP)
    part = _part(request.path_params["part"])
    check_csrf(request, None)
    body = await json_body(request)
    if not isinstance(body, dict) or part not in body:
        raise ApiError(400, "invalid_body", f"请求体应为 {{\"{part}\": …}}，可带 \"confirm\": true")
    number = await _save(request, part, body[part], user.username, confirm=body.get("confirm") is True)
    waiting = restart_state(request)
    return ok_json({"saved": True, "part": part, "generation": request.app.state.live.generation,
                    "site": {**site_state(request), "waiting_for": number},
                    "restart": {"settings": waiting, "message": setup.RESTART if waiting else ""}})


def restart_state(request: Request) -> list[str]:
    """The saved settings that wait for the service's restart (see `setup.awaiting_restart`)."""
    return setup.awaiting_restart(request.app.state.started_settings, request.app.state.live.ctx.content.settings)


async def _save(request: Request, part: str, data: Any, actor: str, *, confirm: bool = False) -> int:
    """Save a part; return the number of the site rebuild that will show it (0: none needed)."""
    ctx = context(request)
    if part == LEADERS:
        await off_loop(leaders.assign, ctx, data, actor)
        return 0
    content = await off_loop(lambda: setup.save_part(ctx, part, data, actor, confirm=confirm))
    state = request.app.state
    state.live.replace(content)  # the whole content at once; the rebuild is asked for
    await off_loop(state.publisher.publish_now)  # the public status page agrees before the answer
    return int(state.rebuilder.requested)


def _read(ctx: Context, part: str) -> Any:
    return leaders.matrix(ctx) if part == LEADERS else setup.read_part(ctx, part)


# -- pages ---------------------------------------------------------------------------------------


async def index_page(request: Request) -> Response:
    permitted(request, access.SET_UP)
    ctx = context(request)
    return page(request, "setup.html", "设置学院", parts=setup.PART_NAMES, site=site_state(request),
                content=ctx.content, gaps=await off_loop(organisation.gaps, ctx))


async def api_checks(request: Request) -> Response:
    """The organisation's gaps: departments no leader oversees, without an account, leading
    duties without an account, and empty ones."""
    permitted(request, access.SET_UP)
    found = await off_loop(organisation.gaps, context(request))
    return ok_json({"checks": linked(request, as_json(found))})


async def part_page(request: Request, *, error: ApiError | None = None, typed: Any = None) -> Response:
    permitted(request, access.SET_UP)
    part = _part(request.path_params["part"])
    ctx = context(request)
    data = typed if typed is not None else await off_loop(_read, ctx, part)
    waiting = request.query_params.get("saved", "")
    notice = None
    if waiting.isascii() and waiting.isdigit():
        site = site_state(request)
        notice = "已保存，报送服务已按新设置工作。"
        if int(waiting):
            notice += "门户网站已更新。" if site["published"] >= int(waiting) else "门户网站正在更新…（刷新本页查看）"
        later = restart_state(request)
        if later:
            notice += "其中" + "、".join(setup.RESTART_FIELDS[p] for p in later) + "要在重启服务后才生效。"
    extra: dict[str, Any] = {}
    if part == "settings":
        extra["fields"] = forms.settings_fields(data)
        extra["field_name"] = setup.field_name
        extra["shown"] = forms.shown
        extra["restart"] = setup.RESTART
    if part == "registration-form":
        extra["header_fields"], extra["section_fields"] = HEADER_FIELDS, SECTION_FIELDS
    if part == "roles":
        extra["editing"] = _role(data, request.query_params.get("role", ""))
        extra["max_rows"] = MAX_ROWS
        extra["blank_rows"] = BLANK_ROWS
    return page(request, f"setup_{part.replace('-', '_')}.html", f"设置学院：{setup.PART_NAMES[part]}",
                status=error.status if error else 200, part=part, data=data, error=error, notice=notice,
                waiting=waiting, parts=setup.PART_NAMES, kinds=DEPARTMENT_KINDS, self_lead=SELF_LEAD, content=ctx.content,
                col_content=COL_CONTENT, col_points=COL_POINTS, **extra)


def _role(groups: Any, role_id: str) -> dict[str, Any] | None:
    """The role to edit (with its lead), an empty one for `new`, or None (the list)."""
    if role_id == "new":
        return {"id": "", "name": "", "lead": "", "duties": [], "targets": []}
    for group in groups if isinstance(groups, list) else ():
        for role in group.get("roles") or ():
            if role.get("id") == role_id:
                return {**role, "lead": group.get("lead")}
    return None


async def part_post(request: Request) -> Response:
    user = permitted(request, access.SET_UP)
    part = _part(request.path_params["part"])
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    ctx = context(request)
    current = await off_loop(_read, ctx, part)
    if part == "settings":
        data: Any = forms.settings_change(form, current)
    elif part == "departments":
        data = forms.departments_change(form, current, ctx.now().date())
    elif part == "roles":
        data = forms.role_change(form, current)
    elif part == "common-targets":
        data = forms.common_change(form, current)
    elif part == "registration-form":
        data = forms.registration_form_change(form)
    else:
        data = forms.leaders_change(form)
    try:
        number = await _save(request, part, data, user.username, confirm=yes(form.get("confirm")))
    except ApiError as exc:
        typed = data if part in ("departments", "common-targets", "registration-form") else None
        return await part_page(request, error=exc, typed=typed)
    return RedirectResponse(f"/board/setup/{part}?saved={number}", status_code=303)
