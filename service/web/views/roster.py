"""HR imports the staff roster in the browser: upload the personnel system's .xlsx or .csv,
read the same dry-run summary the CLI prints (new, changed, leaving, or every row's error), map
the export's unknown 岗位 and 部门 values (or add a 岗位 as a new role), confirm; the running
service answers with the new roster at once and the site is rebuilt in the background.
`POST /api/roster` does the same in one request: the changes without `confirm`, the import with it."""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from service.content import roster_choices
from service.content.models import Content
from service.content.roster import (
    MAPPED,
    Mapping_,
    MappingInvalid,
    RosterImport,
    RosterImportError,
    parse_roster,
)
from service.content.roster_choices import LEAD_PREFIX, MAP_PREFIX, NEW_ROLE, NewRole
from service.errors import ApiError, bad_request, unprocessable
from service.office.roster_sheet import MAX_BYTES, read_table
from service.rules import access
from service.web.views.common import (
    check_csrf,
    context,
    off_loop,
    ok_json,
    page,
    parse_workbook,
    permitted,
    yes,
)
from service.workflows import roster

PREVIEW_MINUTES = 30
MAX_PREVIEWS = 20
SHOWN = 200  # people of each kind listed on the preview
MAX_MAPPED = 300
MAX_FIELDS = 4 + 2 * MAX_MAPPED  # csrf, file, pending, confirm; a map: and a lead: field per value


@dataclass(frozen=True)
class Preview:
    username: str
    result: RosterImport
    base: str  # the roster file's SHA-256 the diff was made against
    filename: str
    made: float
    chosen: Mapping_ = field(default_factory=dict)  # mappings chosen for this import, remembered on confirm
    new_roles: tuple[NewRole, ...] = ()  # roles added to the set-up on confirm


@dataclass(frozen=True)
class Pending:
    """An upload whose unknown 部门/岗位 values wait for HR to map them: sent again without the file,
    with the choices made so far and the refusal they are shown with."""

    username: str
    data: bytes
    filename: str
    made: float
    fields: tuple[tuple[str, str], ...] = ()
    refused: RosterImportError | None = None


async def roster_page(request: Request, *, error: ApiError | None = None) -> Response:
    permitted(request, access.IMPORT_ROSTER)
    ctx = context(request)
    notice = None
    if request.query_params.get("notice") == "imported":
        notice = (f"名册已更新，当前共 {len(ctx.content.roster)} 人，报送服务已按新名册工作；"
                  "门户网站正在后台重建（约需数秒）。")
    elif request.query_params.get("notice") == "forgotten":
        notice = "已删除该对应关系：下次导入名册时，这个名称将重新列出，请再选择对应的岗位或部门。"
    mappings = _mappings_json(ctx.content, await off_loop(roster.remembered, ctx.settings.content_dir))
    return page(request, "roster.html", "导入教职工名册", status=error.status if error else 200,
                people=len(ctx.content.roster), notice=notice, error=error, max_mb=MAX_BYTES // 1024 // 1024,
                mappings=mappings)


async def preview_post(request: Request) -> Response:
    """Read the uploaded export (or the one waiting for its values to be mapped, with HR's
    choices) and show what importing it would change; nothing is written."""
    user = permitted(request, access.IMPORT_ROSTER)
    form = await request.form(max_files=1, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    token = str(form.get("pending") or "")
    held = _held(request, "roster_pending").get(token)
    held = held if isinstance(held, Pending) and held.username == user.username else None
    try:
        data, name = await _upload(form)
        held, earlier = None, ()  # a new file: the choices made for another one do not carry over
    except ApiError as exc:
        if held is None or exc.code != "missing_file":
            return await roster_page(request, error=exc)
        data, name, earlier = held.data, held.filename, held.fields
    fields = tuple({**dict(earlier), **dict(_choice_fields(form))}.items())
    ctx = context(request)
    try:
        prepared = await _prepare(request, data, name, fields)
    except (MappingInvalid, ApiError) as exc:
        error = exc if isinstance(exc, ApiError) else unprocessable(exc.code, str(exc))
        if held is None:
            return await roster_page(request, error=error)
        held = _held(request, "roster_pending")[token] = replace(held, fields=fields)
        return _refused(request, ctx.content, held, token, error)
    except RosterImportError as exc:
        pending = Pending(user.username, data, name, time.monotonic(), fields, exc)
        token = secrets.token_urlsafe(16) if exc.unknown else ""
        if token:
            _held(request, "roster_pending")[token] = pending
        return _refused(request, ctx.content, pending, token)
    preview_id = secrets.token_urlsafe(16)
    choices, result = prepared.choices, prepared.result
    _held(request, "roster_previews")[preview_id] = Preview(user.username, result, prepared.base, name,
                                                             time.monotonic(), choices.mapping, choices.new_roles)
    return page(request, "roster_preview.html", "名册导入：确认变化", filename=name, errors=[],
                lines=_lines(prepared), preview_id=preview_id,
                empty=result.diff.empty and not choices.new_roles, unknown={}, pending=None)


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
        content = await off_loop(roster.apply, ctx, preview.result, preview.base, user.username, preview.chosen,
                                 preview.new_roles)
    except ApiError as exc:
        return await roster_page(request, error=exc)
    finally:
        previews.pop(str(form.get("preview") or ""), None)
    request.app.state.live.replace(content)
    return RedirectResponse("/board/roster?notice=imported", status_code=303)


async def api_import(request: Request) -> Response:
    """`POST /api/roster`: the export as `file`, HR's choices as `map:岗位:<value>` / `map:部门:<value>`
    (and `lead:岗位:<value>` for a new role) fields; without `confirm` the changes it would make,
    nothing written; with `confirm=1` the import. Refused as the page refuses, nothing written."""
    user = permitted(request, access.IMPORT_ROSTER)
    form = await request.form(max_files=1, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    data, name = await _upload(form)
    ctx = context(request)
    try:
        prepared = await _prepare(request, data, name, _choice_fields(form))
    except MappingInvalid as exc:
        raise unprocessable(exc.code, str(exc)) from None
    except RosterImportError as exc:
        raise unprocessable("roster_invalid", f"名册有 {len(exc.errors)} 处错误，名册未改动：{exc.errors[0]}",
                            errors=exc.errors, unknown=_unknown_json(ctx.content, exc)) from None
    choices, result = prepared.choices, prepared.result
    answer: dict[str, Any] = {
        "file": name, "people": len(result.members), "added": len(result.diff.added),
        "changed": len(result.diff.changed), "removed": len(result.diff.removed),
        "mapped": [{"field": kind, "value": value, "to": target} for (kind, value), target in result.mapped.items()],
        "new_roles": [{"id": r.id, "name": r.name, "lead": r.lead} for r in choices.new_roles],
        "summary": _lines(prepared), "imported": False}
    if yes(form.get("confirm")):
        content = await off_loop(roster.apply, ctx, result, prepared.base, user.username, choices.mapping,
                                 choices.new_roles)
        request.app.state.live.replace(content)
        answer["imported"] = True
    return ok_json(answer)


async def forget_post(request: Request) -> Response:
    """Forget one remembered mapping (`field` 岗位 or 部门, `value` the export's name), once its
    box is ticked: the next import asks for the value again."""
    user = permitted(request, access.IMPORT_ROSTER)
    form = await request.form(max_files=0, max_fields=4)
    check_csrf(request, str(form.get("csrf") or ""))
    if not yes(form.get("confirm")):
        return await roster_page(request, error=bad_request("confirm_required", "请先勾选确认框，再删除对应关系"))
    try:
        await off_loop(roster.forget, context(request), str(form.get("field") or ""), str(form.get("value") or ""),
                       user.username)
    except ApiError as exc:
        return await roster_page(request, error=exc)
    return RedirectResponse("/board/roster?notice=forgotten", status_code=303)


async def api_mappings(request: Request) -> Response:
    """`GET /api/roster/mappings`: the remembered mappings; `DELETE /api/roster/mappings?field=岗位&value=…`
    forgets one (422 `invalid_field` / `missing_value`, 409 `mapping_not_found`)."""
    user = permitted(request, access.IMPORT_ROSTER)
    ctx = context(request)
    if request.method == "DELETE":
        check_csrf(request, None)
        query = request.query_params
        gone = await off_loop(roster.forget, ctx, query.get("field", ""), query.get("value", ""), user.username)
        return ok_json({"forgotten": _mappings_json(ctx.content, [gone])[0]})
    return ok_json({"mappings": _mappings_json(ctx.content, await off_loop(roster.remembered,
                                                                            ctx.settings.content_dir))})


def _mappings_json(content: Content, kept: list[roster.Remembered]) -> list[dict[str, str]]:
    return [{"field": m.field, "value": m.value, "to": m.target,
             "to_name": roster_choices.target_name(content, m.field, m.target), "by": m.by, "at": m.at}
            for m in kept]


async def _upload(form: FormData) -> tuple[bytes, str]:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise bad_request("missing_file", "请选择人事系统导出的名册文件（.xlsx 或 .csv）")
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ApiError(413, "too_large", f"文件超过 {MAX_BYTES // 1024 // 1024} MB")
    return data, upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:80]


def _choice_fields(form: FormData) -> list[tuple[str, str]]:
    return [(key, value) for key, value in form.multi_items()
            if isinstance(value, str) and key.startswith((MAP_PREFIX, LEAD_PREFIX))]


async def _prepare(request: Request, data: bytes, name: str, fields: Any) -> roster.Prepared:
    """The export checked against the set-up with HR's `fields` and the remembered mappings
    (MappingInvalid, ApiError or RosterImportError when refused); nothing written."""
    return await parse_workbook(request, roster.prepare, context(request), list(fields),
                                functools.partial(_parse, data, name))


def _lines(prepared: roster.Prepared) -> list[str]:
    return roster_choices.preview_lines(prepared.content, prepared.choices.new_roles, prepared.result, SHOWN)


def _refused(request: Request, content: Content, pending: Pending, token: str,
             error: ApiError | None = None) -> Response:
    """The rows' errors and, for unknown values, the form to map them (with the choices so far)."""
    refused = pending.refused or RosterImportError([])
    return page(request, "roster_preview.html", "名册导入：校验未通过", status=error.status if error else 422,
                filename=pending.filename, errors=refused.errors, lines=[], preview_id=None, empty=False,
                unknown=refused.unknown, pending=token, choices=_choices(content), chosen=dict(pending.fields),
                new_role=NEW_ROLE, self_lead=roster_choices.SELF_LEAD_NAME, error=error, notice=None)


def _unknown_json(content: Content, refused: RosterImportError) -> list[dict[str, Any]]:
    choices = _choices(content)
    return [{"field": kind, "value": value, "rows": rows,
             "choices": [{"id": code, "name": name} for code, name in choices[kind]]}
            for kind, values in refused.unknown.items() for value, rows in values.items()]


def _parse(data: bytes, filename: str, content: Content, mapping: Mapping_) -> RosterImport:
    return parse_roster(content, read_table(data, filename), mapping=mapping)


def _choices(content: Content) -> dict[str, list[tuple[str, str]]]:
    """What an unknown value may be mapped to: every department, every role (code, name)."""
    return {MAPPED["department"]: [(d.id, d.name) for d in content.departments],
            MAPPED["role"]: [(r.id, r.name) for r in content.roles]}


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
