"""Signed scans by the stack: the bulk page and its API, the codes of a single upload, and
the API that withdraws a scan.

A preview (`dry_run`) stores nothing and keeps nothing: the files live in the request (in
memory, or Starlette's spooled temp files, closed with the form) and the confirmation sends
them again. Nothing waits on the server between the two, so nothing can go stale, leak or
be lost in a restart, and the confirmation is checked against the preview's SHA-256s.
Pages are read in the service's process pool (web/scan_pool.py), a worker thread waiting for
them, one batch at a time, within the page limits of `scan_batch.SETTINGS`.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import BinaryIO

import anyio
import anyio.to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.content.codes import MATCH_LABELS, PAGE_LABELS
from service.content.models import StaffMember
from service.errors import ApiError, bad_request
from service.office import scans
from service.office.scan_files import OVER_LIMIT, ScanRefused, ScanSettings, check_limits
from service.rules import access
from service.rules.access import User
from service.rules.contract_mark import ContractMark
from service.rules.scans import sniff
from service.storage.store import Record
from service.web import scan_batch
from service.web.scan_pool import ScanPool
from service.web.views.common import (
    check_csrf,
    context,
    department_user,
    json_body,
    off_loop,
    ok_json,
    page,
    yes,
)
from service.workflows import contracts
from service.workflows.context import Context

MAX_FILES = 100
MAX_FIELDS = 2000
SINGLE = ScanSettings(max_batch_pages=60)  # a single upload: the limits of a stack's file, read up to 60 pages
STACK_CODES = ("scan_batch_too_large", "scan_too_many_pages")


def _limiter(request: Request) -> anyio.CapacityLimiter:
    """One batch is read at a time (a worker thread each); the others wait their turn."""
    state = request.app.state
    if getattr(state, "scan_limiter", None) is None:
        state.scan_limiter = anyio.CapacityLimiter(1)
    return state.scan_limiter  # type: ignore[no-any-return]


def scan_pool(request: Request) -> ScanPool:
    """The service's pool of page readers (app.state.scan_pool, shut down with the service)."""
    state = request.app.state
    if getattr(state, "scan_pool", None) is None:
        state.scan_pool = ScanPool()
    return state.scan_pool  # type: ignore[no-any-return]


# -- one person's upload --------------------------------------------------------------------


def codes_of(data: bytes, executor: Executor | None = None) -> tuple[tuple[ContractMark, ...], int | None]:
    """The distinct contract marks on a scan's pages and its page count; ((), None) for a file
    that cannot be read as a scan (it is judged by its type alone). A file of more pages than
    one person's contract has is refused: it is a stack for the bulk page."""
    if sniff(data[:16]) is None:
        return (), None
    found = scans.sort_scan([data], SINGLE, executor=executor)
    if any(r.code in STACK_CODES for r in found.refused):
        raise ApiError(422, "scan_is_a_stack", f"这个文件超过 {SINGLE.max_batch_pages} 页，像是多人的责任状，未保存。"
                       "请在“批量上传”页面上传，系统会按二维码分到各人。")
    for refused in found.refused:  # read once: a file over the limits refused, one that is no scan judged by its type
        if refused.code in OVER_LIMIT:
            raise ScanRefused(refused.code, refused.reason).as_api_error()
    if found.refused:
        return (), None
    return tuple(dict.fromkeys(mark for p in found.pages for mark in p.marks)), len(found.pages)


def within_limits(data: bytes | BinaryIO) -> None:
    """One uploaded file (its bytes, or a stream left at its start) held to the page and pixel
    limits of a file in a stack: 413 or 422 when over them."""
    if not isinstance(data, bytes):
        stream, data = data, data.read()
        stream.seek(0)
    try:
        check_limits(data, SINGLE)
    except ScanRefused as exc:
        raise exc.as_api_error() from None


def scan_upload(upload: UploadFile, allow_duplicate: bool, max_mb: int, pool: ScanPool) -> contracts.Upload:
    """A single scan with the codes read off its pages (from a worker thread, in the pool)."""
    data = upload.file.read()
    upload.file.seek(0)
    marks, pages = pool.run(lambda executor: codes_of(data, executor)) if len(data) <= max_mb * 1024 * 1024 \
        else ((), None)
    return contracts.Upload(upload.file, upload.filename or "", marks, pages, allow_duplicate)


async def read_upload(request: Request, upload: UploadFile, allow_duplicate: bool, max_mb: int) -> contracts.Upload:
    """`scan_upload` off the event loop."""
    return await off_loop(scan_upload, upload, allow_duplicate, max_mb, scan_pool(request))


def store_upload(ctx: Context, user: User, staff_id: str, upload: UploadFile, allow_duplicate: bool,
                 idempotency_key: str | None, pool: ScanPool) -> tuple[Record, bool]:
    """One person's upload in one worker thread: who may upload it checked before its pages are
    read, its codes read, then stored (`contracts.upload`)."""
    contracts.uploader_of(ctx, user, staff_id)
    scan = scan_upload(upload, allow_duplicate, ctx.content.settings.upload_max_mb, pool)
    return contracts.upload(ctx, user, staff_id, scan, idempotency_key)


# -- many at once --------------------------------------------------------------------------


async def _uploads(form: FormData) -> list[scan_batch.Upload]:
    found = [item for item in form.getlist("file") if isinstance(item, UploadFile) and item.filename != ""]
    if not found:
        raise bad_request("missing_file", "请选择要上传的扫描件文件（可多选，也可以是一个包含多人责任状的 PDF）")
    return [scan_batch.Upload(item.filename or f"文件{i + 1}", await item.read()) for i, item in enumerate(found)]


def _uploader(request: Request) -> User:
    """Checked before the body is read: who may upload to the department."""
    return department_user(request, request.path_params["department_id"], access.WRITE_DEPARTMENT,
                           "您只能为本部门上传责任状扫描件")


async def _run(request: Request, user: User, form: FormData, dry_run: bool, thumbnails: bool) -> scan_batch.Batch:
    department_id = request.path_params["department_id"]
    check_csrf(request, str(form.get("csrf") or ""))
    ctx = context(request)
    uploads = await _uploads(form)
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    assigned = scan_batch.parse_assignments(fields)
    again = scan_batch.parse_again(fields)
    if not dry_run:
        scan_batch.check_expected(uploads, fields)
    pool = scan_pool(request)

    def work() -> scan_batch.Batch:
        batch = pool.run(lambda executor: scan_batch.sort_batch(ctx, department_id, uploads, assigned,
                                                                thumbnails=thumbnails, again=again, executor=executor))
        return batch if dry_run else scan_batch.store_batch(ctx, user, batch)

    return await anyio.to_thread.run_sync(work, limiter=_limiter(request))


async def api_bulk(request: Request) -> JSONResponse:
    """POST files (multipart `file`, one or more); `?dry_run=1` previews, `?thumbnails=1` adds
    page thumbnails; `assign:<file>:<page>` fields give unreadable pages to people."""
    dry_run = yes(request.query_params.get("dry_run"))
    user = _uploader(request)
    async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as form:
        batch = await _run(request, user, form, dry_run, yes(request.query_params.get("thumbnails")))
    answer = {**batch.answer(thumbnails=yes(request.query_params.get("thumbnails"))), "dry_run": dry_run}
    if not dry_run and not batch.stored:
        raise ApiError(422, "nothing_to_store", "没有可以存入的扫描件，未保存任何内容。", **answer)
    return ok_json(answer, status=201 if batch.stored else 200)


async def bulk_page(request: Request) -> Response:
    _uploader(request)
    return _page(request, None)


async def bulk_post(request: Request) -> Response:
    """The page's form: a preview first (dry_run=1), then the confirmation that stores."""
    user = _uploader(request)
    try:
        async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as form:
            dry_run = yes(form.get("dry_run"))
            batch = await _run(request, user, form, dry_run, thumbnails=True)
    except ApiError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _page(request, None, error=exc)
    if not dry_run and not batch.stored:
        return _page(request, batch, error=ApiError(422, "nothing_to_store", "没有可以存入的扫描件，未保存任何内容。"))
    return _page(request, batch)


def _page(request: Request, batch: scan_batch.Batch | None, error: ApiError | None = None) -> Response:
    department_id = request.path_params["department_id"]
    ctx = context(request)
    department = ctx.content.department(department_id)
    name = department.name if department else department_id
    members = ctx.content.members(department_id)
    waiting, scanned = waiting_first(ctx, department_id) if batch and batch.unreadable else ([], [])
    return page(request, "scans.html", f"{name}：批量上传责任状扫描件", status=error.status if error else 200,
                department_id=department_id, department_name=name, batch=batch, error=error,
                waiting=waiting, scanned=scanned, names={m.staff_id: m.name for m in members},
                match_labels=MATCH_LABELS, page_labels=PAGE_LABELS, reason=scan_batch.reason,
                thumbnail=scan_batch.thumbnail_uri, large=scan_batch.large_uri,
                bulk_max_mb=ctx.content.settings.bulk_max_mb)


def waiting_first(ctx: Context, department_id: str) -> tuple[list[StaffMember], list[StaffMember]]:
    """The department's people without a valid scan, and those with one: the chooser lists the first first."""
    found = contracts.versions(ctx, department_id)
    members = ctx.content.members(department_id)
    done = {staff_id for staff_id, records in found.items() if any(contracts.is_valid(r) for r in records)}
    return [m for m in members if m.staff_id not in done], [m for m in members if m.staff_id in done]


# -- withdrawing -----------------------------------------------------------------------------


async def api_withdraw(request: Request) -> JSONResponse:
    """POST {"reason": "…"}: the scan no longer counts; its file and record stay."""
    department_id = request.path_params["department_id"]
    user = department_user(request, department_id, access.WITHDRAW_SCAN, "您只能撤回本部门的扫描件")
    check_csrf(request, None)
    body = await json_body(request)
    reason = body.get("reason") if isinstance(body, dict) else None
    record = await off_loop(contracts.withdraw, context(request), user, department_id,
                            request.path_params["contract_id"], reason)
    return ok_json({**contracts.public(record), "staff_id": record["staff_id"]})
