"""Target sets by the list: a department applies the template to, or submits, the people it
ticks; a leader approves or returns the sets ticked after a page that lists their names."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.errors import ApiError, bad_request
from service.rules import access, approval
from service.web.auth import signed_in
from service.web.views import targets as target_pages
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
from service.workflows import targets_bulk
from service.workflows.common import comment_text

MAX_FIELDS = targets_bulk.MAX_PEOPLE + 10
DEPARTMENT_ACTIONS = (targets_bulk.TEMPLATE, approval.SUBMIT)
LEADER_ACTIONS = (approval.APPROVE, approval.RETURN)
CHOOSE = "请选择“审定通过所选”或“退回所选”"


@dataclass(frozen=True)
class Ticked:
    """A bulk form as sent: what to do, to whom, with what comment."""

    action: str
    staff: list[str]
    comment: str


async def _ticked(request: Request, actions: tuple[str, ...], choose: str) -> Ticked:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    action = str(form.get("action") or "")
    if action not in actions:
        raise bad_request("unknown_action", choose)
    return Ticked(action, [str(v) for v in form.getlist("staff")], str(form.get("comment") or ""))


async def department_post(request: Request) -> Response:
    """The department's list: `action` (template / submit) for the ticked `staff`."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.DRAFT_TARGETS, "您只能办理本部门教职工的个性目标")
    try:
        sent = await _ticked(request, DEPARTMENT_ACTIONS, "请选择“套用岗位模板”或“提交所选”")
        result = await off_loop(targets_bulk.for_department, context(request), user, department_id, sent.staff,
                                sent.action)
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return await target_pages.department_page(request, error=exc)
    return await target_pages.department_page(request, bulk=result)


async def review_confirm(request: Request) -> Response:
    """The leader's ticked sets, listed by name before anything is decided."""
    user = permitted(request, access.DECIDE_TARGETS)
    try:
        sent = await _ticked(request, LEADER_ACTIONS, CHOOSE)
        if sent.action == approval.RETURN and not comment_text(sent.comment):
            raise bad_request("comment_required", "退回时请填写审定意见（部门将看到这条意见）")
        people = await off_loop(targets_bulk.members, context(request), user, sent.staff, sent.action)
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await target_pages.review_page(request, error=exc)
    names = {d.id: d.name for d in context(request).content.departments}
    return page(request, "targets_confirm.html", "确认审定", people=people, action=sent.action, comment=sent.comment,
                labels=targets_bulk.LABELS, department_names=names)


async def review_post(request: Request) -> Response:
    """The confirmed decision for every set listed."""
    user = permitted(request, access.DECIDE_TARGETS)
    try:
        sent = await _ticked(request, LEADER_ACTIONS, CHOOSE)
        result = await off_loop(targets_bulk.run, context(request), user, sent.staff, sent.action, sent.comment)
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await target_pages.review_page(request, error=exc)
    return await target_pages.review_page(request, bulk=result)


async def api_bulk(request: Request) -> JSONResponse:
    """POST {"action": template|submit|approve|return, "staff_ids": [...], "comment"?}."""
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("staff_ids"), list):
        raise bad_request("invalid_body", "请求体应为 {\"action\": …, \"staff_ids\": [工号, …], \"comment\": …}")
    result = await off_loop(targets_bulk.run, context(request), user, [str(s) for s in body["staff_ids"]],
                            str(body.get("action") or ""), body.get("comment"))
    return ok_json(result.answer())
