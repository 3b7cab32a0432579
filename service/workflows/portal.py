"""What users do with the service: the use cases behind the routes, over store, files and audit.

Every method is synchronous and thread-safe (the views run it off the event loop); a change
is acknowledged only after the store write is durable.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from service.config import Settings
from service.content.models import COMPLETION_STATUSES, DONE, Content, StaffMember
from service.errors import ApiError, bad_request, forbidden, not_found, unprocessable
from service.rules import access
from service.rules.board import Board, Counts, DepartmentState, compute, count, person_status
from service.storage import files
from service.storage.audit import AuditLog
from service.storage.store import Store

# Accepted scan types, recognised by their first bytes, never by name or Content-Type.
MAGIC = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
SCAN_TYPES = "PDF、JPEG 或 PNG"


def sniff(head: bytes) -> str | None:
    return next((ext for magic, ext in MAGIC if head.startswith(magic)), None)


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO
    filename: str


class Portal:
    def __init__(self, settings: Settings, content: Content, now: Callable[[], dt.datetime]) -> None:
        self.settings = settings
        self.content = content
        self.now = now
        self.year = content.settings.year
        self.store = Store(settings.data_dir, self.year)
        self.audit = AuditLog(settings.data_dir / "audit.log", self.store)
        self.max_upload = content.settings.upload_max_mb * 1024 * 1024
        self._states: dict[str, DepartmentState] = {}
        self._counts: dict[str, tuple[DepartmentState, Counts]] = {}
        self._updated_at: str | None = None
        self._updated_loaded = False
        self.on_change: Callable[[], None] = lambda: None
        self.store.rollback_hooks.append(self._states.clear)  # a failed commit: memory was reloaded

    # -- start-up --------------------------------------------------------------------

    def recover(self) -> list[Path]:
        """After a crash: drop temp files (data and site), orphaned uploads and a partial audit line."""
        from service.storage.integrity import orphans

        with self.store.settled():
            removed = files.clean_temp(self.settings.data_dir) + files.clean_temp(self.settings.site_dir)
            for path in orphans(self.settings.data_dir, self.store):
                files.remove(path)
                removed.append(path)
            self.audit.recover()
        return removed

    def ensure_admin(self) -> str | None:
        """On an empty data directory, create the `hr` account; return its one-time password."""
        with self.store.locked():
            if self.store.users():
                return None
            password = access.new_password()
            self.store.add_user({"username": "hr", "role": "hr", "department": None,
                                 "password_hash": access.hash_password(password), "created_at": self._stamp()})
            self.audit.append("system", "user.create", username="hr", role="hr")
            return password

    def secret(self) -> str:
        path = self.settings.data_dir / "secret"
        with self.store.locked():
            if not path.exists():
                files.atomic_write(path, secrets.token_urlsafe(48).encode())
                path.chmod(0o600)
            return path.read_text().strip()

    # -- accounts --------------------------------------------------------------------

    def add_user(self, username: str, role: str, department: str | None, password: str, actor: str) -> None:
        problem = access.username_problem(username) or access.password_problem(password)
        if role not in access.ROLES:
            problem = f"角色应为 {' / '.join(access.ROLES)} 之一"
        elif role == "department" and not self.content.department(department or ""):
            problem = f"部门账号须指定 departments.yml 中的部门代码，“{department or ''}”不存在"
        elif role != "department" and department:
            problem = "只有部门账号可以指定部门"
        if problem:
            raise bad_request("invalid_user", problem)
        with self.store.locked():
            try:
                self.store.add_user({"username": username, "role": role, "department": department,
                                     "password_hash": access.hash_password(password), "created_at": self._stamp()})
            except KeyError:
                raise ApiError(409, "user_exists", f"用户“{username}”已存在") from None
            self.audit.append(actor, "user.create", username=username, role=role, department=department)

    def new_token(self, username: str, actor: str) -> str:
        with self.store.locked():
            if not self.store.user(username):
                raise not_found("unknown_user", f"用户“{username}”不存在")
            token = access.new_token()
            self.store.add_token(access.token_hash(token), username)
            self.audit.append(actor, "token.create", username=username)
            return token

    def authenticate(self, username: str, password: str) -> access.User | None:
        record = self.store.user(username)
        if not record or not record.get("active", True):
            access.verify_password(password, access.hash_password("x"))  # same cost either way
            return None
        if not access.verify_password(password, record["password_hash"]):
            return None
        return access.User(record["username"], record["role"], record.get("department"))

    def user_for_token(self, token: str) -> access.User | None:
        username = self.store.token_user(access.token_hash(token))
        record = self.store.user(username) if username else None
        if not record or not record.get("active", True):
            return None
        return access.User(record["username"], record["role"], record.get("department"))

    def user_named(self, username: str) -> access.User | None:
        record = self.store.user(username)
        if not record or not record.get("active", True):
            return None
        return access.User(record["username"], record["role"], record.get("department"))

    def log(self, actor: str, action: str, **detail: Any) -> None:
        with self.store.locked():
            self.audit.append(actor, action, **detail)

    # -- reading ---------------------------------------------------------------------

    def member(self, staff_id: str) -> StaffMember:
        member = self.content.staff(staff_id)
        if member is None:
            raise not_found("unknown_staff", f"名册中没有工号为“{staff_id}”的教职工")
        return member

    def department_or_404(self, department_id: str) -> str:
        if not self.content.department(department_id):
            raise not_found("unknown_department", f"没有代码为“{department_id}”的部门或系")
        return department_id

    def state(self, department_id: str) -> DepartmentState:
        with self.store.locked():  # writers drop the cached state under the same lock
            cached = self._states.get(department_id)
            if cached is None:
                scanned: dict[str, str] = {}
                versions: dict[str, int] = {}
                for record in sorted(self.store.records(department_id, "contracts"), key=lambda r: r["version"]):
                    scanned.setdefault(record["staff_id"], record["uploaded_at"])
                    versions[record["staff_id"]] = record["version"]
                doc = self.store.get(department_id, "statuses", kind="statuses")
                statuses = {k: v["status"] for k, v in (doc or {}).get("entries", {}).items()}
                cached = DepartmentState(scanned, statuses, versions)
                self._states[department_id] = cached
            return cached

    @property
    def updated_at(self) -> str | None:
        """When the last submission was accepted; after a restart, read back from the store."""
        if not self._updated_loaded:
            stamps = []
            for department in self.content.departments:
                stamps += [r["uploaded_at"] for r in self.store.records(department.id, "contracts")]
                doc = self.store.get(department.id, "statuses", kind="statuses") or {}
                stamps += [doc["at"]] if doc.get("at") else []
                stamps += [e["at"] for e in doc.get("entries", {}).values()]
            self._updated_at = max(stamps, key=dt.datetime.fromisoformat, default=None)
            self._updated_loaded = True
        return self._updated_at

    def counts(self, department_id: str) -> Counts:
        """The department's counts, recounted only when its state changed."""
        state = self.state(department_id)
        cached = self._counts.get(department_id)
        if cached is None or cached[0] is not state:
            cached = self._counts[department_id] = (state, count(self.content.members(department_id), state))
        return cached[1]

    def board(self) -> Board:
        counts = {d.id: self.counts(d.id) for d in self.content.departments}
        return compute(self.content, counts, self.now().date(), self.updated_at)

    def versions(self, department_id: str) -> dict[str, list[dict[str, Any]]]:
        by_person: dict[str, list[dict[str, Any]]] = {}
        for record in sorted(self.store.records(department_id, "contracts"), key=lambda r: r["version"]):
            by_person.setdefault(record["staff_id"], []).append(record)
        return by_person

    def staff_view(self, department_id: str) -> list[dict[str, Any]]:
        state = self.state(department_id)
        versions = self.versions(department_id)
        return [
            {"staff_id": m.staff_id, "name": m.name, "post": m.post, "status": person_status(m, state),
             "versions": [_public_version(v) for v in versions.get(m.staff_id, [])]}
            for m in self.content.members(department_id)
        ]

    def latest_contracts(self) -> list[dict[str, Any]]:
        """Each person's current (highest) version, across the college."""
        latest = []
        for department in self.content.departments:
            for records in self.versions(department.id).values():
                latest.append({**records[-1], "department": department.id})
        return latest

    def contract(self, department_id: str, contract_id: str) -> tuple[dict[str, Any], Path]:
        record = self.store.get(department_id, "contracts", id=contract_id)
        if record is None:
            raise not_found("unknown_contract", "找不到该扫描件")
        return record, self.settings.data_dir / record["file"]

    # -- writing ---------------------------------------------------------------------

    def upload_contract(self, user: access.User, staff_id: str, upload: Upload,
                        idempotency_key: str | None = None) -> tuple[dict[str, Any], bool]:
        """Store a signed scan as the person's next version; return (record, created)."""
        member = self.member(staff_id)
        if not user.may_write(member.department):
            raise forbidden(f"您只能为本部门的教职工上传责任状（{staff_id} 不属于您的部门）")
        head = upload.stream.read(16)
        upload.stream.seek(0)
        if not head:
            raise bad_request("empty_file", "上传的文件是空的")
        ext = sniff(head)
        if ext is None:
            raise ApiError(415, "unsupported_type", f"只接受 {SCAN_TYPES} 格式的扫描件（按文件内容判断，与文件名无关）")
        folder = self.settings.data_dir / "files" / str(self.year) / member.department
        name = f"{uuid.uuid4().hex}.{ext}"
        try:
            stored = files.store_stream(upload.stream, folder, name, limit=self.max_upload, sync_dir=False)
        except files.TooLarge:
            raise ApiError(413, "too_large", f"文件超过 {self.content.settings.upload_max_mb} MB 的大小限制") from None
        try:
            with self.store.locked():
                if idempotency_key:
                    earlier = self.store.get(member.department, "contracts", idempotency_key=idempotency_key,
                                             uploaded_by=user.username)  # a key is its account's own
                    if earlier:
                        files.remove(stored.path)
                        if (earlier["staff_id"], earlier["sha256"]) != (staff_id, stored.sha256):
                            raise unprocessable("idempotency_key_reused", "该 Idempotency-Key 已用于另一次上传"
                                                "（不同的教职工或文件），新的上传请使用新的键")
                        return earlier, False
                record = self.store.insert(member.department, "contracts", {
                    "staff_id": staff_id,
                    "version": self.state(member.department).versions.get(staff_id, 0) + 1,
                    "sha256": stored.sha256,
                    "size": stored.size,
                    "ext": ext,
                    "file": str(stored.path.relative_to(self.settings.data_dir)),
                    "original_name": _clean_name(upload.filename),
                    "uploaded_by": user.username,
                    "uploaded_at": self._stamp(),
                    "idempotency_key": idempotency_key,
                })
                self.store.sync_dir(folder)  # the file's directory entry is durable with its record
                self.audit.append(user.username, "contract.upload", department=member.department,
                                  staff_id=staff_id, version=record["version"], sha256=stored.sha256,
                                  id=record["id"])
                self._states[member.department] = self.state(member.department).with_scan(
                    staff_id, record["uploaded_at"], record["version"])
        except BaseException:  # not durable: no file without its record
            files.remove(stored.path)
            raise
        self._changed()
        return record, True

    def set_completion(self, user: access.User, department_id: str, entries: Any) -> Counts:
        """Record annex-5 statuses for a department, all or nothing."""
        self.department_or_404(department_id)
        if not user.may_write(department_id):
            raise forbidden("您只能填报本部门的完成情况")
        wanted = self._parse_entries(department_id, entries)
        state = self.state(department_id)
        unsigned = [s for s, status in wanted.items() if status == DONE and s not in state.scanned]
        if unsigned:
            names = "、".join(f"{self.content.staff(s).name}（{s}）" for s in unsigned)  # type: ignore[union-attr]
            raise unprocessable("scan_required", f"以下人员尚未上传签字的责任状扫描件，不能填报“完成”：{names}",
                                staff_ids=unsigned)
        with self.store.locked():
            doc = self.store.get(department_id, "statuses", kind="statuses") or {"entries": {}}
            current = dict(doc.get("entries", {}))
            stamp = self._stamp()
            changed = {}
            for staff_id, status in wanted.items():
                before = current.get(staff_id, {}).get("status")
                if status is None:
                    current.pop(staff_id, None)
                else:
                    current[staff_id] = {"status": status, "by": user.username, "at": stamp}
                if before != status:
                    changed[staff_id] = status
            self.store.upsert(department_id, "statuses", {"kind": "statuses", "entries": current, "at": stamp},
                              kind="statuses")
            self.audit.append(user.username, "completion.update", department=department_id, changes=changed)
            self._states.pop(department_id, None)
        self._changed()
        return self.counts(department_id)

    def _parse_entries(self, department_id: str, entries: Any) -> dict[str, str | None]:
        if not isinstance(entries, list) or not entries:
            raise bad_request("invalid_entries", "entries 应为非空列表，每项包含 staff_id 和 status")
        if len(entries) > 20_000:
            raise bad_request("too_many_entries", "一次最多填报 20000 人")
        wanted: dict[str, str | None] = {}
        others: list[str] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise bad_request("invalid_entries", f"entries[{i}] 应为对象，包含 staff_id 和 status")
            staff_id, status = entry.get("staff_id"), entry.get("status")
            if not isinstance(staff_id, str) or not staff_id:
                raise bad_request("invalid_staff_id", f"entries[{i}].staff_id 应为工号字符串")
            if status in ("", None, "未完成"):
                status = None
            elif status not in COMPLETION_STATUSES:
                raise bad_request("invalid_status",
                                  f"entries[{i}].status 应为 {'、'.join(COMPLETION_STATUSES)} 之一（或留空表示未完成）")
            if staff_id in wanted:
                raise unprocessable("duplicate_staff", f"工号 {staff_id} 在本次填报中出现了两次")
            member = self.content.staff(staff_id)
            if member is None:
                raise unprocessable("unknown_staff", f"名册中没有工号为“{staff_id}”的教职工", staff_ids=[staff_id])
            if member.department != department_id:
                others.append(staff_id)
            wanted[staff_id] = status
        if others:
            raise unprocessable("staff_not_in_department",
                                f"以下工号不属于本部门：{'、'.join(others)}", staff_ids=others)
        return wanted

    # -- helpers ---------------------------------------------------------------------

    def _changed(self) -> None:
        self._updated_at = self._stamp()
        self._updated_loaded = True
        self.on_change()

    def _stamp(self) -> str:
        return self.now().isoformat(timespec="seconds")


def _public_version(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in ("id", "version", "sha256", "size", "ext", "uploaded_by", "uploaded_at")}


def _clean_name(name: str) -> str:
    """Keep the original filename for display only: no path, no control characters, bounded."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in "\u202a\u202b\u202c\u202d\u202e")
    return cleaned[:120]
