"""Office forms: pre-filled annex downloads and filled annex uploads (the annex 5 round trip)."""

from __future__ import annotations

import base64
import binascii
import functools
import io
import zipfile

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content.models import StaffMember
from service.errors import ApiError, bad_request
from service.office import annex3, annex4, annex5, catalog
from service.office.safe_reader import WorkbookRejected
from service.rules import access
from service.web.auth import by_token
from service.web.views import monthly as monthly_views
from service.web.views.api import completion_json
from service.web.views.common import (
    attachment,
    check_csrf,
    context,
    department_user,
    off_loop,
    ok_json,
    parse_workbook,
    yes,
)
from service.web.views.monthly import Held
from service.web.views.pages import department_with_error
from service.web.views.workbook_uploads import Attempt, recorded
from service.workflows import completion, monthly, targets
from service.workflows.common import member_or_404, month_number
from service.workflows.context import Context

WORKBOOK_LIMIT = 5 * 1024 * 1024
HOLD_LIMIT = 1024 * 1024  # a refused annex 4 up to this size rides in the page's confirm form, base64
HELD_FIELD_LIMIT = HOLD_LIMIT * 4 // 3 + 16


async def uploaded_workbook(request: Request, attempt: Attempt | None = None) -> tuple[bytes, bool]:
    """The workbook uploaded, and whether it is sent as a partial one (field or ?partial=1);
    its file name goes on `attempt`."""
    form = await request.form(max_files=1, max_fields=4)
    check_csrf(request, str(form.get("csrf") or ""))
    data = await _file_bytes(form, attempt or Attempt())
    return data, yes(form.get("partial")) or yes(request.query_params.get("partial"))


async def _file_bytes(form: FormData, attempt: Attempt) -> bytes:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise bad_request("missing_file", "缺少要上传的 Excel 文件（file）")
    attempt.file_name = upload.filename or ""
    data = await upload.read()
    if not data:
        raise bad_request("empty_file", "上传的文件是空的")
    return data


def _xlsx(data: bytes, name: str) -> Response:
    return attachment(Response(data, media_type=catalog.XLSX_MIME), name)


async def completion_form(request: Request) -> Response:
    """附件5 pre-filled with the department's roster and the statuses on record."""
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    ctx = context(request)

    data = await off_loop(lambda: annex5.completion_xlsx(ctx.content, department_id,
                                                         completion.printed(ctx, department_id)))
    return _xlsx(data, catalog.department_file_name(ctx.content, 5, "xlsx", department_id))


async def monthly_form(request: Request) -> Response:
    """附件4 pre-filled with the department's roster for one month (?month=1..12)."""
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    ctx = context(request)
    month = month_number(request.query_params.get("month", ""))
    data = await off_loop(annex4.monthly_xlsx, ctx.content, department_id, ctx.year, month)
    return _xlsx(data, catalog.department_file_name(ctx.content, 4, "xlsx", department_id, month))


async def person_form(request: Request) -> Response:
    """附件1 (.docx) or 附件3 (.xlsx) pre-filled for one person of the department."""
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    ctx = context(request)
    annex = request.path_params["annex"]
    if annex not in ("annex1.docx", "annex3.xlsx"):
        raise ApiError(404, "unknown_form", "没有这种表格，可下载 annex1.docx（责任状）或 annex3.xlsx（个性目标分解表）")
    member = member_or_404(ctx, request.path_params["staff_id"])
    if member.department != department_id:
        raise ApiError(404, "unknown_staff", "本部门没有该教职工")
    return await person_file(ctx, member, annex)


async def person_file(ctx: Context, member: StaffMember, annex: str) -> Response:
    """One person's 附件1 or 附件3 as the department prints it (the person's own page offers the same file)."""
    from service.office import annex1  # Word: loaded when first used (see service/office)

    found = await off_loop(targets.printable, ctx, member)
    if annex == "annex1.docx":
        data = await off_loop(lambda: annex1.contract_docx(ctx.content, member, found.rows, mark=found.mark,
                                                           draft=found.draft))
        name = catalog.member_file_name(ctx.content, 1, "docx", member)
        return attachment(Response(data, media_type=catalog.DOCX_MIME), name)
    data = await off_loop(lambda: annex3.targets_xlsx(ctx.content, member, found.rows, draft=found.draft))
    return _xlsx(data, catalog.member_file_name(ctx.content, 3, "xlsx", member))


async def completion_upload(request: Request) -> Response:
    """POST a filled 附件5: recorded exactly as the web form would record it."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    browser = "text/html" in request.headers.get("accept", "") and not by_token(request)
    ctx = context(request)
    try:
        async with recorded(request, user, department_id, 5) as attempt:
            data, _ = await uploaded_workbook(request, attempt)
            try:
                filled = await parse_workbook(request, annex5.read_completion, ctx.content, department_id, data)
            except WorkbookRejected as exc:
                raise exc.as_api_error() from None
            payload = [{"staff_id": staff_id, "status": status} for staff_id, status in filled.entries]
            if not payload:
                raise ApiError(422, "form_blank", "表格中没有任何人员")
            saved = await off_loop(completion.save, ctx, user, department_id, payload, filled.downloaded)
    except ApiError as exc:
        if browser and request.url.path.startswith("/board/"):  # the page again, the error on top
            return await department_with_error(request, exc, None)
        raise
    if browser:
        notice = "completion" if saved.changes else "unchanged"
        return RedirectResponse(f"/board/{department_id}?notice={notice}", status_code=303)
    return ok_json({**completion_json(department_id, saved), "entries": len(payload)})


async def monthly_upload(request: Request) -> Response:
    """POST a filled 附件4 for the month the downloaded form was made for (field `month`, when sent,
    must be that month). A month on record is replaced only with `replace=1`, else 409
    `already_reported` lists what would change; the page then holds the file in its confirm form."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    browser = "text/html" in request.headers.get("accept", "") and not by_token(request)
    ctx = context(request)
    form = await request.form(max_files=1, max_fields=8, max_part_size=HELD_FIELD_LIMIT)
    check_csrf(request, str(form.get("csrf") or ""))
    chosen = str(form.get("month") or request.query_params.get("month") or "").strip()
    partial = yes(form.get("partial")) or yes(request.query_params.get("partial"))
    replace = yes(form.get("replace")) or yes(request.query_params.get("replace"))
    data = b""
    try:
        async with recorded(request, user, department_id, 4) as attempt:
            data = await _monthly_bytes(form, attempt)
            wanted = month_number(chosen) if chosen else None
            try:
                month, rows = await parse_workbook(request, functools.partial(annex4.read_monthly, partial=partial,
                                                                              month=wanted),
                                                   ctx.content, department_id, data)
            except WorkbookRejected as exc:
                raise exc.as_api_error() from None
            view = await off_loop(lambda: monthly.submit(ctx, user, department_id, month, rows, partial=partial,
                                                         confirm=True, replace=replace))
    except ApiError as exc:
        if browser and request.url.path.startswith("/board/"):  # the list page again: the error, the form kept
            held = Held(base64.b64encode(data).decode("ascii") if len(data) <= HOLD_LIMIT else "",
                        attempt.file_name, chosen, partial)
            return await monthly_views.months_page(request, error=exc, held=held)
        raise
    if browser:
        return RedirectResponse(f"/board/{department_id}/monthly/{month}?notice=submit", status_code=303)
    return ok_json(view)


async def _monthly_bytes(form: FormData, attempt: Attempt) -> bytes:
    """The workbook of an annex 4 upload: the file, or on a confirm page the bytes it held (base64)."""
    held = form.get("held")
    if isinstance(held, str) and held and not isinstance(form.get("file"), UploadFile):
        attempt.file_name = str(form.get("file_name") or "")
        try:
            return base64.b64decode(held, validate=True)
        except (ValueError, binascii.Error):
            raise bad_request("invalid_held", "确认表单中的文件已损坏，请重新选择文件上传") from None
    return await _file_bytes(form, attempt)


async def department_contracts(request: Request) -> Response:
    """Every person's contract (附件1) of the department in one zip, to print at once: the
    approved ones with their codes, the others as drafts, as each person's own download."""
    from service.office import annex1  # Word: loaded when first used (see service/office)

    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    ctx = context(request)

    def build() -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in ctx.content.members(department_id):
                found = targets.printable(ctx, member)
                data = annex1.contract_docx(ctx.content, member, found.rows, mark=found.mark, draft=found.draft)
                archive.writestr(catalog.member_file_name(ctx.content, 1, "docx", member), data)
        return out.getvalue()

    data = await off_loop(build)
    name = catalog.department_file_name(ctx.content, 1, "zip", department_id)
    return attachment(Response(data, media_type="application/zip"), name)
