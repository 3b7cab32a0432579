"""Annual grades over HTTP: the JSON API, HR's and departments' form posts, the notices and
the 备案 sheet. The pages themselves are in grade_pages.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content import text_forms
from service.errors import ApiError, bad_request, not_found
from service.office import grade_filing, pdf
from service.rules import access
from service.rules.access import User
from service.web.auth import signed_in
from service.web.views.common import (
    YEAR_CLOSED,
    attachment,
    back_to_current_year,
    check_csrf,
    context,
    json_body,
    off_loop,
    ok_json,
    page,
    permitted,
)
from service.web.views.scans import within_limits
from service.workflows import grade_records, grade_reviews, grades, grading
from service.workflows.commit import log
from service.workflows.common import department_or_404, member_or_404
from service.workflows.context import Context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LIST_FIELDS = ("departments",)  # a form's multi-select: always a list, even with one choice
NEXT = re.compile(r"^/(board/grades|board/[a-z][a-z0-9_-]*/grades|gongshi)[A-Za-z0-9/_?=&.-]*$")

# What each action does: (ctx, user, body) -> result.
ACTIONS: dict[str, Callable[[Context, User, Any], Any]] = {
    "adjust": grades.adjust,
    "quota": grades.set_quota,
    "decision": grading.record_decision,
    "confirm": grading.confirm_decision,
    "publicity": grading.start_publicity,
    "close-publicity": grading.close_publicity,
    "objection": grading.object_to,
    "resolve-objection": grading.resolve_objection,
    "notified": grading.record_notified,
    "review": grade_reviews.apply_review,
    "review-decision": grade_reviews.decide_review,
    "appeal": grade_reviews.apply_appeal,
    "appeal-decision": grade_reviews.decide_appeal,
    "sanction": grade_records.add_sanction,
    "close-investigation": grade_records.close_investigation,
    "leave": grade_records.add_leave,
    "import-leave": grade_records.import_leave,
    "newcomer": grade_records.set_newcomer,
    "remove-record": grade_records.remove_record,
}
NOTICES = {"adjust": "档次已调整，理由已记入审计日志。", "quota": "优秀比例已调整。", "decision": "集体审定已登记，考核结果已锁定。",
           "confirm": "已确认集体审定。", "publicity": "公示已发布。", "close-publicity": "公示已结束。",
           "objection": "异议已提交，人事处将核实处理。", "resolve-objection": "异议处理结果已登记。",
           "notified": "送达日期已登记，复核期限自次日起算。", "review": "复核申请已登记。", "review-decision": "复核决定已登记。",
           "appeal": "申诉已登记。", "appeal-decision": "申诉结果已登记。", "sanction": "已登记。",
           "close-investigation": "结案日期已登记。", "leave": "请假已登记。", "import-leave": "已从月汇总表导入请假天数。",
           "newcomer": "已登记。", "remove-record": "记录已撤销。", "propose": "拟定档次已保存。", "view": "本人意见已上传。"}


def _action(name: str) -> Callable[[Context, User, Any], Any]:
    found = ACTIONS.get(name)
    if found is None:
        raise not_found("unknown_action", f"没有名为“{name}”的操作")
    return found


# -- JSON API -------------------------------------------------------------------------------


async def api_overview(request: Request) -> Response:
    user = permitted(request, access.READ_GRADES, None, "部门账号请查看本部门：/api/grades/{部门代码}")
    return ok_json(await off_loop(overview, context(request), user))


def overview(ctx: Context, user: User) -> dict[str, Any]:
    """The college's grading of the context's year: its step, the decision, 公示, and each unit's
    quota and counts; a past year's as it was stored."""
    access.ensure(user, access.READ_GRADES, None)
    current = not ctx.past
    round_ = grades.round_doc(ctx)
    docs = grades.stored(ctx)
    rows = list(grades.unit_rows(ctx, round_, docs)) if current else []
    return {"year": ctx.year, "current": current, "years": grades.years(ctx),
            "stage": grading.stage(round_, grade_records.today(ctx)), "decision": round_.get("decision"),
            "publicity": round_.get("publicity"), "quotas": round_.get("quotas") or {}, "units": rows,
            "graded": len(docs), "people": len(ctx.content.roster),
            "weak_twice": _readable(ctx, user, grade_reviews.weak_twice(ctx)) if current else {}}


def _readable(ctx: Context, user: User, flags: dict[str, str]) -> dict[str, str]:
    """Only the people whose grades the user may read (a leader: of the departments overseen)."""
    return {sid: flag for sid, flag in flags.items()
            if (member := ctx.content.staff(sid)) and access.allowed(user, access.READ_GRADES, member.department)}


async def api_department(request: Request) -> Response:
    user = signed_in(request)
    department = request.path_params["department_id"]
    return ok_json(await off_loop(grades.department_view, context(request), user, department))


async def api_propose(request: Request) -> Response:
    user = signed_in(request)
    check_csrf(request, None)
    body = await json_body(request)
    department = request.path_params["department_id"]
    return ok_json(await off_loop(grades.propose, context(request), user, department, body))


async def api_action(request: Request) -> Response:
    user = signed_in(request)
    check_csrf(request, None)
    action = _action(request.path_params["action"])
    body = await json_body(request) if request.headers.get("content-length", "0") != "0" else {}
    return ok_json(await off_loop(action, context(request), user, body))


async def api_reviews(request: Request) -> Response:
    user = signed_in(request)
    return ok_json({"cases": await off_loop(grade_reviews.board, context(request), user)})


async def api_objections(request: Request) -> Response:
    user = signed_in(request)
    return ok_json({"objections": await off_loop(grading.objections, context(request), user)})


async def api_records(request: Request) -> Response:
    permitted(request, access.MANAGE_GRADES)
    return ok_json(await off_loop(grade_records.listing, context(request)))


async def api_history(request: Request) -> Response:
    user = signed_in(request)
    return ok_json(await off_loop(grade_reviews.history, context(request), user, request.path_params["staff_id"]))


async def api_view(request: Request) -> Response:
    """multipart: `file` (the signed notice, PDF/JPEG/PNG), optional `note`."""
    return await _upload_view(request, json=True)


async def _upload_view(request: Request, *, json: bool) -> Response:
    user = signed_in(request)
    form = await request.form(max_files=1, max_fields=4)
    check_csrf(request, str(form.get("csrf") or "") or None)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise bad_request("missing_file", "请选择签署了本人意见的通知书扫描件（file）")
    staff_id = text_forms.staff_id(str(request.path_params.get("staff_id") or form.get("staff_id") or ""))
    await off_loop(within_limits, upload.file)
    view = await off_loop(grade_reviews.record_view, context(request), user, staff_id, upload.file,
                          str(form.get("note") or ""))
    if json:
        return ok_json(view, status=201)
    member = context(request).content.staff(staff_id)
    return RedirectResponse(f"/board/{member.department}/grades?notice=view", status_code=303)  # type: ignore[union-attr]


# -- form posts (HTML) ------------------------------------------------------------------------


def _next(value: Any, fallback: str) -> str:
    text = str(value or "")
    return text if NEXT.fullmatch(text) else fallback


async def form_action(request: Request) -> Response:
    """A page's form for one action: fields become the body, then back to the page (`next`)."""
    user = signed_in(request)
    name = request.path_params["action"]
    action = _action(name)
    form = await request.form(max_files=0, max_fields=200)
    check_csrf(request, str(form.get("csrf") or ""))
    body: dict[str, Any] = {}
    for key in dict.fromkeys(form.keys()):
        values = [str(v).strip() for v in form.getlist(key) if isinstance(v, str)]
        if key not in ("csrf", "next") and values:
            body[key] = values if len(values) > 1 or key in LIST_FIELDS else values[0]
    target = _next(form.get("next"), "/board/grades")
    try:
        await off_loop(action, context(request), user, body)
    except ApiError as exc:
        if exc.code == YEAR_CLOSED:
            return back_to_current_year(request, target)
        return _refused(request, exc, target)
    return RedirectResponse(_with_notice(target, name), status_code=303)


async def view_form(request: Request) -> Response:
    try:
        return await _upload_view(request, json=False)
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return _refused(request, exc, "/board/grades")


def _with_notice(target: str, name: str) -> str:
    return f"{target}{'&' if '?' in target else '?'}notice={quote(name)}"


def _refused(request: Request, exc: ApiError, back: str) -> Response:
    return page(request, "grades_refused.html", "未保存", status=exc.status, error=exc, back=back)


def notice_text(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


# -- documents --------------------------------------------------------------------------------


async def notices(request: Request) -> Response:
    """The department's notices (one page each), or one person's: .docx or .pdf."""
    user = signed_in(request)
    ctx = context(request)
    department = department_or_404(ctx, request.path_params["department_id"])
    staff_id = request.path_params.get("staff_id")
    kind = request.path_params["kind"]
    if kind not in ("docx", "pdf"):
        raise not_found("unknown_format", "只提供 docx 和 pdf")
    access.ensure(user, access.READ_GRADES, department, "您只能下载本部门教职工的考核结果通知书")

    def build() -> tuple[bytes, str]:
        from service.office import grade_notice  # Word: loaded when first used (see service/office)

        docs = sorted(grades.stored(ctx, department).values(), key=lambda d: d["staff_id"])
        if staff_id is not None:
            member = member_or_404(ctx, staff_id)
            docs = [d for d in docs if d["staff_id"] == member.staff_id]
        if not docs:
            raise not_found("no_grade", "尚无考核结果，不能生成通知书")
        round_ = grades.round_doc(ctx)
        if not round_.get("decision"):
            raise ApiError(409, "not_decided", "考核结果集体审定后才能生成通知书")
        data = grade_notice.notices_docx(grade_notice.facts(ctx.content, round_), docs)
        if kind == "pdf":
            try:
                data = pdf.docx_to_pdf(data, "notice")
            except pdf.ConversionFailed as exc:
                raise ApiError(503, "pdf_unavailable", str(exc)) from None
        log(ctx, user.username, "export.grade_notices", department=department, staff_id=staff_id, format=kind)
        who = docs[0]["name"] if staff_id else docs[0]["department_name"]
        return data, f"{ctx.year}年度考核结果通知书-{who}.{kind}"

    data, filename = await off_loop(build)
    return attachment(Response(data, media_type=DOCX if kind == "docx" else "application/pdf"), filename)


async def filing_xlsx(request: Request) -> Response:
    user = permitted(request, access.EXPORT)
    ctx = context(request)
    year = ctx.year

    def build() -> bytes:
        summary = grade_reviews.filing(ctx, user, year)
        log(ctx, user.username, "export.grade_filing", year=year)
        return grade_filing.filing_workbook(summary)

    data = await off_loop(build)
    return attachment(Response(data, media_type=XLSX), f"{year}年度工作人员考核结果备案表.xlsx")
