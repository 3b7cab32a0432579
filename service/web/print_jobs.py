"""A department's forms as one print job: every person's contract (附件1, three copies each,
the approved ones with their code, the others marked as drafts) or every person's 附件3, in one
PDF made by LibreOffice.

The documents are made as each person's own download makes them; their content (every part
of the Office file but its timestamps) names the job, so a PDF once made is kept under
`<data>/cache/print/<year>/` and printing the same forms again answers at once, while any change
to a person's targets, the roster or the forms' text makes a new one. One job is converted at a
time in the whole service (LibreOffice is heavy); a request for a job already being made waits
for it and gets the same file.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import anyio
from starlette.requests import Request
from starlette.responses import Response

from service.errors import ApiError
from service.office import annex3, catalog, pdf
from service.storage import files
from service.web.views.common import attachment, context, department_user, off_loop
from service.workflows import targets
from service.workflows.context import Context

KINDS = {"contracts": 1, "annex3": 3}  # the job's name in the path → the annex printed
TIMESTAMPS = ("docProps/core.xml", "docProps/app.xml")


def documents(ctx: Context, department_id: str, kind: str) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each person's form, in roster order."""
    from service.office import annex1  # Word: loaded when first used (see service/office)

    found = []
    for member in ctx.content.members(department_id):
        printable = targets.printable(ctx, member)
        if kind == "contracts":
            data = annex1.contract_docx(ctx.content, member, printable.rows, mark=printable.mark,
                                        draft=printable.draft)
            found.append((catalog.member_file_name(ctx.content, 1, "docx", member), data))
        else:
            data = annex3.targets_xlsx(ctx.content, member, printable.rows, draft=printable.draft)
            found.append((catalog.member_file_name(ctx.content, 3, "xlsx", member), data))
    return found


def job_key(documents: Sequence[tuple[str, bytes]]) -> str:
    """What the documents say, their timestamps left out: the same forms give the same key."""
    digest = hashlib.sha256()
    for name, data in documents:
        digest.update(name.encode() + b"\0")
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for item in sorted(archive.namelist()):
                if item not in TIMESTAMPS:
                    digest.update(item.encode() + b"\0" + hashlib.sha256(archive.read(item)).digest())
    return digest.hexdigest()


def cache_dir(ctx: Context) -> Path:
    return ctx.settings.data_dir / "cache" / "print" / str(ctx.year)


def printed(ctx: Context, department_id: str, kind: str) -> bytes:
    """The job's PDF: the one kept when the forms are unchanged, else made now (and kept, the
    department's older one of the kind removed)."""
    found = documents(ctx, department_id, kind)
    key = job_key(found)
    folder = cache_dir(ctx)
    path = folder / f"{department_id}-{kind}-{key[:32]}.pdf"
    if path.exists():
        return path.read_bytes()
    data = pdf.documents_to_pdf(found)
    folder.mkdir(parents=True, exist_ok=True)
    for older in folder.glob(f"{department_id}-{kind}-*.pdf"):
        files.remove(older)
    files.atomic_write(path, data, durable=False)
    return data


def _limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "print_limiter", None) is None:
        state.print_limiter = anyio.CapacityLimiter(1)
    return state.print_limiter  # type: ignore[no-any-return]


async def contracts_pdf(request: Request) -> Response:
    """GET /board/{department}/forms/contracts.pdf: every person's contract, three copies each."""
    return await _department_pdf(request, "contracts")


async def annex3_pdf(request: Request) -> Response:
    """GET /board/{department}/forms/annex3.pdf: every person's 附件3."""
    return await _department_pdf(request, "annex3")


async def _department_pdf(request: Request, kind: str) -> Response:
    department_id = request.path_params["department_id"]
    department_user(request, department_id)
    ctx = context(request)
    async with _limiter(request):
        try:
            data = await off_loop(printed, ctx, department_id, kind)
        except pdf.ConversionFailed as exc:
            raise ApiError(503, "print_unavailable", f"{exc}。可先下载 ZIP 逐份打印。") from None
    name = catalog.department_file_name(ctx.content, KINDS[kind], "pdf", department_id)
    return attachment(Response(data, media_type="application/pdf"), name)
