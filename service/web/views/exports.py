"""HR downloads: the completion workbook and the zip of current scans."""

from __future__ import annotations

import io
import tempfile

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from service.office import exports
from service.rules import access
from service.web.views.common import attachment, context, off_loop, permitted
from service.workflows import board, completion, contracts
from service.workflows.commit import log

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def completion_xlsx(request: Request) -> Response:
    user = permitted(request, access.EXPORT)
    ctx = context(request)

    def build() -> bytes:
        out = io.BytesIO()
        exports.completion_workbook(ctx.content, board.current(ctx), lambda d: completion.sheet_lines(ctx, d), out)
        log(ctx, user.username, "export.completion")
        return out.getvalue()

    data = await off_loop(build)
    return attachment(Response(data, media_type=XLSX), f"{ctx.year}年责任状签订完成情况.xlsx")


async def contracts_zip(request: Request) -> Response:
    user = permitted(request, access.EXPORT)
    ctx = context(request)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the background task

    def build() -> int:
        count = exports.contracts_zip(ctx.content, contracts.latest(ctx), ctx.settings.data_dir, spool)
        spool.seek(0)
        log(ctx, user.username, "export.contracts", files=count)
        return count

    await off_loop(build)

    def chunks():  # type: ignore[no-untyped-def]
        while chunk := spool.read(256 * 1024):
            yield chunk

    response = StreamingResponse(chunks(), media_type="application/zip", background=BackgroundTask(spool.close))
    return attachment(response, f"{ctx.year}年责任状扫描件.zip")
