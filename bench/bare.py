"""The reference: a bare Starlette endpoint that only streams the uploaded file to disk.

Run as `python -m uvicorn bench.bare:app --workers 1` with BENCH_BARE_DIR set; with
BENCH_BARE_FSYNC=0 it skips the fsync (the framework alone, no durability).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TARGET = Path(os.environ.get("BENCH_BARE_DIR", ".bench/bare"))
FSYNC = os.environ.get("BENCH_BARE_FSYNC", "1") != "0"
CHUNK = 256 * 1024


def save(source: BinaryIO, path: Path) -> int:
    size = 0
    with open(path, "xb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            out.write(chunk)
        out.flush()
        if FSYNC:
            os.fsync(out.fileno())
    return size


async def upload(request: Request) -> JSONResponse:
    form = await request.form(max_files=1, max_fields=8)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        return JSONResponse({"error": "missing file"}, status_code=400)
    size = await anyio.to_thread.run_sync(save, file.file, TARGET / f"{uuid.uuid4().hex}.pdf")
    return JSONResponse({"size": size}, status_code=201)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


TARGET.mkdir(parents=True, exist_ok=True)
app = Starlette(routes=[Route("/healthz", healthz), Route("/upload", upload, methods=["POST"])])
