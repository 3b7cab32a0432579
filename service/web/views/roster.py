"""HR imports the staff roster in the browser: upload the personnel system's .xlsx or .csv,
read the same dry-run summary the CLI prints (new, changed, leaving, or every row's error),
confirm; the running service answers with the new roster at once and the site is rebuilt in
the background."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content.models import Content
from service.content.roster import (
    MAPPED,
    Mapping_,
    MappingInvalid,
    RosterImport,
    RosterImportError,
    parse_roster,
    resolve_mapping,
    summary_lines,
)
from service.errors import ApiError, bad_request, unprocessable
from service.office.roster_sheet import MAX_BYTES, read_table
from service.rules import access
from service.web.views.common import check_csrf, context, off_loop, page, parse_workbook, permitted
from service.workflows import roster

PREVIEW_MINUTES = 30
MAX_PREVIEWS = 20
SHOWN = 200  # people of each kind listed on the preview
MAP_PREFIX = "map:"  # form fields map:岗位:<the export's value> = a role (name or code); map:部门:… likewise
MAX_MAPPED = 300


@dataclass(frozen=True)
class Preview:
    username: str
    result: RosterImport
    base: str  # the roster file's SHA-256 the diff was made against
    filename: str
    made: float
    chosen: Mapping_ = field(default_factory=dict)  # mappings chosen for this import, remembered on confirm


@dataclass(frozen=True)
class Pending:
    """An upload whose unknown 部门/岗位 values wait for HR to map them: sent again without the file."""

    username: str
    data: bytes
    filename: str
    made: float


async def roster_page(request: Request, *, error: ApiError | None = None) -> Response:
    permitted(request, access.IMPORT_ROSTER)
    ctx = context(request)
    notice = None
    if request.query_params.get("notice") == "imported":
        notice = (f"名册已更新，当前共 {len(ctx.content.roster)} 人，报送服务已按新名册工作；"
                  "门户网站正在后台重建（约需数秒）。")
    return page(request, "roster.html", "导入教职工名册", status=error.status if error else 200,
                people=len(ctx.content.roster), notice=notice, error=error, max_mb=MAX_BYTES // 1024 // 1024)


async def preview_post(request: Request) -> Response:
    """Read the uploaded export and show what importing it would change; nothing is written."""
    user = permitted(request, access.IMPORT_ROSTER)
    form = await request.form(max_files=1, max_fields=4 + MAX_MAPPED)
    check_csrf(request, str(form.get("csrf") or ""))
    upload = form.get("file")
    held = _held(request, "roster_pending").get(str(form.get("pending") or ""))
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_BYTES + 1)
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:80]
    elif isinstance(held, Pending) and held.username == user.username:
        data, name = held.data, held.filename
    else:
        return await roster_page(request, error=bad_request("missing_file", "请选择人事系统导出的名册文件（.xlsx 或 .csv）"))
    if len(data) > MAX_BYTES:
        return await roster_page(request, error=ApiError(413, "too_large", f"文件超过 {MAX_BYTES // 1024 // 1024} MB"))
    ctx = context(request)
    try:
        chosen = resolve_mapping(ctx.content, [(key[len(MAP_PREFIX):], str(value)) for key, value in form.multi_items()
                                               if key.startswith(MAP_PREFIX)])
    except MappingInvalid as exc:
        return await roster_page(request, error=unprocessable("invalid_mapping", str(exc)))
    base = await off_loop(roster.fingerprint, ctx.settings.content_dir)
    remembered = await off_loop(roster.mapping, ctx.settings.content_dir)
    try:
        result = await parse_workbook(request, _parse, ctx.content, data, name, {**remembered, **chosen})
    except RosterImportError as exc:
        pending = secrets.token_urlsafe(16) if exc.unknown else None
        if pending:
            _held(request, "roster_pending")[pending] = Pending(user.username, data, name, time.monotonic())
        return page(request, "roster_preview.html", "名册导入：校验未通过", status=422, filename=name,
                    errors=exc.errors, lines=[], preview_id=None, empty=False, unknown=exc.unknown,
                    pending=pending, choices=_choices(ctx.content), chosen=chosen)
    preview_id = secrets.token_urlsafe(16)
    _held(request, "roster_previews")[preview_id] = Preview(user.username, result, base, name, time.monotonic(),
                                                             chosen)
    mapped = [f"按对应关系：{kind}“{value}”→ {_name(ctx.content, kind, target)}"
              for (kind, value), target in result.mapped.items()]
    return page(request, "roster_preview.html", "名册导入：确认变化", filename=name, errors=[],
                lines=[*summary_lines(ctx.content, result, limit=SHOWN), *mapped], preview_id=preview_id,
                empty=result.diff.empty, unknown={}, pending=None, choices={}, chosen={})


async def confirm_post(request: Request) -> Response:
    user = permitted(request, access.IMPORT_ROSTER)
    form = await request.form(max_files=0, max_fields=4)
    check_csrf(request, str(form.get("csrf") or ""))
    if not form.get("confirm"):
        return await roster_page(request, error=bad_request("confirm_required", "请先勾选确认框，再导入名册"))
    previews = _held(request, "roster_previews")
    preview = previews.get(str(form.get("preview") or ""))
    if not isinstance(preview, Preview) or preview.username != user.username:
        return await roster_page(request, error=ApiError(409, "preview_expired", "预览已过期或不存在，请重新上传名册文件"))
    ctx = context(request)
    try:
        content = await off_loop(roster.apply, ctx, preview.result, preview.base, user.username, preview.chosen)
    except ApiError as exc:
        return await roster_page(request, error=exc)
    finally:
        previews.pop(str(form.get("preview") or ""), None)
    request.app.state.live.replace(content)
    return RedirectResponse("/board/roster?notice=imported", status_code=303)


def _parse(content: Content, data: bytes, filename: str, mapping: Mapping_) -> RosterImport:
    return parse_roster(content, read_table(data, filename), mapping=mapping)


def _choices(content: Content) -> dict[str, list[tuple[str, str]]]:
    """What an unknown value may be mapped to: every department, every role (code, name)."""
    return {MAPPED["department"]: [(d.id, d.name) for d in content.departments],
            MAPPED["role"]: [(r.id, r.name) for r in content.roles]}


def _name(content: Content, kind: str, target: str) -> str:
    found = content.department(target) if kind == MAPPED["department"] else content.role(target)
    return found.name if found else target


def _held(request: Request, name: str) -> dict[str, Any]:
    """Previews waiting for their confirmation, or uploads for their mapping (`name`), in memory:
    a restart asks for the file again."""
    state = request.app.state
    previews: dict[str, Any] | None = getattr(state, name, None)
    if previews is None:
        previews = {}
        setattr(state, name, previews)
    now = time.monotonic()
    for key in [k for k, p in previews.items() if now - p.made > PREVIEW_MINUTES * 60]:
        del previews[key]
    while len(previews) >= MAX_PREVIEWS:
        del previews[min(previews, key=lambda k: previews[k].made)]
    return previews
