"""HR's page of a department's staff accounts, and its one-time password slips (Word or PDF)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service.content.codes import STAFF_ACCOUNT_LABELS
from service.content.formats import cn_time
from service.errors import ApiError, bad_request
from service.office import pdf
from service.rules import access
from service.web.views.common import attachment, check_csrf, context, department_user, off_loop, page
from service.workflows import staff

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def accounts_page(request: Request, *, error: ApiError | None = None) -> Response:
    department = request.path_params["department_id"]
    user = department_user(request, department, access.MANAGE_ACCOUNTS, "只有人事处可以管理教职工账号")
    ctx = context(request)
    rows = await off_loop(staff.department_accounts, ctx, user, department)
    counts = {state: sum(1 for r in rows if r["state"] == state) for state in STAFF_ACCOUNT_LABELS}
    return page(request, "staff_accounts.html", f"{ctx.content.department(department).name}：教职工账号",  # type: ignore[union-attr]
                status=error.status if error else 200, rows=rows, counts=counts, labels=STAFF_ACCOUNT_LABELS,
                department=department, error=error, notice=None, settings=ctx.settings)


async def slips_post(request: Request) -> Response:
    """New one-time passwords for the department's people, answered as the slips to print."""
    from service.office import slips  # Word: loaded when first used (see service/office)

    department = request.path_params["department_id"]
    user = department_user(request, department, access.MANAGE_ACCOUNTS, "只有人事处可以打印一次性密码条")
    form = await request.form(max_files=0, max_fields=8)
    check_csrf(request, str(form.get("csrf") or ""))
    kind = str(form.get("format") or "pdf")
    ctx = context(request)
    try:
        if kind not in ("pdf", "docx"):
            raise bad_request("invalid_format", "格式应为 pdf 或 docx")
        if not form.get("confirm"):
            raise bad_request("confirm_required", "请先勾选确认框：打印后，这些人之前的密码条作废")
        if kind == "pdf" and not pdf.available():
            raise ApiError(503, "pdf_unavailable", "服务器未安装 LibreOffice，无法生成 PDF，请选择 Word 格式")
        issued = await off_loop(lambda: staff.issue_slips(ctx, user, department, everyone=form.get("everyone") == "on"))
        if not issued.slips:
            raise ApiError(409, "nothing_to_print", "本部门没有需要发放一次性密码的人员（均已设置密码或已停用）")
    except ApiError as exc:
        if exc.status in (401, 403):
            raise
        return await accounts_page(request, error=exc)
    text = slips.SlipText(ctx.content.settings.college, ctx.year, issued.department_name,
                          str(request.url_for("login_form")), cn_time(ctx.stamp()), ctx.settings.directory_sign_in)
    people = [slips.Person(s.staff_id, s.name, s.post, s.password) for s in issued.slips]

    def build() -> bytes:
        data = slips.slips_docx(text, people)
        return pdf.docx_to_pdf(data, "slips") if kind == "pdf" else data

    try:
        data = await off_loop(build)
    except pdf.ConversionFailed as exc:
        raise ApiError(503, "pdf_unavailable", f"{exc}。新密码已生成，请重新打印（选择 Word 格式）") from None
    name = f"{ctx.year}年度{issued.department_name}登录密码条.{kind}"
    return attachment(Response(data, media_type=DOCX if kind == "docx" else "application/pdf"), name)
