"""Integrity checks over a data directory: the audit chain and every stored file's hash."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from service.storage import files
from service.storage.audit import verify_chain
from service.storage.durable import StoreCorrupt
from service.storage.store import Store

STORED_TABLES = ("contracts",)


@dataclass
class Report:
    entries: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)


def stored_files(store: Store) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    return [item for table in STORED_TABLES for item in store.every(table)]


def verify(store: Store) -> Report:
    """Check the store's data directory; holds its lock, so a running service's writes wait."""
    with store.settled():
        return _verify(store)


def _verify(store: Store) -> Report:
    data_dir = store.data_dir
    report = Report()
    count, chain_problems = verify_chain(data_dir / "audit.log")
    report.entries = count
    report.problems.extend(str(p) for p in chain_problems)
    try:
        records = stored_files(store)
    except StoreCorrupt as exc:
        report.problems.append(f"数据文件损坏：{exc}")
        return report
    referenced = set()
    for year, partition, record in records:
        path = data_dir / record["file"]
        referenced.add(path)
        where = f"{year}/{partition} 工号 {record.get('staff_id')} 第 {record.get('version')} 版（{record['file']}）"
        if not path.exists():
            report.problems.append(f"{where}: 文件缺失")
            continue
        report.files += 1
        if files.sha256_of(path) != record["sha256"]:
            report.problems.append(f"{where}: 文件内容与记录的 SHA-256 不符（文件被改动）")
    for path in files.walk_files(data_dir / "files"):
        if path not in referenced:
            report.problems.append(f"{path.relative_to(data_dir)}: 没有对应记录的文件")
    return report


def orphans(data_dir: Path, store: Store) -> list[Path]:
    """Stored files no record points at (a crash between the file and its record)."""
    referenced = {data_dir / record["file"] for _, _, record in stored_files(store)}
    return [p for p in files.walk_files(data_dir / "files") if p not in referenced]
