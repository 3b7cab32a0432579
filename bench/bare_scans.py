"""The limit for reading uploaded scans: the bare durable endpoint (`bench/bare.py`) that also
renders every page of the file with pdfium and reads it with zxing, in-process, as the service
reads a single upload (`office.scans.sort_scan`, no pool). Run one uvicorn worker per core:

    python -m uvicorn bench.bare_scans:app --workers <cores>   (BENCH_BARE_DIR set)
"""

from __future__ import annotations

import uuid

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.bare import TARGET, healthz, save
from service.office import scans
from service.web.views.scans import SINGLE


def store_and_read(upload: UploadFile) -> dict[str, object]:
    line = save(upload.file, TARGET / f"{uuid.uuid4().hex}.pdf")
    upload.file.seek(0)
    found = scans.sort_scan([upload.file.read()], SINGLE)
    return {**line, "pages": len(found.pages), "marks": sum(len(p.marks) for p in found.pages)}


async def upload(request: Request) -> JSONResponse:
    form = await request.form(max_files=1, max_fields=8)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        return JSONResponse({"error": "missing file"}, status_code=400)
    return JSONResponse(await anyio.to_thread.run_sync(store_and_read, file), status_code=201)


TARGET.mkdir(parents=True, exist_ok=True)
app = Starlette(routes=[Route("/healthz", healthz), Route("/upload", upload, methods=["POST"])])
