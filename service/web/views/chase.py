"""催办: HR's chase page (who is outstanding on each step, with the department's contacts),
reminders sent by hand after a preview, their history, and the refused workbooks."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.content.codes import REMINDER_BY_HAND, REMINDER_LABELS, REMINDER_SOURCES, STEP_LABELS, STEPS
from service.errors import ApiError
from service.rules import access
from service.storage.outbound import SenderBusy
from service.web.views.common import (
    check_csrf,
    context,
    json_body,
    linked,
    off_loop,
    ok_json,
    page,
    permitted,
)
from service.workflows import chase, reminders, workbook_errors
from service.workflows.context import Context

BUSY = "另一次催办正在发送，请稍后再试"


def _filters(request: Request, form: Any = None) -> tuple[str | None, str | None]:
    source = form if form is not None else request.query_params
    step = reminders.check_step(str(source.get("step") or "") or None)
    department = str(source.get("department") or "") or None
    if department and not context(request).content.department(department):
        raise ApiError(404, "unknown_department", "没有这个部门或系")
    return step, department


def _rows(ctx: Context, step: str | None, department: str | None) -> list[dict[str, Any]]:
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in reminders.history(ctx):  # the latest first
        latest.setdefault((record["department"], record["step"]), record)
    today = chase.today(ctx)
    return [{"item": item, "overdue": item.overdue(today), "contacts": chase.contacts(ctx, item.department),
             "link": chase.link_for(item), "last": latest.get((item.department, item.step.key))}
            for item in chase.outstanding(ctx, [department] if department else None, step)]


async def chase_page(request: Request) -> Response:
    permitted(request, access.CHASE)
    step, department = _filters(request)
    ctx = context(request)
    planned = (await off_loop(reminders.preview, ctx, step, department)
               if request.query_params.get("preview") else None)
    return await _chase_page(request, ctx, step, department, planned=planned)


async def send_post(request: Request) -> Response:
    user = permitted(request, access.CHASE)
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, str(form.get("csrf") or ""))
    step, department = _filters(request, form)
    ctx = context(request)
    sent: list[dict[str, Any]] | None = None
    error: ApiError | None = None
    try:
        sent = await off_loop(lambda: reminders.send(ctx, user.username, REMINDER_BY_HAND, step, department))
    except SenderBusy:
        error = ApiError(409, "sender_busy", BUSY)
    except ApiError as exc:
        error = exc
    return await _chase_page(request, ctx, step, department, sent=sent, error=error)


async def _chase_page(request: Request, ctx: Context, step: str | None, department: str | None, *,
                      planned: list[reminders.Planned] | None = None, sent: list[dict[str, Any]] | None = None,
                      error: ApiError | None = None) -> Response:
    """The chase page over the filters: what is outstanding, and a preview, a send's result or its error."""
    rows = await off_loop(_rows, ctx, step, department)
    return page(request, "chase.html", "催办", status=error.status if error else 200, rows=rows, step=step or "",
                department=department or "", steps=STEPS, step_labels=STEP_LABELS, planned=planned,
                outbound=ctx.settings.outbound, labels=REMINDER_LABELS, sent=sent, error=error)


async def history_page(request: Request) -> Response:
    permitted(request, access.CHASE)
    records = await off_loop(reminders.history, context(request))
    return page(request, "reminders.html", "催办记录", records=records, labels=REMINDER_LABELS,
                sources=REMINDER_SOURCES)


async def workbooks_page(request: Request) -> Response:
    permitted(request, access.CHASE)
    found = await off_loop(lambda: workbook_errors.listing(context(request)))
    return page(request, "workbook_errors.html", "上传出错的工作簿", errors=found,
                notice=request.query_params.get("notice"))


async def workbook_handled(request: Request) -> Response:
    user = permitted(request, access.CHASE)
    form = await request.form(max_files=0, max_fields=4)
    check_csrf(request, str(form.get("csrf") or ""))
    params = request.path_params
    await off_loop(workbook_errors.handled, context(request), user, params["department_id"], params["error_id"])
    return RedirectResponse("/board/workbooks?notice=handled", status_code=303)


# -- JSON ---------------------------------------------------------------------------------


async def api_chase(request: Request) -> JSONResponse:
    permitted(request, access.CHASE)
    step, department = _filters(request)
    rows = await off_loop(_rows, context(request), step, department)
    return ok_json({"outstanding": linked(request, [
        {"department": r["item"].department, "department_name": r["item"].department_name, "step": r["item"].step.key,
         "step_label": r["item"].step.label, "deadline": r["item"].step.deadline.isoformat(), "overdue": r["overdue"],
         "people": list(r["item"].people), "roles": list(r["item"].roles),
         "summary_missing": r["item"].summary_missing, "link": r["link"],
         "contacts": [c.__dict__ for c in r["contacts"]]} for r in rows])})


async def api_remind(request: Request) -> JSONResponse:
    """POST {"step"?, "department"?, "dry_run"?}: what would be sent, or send it now."""
    user = permitted(request, access.CHASE)
    check_csrf(request, None)
    body = await json_body(request) if await request.body() else {}
    if not isinstance(body, dict):
        body = {}
    step, department = _filters(request, body)
    ctx = context(request)
    if body.get("dry_run"):
        planned = await off_loop(reminders.preview, ctx, step, department)
        return ok_json({"dry_run": True, "reminders": [
            {"key": p.key, "to": list(p.to), "webhook": bool(p.webhook), "subject": p.message.subject,
             "body": p.message.body} for p in planned]})
    try:
        sent = await off_loop(lambda: reminders.send(ctx, user.username, REMINDER_BY_HAND, step, department))
    except SenderBusy:
        raise ApiError(409, "sender_busy", BUSY) from None
    return ok_json({"dry_run": False, "reminders": sent})


async def api_history(request: Request) -> JSONResponse:
    permitted(request, access.CHASE)
    return ok_json({"reminders": await off_loop(reminders.history, context(request))})
