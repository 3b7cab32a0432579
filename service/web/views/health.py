"""/readyz: whether the service can serve, not only answer (/healthz): the store reads from disk,
the data directory takes a durable write, the portal is built."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.storage import files
from service.storage.health import StoreCheck
from service.web.views.common import context, off_loop, ok_json
from service.workflows.context import Context

Problem = dict[str, str]


def problems(ctx: Context, check: StoreCheck) -> list[Problem]:
    found = []
    data_dir = ctx.settings.data_dir
    try:
        bad = check.unreadable(ctx.store)
    except OSError as exc:
        found.append({"code": "store_unreadable", "message": f"数据目录无法读取：{exc.strerror or exc}"})
    else:
        if bad:
            names = "、".join(str(p.relative_to(data_dir)) for p in bad[:3])
            more = f" 等 {len(bad)} 个" if len(bad) > 3 else ""
            found.append({"code": "store_unreadable", "message": f"数据文件无法读取（不是有效的 JSON）：{names}{more}"})
    try:
        files.probe(data_dir)
    except OSError as exc:
        found.append({"code": "data_not_writable", "message": f"数据目录无法写入：{exc.strerror or exc}"})
    if not (ctx.settings.site_dir / "index.html").is_file():
        found.append({"code": "site_missing", "message": "门户网站尚未构建（请运行 portal build）"})
    return found


async def readyz(request: Request) -> JSONResponse:
    found = await off_loop(problems, context(request), request.app.state.store_check)
    if not found:
        return ok_json({"ready": True})
    return ok_json({"ready": False, "code": "not_ready",
                    "error": "服务暂时无法处理请求：" + "；".join(p["message"] for p in found), "problems": found},
                   status=503)
