"""The monthly summary (附件4): a department's form per month, JSON for scripts."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.content import forms_text
from service.errors import ApiError, bad_request
from service.rules import access
from service.rules.clock import as_local
from service.rules.monthly import ATTENDANCE_COLUMNS, COL_BUSINESS, COL_OTHER
from service.rules.people_search import matches, search_text
from service.web.views import lists
from service.web.views.common import (
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    page,
)
from service.workflows import monthly
from service.workflows.common import month_number

COLUMNS = (*ATTENDANCE_COLUMNS, COL_OTHER, COL_BUSINESS)
MAX_FORM_FIELDS = 25_000


async def api_get(request: Request) -> JSONResponse:
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    month = month_number(request.path_params["month"], status=404)
    return ok_json(await off_loop(monthly.month_view, context(request), department_id, month))


async def api_put(request: Request) -> JSONResponse:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    check_csrf(request, None)
    month = month_number(request.path_params["month"], status=404)
    body = await json_body(request)
    rows = body.get("rows") if isinstance(body, dict) else None
    partial = body.get("partial", False) if isinstance(body, dict) else False
    if not isinstance(partial, bool):
        raise bad_request("invalid_partial", "partial 应为 true（只报送部分人员）或 false")
    return ok_json(await off_loop(lambda: monthly.submit(context(request), user, department_id, month, rows,
                                                         partial=partial)))


@dataclass(frozen=True)
class Held:
    """A refused annex 4 upload as the page keeps it: the file (base64; "" when too large to hold),
    its name, the month chosen and whether it was partial."""

    data: str = ""
    file_name: str = ""
    month: str = ""
    partial: bool = False


async def months_page(request: Request, *, error: ApiError | None = None, held: Held | None = None) -> Response:
    """The department's months; after a refused annex 4 upload, its error (and, for a month on
    record, what would change and a confirm form holding the file)."""
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    ctx = context(request)
    today = as_local(ctx.now(), ctx.content.settings.timezone).date()
    last = 12 if today.year > ctx.year else (today.month if today.year == ctx.year else 0)
    first = ctx.content.settings.monthly_first_month
    months = [await off_loop(monthly.month_view, ctx, department_id, m) for m in range(first, last + 1)]
    name = _name(request, department_id)
    chosen = held.month if held and held.month else str(12 if last == 12 else max(last - 1, first))
    return page(request, "monthly_list.html", f"{name}：月汇总表", status=error.status if error else 200,
                department_id=department_id, department_name=name, months=months,
                due_day=ctx.content.settings.monthly_due_day, error=error, held=held or Held(), chosen=chosen)


async def month_page(request: Request) -> Response:
    department_user(request, request.path_params["department_id"])
    notice = "月汇总表已报送。" if request.query_params.get("notice") == "submit" else None
    return await _render(request, notice=notice)


async def month_post(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    month = month_number(request.path_params["month"], status=404)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    ctx = context(request)
    typed: dict[str, dict[str, str]] = {}
    for key, value in form.multi_items():
        column, _, staff_id = key.partition(":")
        if column in COLUMNS and staff_id and isinstance(value, str):
            typed.setdefault(staff_id, {})[column] = value
    rows = [{"工号": staff_id, **values} for staff_id, values in typed.items()]
    try:
        if not rows:
            raise bad_request("invalid_rows", "表单中没有任何人员")
        partial = str(form.get("partial") or "") == "1"
        await off_loop(lambda: monthly.submit(ctx, user, department_id, month, rows, partial=partial))
    except ApiError as exc:
        return await _render(request, error=exc, typed=typed)
    return RedirectResponse(f"/board/{department_id}/monthly/{month}?notice=submit", status_code=303)


async def _render(request: Request, *, notice: str | None = None, error: ApiError | None = None,
                  typed: dict[str, dict[str, str]] | None = None) -> Response:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id)
    month = month_number(request.path_params["month"], status=404)
    ctx = context(request)
    data = await off_loop(monthly.month_view, ctx, department_id, month)
    stored = {row["staff_id"]: row for row in data["rows"]}
    fields = {**ATTENDANCE_COLUMNS, COL_OTHER: "other", COL_BUSINESS: "business"}
    values: dict[str, dict[str, str]] = {}
    for member in ctx.content.members(department_id):
        if typed is not None:
            values[member.staff_id] = typed.get(member.staff_id, {})
        elif member.staff_id in stored:
            row = stored[member.staff_id]
            values[member.staff_id] = {c: _shown(row.get(f)) for c, f in fields.items()}
        else:
            values[member.staff_id] = {}
    name = _name(request, department_id)
    q, _ = lists.query(request)
    searches = {m.staff_id: search_text(m.staff_id, m.name) for m in ctx.content.members(department_id)}
    return page(request, "monthly.html", f"{name}：{month}月考核月汇总表", status=error.status if error else 200,
                department_id=department_id, department_name=name, data=data, columns=COLUMNS, other_column=COL_OTHER,
                members=ctx.content.members(department_id), values=values, can_write=access.allowed(user, access.WRITE_DEPARTMENT, department_id),
                notice=notice, error=error, headers={c: forms_text.monthly_header(c) for c in COLUMNS},
                searches=searches, shown={k: matches(q, text) for k, text in searches.items()}, q=q,
                attendance_note=forms_text.ATTENDANCE_NOTE, business_max=ctx.content.settings.individual_points)


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _name(request: Request, department_id: str) -> str:
    department = context(request).content.department(department_id)
    return department.name if department else department_id
