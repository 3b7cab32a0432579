"""Integrity checks over a data directory: the audit chain (keyed, with its head), every stored
document against the digest the log last recorded for it (storage/vouched.py), and every
stored file's hash against its record and against the upload entry of the audit log (a file
swapped together with the hash in its record still differs from what the log recorded)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.storage import files, vouched
from service.storage.audit import HEAD_FILE, HEAD_TABLE, SECRET_FILE, audit_key, read_entries, verify_chain
from service.storage.durable import StoreCorrupt
from service.storage.store import Store

STORED_TABLES = ("contracts",)
# Records that point at stored files under a key (one file record, or a list of them): the
# signed view on a grade, the attachments of a staff member's objection, the uploaded annual
# summary, the attachments of a role's job duties (the version delivered last, and the ones it replaced).
LINKED_FILES = (("grades", "view"), ("result_objections", "attachments"), ("summaries", "file"),
                ("duties", "attachments"), ("duties", "earlier_attachments"))


@dataclass
class Report:
    entries: int = 0
    records: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)


def stored_files(store: Store) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    """(year, partition, file record) for every stored file a record points at; a linked one
    carries its person's staff_id and `linked` (the table it hangs on)."""
    found = [item for table in STORED_TABLES for item in store.every(table)]
    for table, key in LINKED_FILES:
        for year, partition, record in store.every(table):
            for linked in linked_files(record, key):
                found.append((year, partition, {**linked, "staff_id": record.get("staff_id"),
                                                "role_id": record.get("role_id"), "linked": table}))
    return found


def linked_files(record: dict, key: str) -> list[dict]:  # type: ignore[type-arg]
    """The file records `record` holds under `key` (one, or a list of them)."""
    value = record.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else \
        [value] if isinstance(value, dict) else []


def verify(store: Store) -> Report:
    """Check the store's data directory; holds its lock, so a running service's writes wait."""
    with store.settled():
        return _verify(store)


def _verify(store: Store) -> Report:
    data_dir = store.data_dir
    report = Report()
    secret = data_dir / SECRET_FILE
    key = audit_key(secret.read_bytes().strip()) if secret.exists() else None
    if key is None and (data_dir / "audit.log").exists():
        report.problems.append(f"数据目录缺少密钥文件 {SECRET_FILE}：无法校验审计日志的签名（从备份恢复时它随备份一起恢复）")
    entries = read_entries(data_dir / "audit.log")
    head = _head(store)
    count, chain_problems = verify_chain(data_dir / "audit.log", key, head, entries)
    report.entries = count
    report.problems.extend(str(p) for p in chain_problems)
    named = head.get("count") if head is not None and not chain_problems else None
    report.records, record_problems = vouched.check(entries, data_dir, store.db_dir,
                                                    named if isinstance(named, int) else None)
    report.problems.extend(record_problems)
    uploads = _upload_entries(entries)
    try:
        records = stored_files(store)
    except StoreCorrupt as exc:
        report.problems.append(f"数据文件损坏：{exc}")
        return report
    referenced = set()
    for year, partition, record in records:
        path = data_dir / record["file"]
        referenced.add(path)
        where = (f"{year}/{partition} 工号 {record.get('staff_id')} 第 {record.get('version')} 版（{record['file']}）"
                 if "linked" not in record else f"{year}/{partition} {_owner(record)}（{record['file']}）")
        if not path.exists():
            report.problems.append(f"{where}: 文件缺失")
            continue
        report.files += 1
        digest = files.sha256_of(path)
        if digest != record["sha256"]:
            report.problems.append(f"{where}: 文件内容与记录的 SHA-256 不符（文件被改动）")
        if "linked" in record:
            continue  # the upload entries of the audit log are the contracts'
        logged = uploads.get(str(record.get("id")))
        if logged is None:
            report.problems.append(f"{where}: 审计日志中没有这次上传的记录（记录是后来加入的）")
        elif digest == record["sha256"] != logged:
            report.problems.append(f"{where}: 文件与上传时审计日志记下的 SHA-256 不符（扫描件连同其记录被替换）")
    for path in files.walk_files(data_dir / "files"):
        if path not in referenced:
            report.problems.append(f"{path.relative_to(data_dir)}: 没有对应记录的文件")
    return report


def _owner(record: dict) -> str:  # type: ignore[type-arg]
    """Whose a linked file is: a person's (工号) or a role's job duties (岗位)."""
    return f"工号 {record['staff_id']}" if record.get("staff_id") else f"岗位 {record.get('role_id')} 的岗位职责附件"


def _head(store: Store) -> dict | None:  # type: ignore[type-arg]
    path = store.db_dir / HEAD_FILE
    if not path.exists():
        return None
    try:
        docs = list((json.loads(path.read_bytes() or b"{}").get(HEAD_TABLE) or {}).values())
    except ValueError:
        return {"count": None}  # unreadable: reported as a head whose signature does not match
    return docs[0] if docs else None


def _upload_entries(entries: list[dict[str, Any] | None]) -> dict[str, str]:
    """Record id → the SHA-256 its upload entry (one scan, or a batch of them) recorded (lines that do not parse are the
    chain check's to report)."""
    found: dict[str, str] = {}
    for entry in entries:
        detail = entry.get("detail") if entry is not None else None
        if not isinstance(detail, dict):
            continue
        if entry.get("action") == "contract.upload" and "id" in detail:
            found[str(detail["id"])] = str(detail.get("sha256"))
        elif entry.get("action") == "contract.upload_batch" and isinstance(detail.get("scans"), list):
            found.update({str(scan["id"]): str(scan.get("sha256")) for scan in detail["scans"]
                          if isinstance(scan, dict) and "id" in scan})
    return found


def orphans(data_dir: Path, store: Store) -> list[Path]:
    """Stored files no record points at (a crash between the file and its record)."""
    referenced = {data_dir / record["file"] for _, _, record in stored_files(store)}
    return [p for p in files.walk_files(data_dir / "files") if p not in referenced]
