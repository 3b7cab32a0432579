"""Signed contracts (附件1 scans): each upload is the person's next version, never overwritten.

Store: the person's department partition, table "contracts", one record per version:
{id, staff_id, version, sha256, size, ext, file, original_name, uploaded_by, uploaded_at,
idempotency_key}, each version in a shard of its own (<staff_id>-<version>), so an upload adds one
small file and rewrites none, however long the history (replacing a file would also free its old
inode, and file systems such as ext4 slow down new files while many were freed recently). The
file lives under files/<year>/<department>/.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from service.errors import ApiError, bad_request, not_found, unprocessable
from service.rules import access, scans
from service.rules.access import User
from service.rules.board import person_status
from service.storage import files
from service.storage.store import Record, new_record
from service.workflows.board import CONTRACTS
from service.workflows.commit import Add, LinkedFile, commit, log
from service.workflows.common import member_or_404
from service.workflows.context import Context

PUBLIC_FIELDS = ("id", "version", "sha256", "size", "ext", "uploaded_by", "uploaded_at")


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str


@dataclass(frozen=True)
class Download:
    record: Record
    path: Path
    filename: str  # 工号-姓名-v版本.扩展名

    @property
    def media_type(self) -> str:
        return scans.MEDIA_TYPES[self.record["ext"]]


# -- reading ------------------------------------------------------------------------------


def versions(ctx: Context, department_id: str) -> dict[str, list[Record]]:
    """staff_id → the person's versions, oldest first."""
    by_person: dict[str, list[Record]] = {}
    for record in sorted(ctx.store.records(department_id, CONTRACTS), key=lambda r: r["version"]):
        by_person.setdefault(record["staff_id"], []).append(record)
    return by_person


def staff_view(ctx: Context, department_id: str) -> list[dict[str, Any]]:
    """The department's people with their completion status and their scans."""
    state = ctx.cache.state(department_id)
    found = versions(ctx, department_id)
    return [
        {"staff_id": m.staff_id, "name": m.name, "post": m.post, "status": person_status(m, state),
         "versions": [{k: v[k] for k in PUBLIC_FIELDS} for v in found.get(m.staff_id, [])]}
        for m in ctx.content.members(department_id)
    ]


def latest(ctx: Context) -> list[Record]:
    """Each person's current (highest) version, across the college."""
    return [{**records[-1], "department": department.id}
            for department in ctx.content.departments for records in versions(ctx, department.id).values()]


def download(ctx: Context, user: User, department_id: str, contract_id: str) -> Download:
    """A stored scan of the department, its download logged."""
    record = ctx.store.get(department_id, CONTRACTS, id=contract_id)
    if record is None:
        raise not_found("unknown_contract", "找不到该扫描件")
    member = ctx.content.staff(record["staff_id"])
    name = f"{record['staff_id']}-{member.name if member else ''}-v{record['version']}.{record['ext']}"
    log(ctx, user.username, "contract.download", id=record["id"])
    return Download(record, ctx.settings.data_dir / record["file"], name)


# -- writing ------------------------------------------------------------------------------


def upload(ctx: Context, user: User, staff_id: str, upload: Upload,
           idempotency_key: str | None = None) -> tuple[Record, bool]:
    """Store a signed scan as the person's next version; return (record, created).

    The file is written and synced before its record; a record not made durable takes its
    file with it. A repeated `idempotency_key` of the same account answers the first upload.
    """
    member = member_or_404(ctx, staff_id)
    access.ensure(user, access.WRITE_DEPARTMENT, member.department,
                  f"您只能为本部门的教职工上传责任状（{staff_id} 不属于您的部门）")
    head = upload.stream.read(scans.HEAD)
    upload.stream.seek(0)
    if not head:
        raise bad_request("empty_file", "上传的文件是空的")
    ext = scans.sniff(head)
    if ext is None:
        raise ApiError(415, "unsupported_type", f"只接受 {scans.SCAN_TYPES} 格式的扫描件（按文件内容判断，与文件名无关）")
    department = member.department
    folder = ctx.settings.data_dir / "files" / str(ctx.year) / department
    max_mb = ctx.content.settings.upload_max_mb
    try:
        stored = files.store_stream(upload.stream, folder, f"{uuid.uuid4().hex}.{ext}", limit=max_mb * 1024 * 1024,
                                    sync_dir=False)
    except files.TooLarge:
        raise ApiError(413, "too_large", f"文件超过 {max_mb} MB 的大小限制") from None
    try:
        with ctx.store.locked():
            if idempotency_key:
                earlier = ctx.store.get(department, CONTRACTS, idempotency_key=idempotency_key,
                                        uploaded_by=user.username)  # a key is its account's own
                if earlier:
                    files.remove(stored.path)
                    if (earlier["staff_id"], earlier["sha256"]) != (staff_id, stored.sha256):
                        raise unprocessable("idempotency_key_reused", "该 Idempotency-Key 已用于另一次上传"
                                            "（不同的教职工或文件），新的上传请使用新的键")
                    return earlier, False
            record = new_record({
                "staff_id": staff_id,
                "version": ctx.cache.state(department).versions.get(staff_id, 0) + 1,
                "sha256": stored.sha256,
                "size": stored.size,
                "ext": ext,
                "file": str(stored.path.relative_to(ctx.settings.data_dir)),
                "original_name": scans.display_name(upload.filename),
                "uploaded_by": user.username,
                "uploaded_at": ctx.stamp(),
                "idempotency_key": idempotency_key,
            })
            shard = f"{staff_id}-{record['version']}"  # a new file: none is rewritten, none freed
            commit(ctx, [Add(department, CONTRACTS, record, shard=shard), LinkedFile(folder)], user.username,
                   "contract.upload", department=department, staff_id=staff_id, version=record["version"],
                   sha256=stored.sha256, id=record["id"])
            ctx.cache.scanned(department, staff_id, record["uploaded_at"], record["version"])
    except BaseException:  # not durable: no file without its record
        files.remove(stored.path)
        raise
    ctx.cache.changed(ctx.stamp())
    return record, True
