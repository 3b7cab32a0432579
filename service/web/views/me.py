"""A staff member's own pages: my targets and their confirmation, my contract, my results and
score, my grade and its notice, my objections. Every view reads the signed-in person only
(workflows/personal.py): no path or parameter names another person."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from service.content.codes import DISPUTE_KINDS
from service.errors import ApiError, bad_request, not_found
from service.office import pdf
from service.rules import access
from service.web.auth import signed_in
from service.web.views import todos
from service.web.views.common import attachment, check_csrf, context, off_loop, ok_json, page
from service.web.views.forms import person_file
from service.web.views.scans import within_limits
from service.web.views.scores import RULE_NAMES
from service.workflows import confirmations, grades, personal, result_objections, years
from service.workflows.commit import log
from service.workflows.common import own_member, whole_number

NOTICES = {"confirmed": "已确认。确认的时间和目标版本已记入系统；签字的纸质责任状仍是正式文本。",
           "objection": "异议已提交，请等待答复；答复后会显示在下方。"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_FIELDS = 10


def _page(request: Request, template: str, title: str, status: int = 200, **values: Any) -> Response:
    values.setdefault("error", None)
    return page(request, template, title, status=status,
                notice=NOTICES.get(request.query_params.get("notice", "")), **values)


def _my_years(request: Request, user: access.User) -> list[dict[str, Any]]:
    """The person's grade of each year with data (shown once its notice was delivered)."""
    live = request.app.state.live
    found = []
    for year in years.known(live.ctx):
        try:
            found.append(personal.grade(live.of_year(year), user))
        except ApiError:
            continue  # not on that year's roster
    return found


async def overview_page(request: Request, *, error: ApiError | None = None) -> Response:
    user = signed_in(request)
    data = await off_loop(personal.overview, context(request), user)
    mine = await off_loop(_my_years, request, user)
    return _page(request, "me.html", "我的责任状", status=error.status if error else 200, data=data, error=error,
                 my_years=mine, **await todos.panel(request, user))


async def api_me(request: Request) -> Response:
    """Everything of the person's own, as JSON: targets, confirmation, results, grade, objections."""
    user = signed_in(request)
    ctx = context(request)

    def build() -> dict[str, Any]:
        return {**personal.overview(ctx, user), "results": personal.results(ctx, user),
                "grade": personal.grade(ctx, user), "objections": result_objections.mine(ctx, user),
                "years": _my_years(request, user)}

    return ok_json(await off_loop(build))


async def confirm_post(request: Request) -> Response:
    user = signed_in(request)
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    try:
        if not form.get("read"):
            raise bad_request("confirm_required", "请先勾选“我已阅读以上经审定的个性工作目标”，再确认")
        await off_loop(confirmations.confirm, context(request), user, str(form.get("version") or ""))
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await overview_page(request, error=exc)
    return RedirectResponse("/me?notice=confirmed", status_code=303)


async def contract(request: Request) -> Response:
    """附件1 or 附件3 of the person, the very file the department prints."""
    user = signed_in(request)
    ctx = context(request)
    member = own_member(ctx, user, access.READ_TARGETS)
    annex = {"contract.docx": "annex1.docx", "targets.xlsx": "annex3.xlsx"}.get(request.path_params["name"])
    if annex is None:
        raise not_found("unknown_form", "可下载 contract.docx（责任状）或 targets.xlsx（个性目标分解表）")
    return await person_file(ctx, member, annex)


async def results_page(request: Request) -> Response:
    user = signed_in(request)
    data = await off_loop(personal.results, context(request), user)
    return _page(request, "me_results.html", "我的考核结果与得分", data=data, rule_names=RULE_NAMES)


async def grade_page(request: Request) -> Response:
    user = signed_in(request)
    data = await off_loop(personal.grade, context(request), user)
    return _page(request, "me_grade.html", f"我的{data['year']}年度考核结果", data=data)


async def notice(request: Request) -> Response:
    """The person's 年度考核结果通知书, once it was delivered: .docx or .pdf."""
    user = signed_in(request)
    ctx = context(request)
    kind = request.path_params["kind"]
    if kind not in ("docx", "pdf"):
        raise not_found("unknown_format", "只提供 docx 和 pdf")

    def build() -> bytes:
        from service.office import grade_notice  # Word: loaded when first used (see service/office)

        doc = personal.notice_doc(ctx, user)
        data = grade_notice.notices_docx(grade_notice.facts(ctx.content, grades.round_doc(ctx)), [doc])
        if kind == "pdf":
            try:
                data = pdf.docx_to_pdf(data, "notice")
            except pdf.ConversionFailed as exc:
                raise ApiError(503, "pdf_unavailable", str(exc)) from None
        log(ctx, user.username, "export.grade_notices", staff_id=user.staff_id, format=kind)
        return data

    data = await off_loop(build)
    filename = f"{ctx.year}年度考核结果通知书-{user.shown_name}.{kind}"
    return attachment(Response(data, media_type=DOCX if kind == "docx" else "application/pdf"), filename)


async def objections_page(request: Request, *, error: ApiError | None = None,
                          typed: dict[str, str] | None = None) -> Response:
    user = signed_in(request)
    ctx = context(request)

    def build() -> dict[str, Any]:
        return {"mine": result_objections.mine(ctx, user), "results": personal.results(ctx, user),
                "grade": personal.grade(ctx, user)}

    data = await off_loop(build)
    wanted = typed or {"kind": request.query_params.get("kind", ""), "ref": request.query_params.get("ref", ""),
                       "reason": ""}
    return _page(request, "me_objections.html", "我的异议", status=error.status if error else 200, data=data,
                 kinds=DISPUTE_KINDS, typed=wanted, error=error,
                 upload_max_mb=ctx.content.settings.upload_max_mb, max_files=result_objections.MAX_FILES)


async def objection_post(request: Request) -> Response:
    """multipart: kind, ref (the item id, the month or the year), reason, up to three `file`s."""
    user = signed_in(request)
    form = await request.form(max_files=result_objections.MAX_FILES + 1, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    typed = {k: str(form.get(k) or "").strip()[:2 * result_objections.MAX_REASON] for k in ("kind", "ref", "reason")}
    try:
        uploads = _uploads(form)
        for upload in uploads:
            await off_loop(within_limits, upload.stream)
        await off_loop(result_objections.raise_objection, context(request), user, typed["kind"], typed["ref"],
                       typed["reason"], uploads)
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await objections_page(request, error=exc, typed=typed)
    return RedirectResponse("/me/objections?notice=objection", status_code=303)


def objection_limit(upload_limit: int) -> int:
    """The body an objection may have: its text and its largest attachments."""
    return result_objections.MAX_FILES * upload_limit + 64 * 1024


def _uploads(form: FormData) -> list[result_objections.Attachment]:
    found = [v for v in form.getlist("file") if isinstance(v, UploadFile) and v.filename]
    if len(found) > result_objections.MAX_FILES:
        raise bad_request("too_many_files", f"附件最多 {result_objections.MAX_FILES} 个")
    return [result_objections.Attachment(v.file, str(v.filename)) for v in found]


async def attachment_file(request: Request) -> Response:
    """An objection's attachment: for the person, and for those who see the department's objections."""
    user = signed_in(request)
    ctx = context(request)
    number = whole_number(request.path_params["number"], 1, result_objections.MAX_FILES, code="unknown_attachment",
                          message="该异议没有这个附件", status=404)
    path, name = await off_loop(result_objections.attachment, ctx, user, request.path_params["department_id"],
                                request.path_params["objection_id"], number)
    return attachment(FileResponse(path), name)

