"""HR downloads: the completion workbook and the zip of current scans."""

from __future__ import annotations

from typing import IO

from starlette.requests import Request
from starlette.responses import Response

from service.office import exports
from service.rules import access
from service.web.views.common import context, download, permitted
from service.workflows import board, completion, contracts
from service.workflows.commit import log

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def completion_xlsx(request: Request) -> Response:
    user = permitted(request, access.EXPORT)
    ctx = context(request)

    def build(out: IO[bytes]) -> None:
        exports.completion_workbook(ctx.content, board.current(ctx), lambda d: completion.sheet_lines(ctx, d), out)
        log(ctx, user.username, "export.completion")

    return await download(build, XLSX, f"{ctx.year}年责任状签订完成情况.xlsx")


async def contracts_zip(request: Request) -> Response:
    user = permitted(request, access.EXPORT)
    ctx = context(request)

    def build(out: IO[bytes]) -> None:
        count = exports.contracts_zip(ctx.content, contracts.latest(ctx), ctx.settings.data_dir, out)
        log(ctx, user.username, "export.contracts", files=count)

    return await download(build, "application/zip", f"{ctx.year}年责任状扫描件.zip")
