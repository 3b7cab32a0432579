"""集体审定: a department's people with score, tally, proposed grade and the leaders' views."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service.web.auth import signed_in
from service.web.views.common import context, off_loop, ok_json, page
from service.workflows import collective


async def department_page(request: Request) -> Response:
    user = signed_in(request)
    data = await off_loop(collective.department, context(request), user, request.path_params["department_id"])
    return page(request, "collective.html", f"{data['name']}：集体审定", data=data)


async def api_department(request: Request) -> Response:
    user = signed_in(request)
    return ok_json(await off_loop(collective.department, context(request), user, request.path_params["department_id"]))
