"""Filled annex 3 workbooks uploaded by a department: one, several, or one zip of them. Each is
matched to its person by the hidden 工号 in it and saved on its own, so one bad file never stops
the others; every file gets a result line (stored, or refused with the reason)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from service.errors import ApiError
from service.office.annex3 import read_targets
from service.office.safe_reader import WorkbookRejected
from service.rules import bundles
from service.rules.access import User
from service.web.views.common import context, off_loop, parse_workbook
from service.workflows import targets, workbook_errors
from service.workflows.context import Context

WORKBOOK_LIMIT = 10 * 1024 * 1024  # office/safe_reader.py refuses larger ones too
LIMITS = bundles.Limits(files=200, total=60 * 1024 * 1024, each=WORKBOOK_LIMIT)
BATCH_LIMIT = 40 * 1024 * 1024  # the body of one upload: several workbooks or a zip of them
ANNEX = 3
STORED = "stored"
REFUSED = "refused"
STATUS_LABELS = {STORED: "已存入", REFUSED: "未存入"}


def save_workbook(ctx: Context, user: User, department_id: str, data: bytes, submit: bool) -> dict[str, Any]:
    """A filled annex 3 workbook of the department, saved like the web form."""
    try:
        staff_id, lines = read_targets(ctx.content, department_id, data)
    except WorkbookRejected as exc:
        raise exc.as_api_error() from None
    return targets.save_lines(ctx, user, department_id, staff_id, lines, submit=submit)


async def sent_files(form: FormData) -> list[tuple[str, bytes]]:
    """The files of the form's `file` fields, each read up to one byte past the limit."""
    found = []
    for upload in form.getlist("file"):
        if isinstance(upload, UploadFile) and upload.filename:
            found.append((upload.filename, await upload.read(LIMITS.each + 1)))
    return found


def is_batch(sent: list[tuple[str, bytes]]) -> bool:
    """Several files, or one zip of workbooks: answered with a line per file."""
    return len(sent) > 1 or (len(sent) == 1 and bundles.is_archive(sent[0][1]))


async def upload_many(request: Request, user: User, department_id: str, sent: list[tuple[str, bytes]],
                      submit: bool) -> dict[str, Any]:
    """Every workbook saved on its own: `files` (one line each), `stored` and `refused` counts."""
    ctx = context(request)
    lines: list[dict[str, Any]] = []
    refusals: list[tuple[str, ApiError]] = []
    for part in bundles.parts(sent, LIMITS):
        problem = part.problem
        if problem is None:
            try:
                saved = await parse_workbook(request, save_workbook, ctx, user, department_id, part.data, submit)
            except ApiError as exc:
                problem = exc
            else:
                lines.append({"file": part.name, "status": STORED, "staff_id": saved["staff_id"],
                              "name": saved["name"], "state": saved["state_label"]})
                continue
        refusals.append((part.name, problem))
        lines.append({"file": part.name, "status": REFUSED, "code": problem.code, "error": problem.message})
    if any(line["status"] == STORED for line in lines):
        await off_loop(workbook_errors.accepted, ctx, department_id, ANNEX)
    for name, problem in refusals:  # after the acceptance, so this upload's refusals stay open for HR
        await off_loop(workbook_errors.record, ctx, user, department_id, ANNEX, name, problem)
    stored = sum(line["status"] == STORED for line in lines)
    return {"files": lines, "stored": stored, "refused": len(lines) - stored}
