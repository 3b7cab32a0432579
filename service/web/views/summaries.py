"""The annual summary: the staff member's own page and API (write, keep a draft, submit, upload),
and the department's list of who has submitted, with its lock."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from service.content.codes import SUMMARY_LABELS
from service.errors import ApiError, bad_request
from service.rules import access, scans
from service.web.auth import signed_in
from service.web.views.common import (
    attachment,
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    page,
)
from service.workflows import summaries
from service.workflows.common import own_member

NOTICES = {"draft": "草稿已保存，提交前可以随时修改。", "submitted": "个人总结已提交；部门锁定前仍可修改。",
           "uploaded": "个人总结文件已上传并提交；部门锁定前仍可重新上传。",
           "locked": "已锁定：本部门教职工不能再修改个人总结。", "unlocked": "已重新打开：本部门教职工可以修改个人总结。"}
MAX_FIELDS = 8


# -- the person ---------------------------------------------------------------------------------


async def my_page(request: Request, *, error: ApiError | None = None, typed: str | None = None) -> Response:
    user = signed_in(request)
    data = await off_loop(summaries.mine, context(request), user)
    return page(request, "me_summary.html", "我的年度个人总结", status=error.status if error else 200, data=data,
                error=error, typed=typed, notice=NOTICES.get(request.query_params.get("notice", "")),
                types=scans.DOCUMENT_TYPES)


async def my_post(request: Request) -> Response:
    """A form: `text` and `action` (draft / submit)."""
    user = signed_in(request)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    text = str(form.get("text") or "")
    action = str(form.get("action") or "")
    try:
        if action not in ("draft", "submit"):
            raise bad_request("invalid_action", "请选择“保存草稿”或“提交”")
        await off_loop(summaries.save, context(request), user, {"text": text, "submit": action == "submit"})
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await my_page(request, error=exc, typed=text)
    return RedirectResponse(f"/me/summary?notice={'submitted' if action == 'submit' else 'draft'}", status_code=303)


async def _file_of(request: Request) -> UploadFile:
    form = await request.form(max_files=1, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise bad_request("missing_file", "请选择要上传的个人总结文件（Word .docx 或 PDF）")
    return upload


async def my_upload(request: Request) -> Response:
    user = signed_in(request)
    try:
        upload = await _file_of(request)
        await off_loop(summaries.upload, context(request), user, upload.file, str(upload.filename))
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await my_page(request, error=exc)
    return RedirectResponse("/me/summary?notice=uploaded", status_code=303)


async def my_file(request: Request) -> Response:
    user = signed_in(request)
    ctx = context(request)
    member = own_member(ctx, user, access.READ_APPRAISAL)
    path, name, _ = await off_loop(summaries.file_path, ctx, user, member.staff_id)
    return attachment(FileResponse(path), name)


async def api_mine(request: Request) -> Response:
    user = signed_in(request)
    return ok_json(await off_loop(summaries.mine, context(request), user))


async def api_save(request: Request) -> Response:
    """JSON {"text": the summary, "submit": true to submit, false to keep a draft}."""
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    return ok_json(await off_loop(summaries.save, context(request), user, body))


async def api_upload(request: Request) -> Response:
    """multipart `file`: a Word (.docx) or PDF summary, submitted."""
    user = signed_in(request)
    upload = await _file_of(request)
    return ok_json(await off_loop(summaries.upload, context(request), user, upload.file, str(upload.filename)))


# -- the department -----------------------------------------------------------------------------


async def department_page(request: Request) -> Response:
    department = request.path_params["department_id"]
    user = department_user(request, department, access.READ_APPRAISAL,
                           "您只能查看本部门（或主管部门）教职工的个人总结")
    ctx = context(request)
    data = await off_loop(summaries.department_list, ctx, user, department)
    name = ctx.content.department(department).name  # type: ignore[union-attr]
    return page(request, "summaries_department.html", f"{name}：年度个人总结", data=data, labels=SUMMARY_LABELS,
                notice=NOTICES.get(request.query_params.get("notice", "")), error=None)


async def lock_post(request: Request) -> Response:
    """A form: `action` lock / unlock."""
    department = request.path_params["department_id"]
    user = signed_in(request)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    action = str(form.get("action") or "")
    if action not in ("lock", "unlock"):
        raise bad_request("invalid_action", "action 应为 lock（锁定）或 unlock（重新打开）")
    await off_loop(summaries.set_lock, context(request), user, department, action == "lock")
    return RedirectResponse(f"/board/{department}/summaries?notice={action}ed", status_code=303)


async def person_file(request: Request) -> Response:
    """A person's uploaded summary, for who may read their appraisal."""
    department = request.path_params["department_id"]
    user = department_user(request, department, access.READ_APPRAISAL,
                           "您只能查看本部门（或主管部门）教职工的个人总结")
    path, name, _ = await off_loop(summaries.file_path, context(request), user, request.path_params["staff_id"])
    return attachment(FileResponse(path), name)


async def api_department(request: Request) -> Response:
    user = signed_in(request)
    return ok_json(await off_loop(summaries.department_list, context(request), user,
                                  request.path_params["department_id"]))


async def api_person(request: Request) -> Response:
    user = signed_in(request)
    return ok_json(await off_loop(summaries.person, context(request), user, request.path_params["staff_id"]))


async def api_lock(request: Request) -> Response:
    """JSON {"locked": true / false}."""
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    locked = body.get("locked") if isinstance(body, dict) else None
    if not isinstance(locked, bool):
        raise bad_request("invalid_locked", "locked 应为 true（锁定）或 false（重新打开）")
    return ok_json(await off_loop(summaries.set_lock, context(request), user, request.path_params["department_id"],
                                  locked))
