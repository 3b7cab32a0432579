"""Backup and restore of the data directory: one .tar.gz with a manifest of SHA-256s.

A backup is consistent while the service runs: the store's lock is held only while the TinyDB
files, the audit log, the secret and the college's set-up (`setup/`: settings, departments,
roles, common targets, roster, pages) are read into memory. Uploaded files never change once
stored, so they are copied afterwards; only those the snapshot's records point at are taken
(an upload in flight has a file but no record yet): the contract scans and the files linked to
other records (integrity.LINKED_FILES: signed views, uploaded summaries, objections' and job
duties' attachments). The archive is written to a temp file and renamed into place;
`manifest.json` (last member) lists every other member's size, SHA-256 and mode (the secret and
the audit log are private: 0600), and the data directory's format.

A restore unpacks into a temp directory beside the target, checks every member against the
manifest (and nothing more or less), gives each file its recorded mode, and only then renames
it into place, so a damaged archive leaves the target as it was; `check` does the same checks
without restoring anything. A restore is refused while a `portal serve` runs on the
target (service.serve_lock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import secrets
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from service.storage import data_format, files, serve_lock
from service.storage.audit import SEAL_FILE
from service.storage.integrity import LINKED_FILES, STORED_TABLES, linked_files
from service.storage.store import Store

MANIFEST = "manifest.json"
FORMAT = 2  # of the manifest: 2 records each file's mode and the data directory's format
KNOWN_FORMATS = (1, 2)
BACKUPS_DIR = "backups"  # inside the data directory: the automatic backups taken before an upgrade
PRIVATE = 0o600
SHARED = 0o644
PRIVATE_FILES = ("audit.log", SEAL_FILE, "secret")  # restored 0600 whatever their mode was
SNAPSHOT_FILES = (*PRIVATE_FILES, data_format.FORMAT_FILE)  # beside db/**.json, read under the lock


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is Chinese, for the CLI."""


@dataclass
class Snapshot:
    """The data directory at one moment: small files in memory, uploaded files by path."""

    data_dir: Path
    taken_at: str
    blobs: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes
    uploads: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 on record
    modes: dict[str, int] = field(default_factory=dict)  # relative path -> permission bits
    data_format: int | None = None

    @property
    def count(self) -> int:
        return len(self.blobs) + len(self.uploads)


def snapshot(store: Store, setup: Path | None = None) -> Snapshot:
    """Read the store, the audit log, the secret and the college's set-up (`setup`, a directory
    inside the data directory) under the store's lock (a few ms)."""
    data_dir = store.data_dir
    with store.settled():  # no commit half-written while the files are read
        taken = Snapshot(data_dir, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                         data_format=data_format.found(data_dir))
        paths = [*sorted((data_dir / "db").rglob("*.json")), *(data_dir / name for name in SNAPSHOT_FILES),
                 *(files.walk_files(setup) if setup is not None else ())]
        for path in paths:
            if path.exists() and not path.name.startswith(files.TMP_PREFIX):
                name = path.relative_to(data_dir).as_posix()
                taken.blobs[name] = path.read_bytes()
                taken.modes[name] = _mode(path)
    for name, data in taken.blobs.items():
        if name.startswith("db/"):
            try:
                tables = json.loads(data or b"{}")
            except ValueError as exc:
                raise BackupError(f"数据文件 {name} 已损坏，无法备份：{exc}") from None
            for table in STORED_TABLES:
                for record in (tables.get(table) or {}).values():
                    taken.uploads[record["file"]] = record["sha256"]
            for table, key in LINKED_FILES:
                for record in (tables.get(table) or {}).values():
                    taken.uploads.update((linked["file"], linked["sha256"]) for linked in linked_files(record, key))
    return taken


def _mode(path: Path) -> int:
    return PRIVATE if path.name in PRIVATE_FILES else path.stat().st_mode & 0o777


def automatic(store: Store, setup: Path | None, label: str) -> Path:
    """A backup into `<data>/backups/<label>-<time>.tar.gz` (before an upgrade); its path."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    target = store.data_dir / BACKUPS_DIR / f"{label}-{stamp}.tar.gz"
    write(snapshot(store, setup), target)
    return target


def write(taken: Snapshot, target: Path, on_member: Callable[[], None] = lambda: None) -> dict[str, dict[str, object]]:
    """Write the snapshot as a .tar.gz at `target` (atomically); return the manifest's entries."""
    manifest: dict[str, dict[str, object]] = {}
    with files.atomic_stream(target) as out, tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in taken.blobs.items():
            _add(archive, name, io.BytesIO(data), len(data))
            manifest[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                              "mode": f"{taken.modes.get(name, PRIVATE):04o}"}
            on_member()
        for name, recorded in sorted(taken.uploads.items()):
            path = taken.data_dir / name
            try:
                size = path.stat().st_size
                digest = files.sha256_of(path)
            except FileNotFoundError:
                raise BackupError(f"记录中的扫描件 {name} 不存在，请先运行 portal audit verify") from None
            if digest != recorded:
                raise BackupError(f"扫描件 {name} 的内容与记录的 SHA-256 不符，请先运行 portal audit verify")
            with open(path, "rb") as handle:
                _add(archive, name, handle, size)
            manifest[name] = {"sha256": digest, "size": size, "mode": f"{path.stat().st_mode & 0o777:04o}"}
            on_member()
        body = json.dumps({"format": FORMAT, "data_format": taken.data_format, "taken_at": taken.taken_at,
                           "files": manifest},
                          ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        _add(archive, MANIFEST, io.BytesIO(body), len(body))
    os.chmod(target, 0o600)  # the archive holds the session secret and personal data
    return manifest


def _add(archive: tarfile.TarFile, name: str, data: io.BufferedIOBase | io.BytesIO, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    archive.addfile(info, data)


# -- restore ---------------------------------------------------------------------------------------


def members(archive_path: Path) -> int:
    """How many files the archive holds (for a progress bar)."""
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            return sum(1 for m in archive if m.isfile())
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"无法读取备份文件 {archive_path}（已损坏或不是备份）：{exc}") from None


def restore(archive_path: Path, data_dir: Path, *, force: bool = False,
            on_member: Callable[[], None] = lambda: None) -> tuple[int, Path | None]:
    """Unpack and verify `archive_path` into `data_dir`; return (files restored, where the old
    directory was moved when `force` replaced a non-empty one). Refused, with nothing changed,
    while a `portal serve` uses `data_dir`; none can start on it until the restore ends."""
    try:
        with serve_lock.not_serving(data_dir):
            return _restore(archive_path, data_dir, force=force, on_member=on_member)
    except serve_lock.ServiceRunning as exc:
        raise BackupError(f"{exc}，未恢复。请先停止服务，再运行 portal restore") from None


def _restore(archive_path: Path, data_dir: Path, *, force: bool,
             on_member: Callable[[], None]) -> tuple[int, Path | None]:
    if data_dir.exists() and any(data_dir.iterdir()) and not force:
        raise BackupError(f"目标数据目录 {data_dir} 不为空；确认要替换时请加 --force（原目录会保留为备份）")
    work = data_dir.parent / f"{files.TMP_PREFIX}restore-{secrets.token_hex(4)}"
    try:
        found = _unpack(archive_path, work, on_member)
        listed = _verified(_manifest(work), found)
        for name, entry in listed.items():
            os.chmod(work / name, _entry_mode(entry, name))
        (work / MANIFEST).unlink()
        moved = _put_in_place(work, data_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return len(found), moved


@dataclass(frozen=True)
class Checked:
    files: int
    size: int
    taken_at: str
    data_format: int | None


def check(archive_path: Path, scratch: Path, on_member: Callable[[], None] = lambda: None) -> Checked:
    """Verify `archive_path` (its manifest, every member's size and SHA-256) by unpacking it into
    a temp directory inside `scratch`, removed afterwards; nothing else is written."""
    work = scratch / f"{files.TMP_PREFIX}check-{secrets.token_hex(4)}"
    try:
        found = _unpack(archive_path, work, on_member)
        manifest = _manifest(work)
        _verified(manifest, found)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    version = manifest.get("data_format")
    return Checked(len(found), sum(size for _, size in found.values()), str(manifest.get("taken_at") or ""),
                   version if isinstance(version, int) else None)


def _verified(manifest: dict[str, object], found: dict[str, tuple[str, int]]) -> dict[str, dict[str, object]]:
    listed = manifest.get("files")
    if not isinstance(listed, dict) or set(listed) != set(found):
        missing = sorted(set(listed or {}) - set(found))[:5]
        extra = sorted(set(found) - set(listed or {}))[:5]
        raise BackupError(f"备份文件与清单不一致（缺少：{missing}，多出：{extra}）")
    for name, (digest, size) in found.items():
        entry = listed[name]
        if not isinstance(entry, dict) or entry.get("sha256") != digest or entry.get("size") != size:
            raise BackupError(f"备份中的 {name} 与清单记录的 SHA-256 不符（备份已损坏）")
        _entry_mode(entry, name)
    return listed


def _entry_mode(entry: dict[str, object], name: str) -> int:
    """The mode the manifest records (a manifest of format 1 has none: private files 0600)."""
    mode = entry.get("mode")
    if mode is None:
        return PRIVATE if PurePosixPath(name).name in PRIVATE_FILES else SHARED
    if not isinstance(mode, str) or len(mode) != 4 or any(c not in "01234567" for c in mode) or int(mode, 8) > 0o777:
        raise BackupError(f"清单中 {name} 的权限“{str(mode)[:8]}”无效（备份已损坏）")
    return int(mode, 8)


def _unpack(archive_path: Path, work: Path, on_member: Callable[[], None]) -> dict[str, tuple[str, int]]:
    work.mkdir(mode=0o700)
    found: dict[str, tuple[str, int]] = {}
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                name = _safe_name(member)
                source = archive.extractfile(member)
                assert source is not None
                found[name] = files.copy_new(source, work / name)
                on_member()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"无法读取备份文件 {archive_path}（已损坏或不是备份）：{exc}") from None
    if MANIFEST not in found:
        raise BackupError("备份文件中没有清单 manifest.json，未恢复")
    del found[MANIFEST]
    return found


def _safe_name(member: tarfile.TarInfo) -> str:
    path = PurePosixPath(member.name)
    if not member.isfile() or path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"备份文件中有不安全的条目 {member.name!r}，未恢复")
    return path.as_posix()


def _manifest(work: Path) -> dict[str, object]:
    try:
        manifest = json.loads((work / MANIFEST).read_bytes())
    except ValueError as exc:
        raise BackupError(f"清单 manifest.json 无法解析：{exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") not in KNOWN_FORMATS:
        raise BackupError("清单 manifest.json 的格式不受支持")
    version = manifest.get("data_format")
    if isinstance(version, int) and version > data_format.CURRENT:
        raise BackupError(f"备份的数据格式为第 {version} 版，比本程序认识的第 {data_format.CURRENT} 版新，请用更新的版本恢复")
    return manifest


def _put_in_place(work: Path, data_dir: Path) -> Path | None:
    moved = None
    if data_dir.exists():
        if any(data_dir.iterdir()):
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            moved = data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}")
            os.rename(data_dir, moved)
        else:
            data_dir.rmdir()
    os.rename(work, data_dir)
    files.fsync_dir(data_dir.parent)
    return moved
