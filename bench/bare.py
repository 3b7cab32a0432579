"""The reference: a bare Starlette endpoint that does only the durable minimum of an upload.

Each upload: parse the multipart body, stream the file to a new name on disk, fsync it, fsync
its directory (the new entry survives a crash), then append one JSON line about it to a log
and fsync the log: what the service must do at least before it may answer 2xx.

Run as `python -m uvicorn bench.bare:app --workers 1` with BENCH_BARE_DIR set; with
BENCH_BARE_FSYNC=0 it skips every fsync (the framework alone, no durability).
"""

from __future__ import annotations

import json
import os
import time
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
LOG = TARGET / "uploads.log"


def save(source: BinaryIO, path: Path) -> dict[str, object]:
    size = 0
    with open(path, "xb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            out.write(chunk)
        out.flush()
        if FSYNC:
            os.fsync(out.fileno())
    if FSYNC:
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    line = {"file": path.name, "size": size, "at": time.time()}
    log = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(log, json.dumps(line).encode() + b"\n")
        if FSYNC:
            os.fsync(log)
    finally:
        os.close(log)
    return line


async def upload(request: Request) -> JSONResponse:
    form = await request.form(max_files=1, max_fields=8)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        return JSONResponse({"error": "missing file"}, status_code=400)
    line = await anyio.to_thread.run_sync(save, file.file, TARGET / f"{uuid.uuid4().hex}.pdf")
    return JSONResponse(line, status_code=201)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


TARGET.mkdir(parents=True, exist_ok=True)
app = Starlette(routes=[Route("/healthz", healthz), Route("/upload", upload, methods=["POST"])])
