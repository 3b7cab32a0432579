"""Individual targets (附件3): JSON for scripts, pages for departments, HR and leaders."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from service.content import target_rows
from service.content.codes import (
    TARGET_APPROVED,
    TARGET_DRAFT,
    TARGET_NOT_STARTED,
    TARGET_RETURNED,
    TARGET_SUBMITTED,
)
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, not_found, unprocessable
from service.office import annex3
from service.rules import access, approval
from service.rules.access import User
from service.web.auth import signed_in
from service.web.views import lists, target_workbooks
from service.web.views.common import (
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    page,
    parse_workbook,
    permitted,
    yes,
)
from service.web.views.workbook_uploads import Attempt, recorded
from service.workflows import targets, targets_bulk
from service.workflows.common import member_or_404, whole_number

MAX_FORM_FIELDS = 6 * targets.MAX_RAW_ROWS + 10
WORKBOOK_LIMIT = target_workbooks.WORKBOOK_LIMIT
BATCH_LIMIT = target_workbooks.BATCH_LIMIT
UPLOAD_FIELDS = 4
BLANK_ROWS = 3
REVIEW_PAGE = 500  # sets per page of the review list
FILTER_STATES = (TARGET_NOT_STARTED, TARGET_DRAFT, TARGET_SUBMITTED, TARGET_RETURNED, TARGET_APPROVED)
NOTICES = {"save": "个性目标草稿已保存。", "submit": "个性目标已提交，等待主管院领导审定。",
           "withdraw": "个性目标已撤回，可继续修改。", "approve": "个性目标已审定通过。",
           "return": "个性目标已退回部门修改。",
           "reopen": "个性目标已重新打开，回到草稿；已签字的责任状需按重新审定后的目标重签。"}


# -- JSON ---------------------------------------------------------------------------------


async def api_list(request: Request) -> JSONResponse:
    user = signed_in(request)
    department = request.query_params.get("department") or None
    if department is None and not access.allowed(user, access.READ_TARGETS):  # a department: its own people
        department = user.department
    state = request.query_params.get("state") or None
    lines = await off_loop(targets.listing, context(request), user, department, state)
    return ok_json({"department": department, "state": state, "people": lines})


async def api_get(request: Request) -> JSONResponse:
    user = signed_in(request)
    return ok_json(await off_loop(targets.view, context(request), user, request.path_params["staff_id"]))


async def api_save(request: Request) -> JSONResponse:
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise bad_request("invalid_body", "请求体应为对象：{\"rows\": [...], \"submit\": true/false}")
    submit = body.get("submit", False)
    if not isinstance(submit, bool):
        raise bad_request("invalid_submit", "submit 应为 true 或 false")
    result = await off_loop(lambda: targets.save(context(request), user, request.path_params["staff_id"],
                                                 body.get("rows"), submit=submit))
    return ok_json(result)


async def api_decide(request: Request) -> JSONResponse:
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request) if await request.body() else {}
    comment = body.get("comment") if isinstance(body, dict) else None
    result = await off_loop(targets.decide, context(request), user, request.path_params["staff_id"],
                            request.path_params["action"], comment)
    return ok_json(result)


# -- pages --------------------------------------------------------------------------------


def reader(request: Request, department_id: str) -> User:
    """Target sets are read by HR, the leaders and the department itself."""
    return department_user(request, department_id, access.READ_TARGETS, "您的账号只能查看本部门的个性目标")


async def department_page(request: Request, error: ApiError | None = None, bulk: Any = None,
                          uploads: dict[str, Any] | None = None) -> Response:
    department_id = request.path_params["department_id"]
    user = reader(request, department_id)
    ctx = context(request)
    q, status = lists.query(request)
    lines = lists.marked(await off_loop(targets.listing, ctx, user, department_id, None), q, status, "state")
    return page(request, "targets_list.html", f"{_department_name(request, department_id)}：个性工作目标",
                status=error.status if error else 200, department_id=department_id,
                department_name=_department_name(request, department_id), people=lines, q=q, state=status,
                states=FILTER_STATES, can_write=access.allowed(user, access.DRAFT_TARGETS, department_id),
                notice=None, error=error, bulk=bulk, labels=targets_bulk.LABELS,
                budget=ctx.content.settings.individual_points, uploads=uploads,
                upload_labels=target_workbooks.STATUS_LABELS)


async def api_workbook(request: Request) -> JSONResponse:
    """Filled annex 3 workbooks (multipart: one or more file, or one zip of them; submit=true|false);
    each person is read from the workbook. One workbook answers as the saved set; several (or a zip)
    answer with a line per file."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    form = await request.form(max_files=target_workbooks.LIMITS.files, max_fields=UPLOAD_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    sent = await target_workbooks.sent_files(form)
    if target_workbooks.is_batch(sent):
        result = await target_workbooks.upload_many(request, user, department_id, sent, yes(form.get("submit")))
        if not result["stored"]:
            raise unprocessable("nothing_stored", "没有存入任何工作簿，请按每个文件的原因改正后重新上传", **result)
        return ok_json(result)
    async with recorded(request, user, department_id, 3) as attempt:
        data, submit = _workbook(sent, form, attempt)
        result = await parse_workbook(request, target_workbooks.save_workbook, context(request), user, department_id,
                                      data, submit)
    return ok_json(result)


async def workbook_post(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    form = await request.form(max_files=target_workbooks.LIMITS.files, max_fields=UPLOAD_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    sent = await target_workbooks.sent_files(form)
    try:
        if target_workbooks.is_batch(sent):
            uploads = await target_workbooks.upload_many(request, user, department_id, sent, yes(form.get("submit")))
            return await department_page(request, uploads=uploads)
        async with recorded(request, user, department_id, 3) as attempt:
            data, submit = _workbook(sent, form, attempt)
            result = await parse_workbook(request, target_workbooks.save_workbook, context(request), user,
                                          department_id, data, submit)
    except ApiError as exc:
        return await department_page(request, error=exc)
    action = approval.SUBMIT if submit else approval.SAVE
    return RedirectResponse(f"/board/{department_id}/targets/{result['staff_id']}?notice={action}", status_code=303)


async def review_page(request: Request, error: ApiError | None = None, bulk: Any = None) -> Response:
    user = permitted(request, access.READ_TARGETS)
    q, _ = lists.query(request)
    lines = lists.marked(await off_loop(targets.listing, context(request), user, None, TARGET_SUBMITTED), q, "",
                         extra=("post", "department_name"))
    shown = [line for line in lines if line["shown"]]
    start = whole_number(request.query_params.get("offset") or "0", 0, 10**7, code="invalid_offset",
                         message="offset 应为非负整数")
    return page(request, "targets_review.html", "待审定的个性工作目标", status=error.status if error else 200,
                people=shown[start:start + REVIEW_PAGE], total=len(lines), matching=len(shown), offset=start,
                page_size=REVIEW_PAGE, q=q, error=error, bulk=bulk, labels=targets_bulk.LABELS,
                notice=NOTICES.get(request.query_params.get("notice", "")))


async def person_page(request: Request) -> Response:
    reader(request, request.path_params["department_id"])
    member = _member(request)
    return await _person(request, member, notice=NOTICES.get(request.query_params.get("notice", "")))


async def person_post(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    user = reader(request, department_id)
    member = _member(request)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    action = str(form.get("action") or "")
    comment = str(form.get("comment") or "")
    rows = target_rows.rows_from_form((k, v) for k, v in form.multi_items() if isinstance(v, str))
    ctx = context(request)
    try:
        if action in (approval.SAVE, approval.SUBMIT):
            await off_loop(lambda: targets.save(ctx, user, member.staff_id, rows, submit=action == approval.SUBMIT))
        elif action in targets.DECISIONS:
            await off_loop(targets.decide, ctx, user, member.staff_id, action, comment)
        else:
            raise bad_request("unknown_action", "请选择要进行的操作")
    except ApiError as exc:
        typed = rows if action in (approval.SAVE, approval.SUBMIT) else None
        return await _person(request, member, error=exc, typed_rows=typed, comment=comment)
    if access.allowed(user, access.DECIDE_TARGETS, department_id):  # a leader goes back to the list
        return RedirectResponse(f"/board/review?notice={action}", status_code=303)
    return RedirectResponse(f"/board/{department_id}/targets/{member.staff_id}?notice={action}", status_code=303)


async def _person(request: Request, member: StaffMember, *, notice: str | None = None,
                  error: ApiError | None = None, typed_rows: list[dict[str, Any]] | None = None,
                  comment: str = "") -> Response:
    user = signed_in(request)
    data = await off_loop(targets.view, context(request), user, member.staff_id)
    rows = typed_rows if typed_rows is not None else data["rows"]
    editable = approval.SAVE in data["actions"]
    shown = [*rows, *({} for _ in range(BLANK_ROWS))] if editable else rows
    return page(request, "targets_person.html", f"{member.name}的个性工作目标", status=error.status if error else 200,
                person=data, rows=shown, editable=editable, columns=target_rows.COLUMNS, points_column=target_rows.COL_POINTS,
                deadline_column=target_rows.COL_DEADLINE, max_rows=max(annex3.BLANK_ROWS, len(shown)), notice=notice, error=error,
                comment=comment, labels=approval.ACTION_LABELS,
                department_name=_department_name(request, member.department))


def _workbook(sent: list[tuple[str, bytes]], form: FormData, attempt: Attempt) -> tuple[bytes, bool]:
    if not sent:
        raise bad_request("missing_file", "请选择填好的附件3工作簿（.xlsx）")
    attempt.file_name, data = sent[0]
    if len(data) > WORKBOOK_LIMIT:
        raise ApiError(413, "too_large", "工作簿超过 10 MB 的大小限制")
    return data, yes(form.get("submit"))


def _member(request: Request) -> StaffMember:
    member = member_or_404(context(request), request.path_params["staff_id"])
    if member.department != request.path_params["department_id"]:
        raise not_found("unknown_staff", "本部门名册中没有该教职工")
    return member


def _department_name(request: Request, department_id: str) -> str:
    department = context(request).content.department(department_id)
    return department.name if department else department_id
