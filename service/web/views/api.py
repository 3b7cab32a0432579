"""JSON endpoints for scripted clients and the pages' own scripts."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from service.content.codes import MATCH_STALE
from service.errors import bad_request
from service.rules import access
from service.rules.board import status_json
from service.web.auth import signed_in
from service.web.views.common import (
    attachment,
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    yes,
)
from service.web.views.scans import scan_pool, store_upload
from service.workflows import board, completion, contracts
from service.workflows.common import staff_id_field

MAX_FORM_FIELDS = 8


async def healthz(request: Request) -> JSONResponse:
    return ok_json({"ok": True})


async def status(request: Request) -> JSONResponse:
    current = await off_loop(board.current, context(request))
    return ok_json(status_json(current))


async def upload_contract(request: Request) -> JSONResponse:
    user = signed_in(request)
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    check_csrf(request, _text(form.get("csrf")))
    staff_id = staff_id_field(_text(form.get("staff_id")))
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise bad_request("missing_file", "缺少扫描件文件（file）")
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise bad_request("invalid_idempotency_key", "Idempotency-Key 长度应为 1–200 个字符")
    record, created = await off_loop(store_upload, context(request), user, staff_id, upload,
                                     yes(form.get("allow_duplicate")), key, scan_pool(request))
    body = {k: record[k] for k in ("id", "staff_id", "version", "sha256", "size")}
    body.update(target_version=record.get("target_version"), match=record.get("match"))
    if record.get("match") == MATCH_STALE:
        body["warning"] = f"已保存，但这份责任状不是现行审定版本：{record['message']}"
    return ok_json(body, status=201 if created else 200)


async def set_completion(request: Request) -> JSONResponse:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WRITE_DEPARTMENT)
    check_csrf(request, None)
    body = await json_body(request)
    entries = body.get("entries") if isinstance(body, dict) else None
    saved = await off_loop(completion.save, context(request), user, department_id, entries)
    return ok_json(completion_json(department_id, saved))


def completion_json(department_id: str, saved: completion.Saved) -> dict[str, object]:
    """What a completion update answers: what changed (nothing: `saved` false), and the counts."""
    c = saved.counts
    return {"department": department_id, "saved": bool(saved.changes), "changed": saved.changes,
            "staff": c.staff, "completed": c.completed, "exempt": c.exempt, "outstanding": c.outstanding,
            "resign": c.resign, "unapproved": c.unapproved, "percent": c.shown_percent}


async def department_staff(request: Request) -> JSONResponse:
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    staff = await off_loop(contracts.staff_view, context(request), department_id)
    return ok_json({"department": department_id, "staff": staff})


async def download_contract(request: Request) -> Response:
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id)
    found = await off_loop(contracts.download, context(request), user, department_id,
                           request.path_params["contract_id"])
    return attachment(FileResponse(found.path, media_type=found.media_type), found.filename)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
