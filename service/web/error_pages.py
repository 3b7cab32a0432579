"""How an error reaches the user: JSON for an API client, the error page (or the login page)
for a browser; a storage failure says nothing was changed."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.errors import ApiError, for_status, quoted
from service.web.auth import PASSWORD_CHANGE, PASSWORD_PAGE
from service.web.views import (
    pages,
)
from service.web.views.common import YEAR_CLOSED, back_to_current_year, page

log = logging.getLogger("portal")


# -- errors --------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    path = request.url.path
    accept = request.headers.get("accept", "")
    return (path.startswith(("/api/", "/hr/")) or "application/json" in accept
            or "authorization" in request.headers or "text/html" not in accept)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if _wants_json(request):
        return JSONResponse(exc.body(), status_code=exc.status)
    if exc.status == 401:
        return RedirectResponse(pages.login_address(request), status_code=303)
    if exc.code == PASSWORD_CHANGE.code:
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    if exc.code == YEAR_CLOSED and request.method == "POST":
        return back_to_current_year(request)  # a past year's form: the page again, in the current year
    return page(request, "error.html", "出错了", status=exc.status, error=exc)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = for_status(exc.status_code)
    if exc.status_code == 400 and exc.detail:
        error = ApiError(400, "malformed_request", f"无法解析请求内容（{quoted(exc.detail)}）")
    response = await api_error(request, error)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


UNSAVED = "服务器暂时无法保存或处理该请求，未作任何更改，请稍后重试"


async def storage_error(request: Request, exc: Exception) -> Response:
    """A write failed (disk full, I/O error): nothing was changed. Handled inside the middleware,
    so a browser gets the error page with its session, an API client the JSON body."""
    log.exception("存储失败：%s %s", request.method, request.url.path, exc_info=exc)
    return await api_error(request, ApiError(503, "storage_error", UNSAVED, **_numbered(request)))


def _numbered(request: Request) -> dict[str, str]:
    """The request's id (access_log.py), for the user to quote to IT: it is in the log too."""
    request_id = request.scope.get("portal.request_id")
    return {"request_id": request_id} if request_id else {}


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client went away (or was closed for sending too slowly) before its request's body
    came: nothing to answer, and nothing went wrong on this side."""
    return Response(status_code=400)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("请求处理失败：%s %s", request.method, request.url.path, exc_info=exc)
    error = ApiError(500, "server_error", UNSAVED, **_numbered(request))
    if not _wants_json(request):
        try:
            return page(request, "error.html", "出错了", status=error.status, error=error)
        except Exception:  # the page itself cannot be drawn: answer in JSON
            log.exception("错误页面无法生成")
    return JSONResponse(error.body(), status_code=error.status)
