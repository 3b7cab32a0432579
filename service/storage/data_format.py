"""The data directory's format version: `<data>/FORMAT`, one number.

A release knows the formats up to `CURRENT`. A data directory a service has used without the
file is of the format before the file existed (`BEFORE`); a fresh one has none yet. A service
refuses a newer format than it knows before it touches anything (no lock, no cleanup, no
seeding), so an older release rolled back onto upgraded data stops instead of working on it.
"""

from __future__ import annotations

from pathlib import Path

from service.storage import files

FORMAT_FILE = "FORMAT"
BEFORE = 1  # a used data directory without FORMAT
CURRENT = 2  # FORMAT written; leader accounts without overseen departments listed for HR
USED_MARKS = ("audit.log", "db")  # what a service leaves in a data directory it has used


class FormatRefused(Exception):
    """The data directory's format is newer than this release, or unreadable; the message is Chinese."""


def found(data_dir: Path) -> int | None:
    """The directory's format version; None for a fresh directory (nothing a service left)."""
    path = data_dir / FORMAT_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return BEFORE if any((data_dir / mark).exists() for mark in USED_MARKS) else None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatRefused(f"无法读取数据格式文件 {path}：{exc}") from None
    if not text.isdigit():
        raise FormatRefused(f"数据格式文件 {path} 的内容“{text[:20]}”不是版本号")
    return int(text)


def refuse_newer(data_dir: Path) -> int | None:
    """The directory's format version, or FormatRefused when this release does not know it."""
    version = found(data_dir)
    if version is not None and version > CURRENT:
        raise FormatRefused(
            f"数据目录 {data_dir} 的数据格式为第 {version} 版，比本程序认识的第 {CURRENT} 版新"
            f"（由更新的版本写入）；本程序不会读写它。请改用更新的版本，或从升级前的自动备份"
            f"（{data_dir / 'backups'}）恢复到另一个数据目录")
    return version


def record(data_dir: Path, version: int = CURRENT) -> None:
    files.atomic_write(data_dir / FORMAT_FILE, f"{version}\n".encode("ascii"))
