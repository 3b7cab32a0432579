"""Signed contracts (附件1 scans): each upload is the person's next version, never overwritten.

Store: the person's department partition, table "contracts", one record per version:
{id, staff_id, version, sha256, size, ext, file, original_name, uploaded_by, uploaded_at,
idempotency_key, state, target_version, target_tag, mark, pages, withdrawn_by, withdrawn_at,
withdraw_reason}, each version in a shard of its own (<staff_id>-<version>), so an upload adds one
small file and rewrites none, however long the history (replacing a file would also free its old
inode, and file systems such as ext4 slow down new files while many were freed recently); a
withdrawal rewrites that version's file only. The file lives under files/<year>/<department>/.

A scan is tied to the approved target set its code names (`mark`, `target_version`,
`target_tag`), or, without a readable code, to the set approved when it was uploaded (no tag
when none was). A withdrawn scan keeps its file and record; it no longer counts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from service.content.codes import MATCH_MATCHED, MATCH_STALE, SCAN_STATE_LABELS, SCAN_VALID, SCAN_WITHDRAWN
from service.content.models import StaffMember
from service.errors import ApiError, bad_request, not_found, unprocessable
from service.rules import access, contract_mark, scans, signing
from service.rules.access import User
from service.rules.board import person_status
from service.rules.contract_mark import ContractMark
from service.storage import files
from service.storage.store import Record, new_record
from service.workflows.board import CONTRACTS, TARGETS, issued_tags
from service.workflows.commit import Add, LinkedFile, Put, commit, log
from service.workflows.common import comment_text, department_or_404, member_or_404
from service.workflows.context import Context
from service.workflows.uploads import new_file

PUBLIC_FIELDS = ("id", "version", "sha256", "size", "ext", "uploaded_by", "uploaded_at")
TIE_FIELDS = ("target_version", "mark", "pages", "withdrawn_by", "withdrawn_at", "withdraw_reason")


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str
    marks: tuple[ContractMark, ...] = ()  # the distinct contract marks read off its pages
    pages: int | None = None  # pages read; None when the file could not be read as a scan
    allow_duplicate: bool = False  # store it although the same file is on record for someone else


@dataclass(frozen=True)
class Download:
    record: Record
    path: Path
    filename: str  # 工号-姓名-v版本.扩展名

    @property
    def media_type(self) -> str:
        return scans.MEDIA_TYPES[self.record["ext"]]


@dataclass(frozen=True)
class Tied:
    """What a new scan is signed for, and what its code said."""

    version: int | None  # the target-set version; None without an approved set
    tag: str | None
    mark: str | None  # the QR payload read, None without a code
    status: str | None  # MATCH_MATCHED or MATCH_STALE for a code, None without one
    message: str = ""


# -- reading ------------------------------------------------------------------------------


def versions(ctx: Context, department_id: str) -> dict[str, list[Record]]:
    """staff_id → the person's versions, oldest first."""
    by_person: dict[str, list[Record]] = {}
    for record in sorted(ctx.store.records(department_id, CONTRACTS), key=lambda r: r["version"]):
        by_person.setdefault(record["staff_id"], []).append(record)
    return by_person


def is_valid(record: Record) -> bool:
    return record.get("state", SCAN_VALID) != SCAN_WITHDRAWN


def public(record: Record) -> dict[str, Any]:
    """A version as answered and shown: its file, what it was signed for, whether it counts."""
    state = record.get("state", SCAN_VALID)
    return {**{k: record[k] for k in PUBLIC_FIELDS}, **{k: record.get(k) for k in TIE_FIELDS},
            "state": state, "state_label": SCAN_STATE_LABELS[state]}


def staff_view(ctx: Context, department_id: str) -> list[dict[str, Any]]:
    """The department's people with their completion status and their scans."""
    state = ctx.cache.state(department_id)
    found = versions(ctx, department_id)
    return [
        {"staff_id": m.staff_id, "name": m.name, "post": m.post, "status": person_status(m, state),
         "target_version": approved.version if (approved := state.approved.get(m.staff_id)) else None,
         "versions": [public(v) for v in found.get(m.staff_id, [])]}
        for m in ctx.content.members(department_id)
    ]


def stored_pages(ctx: Context, department_id: str) -> dict[str, list[Record]]:
    """Page digest → the department's valid scans holding that page (bulk uploads record them)."""
    found: dict[str, list[Record]] = {}
    for record in ctx.store.records(department_id, CONTRACTS):
        if is_valid(record):
            for digest in record.get("page_digests") or ():
                found.setdefault(digest, []).append(record)
    return found


def latest(ctx: Context) -> list[Record]:
    """Each person's current (highest valid) version, across the college."""
    return [{**valid[-1], "department": department.id}
            for department in ctx.content.departments for records in versions(ctx, department.id).values()
            if (valid := [r for r in records if is_valid(r)])]


def download(ctx: Context, user: User, department_id: str, contract_id: str) -> Download:
    """A stored scan of the department, its download logged."""
    record = ctx.store.get(department_id, CONTRACTS, id=contract_id)
    if record is None:
        raise not_found("unknown_contract", "找不到该扫描件")
    member = ctx.content.staff(record["staff_id"])
    name = f"{record['staff_id']}-{member.name if member else ''}-v{record['version']}.{record['ext']}"
    log(ctx, user.username, "contract.download", id=record["id"])
    return Download(record, ctx.settings.data_dir / record["file"], name)


# -- what a scan is signed for ---------------------------------------------------------------


def tie_for(ctx: Context, member: StaffMember, marks: Sequence[ContractMark]) -> Tied:
    """What a scan of `member` carrying `marks` is signed for; ApiError when its code names
    someone else, several versions, another year or nothing this portal printed."""
    state = ctx.cache.state(member.department)
    approved = state.approved.get(member.staff_id)
    who = f"{member.name}（{member.staff_id}）"
    others = sorted({m.staff_id for m in marks if m.staff_id != member.staff_id})
    if others:
        names = "、".join(_person(ctx, staff_id) for staff_id in others)
        raise unprocessable("scan_other_person", f"扫描件上的二维码是{names}的责任状，不是{who}的，未保存。"
                            "请选择正确的教职工，或使用批量上传按二维码自动分人。", staff_ids=others)
    if len(marks) > 1:
        shown = "、".join(f"第 {m.version} 版" for m in marks)
        raise unprocessable("scan_several_versions", f"扫描件中有{who}不同版本（{shown}）的责任状，未保存。"
                            "请只上传现行审定版本签字的那一份。")
    if ctx.content.settings.refuse_unapproved_scans and approved is None:
        raise ApiError(409, "targets_not_approved", f"{who}的个性目标尚未审定，暂不接收责任状扫描件。"
                       "请待主管院领导审定后，下载审定后的责任状签字再上传。")
    if not marks:
        return Tied(approved.version if approved else None, approved.tag if approved else None, None, None)
    mark = marks[0]
    doc = ctx.store.get(member.department, TARGETS, staff_id=member.staff_id)
    match = signing.classify(mark, year=ctx.year, department=member.department, member=member,
                             member_department_name="", approved=approved,
                             issued=issued_tags(doc, ctx.year, ctx.mark_key))
    if match.status not in (MATCH_MATCHED, MATCH_STALE):
        raise unprocessable("scan_unknown_mark", f"扫描件上的二维码无法核对，未保存：{match.message}")
    return Tied(mark.version, mark.tag, contract_mark.encode(mark), match.status, match.message)


def _person(ctx: Context, staff_id: str) -> str:
    member = ctx.content.staff(staff_id)
    return f"{member.name}（{staff_id}）" if member else f"工号 {staff_id}"


# -- writing ------------------------------------------------------------------------------


def uploader_of(ctx: Context, user: User, staff_id: str) -> StaffMember:
    """The person a scan is uploaded for, once `user` may upload it (404, 403)."""
    member = member_or_404(ctx, staff_id)
    access.ensure(user, access.WRITE_DEPARTMENT, member.department,
                  f"您只能为本部门的教职工上传责任状（{staff_id} 不属于您的部门）")
    return member


def upload(ctx: Context, user: User, staff_id: str, upload: Upload,
           idempotency_key: str | None = None) -> tuple[Record, bool]:
    """Store a signed scan as the person's next version; return (record, created).

    The file is written and synced before its record; a record not made durable takes its
    file with it. A repeated `idempotency_key` of the same account answers the first upload.
    A file already stored for someone else is refused (409) unless `allow_duplicate`.
    """
    member = uploader_of(ctx, user, staff_id)
    head = upload.stream.read(scans.HEAD)
    upload.stream.seek(0)
    if not head:
        raise bad_request("empty_file", "上传的文件是空的")
    ext = scans.sniff(head)
    if ext is None:
        raise ApiError(415, "unsupported_type", f"只接受 {scans.SCAN_TYPES} 格式的扫描件（按文件内容判断，与文件名无关）")
    tied = tie_for(ctx, member, upload.marks)
    department = member.department
    folder = scan_folder(ctx, department)
    max_mb = ctx.content.settings.upload_max_mb
    try:
        stored = new_file(ctx, upload.stream, folder, ext, max_mb * 1024 * 1024)
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
            if not upload.allow_duplicate:
                _refuse_duplicate(ctx, member, stored.sha256)
            record = _record(ctx, user, member, tied, stored, ext, scans.display_name(upload.filename),
                             upload.pages, idempotency_key)
            commit(ctx, [_added(department, record), LinkedFile(folder)], user.username, "contract.upload",
                   department=department, staff_id=staff_id, version=record["version"], sha256=stored.sha256,
                   id=record["id"], target_version=tied.version, mark=tied.mark)
            ctx.cache.scanned(department, record)
    except BaseException:  # not durable: no file without its record
        files.remove(stored.path)
        raise
    ctx.store.meters.uploaded(stored.size)
    ctx.cache.changed(ctx.stamp())
    return {**record, "match": tied.status, "message": tied.message}, True


@dataclass(frozen=True)
class Signed:
    """One person's pages of a bulk upload, as one PDF, and what they are signed for."""

    member: StaffMember
    data: bytes
    tied: Tied
    pages: int
    digests: tuple[str, ...] = ()  # each page's pixels as read (office.scans.ScanPage.digest)


def upload_many(ctx: Context, user: User, department: str, people: Sequence[Signed]) -> list[Record]:
    """Store each person's PDF as their next version, all in one commit (all or none)."""
    department_or_404(ctx, department)
    access.ensure(user, access.WRITE_DEPARTMENT, department, "您只能为本部门的教职工上传责任状")
    if any(p.member.department != department for p in people):
        raise unprocessable("staff_not_in_department", "只能存入本部门教职工的责任状")
    folder = scan_folder(ctx, department)
    written: list[files.StoredFile] = []
    try:
        for person in people:
            written.append(new_file(ctx, io.BytesIO(person.data), folder, "pdf", len(person.data)))
        with ctx.store.locked():
            records = []
            versions_now = dict(ctx.cache.state(department).versions)
            for person, stored in zip(people, written, strict=True):
                staff_id = person.member.staff_id
                versions_now[staff_id] = versions_now.get(staff_id, 0) + 1
                records.append({**_record(ctx, user, person.member, person.tied, stored, "pdf", "", person.pages,
                                          None, version=versions_now[staff_id]),
                                "page_digests": list(person.digests)})
            commit(ctx, [*(_added(department, r) for r in records), LinkedFile(folder)], user.username,
                   "contract.upload_batch", department=department,
                   scans=[{k: r[k] for k in ("id", "staff_id", "version", "sha256", "target_version")} for r in records])
            for record in records:
                ctx.cache.scanned(department, record)
    except BaseException:
        for stored in written:
            files.remove(stored.path)
        raise
    for stored in written:
        ctx.store.meters.uploaded(stored.size)
    ctx.cache.changed(ctx.stamp())
    return records


def withdraw(ctx: Context, user: User, department_id: str, contract_id: str, reason: Any) -> Record:
    """Mark a stored scan withdrawn, saying why: its file stays, the person falls back to their
    previous valid scan or to not done."""
    department_or_404(ctx, department_id)
    access.ensure(user, access.WITHDRAW_SCAN, department_id, "您只能撤回本部门的扫描件")
    text = comment_text(reason)
    if not text:
        raise bad_request("reason_required", "撤回扫描件须填写原因（例如：传错了人）")
    with ctx.store.locked():
        record = ctx.store.get(department_id, CONTRACTS, id=contract_id)
        if record is None:
            raise not_found("unknown_contract", "找不到该扫描件")
        if not is_valid(record):
            raise ApiError(409, "already_withdrawn", f"该扫描件已于 {record.get('withdrawn_at')} 由 "
                           f"{record.get('withdrawn_by')} 撤回（原因：{record.get('withdraw_reason')}），无需再次撤回")
        stamp = ctx.stamp()
        record = {**record, "state": SCAN_WITHDRAWN, "withdrawn_by": user.username, "withdrawn_at": stamp,
                  "withdraw_reason": text}
        commit(ctx, [Put(department_id, CONTRACTS, record, {"id": contract_id})], user.username,
               "contract.withdraw", department=department_id, staff_id=record["staff_id"],
               version=record["version"], id=contract_id, reason=text)
        ctx.cache.withdrawn(department_id, record)
    ctx.cache.changed(stamp)
    return record


def _added(department: str, record: Record) -> Add:
    """A new version in a shard of its own: a new file, none rewritten, none freed."""
    return Add(department, CONTRACTS, record, shard=f"{record['staff_id']}-{record['version']}")


def scan_folder(ctx: Context, department: str) -> Path:
    return ctx.settings.data_dir / "files" / str(ctx.year) / department


def _refuse_duplicate(ctx: Context, member: StaffMember, sha256: str) -> None:
    others = [(staff, version) for _, staff, version in ctx.cache.same_file(sha256) if staff != member.staff_id]
    if others:
        staff, version = others[0]
        raise ApiError(409, "duplicate_file", f"这个文件与已存的{_person(ctx, staff)}第 {version} 版扫描件完全相同"
                       f"（SHA-256 一致），可能选错了人，未保存。如确实是{member.name}的责任状，请勾选“仍然上传”后重新提交。",
                       staff_ids=[staff])


def _record(ctx: Context, user: User, member: StaffMember, tied: Tied, stored: files.StoredFile, ext: str,
            name: str, pages: int | None, idempotency_key: str | None, *, version: int | None = None) -> Record:
    staff_id = member.staff_id
    return new_record({
        "staff_id": staff_id,
        "version": version or ctx.cache.state(member.department).versions.get(staff_id, 0) + 1,
        "sha256": stored.sha256,
        "size": stored.size,
        "ext": ext,
        "file": str(stored.path.relative_to(ctx.settings.data_dir)),
        "original_name": name,
        "uploaded_by": user.username,
        "uploaded_at": ctx.stamp(),
        "idempotency_key": idempotency_key,
        "state": SCAN_VALID,
        "target_version": tied.version,
        "target_tag": tied.tag,
        "mark": tied.mark,
        "pages": pages,
    })
