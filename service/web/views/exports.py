"""HR downloads: the completion workbook and the zip of current scans."""

from __future__ import annotations

import tempfile

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from service.office import exports
from service.web.views.common import attachment, off_loop, portal, require

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def completion_xlsx(request: Request) -> Response:
    user = require(request, "hr")
    p = portal(request)

    def build() -> bytes:
        import io

        board = p.board()
        staff = {d.id: p.staff_view(d.id) for d in p.content.departments}
        out = io.BytesIO()
        exports.completion_workbook(p.content, board, staff, out)
        p.log(user.username, "export.completion")
        return out.getvalue()

    data = await off_loop(build)
    return attachment(Response(data, media_type=XLSX), f"{p.year}年责任状签订完成情况.xlsx")


async def contracts_zip(request: Request) -> Response:
    user = require(request, "hr")
    p = portal(request)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the background task

    def build() -> int:
        count = exports.contracts_zip(p.content, p.latest_contracts(), p.settings.data_dir, spool)
        spool.seek(0)
        p.log(user.username, "export.contracts", files=count)
        return count

    await off_loop(build)

    def chunks():  # type: ignore[no-untyped-def]
        while chunk := spool.read(256 * 1024):
            yield chunk

    response = StreamingResponse(chunks(), media_type="application/zip", background=BackgroundTask(spool.close))
    return attachment(response, f"{p.year}年责任状扫描件.zip")
