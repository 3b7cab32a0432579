"""Years: the list with their states, starting the next year (preview, then confirm) and
archiving a past year (归档), as JSON and as HR's page."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.errors import ApiError
from service.rules import access
from service.rules.access import User
from service.web.live_content import LiveContent
from service.web.views.common import check_csrf, context, json_body, off_loop, ok_json, page, permitted, yes
from service.workflows import years
from service.workflows.context import Context

TITLE = "年度管理"


def _live(request: Request) -> LiveContent:
    return request.app.state.live  # type: ignore[no-any-return]


def _statuses(live: LiveContent) -> list[dict[str, Any]]:
    return [years.status(live.of_year(year)) for year in years.known(live.ctx)]


async def api_list(request: Request) -> Response:
    permitted(request, access.MANAGE_GRADES, message=years.HR_ONLY)
    ctx = context(request)
    return ok_json({**await off_loop(years.status, ctx), "all": await off_loop(_statuses, _live(request))})


async def api_start(request: Request) -> Response:
    """`{"year": 2020}` starts the year (201); with `"preview": true` (or `?preview=1`) only answers
    what would carry over and what starts empty."""
    user = permitted(request, access.MANAGE_GRADES, message=years.HR_ONLY)
    check_csrf(request, None)
    body = await json_body(request)
    b = body if isinstance(body, dict) else {}
    year = years.parse_year(b.get("year"))
    if yes(request.query_params.get("preview")) or b.get("preview") is True:
        return ok_json(await off_loop(years.preview, context(request), year))
    ctx = await _start(request, user, year)
    return ok_json(await off_loop(years.status, ctx), status=201)


async def _start(request: Request, user: User, year: int) -> Context:
    live = _live(request)

    def run() -> Context:
        with live.starting:
            started = years.start(live.ctx.settings.content_dir, year)
            new = live.begin(started.content)
        years.record_start(new, user.username, started)
        return new

    return await off_loop(run)


async def _close(request: Request, user: User, raw: str) -> dict[str, Any]:
    live = _live(request)
    year = years.parse_year(raw)
    return await off_loop(lambda: years.close(live.of_year(year), user))


async def api_close(request: Request) -> Response:
    user = permitted(request, access.MANAGE_GRADES, message=years.HR_ONLY)
    check_csrf(request, None)
    return ok_json(await _close(request, user, request.path_params["year"]))


# -- HR's page ------------------------------------------------------------------------------


async def years_page(request: Request, *, preview: dict[str, Any] | None = None,
                     error: ApiError | None = None) -> Response:
    permitted(request, access.MANAGE_GRADES, message=years.HR_ONLY)
    live = _live(request)
    rows = await off_loop(_statuses, live)
    return page(request, "years.html", TITLE, status=error.status if error else 200, rows=rows,
                current=live.ctx.year, preview=preview, error=error)


async def _form(request: Request) -> Any:
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, str(form.get("csrf") or ""))
    return form


async def preview_post(request: Request) -> Response:
    permitted(request, access.MANAGE_GRADES, message=years.HR_ONLY)
    form = await _form(request)
    try:
        shown = await off_loop(years.preview, _live(request).ctx, years.parse_year(form.get("year")))
    except ApiError as exc:
        return await years_page(request, error=exc)
    return await years_page(request, preview=shown)


async def start_post(request: Request) -> Response:
    user = permitted(request, access.MANAGE_GRADES, message=years.HR_ONLY)
    form = await _form(request)
    try:
        await _start(request, user, years.parse_year(form.get("year")))
    except ApiError as exc:
        return await years_page(request, error=exc)
    return RedirectResponse("/board/years", status_code=303)


async def close_post(request: Request) -> Response:
    user = permitted(request, access.MANAGE_GRADES, message=years.HR_ONLY)
    await _form(request)
    try:
        await _close(request, user, request.path_params["year"])
    except ApiError as exc:
        return await years_page(request, error=exc)
    return RedirectResponse("/board/years", status_code=303)
