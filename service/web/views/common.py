"""What every view needs: the context, access checks, CSRF, JSON bodies, page responses."""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import anyio
import anyio.to_thread
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from service.content import codes
from service.errors import ApiError, bad_request
from service.rules import access, credentials
from service.rules.access import User
from service.rules.years import may_write, refusal
from service.web import heap, prefix, templating, year_forms
from service.web.auth import by_token, csrf_token, expected_csrf, send_csrf_cookie, signed_in, user_of
from service.workflows import years
from service.workflows.commit import year_state
from service.workflows.common import department_or_404
from service.workflows.context import Context

T = TypeVar("T")
MAX_JSON = 2 * 1024 * 1024
DOWNLOAD_CHUNK = 256 * 1024
YEAR_CLOSED = "year_closed"  # the code of a write a past year refuses, and the query naming that year


def context(request: Request) -> Context:
    """The request's context: the one current when it arrived (a roster import swaps the
    content for later requests, never under a running one)."""
    error = request.scope.get("portal.year_error")
    if isinstance(error, ApiError):
        raise error  # `?year=` named no year with data (404 unknown_year) or no year at all (400)
    ctx = request.scope.get("portal.context")
    return ctx if isinstance(ctx, Context) else request.app.state.context  # type: ignore[no-any-return]


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run store and file work in a worker thread, never on the event loop."""
    return await anyio.to_thread.run_sync(fn, *args)


async def parse_workbook(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Read an uploaded workbook: one at a time in the whole service (parsing is CPU work that
    holds the interpreter), the others waiting on the event loop, not in worker threads, so
    every other request keeps its threads and answers at once."""
    state = request.app.state
    slot = getattr(state, "workbook_slot", None)
    if slot is None:
        slot = state.workbook_slot = anyio.Lock()
    async with slot:
        return await off_loop(fn, *args)


def permitted(request: Request, action: str, department: str | None = None, message: str | None = None) -> User:
    """The signed-in account, allowed `action` (401 anonymous, 403 refused)."""
    user = signed_in(request)
    access.ensure(user, action, department, message)
    return user


def department_user(request: Request, department_id: str, action: str = access.SEE_DEPARTMENT,
                    message: str | None = None) -> User:
    """The signed-in account, allowed `action` on an existing department (401, 404, 403); the
    refusal names the account's reach unless `message` says more."""
    user = signed_in(request)
    ctx = context(request)
    department_or_404(ctx, department_id)
    access.ensure(user, action, department_id, reach(ctx, user, message))
    return user


def reach(ctx: Context, user: User, message: str | None = None) -> str:
    """What an account may see, said when it asks for more (the rules decide whose reach is the
    departments it oversees): those departments by name, or a department's own (`message`, when
    the refusal has more to say)."""
    names = [d.name for d in ctx.content.departments if d.id in user.oversees]
    return access.reach_refusal(user, names, message)


def home(user: User) -> str:
    """Where an account starts: the college's board, its department's page, or a staff member's own."""
    if user.staff_id is not None:
        return "/me"
    return "/board" if access.allowed(user, access.SEE_COLLEGE) else f"/board/{user.department}"


def check_csrf(request: Request, given: str | None, *, session_form: bool = False) -> None:
    """Cookie-authenticated writes must echo the session's token (form field or X-CSRF-Token).

    An API client's request (bearer token) needs none, except on a `session_form` (login,
    logout), which acts on the cookie itself.
    """
    if by_token(request) and not session_form:
        return
    given = given or request.headers.get("x-csrf-token")
    if not credentials.csrf_matches(expected_csrf(request), given):
        raise ApiError(403, "csrf_failed", "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")


def yes(value: object) -> bool:
    """A form field or query parameter that says yes (1, true, on, yes; any case, spaces ignored)."""
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "on", "yes")


async def json_body(request: Request) -> Any:
    if "json" not in request.headers.get("content-type", ""):
        raise ApiError(415, "json_required", "请求体应为 JSON（Content-Type: application/json）")
    raw = await request.body()
    if len(raw) > MAX_JSON:
        raise ApiError(413, "too_large", "请求体过大")
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise bad_request("invalid_json", f"请求体不是有效的 JSON：{exc}") from None
    if not _encodable(value):
        raise bad_request("invalid_json", "请求体含有无效的 Unicode 字符（单独的代理项 \\ud800–\\udfff）")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"不接受 {name}")


def _encodable(value: Any) -> bool:
    """False when a string holds a lone surrogate ("\\ud800" is valid JSON but not UTF-8): echoed
    back in an error message it would make the answer itself fail."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def ok_json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def linked(request: Request, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`records` of a JSON answer with their "link" as the browser asks for it: under the path
    the portal is mounted under, as the links of its pages are."""
    root = prefix.root_of(request)
    return [{**r, "link": prefix.link(r["link"], root)} if isinstance(r.get("link"), str) else r for r in records]


def json_list_stream(head: dict[str, Any], key: str, items: Iterable[Any], chunk: int = 500) -> StreamingResponse:
    """`{**head, key: [*items]}` as JSONResponse would write it, encoded `chunk` items at a time:
    a list of 10,000 people is never held whole, as objects or as text."""
    encode = JSONResponse(None).render

    def body() -> Iterator[bytes]:
        yield encode({**head, key: []})[:-2]  # up to and including the list's "["
        batch: list[Any] = []
        first = True
        for item in items:
            batch.append(item)
            if len(batch) == chunk:
                yield (b"" if first else b",") + encode(batch)[1:-1]
                batch, first = [], False
        if batch:
            yield (b"" if first else b",") + encode(batch)[1:-1]
        yield b"]}"

    return StreamingResponse(body(), media_type="application/json")


def page(request: Request, template: str, title: str, status: int = 200, **context: Any) -> HTMLResponse:
    shell: templating.Shell = request.app.state.shell
    user = user_of(request)
    names: dict[str, str] = request.scope.get("portal.names") or {}
    body = templating.render(template, request=request, user=user, csrf=csrf_token(request), title=title,
                             may=functools.partial(_may, user), access=access, codes=codes,
                             year_scope=_year_scope(request),
                             who=lambda username: names.get(username, username), **context)
    ctx = request.scope.get("portal.context")
    if isinstance(ctx, Context) and ctx.past:  # its forms post into the year shown
        state = year_state(ctx)
        body = year_forms.in_year(body, ctx.year, lambda action: may_write(state, action))
    root = prefix.root_of(request)
    response = HTMLResponse(shell.page(title, body, root, signed_in=user is not None), status_code=status)
    response.headers["Content-Security-Policy"] = shell.policy(root)
    response.headers["Cache-Control"] = "no-store"
    send_csrf_cookie(request, response)
    return response


def _year_scope(request: Request) -> dict[str, Any] | None:
    """The page's year and the years with data, for the year switch of the board header; and
    why the page was come back to, when a past year refused a form (`back_to_current_year`)."""
    ctx = request.scope.get("portal.context")
    if not isinstance(ctx, Context) or "portal.year_error" in request.scope:
        return None
    path = request.url.path
    if request.method == "POST":  # a form's answer: the switch leads to the page the form was on
        path = urlsplit(_came_from(request) or path).path
    return {"year": ctx.year, "current": ctx.current_year, "past": ctx.past, "years": years.known(ctx),
            "path": path, "refused": _refused_year(request, ctx)}


def _refused_year(request: Request, ctx: Context) -> str | None:
    asked = request.query_params.get(YEAR_CLOSED, "")
    if not (asked.isascii() and asked.isdigit()) or ctx.past:
        return None
    try:
        past = request.app.state.live.of_year(int(asked))
    except ApiError:
        return None
    return refusal(past.year, year_state(past)) if past.past else None


def back_to_current_year(request: Request, address: str | None = None) -> RedirectResponse:
    """A browser's form refused because its year is past (409 `year_closed`): back to `address`
    (default: the page the form was on, else the board) in the current year, which says why."""
    ctx = request.scope.get("portal.context")
    parts = urlsplit(address or _came_from(request) or "/board")
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("year", "notice", YEAR_CLOSED)]
    if isinstance(ctx, Context):
        query.append((YEAR_CLOSED, str(ctx.year)))
    return RedirectResponse(f"{parts.path}?{urlencode(query)}", status_code=303)


def _came_from(request: Request) -> str | None:
    """The path and query of the same site's page the request came from (its Referer)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.headers.get("host"):
        return None
    path = referer.path
    if not path.startswith("/") or path.startswith("//") or "\\" in path:  # browsers read "\\" as "/"
        return None
    return f"{path}?{referer.query}"


def _may(user: User | None, action: str, department: str | None = None, person: str | None = None) -> bool:
    """`access.allowed` for templates: what the page's account may do (nothing, anonymous)."""
    return user is not None and access.allowed(user, action, department, person)


async def download(write: Callable[[IO[bytes]], object], media_type: str, filename: str) -> Response:
    """A file made by `write` (off the event loop) into a temp file on disk, then sent from it in
    chunks: a large workbook or zip is never held whole in memory, let alone twice."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the background task

    def made() -> None:
        write(spool)
        spool.seek(0)

    try:
        await off_loop(made)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        while chunk := spool.read(DOWNLOAD_CHUNK):
            yield chunk

    def sent() -> None:
        spool.close()
        heap.trim()  # what making the file took goes back to the system

    return attachment(StreamingResponse(chunks(), media_type=media_type, background=BackgroundTask(sent)), filename)


def attachment(response: Response, filename: str) -> Response:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response

