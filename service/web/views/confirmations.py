"""Who confirmed their approved targets: per department for HR and leaders, per person for a
department (and HR)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content.codes import CONFIRM_LABELS
from service.rules import access
from service.web.auth import signed_in
from service.web.views.common import context, department_user, off_loop, page
from service.workflows import confirmations


async def college_page(request: Request) -> Response:
    user = signed_in(request)
    if not access.allowed(user, access.READ_TARGETS) and user.department and user.staff_id is None:
        return RedirectResponse(f"/board/{user.department}/confirmations", status_code=303)
    rows = await off_loop(confirmations.board, context(request), user)
    totals = {key: sum(r[key] for r in rows) for key in ("people", "approved", *CONFIRM_LABELS)}
    return page(request, "confirmations.html", "个性目标本人确认情况", rows=rows, totals=totals,
                labels=CONFIRM_LABELS, note=confirmations.NOTE)


async def department_page(request: Request) -> Response:
    department = request.path_params["department_id"]
    user = department_user(request, department, access.READ_TARGETS, "您只能查看本部门教职工的确认情况")
    ctx = context(request)
    rows = await off_loop(confirmations.department_list, ctx, user, department)
    name = ctx.content.department(department).name  # type: ignore[union-attr]
    return page(request, "confirmations_department.html", f"{name}：个性目标本人确认情况", rows=rows,
                labels=CONFIRM_LABELS, department=department, name=name, note=confirmations.NOTE)
