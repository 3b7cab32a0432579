"""Attachments of job duties (岗位职责附件): Word (.docx) or PDF files delivered with a role's duties.

Each is checked by its name (.docx or .pdf) and by its bytes (a docx is a Word zip holding
word/document.xml, a PDF starts with %PDF and opens), within the settings' `uploads.duty_files_max_mb`,
at most `uploads.duty_files_max_count` for one role in one delivery; stored under
files/<year>/<department>/duties/ under a new name, never replacing another. A delivery with files
replaces the role's `attachments`; the replaced ones stay on record under `earlier_attachments`, so the
version HR accepted can still be read. A file record: {id, file, sha256, ext, size, name, at, by}.
Only HR and the delivering department download them (access.READ_DUTY_FILES).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from service.errors import not_found, unprocessable
from service.rules import access, scans
from service.rules.access import User
from service.storage import files
from service.workflows.commit import log
from service.workflows.common import department_or_404
from service.workflows.context import Context
from service.workflows.uploads import document_kind, store_document

TABLE = "duties"  # the job duties' table (workflows/duties.py), whose documents hold the file records
KINDS = {"docx": "Word（.docx）", "pdf": "PDF"}


@dataclass(frozen=True)
class Upload:
    """A file as sent: the name the sender gave it and its bytes."""

    name: str
    stream: BinaryIO


def folder(ctx: Context, department: str) -> Path:
    return ctx.settings.data_dir / "files" / str(ctx.year) / department / "duties"


def check(ctx: Context, uploads: Mapping[str, Sequence[Upload]], names: Mapping[str, str]) -> None:
    """Refuse before anything is stored: too many files for a role, a name that is not .docx or .pdf."""
    limit = ctx.content.settings.duty_files_max_count
    for role_id, items in uploads.items():
        if len(items) > limit:
            raise unprocessable("too_many_files",
                                f"“{names[role_id]}”一次最多附带 {limit} 个附件，本次选择了 {len(items)} 个")
        for item in items:
            if _suffix(item.name) not in KINDS:
                raise unprocessable("wrong_type", f"“{names[role_id]}”的附件“{scans.display_name(item.name)}”"
                                                  f"不是 Word（.docx）或 PDF 文件：岗位职责的附件只接受 .docx 和 .pdf")


def store(ctx: Context, user: User, department: str, uploads: Mapping[str, Sequence[Upload]],
          names: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """role_id → the records of its files, stored (their directory entries made durable by the
    caller's commit, with LinkedFile). Every file is checked before the first is stored: a refused
    delivery writes nothing."""
    check(ctx, uploads, names)
    max_mb = ctx.content.settings.duty_files_max_mb
    for role_id, items in uploads.items():
        for item in items:
            what = f"“{names[role_id]}”的附件“{_shown_name(item)}”"
            ext = document_kind(item.stream, what, max_mb)
            if ext != _suffix(item.name):
                raise unprocessable("not_a_document", f"{what}的内容是 {KINDS[ext]} 文件，与文件名不符"
                                                      f"（按文件内容判断）：请改正文件名或重新导出后再上传")
    where = folder(ctx, department)
    stamp = ctx.stamp()
    stored: dict[str, list[dict[str, Any]]] = {}
    try:
        for role_id, items in uploads.items():
            for item in items:
                found, ext = store_document(ctx, item.stream, where, f"“{names[role_id]}”的附件", max_mb)
                stored.setdefault(role_id, []).append(
                    {"id": uuid.uuid4().hex[:12], "file": str(found.path.relative_to(ctx.settings.data_dir)),
                     "sha256": found.sha256, "ext": ext, "size": found.size, "name": _shown_name(item), "at": stamp,
                     "by": user.username})
    except BaseException:
        discard(ctx, (r for records in stored.values() for r in records))
        raise
    return stored


def discard(ctx: Context, records: Iterable[dict[str, Any]]) -> None:
    """Remove stored files whose delivery was not recorded."""
    for record in records:
        files.remove(ctx.settings.data_dir / record["file"])


def replaced(doc: dict[str, Any], new: list[dict[str, Any]]) -> dict[str, Any]:
    """The file fields of a role's document after a delivery with `new` files."""
    return {"attachments": new,
            "earlier_attachments": [*doc.get("earlier_attachments", []), *doc.get("attachments", [])]}


def audited(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: r[k] for k in ("id", "name", "ext", "size", "sha256")} for r in records]


def shown(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """File records as pages and clients see them (where a file lies stays inside)."""
    return [{k: v for k, v in r.items() if k != "file"} for r in records]


def file_path(ctx: Context, user: User, department: str, role_id: str, file_id: str) -> tuple[Path, str]:
    """An attachment of a role's duties (its path and the name to give it), for HR and the department."""
    department_or_404(ctx, department)
    access.ensure(user, access.READ_DUTY_FILES, department, "只有人事处和报送部门可以下载岗位职责的附件")
    doc = ctx.store.get(department, TABLE, role_id=role_id) or {}
    record = next((r for r in (*doc.get("attachments", []), *doc.get("earlier_attachments", []))
                   if r.get("id") == file_id), None)
    if record is None:
        raise not_found("unknown_attachment", "没有这个岗位职责附件")
    log(ctx, user.username, "duties.attachment_download", department=department, role_id=role_id, id=file_id)
    return ctx.settings.data_dir / record["file"], str(record["name"])


def _shown_name(item: Upload) -> str:
    return scans.display_name(item.name) or f"附件.{_suffix(item.name)}"


def _suffix(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")
