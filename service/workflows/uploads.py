"""Files people upload, each stored under a new name that never replaces another: every stored
file, contract scans included, is written by `new_file`. The others (signed notices, objections'
attachments, summaries, job duties' attachments) are checked here like scans, by their bytes
(PDF, JPEG or PNG, or a document) and the size limit."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path
from typing import BinaryIO

from service.errors import ApiError, bad_request, unprocessable
from service.rules import scans
from service.storage import clean_stop, files
from service.workflows.context import Context


def new_file(ctx: Context, source: BinaryIO, folder: Path, ext: str, limit: int) -> files.StoredFile:
    """Copy `source` (at most `limit` bytes, else files.TooLarge) into a new file of `folder`, its
    directory entry made durable by the caller's commit (with LinkedFile), so before its record.

    Whatever process writes it (the service, or a `portal` command over a stopped service's data
    directory), the clean-stop mark is taken away first and durably: if the process dies before
    the record, the next start finds no mark and removes the file (storage/clean_stop.py). In a
    running service, which took the mark at its start, that is one look at a missing file."""
    clean_stop.take(ctx.settings.data_dir)
    return files.store_stream(source, folder, f"{uuid.uuid4().hex}.{ext}", limit=limit, sync_dir=False)


def store_scan(ctx: Context, stream: BinaryIO, folder: Path, what: str = "扫描件") -> tuple[files.StoredFile, str]:
    """`stream` stored in `folder` (its directory entry made durable by the caller's commit,
    with LinkedFile); the stored file and its type. 400 empty, 415 not a scan, 413 too large."""
    head = _head(stream, what)
    ext = scans.sniff(head)
    if ext is None:
        raise ApiError(415, "unsupported_type", f"{what}只接受 {scans.SCAN_TYPES} 格式（按文件内容判断）")
    max_mb = ctx.content.settings.upload_max_mb
    try:
        stored = new_file(ctx, stream, folder, ext, max_mb * 1024 * 1024)
    except files.TooLarge:
        raise ApiError(413, "too_large", f"{what}超过 {max_mb} MB 的大小限制") from None
    ctx.store.meters.uploaded(stored.size)
    return stored, ext


def store_document(ctx: Context, stream: BinaryIO, folder: Path, what: str,
                   max_mb: int | None = None) -> tuple[files.StoredFile, str]:
    """A written document (`document_kind`) stored in `folder` like a scan, within `max_mb` (default:
    the scans' size limit); the stored file and its type. Nothing is written for a refused one."""
    max_mb = max_mb or ctx.content.settings.upload_max_mb
    ext = document_kind(stream, what, max_mb)
    try:
        stored = new_file(ctx, stream, folder, ext, max_mb * 1024 * 1024)
    except files.TooLarge:
        raise unprocessable("too_large", f"{what}超过 {max_mb} MB 的大小限制") from None
    ctx.store.meters.uploaded(stored.size)
    return stored, ext


def document_kind(stream: BinaryIO, what: str, max_mb: int) -> str:
    """The type of a Word .docx or PDF document, read from its bytes (a docx is a Word zip without
    macros, a PDF opens and has pages), the stream left at its start. 400 `empty_file`; 422
    `not_a_document`, 422 `too_large` (over `max_mb`)."""
    head = _head(stream, what)
    ext = scans.sniff_document(head)
    if ext is None:
        raise unprocessable("not_a_document", f"{what}只接受 {scans.DOCUMENT_TYPES} 文件（按文件内容判断）")
    size = stream.seek(0, 2)
    stream.seek(0)
    if size > max_mb * 1024 * 1024:
        raise unprocessable("too_large", f"{what}超过 {max_mb} MB 的大小限制")
    problem = _docx_problem(stream) if ext == "docx" else _pdf_problem(stream)
    stream.seek(0)
    if problem:
        raise unprocessable("not_a_document", f"{what}{problem}：只接受 {scans.DOCUMENT_TYPES} 文件")
    return ext


def _head(stream: BinaryIO, what: str) -> bytes:
    """The first bytes of `stream` (left at its start), which name its type; 400 when it is empty."""
    head = stream.read(scans.HEAD)
    stream.seek(0)
    if not head:
        raise bad_request("empty_file", f"上传的{what}是空文件")
    return head


def _docx_problem(stream: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            return scans.docx_problem(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "已损坏或不是 Word 文档"


def _pdf_problem(stream: BinaryIO) -> str | None:
    from pypdf import PdfReader  # 7 MB, for uploaded documents only
    from pypdf.errors import PyPdfError

    try:
        with PdfReader(stream) as reader:
            if len(reader.pages) < 1:
                return "没有页面"
    except (PyPdfError, OSError, ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
        return "已损坏或不是 PDF 文件"
    return None
