"""Files people upload besides the contract scans (signed notices, objections' attachments):
checked like scans, by their bytes (PDF, JPEG or PNG) and the size limit, stored under a new
name that never replaces another."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path
from typing import BinaryIO

from service.errors import ApiError, bad_request, unprocessable
from service.rules import scans
from service.storage import files
from service.workflows.context import Context


def store_scan(ctx: Context, stream: BinaryIO, folder: Path, what: str = "扫描件") -> tuple[files.StoredFile, str]:
    """`stream` stored in `folder` (its directory entry made durable by the caller's commit,
    with LinkedFile); the stored file and its type. 400 empty, 415 not a scan, 413 too large."""
    head = stream.read(scans.HEAD)
    stream.seek(0)
    if not head:
        raise bad_request("empty_file", f"上传的{what}是空文件")
    ext = scans.sniff(head)
    if ext is None:
        raise ApiError(415, "unsupported_type", f"{what}只接受 {scans.SCAN_TYPES} 格式（按文件内容判断）")
    max_mb = ctx.content.settings.upload_max_mb
    try:
        stored = files.store_stream(stream, folder, f"{uuid.uuid4().hex}.{ext}", limit=max_mb * 1024 * 1024,
                                    sync_dir=False)
    except files.TooLarge:
        raise ApiError(413, "too_large", f"{what}超过 {max_mb} MB 的大小限制") from None
    ctx.store.meters.uploaded(stored.size)
    return stored, ext


def store_document(ctx: Context, stream: BinaryIO, folder: Path, what: str) -> tuple[files.StoredFile, str]:
    """A written document (Word .docx or PDF, by its bytes) stored in `folder` like a scan, within the
    same size limit; the stored file and its type. 400 empty; 422 `not_a_document` (nothing kept),
    422 `too_large`."""
    head = stream.read(scans.HEAD)
    stream.seek(0)
    if not head:
        raise bad_request("empty_file", f"上传的{what}是空文件")
    ext = scans.sniff_document(head)
    if ext is None:
        raise unprocessable("not_a_document", f"{what}只接受 {scans.DOCUMENT_TYPES} 文件（按文件内容判断）")
    max_mb = ctx.content.settings.upload_max_mb
    try:
        stored = files.store_stream(stream, folder, f"{uuid.uuid4().hex}.{ext}", limit=max_mb * 1024 * 1024,
                                    sync_dir=False)
    except files.TooLarge:
        raise unprocessable("too_large", f"{what}超过 {max_mb} MB 的大小限制") from None
    if ext == "docx":
        problem = _docx_problem(stored.path)
        if problem:
            files.remove(stored.path)
            raise unprocessable("not_a_document", f"{what}{problem}：只接受 {scans.DOCUMENT_TYPES} 文件")
    ctx.store.meters.uploaded(stored.size)
    return stored, ext


def _docx_problem(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            return scans.docx_problem(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "已损坏或不是 Word 文档"
