"""HTML pages of the service: login, the board, a department's people and its forms."""

from __future__ import annotations

import math
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content import text_forms
from service.content.codes import COMPLETION_STATUSES, MATCH_STALE, PERSON_STATUSES
from service.errors import ApiError
from service.rules import access
from service.rules.board import Board, DepartmentRow, by_urgency, within
from service.storage import setup_dir
from service.web import prefix
from service.web.auth import (
    PASSWORD_PAGE,
    SESSION_COOKIE,
    clear_session_cookie,
    client_address,
    device_of,
    session_of,
    set_device_cookie,
    set_session_cookie,
    signed_in,
    user_of,
)
from service.web.views import lists, todos
from service.web.views.common import (
    check_csrf,
    context,
    department_user,
    home,
    off_loop,
    page,
    yes,
)
from service.web.views.scans import read_upload
from service.workflows import board, completion, contracts, result_objections, sessions, staff
from service.workflows.commit import log
from service.workflows.common import member_or_404, staff_id_field

MAX_FORM_FIELDS = 25_000


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/board"


async def login_form(request: Request) -> Response:
    session = session_of(request)
    expired = _expired(request.query_params.get("expired"))
    if session is not None and not expired:  # signed in already (the portal's 登录 link): the landing page
        return RedirectResponse(_landing(session.user, _safe_next(request.query_params.get("next"))), status_code=303)
    return login_page(request, next=_safe_next(request.query_params.get("next")), username="", error=None,
                      expired=expired)


def login_page(request: Request, status: int = 200, **values: object) -> Response:
    settings = context(request).settings
    return page(request, "login.html", "登录", status=status, directory=settings.directory_sign_in,
                local=settings.local_sign_in, **values)


def _expired(value: object) -> str:
    """Why the login page was asked for again: "post" (a form was being sent), "1", or ""."""
    return value if value in ("post", "1") else ""  # type: ignore[return-value]


def _landing(user: access.User, target: str) -> str:
    """Where a signed-in account goes: `target`, or its own home instead of the board."""
    return home(user) if target == "/board" else target


def login_address(request: Request) -> str:
    """The login page for a request that needs a session: back to the same page afterwards. A
    form sent with an ended session goes back to the page it was sent from (its Referer, when
    it is this site), marked so that the page says why and the browser restores what was typed."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    expired = "1" if request.cookies.get(SESSION_COOKIE) else ""
    if request.method == "POST":
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc == request.url.netloc and referer.path.startswith("/"):
            target = prefix.app_path(referer.path, prefix.root_of(request)) + (
                f"?{referer.query}" if referer.query else "")
        expired = "post"
    query = {"next": _safe_next(target), **({"expired": expired} if expired else {})}
    return f"/login?{urlencode(query)}"


async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=8)
    username = text_forms.clean(str(form.get("username") or ""))[:64]
    password = str(form.get("password") or "")[:256]
    target = _safe_next(str(form.get("next") or ""))
    expired = _expired(form.get("expired"))
    check_csrf(request, str(form.get("csrf") or ""), session_form=True)
    ctx = context(request)
    throttle = request.app.state.throttle
    client = client_address(request.scope)
    known, device = await off_loop(staff.known_name, ctx, username), device_of(request, username)
    wait = throttle.wait(username, client, known=known, device=device)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        response = login_page(request, status=429, next=target, username=username,
                              error=f"登录失败次数过多，请 {seconds} 秒后再试", expired=expired)
        response.headers["Retry-After"] = str(seconds)
        return response
    outcome = await off_loop(staff.sign_in, ctx, username, password)
    user = outcome.user
    if user is None:
        if outcome.guessed:
            throttle.fail(username, client, known=known, device=device)
        await off_loop(lambda: log(ctx, username or "?", "login.failed", ip=client, reason=outcome.code))
        return login_page(request, status=503 if outcome.code == staff.UNAVAILABLE else 400, next=target,
                          username=username, error=outcome.message, expired=expired)
    throttle.succeed(username, client, known=known, device=device)
    session_id, _ = await off_loop(sessions.start, ctx, user, client)
    target = PASSWORD_PAGE if user.must_change_password else _landing(user, target)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, session_id)
    set_device_cookie(request, response, username)
    return response


async def logout(request: Request) -> Response:
    """Sign out: every session of the account ends (other browsers too)."""
    form = await request.form(max_files=0, max_fields=4)
    check_csrf(request, str(form.get("csrf") or ""), session_form=True)
    session = session_of(request)
    if session is not None:
        await off_loop(sessions.end_all, context(request), session.user.username)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(request, response)
    return response


def _login_redirect(request: Request) -> Response | None:
    if user_of(request) is None:
        return RedirectResponse(login_address(request), status_code=303)
    return None


async def board_page(request: Request) -> Response:
    if (redirect := _login_redirect(request)) is not None:
        return redirect
    user = signed_in(request)
    if not access.allowed(user, access.SEE_COLLEGE):  # a department: its own page; a staff member: theirs
        return RedirectResponse(home(user), status_code=303)
    ctx = context(request)
    current = await off_loop(board.current, ctx)
    seen = {r.id for r in current.departments if access.allowed(user, access.SEE_DEPARTMENT, r.id)}
    if len(seen) < len(current.departments):  # a leader: the departments overseen only
        current = within(current, seen)
    chart = await off_loop(board.chart, ctx, current)
    waiting = await off_loop(result_objections.open_count, ctx, user) if access.allowed(
        user, access.SEE_OBJECTIONS) else 0
    sort = request.query_params.get("sort") or ""
    return page(request, "board.html", "完成情况总览", board=current, rows=sorted_rows(current, sort),
                sort=sort, sort_columns=SORT_COLUMNS, chart=chart, objections_waiting=waiting,
                sample=access.allowed(user, access.IMPORT_ROSTER) and not ctx.past
                and await off_loop(setup_dir.holds_sample_roster, ctx.settings),
                **await todos.panel(request, user))


SORT_COLUMNS = {"name": "部门、系", "staff": "应签", "completed": "完成", "exempt": "请假", "outstanding": "未完成",
                "resign": "其中需重签", "percent": "进度", "overdue": "状态"}


def sorted_rows(current: Board, sort: str) -> list[DepartmentRow]:
    """The departments in the content's order, or by the column chosen (most first; names A–Z)."""
    rows = list(current.departments)
    if sort == "name":
        return sorted(rows, key=lambda r: r.name)
    if sort == "overdue":
        return by_urgency(current)
    if sort == "percent":
        return sorted(rows, key=lambda r: (r.counts.empty, r.counts.percent))
    if sort in SORT_COLUMNS:
        return sorted(rows, key=lambda r: getattr(r.counts, sort), reverse=True)
    return rows


async def department(request: Request) -> Response:
    if (redirect := _login_redirect(request)) is not None:
        return redirect
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    return await _department_page(request, notice=request.query_params.get("notice"))


async def _department_page(request: Request, *, status: int = 200, notice: str | None = None,
                           error: ApiError | None = None, selected_staff: str | None = None,
                           typed: dict[str, str] | None = None) -> Response:
    """The department's page: its counts, forms and people (filtered as the address asks); the
    to-do list when it is the account's own department."""
    department_id = request.path_params["department_id"]
    user = signed_in(request)
    ctx = context(request)
    staff = await off_loop(contracts.staff_view, ctx, department_id)
    current = await off_loop(board.current, ctx)
    row = next(r for r in current.departments if r.id == department_id)
    if typed:  # keep what the clerk chose
        for person in staff:
            if person["staff_id"] in typed:
                person["typed"] = typed[person["staff_id"]]
    q, chosen = lists.query(request)
    extra = await todos.panel(request, user) if user.department == department_id else {}
    return page(request, "department.html", row.name, status=status, department=row,
                staff=lists.marked(staff, q, chosen), q=q, chosen=chosen, person_statuses=PERSON_STATUSES,
                board=current, can_write=access.allowed(user, access.WRITE_DEPARTMENT, department_id),
                statuses=COMPLETION_STATUSES, notice=notice, error=error, selected_staff=selected_staff,
                upload_max_mb=ctx.content.settings.upload_max_mb,
                objections_waiting=await off_loop(result_objections.open_count, ctx, user, department_id)
                if access.allowed(user, access.SEE_OBJECTIONS, department_id) else 0, **extra)


async def upload_form_post(request: Request) -> Response:
    """The browser upload form: store the scan, then show a confirmation page."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    form = await request.form(max_files=1, max_fields=8)
    check_csrf(request, str(form.get("csrf") or ""))
    upload = form.get("file")
    ctx = context(request)
    staff_id = text_forms.staff_id(str(form.get("staff_id") or ""))
    try:
        staff_id = staff_id_field(staff_id, "请选择教职工")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ApiError(400, "missing_file", "请选择要上传的扫描件文件")
        member = member_or_404(ctx, staff_id)
        if member.department != department_id:
            raise ApiError(403, "forbidden", "该教职工不属于本部门")
        scan = await read_upload(request, upload, yes(form.get("allow_duplicate")), ctx.content.settings.upload_max_mb)
        record, _ = await off_loop(contracts.upload, ctx, user, staff_id, scan)
    except ApiError as exc:
        if exc.code == "unsupported_type" and isinstance(upload, UploadFile):  # say which file
            name = str(upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:80]
            exc = ApiError(exc.status, exc.code, f"“{name}”不是扫描件：{exc.message}", **exc.extra)
        return await department_with_error(request, exc, staff_id)
    current = await off_loop(board.current, ctx)
    row = next(r for r in current.departments if r.id == department_id)
    return page(request, "uploaded.html", "上传成功", record=record, member=member, department=row,
                size=size_text(int(record["size"])), stale=record.get("match") == MATCH_STALE)


def size_text(size: int) -> str:
    """A file size as people read it: 字节, KB or MB."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


async def completion_form_post(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    ctx = context(request)
    entries = [{"staff_id": key[7:], "status": str(value)} for key, value in form.multi_items()
               if key.startswith("status:")]
    try:
        if not entries:
            raise ApiError(400, "invalid_entries", "表单中没有可以填报的人员")
        saved = await off_loop(completion.save, ctx, user, department_id, entries)
    except ApiError as exc:
        return await department_with_error(request, exc, None, typed={e["staff_id"]: e["status"] for e in entries})
    notice = "completion" if saved.changes else "unchanged"
    return RedirectResponse(f"/board/{department_id}?notice={notice}", status_code=303)


async def withdraw_post(request: Request) -> Response:
    """The department page's withdraw form (a reason is required): back to the page."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WITHDRAW_SCAN, "您只能撤回本部门的扫描件")
    form = await request.form(max_files=0, max_fields=4)
    check_csrf(request, str(form.get("csrf") or ""))
    try:
        await off_loop(contracts.withdraw, context(request), user, department_id, request.path_params["contract_id"],
                       str(form.get("reason") or ""))
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await department_with_error(request, exc, None)
    return RedirectResponse(f"/board/{department_id}?notice=withdrawn#people", status_code=303)


async def department_with_error(request: Request, exc: ApiError, staff_id: str | None,
                                typed: dict[str, str] | None = None) -> Response:
    """The department page again, with the error on top and what the clerk chose kept."""
    return await _department_page(request, status=exc.status, error=exc, selected_staff=staff_id, typed=typed)
