"""The one place that writes files: atomic, durable replaces and never-overwritten uploads."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

T = TypeVar("T")
TMP_PREFIX = ".tmp-"
CHUNK = 256 * 1024
PAUSE_ENV = "PORTAL_TEST_PAUSE"


def _pauses(spec: str) -> dict[str, float]:
    """`store=3,status=3,file=3` → {point: seconds}; unknown or malformed items are ignored."""
    found = {}
    for item in spec.split(","):
        point, _, seconds = item.partition("=")
        with contextlib.suppress(ValueError):
            found[point.strip()] = float(seconds)
    return found


# Test-only: the crash tests set PORTAL_TEST_PAUSE to hold a write with its temp file written
# and not yet renamed (`store`: a TinyDB partition, `status`: the status page, `file`: an
# uploaded file), so a SIGKILL lands exactly there. Unset (always, outside tests) it is inert.
_PAUSES = _pauses(os.environ.get(PAUSE_ENV, ""))


def _test_pause(point: str) -> None:
    if _PAUSES and point in _PAUSES:
        time.sleep(_PAUSES[point])


def _point(path: Path) -> str:
    return "status" if path.name == "index.html" else "store" if path.suffix == ".json" else "other"


def _create(open_new: Callable[[], T], directory: Path) -> T:
    """`open_new()`, making `directory` (and its parents) first when it is missing."""
    try:
        return open_new()
    except FileNotFoundError:
        directory.mkdir(parents=True, exist_ok=True)
        return open_new()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to a temp file beside `path`, fsync it, rename it over `path`, fsync the dir.

    Readers see the old file or the new one, never a mix; a crash leaves at most a temp file,
    which `clean_temp` removes. When it raises, `path` holds what it held before: if the
    directory's fsync fails after the rename, the old file (kept as a hard link) is put back,
    so a caller that reports the failure tells the truth.
    """
    token = secrets.token_hex(4)
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{token}")
    old = path.with_name(f"{TMP_PREFIX}{path.name}.{token}.old")
    try:
        with _create(lambda: open(tmp, "wb"), path.parent) as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        _test_pause(_point(path))
        if durable:
            try:
                os.link(path, old)
            except FileNotFoundError:
                old = None  # type: ignore[assignment]
        os.replace(tmp, path)
    except BaseException:
        for leftover in (tmp, old):
            if leftover is not None:
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        raise
    if not durable:
        return
    try:
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            if old is None:
                path.unlink()
            else:
                os.replace(old, path)
            fsync_dir(path.parent)
        raise
    finally:
        if old is not None:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()


def replace_all(replacements: Mapping[Path, bytes], directories: Iterable[Path], appends: Mapping[Path, bytes]) -> None:
    """Append each of `appends` to its log (written ahead), then replace every file of
    `replacements` (`atomic_write`) and make the new entries of `directories` durable: all or
    nothing. When any step fails, the replaced files get their old bytes back and the logs
    their old length, then it raises.

    The steps run one after another in the calling thread: handing the files to writer
    threads, so that their fsyncs overlap, cost more processor time in thread hand-offs than
    the overlap saved (a batch holds a few small files)."""
    kept: dict[Path, Path | None] = {}
    appended: list[tuple[Path, int]] = []
    try:
        for path, data in appends.items():
            appended.append((path, append_bytes(path, data)))
        for path in replacements:
            kept[path] = keep(path)
        for path, data in replacements.items():
            atomic_write(path, data)
        for directory in directories:
            fsync_dir(directory)
    except BaseException:
        for path, old in kept.items():
            with contextlib.suppress(OSError):
                put_back(path, old)
        for path, size in appended:
            with contextlib.suppress(OSError):
                truncate(path, size)
        raise
    for old in kept.values():
        if old is not None:
            remove(old)


def keep(path: Path) -> Path | None:
    """Keep `path`'s current version under a temp name (a hard link: no copy, no new space)
    while a commit replaces it; None when there is nothing to keep."""
    kept = path.with_name(f"{TMP_PREFIX}{path.name}.{secrets.token_hex(4)}.kept")
    try:
        os.link(path, kept)
    except FileNotFoundError:
        return None
    return kept


def put_back(path: Path, kept: Path | None) -> None:
    """Undo a replace of `path` by a commit that failed: the kept version, or no file."""
    if kept is None:
        remove(path)
    elif path.exists() and os.path.samefile(kept, path):
        kept.unlink()  # never replaced; rename would leave both names in place
    else:
        os.replace(kept, path)
    fsync_dir(path.parent)


def append_bytes(path: Path, data: bytes) -> int:
    """Append `data` with one write and one fsync; return the file's length before.

    When the write or the fsync fails, the file is cut back to its old length: no partial
    line, and no line for a change its caller is about to undo.
    """
    fd = _create(lambda: os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), path.parent)
    try:
        size = os.fstat(fd).st_size
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(f"short write to {path}")
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
    return size


def truncate(path: Path, size: int) -> None:
    """Cut an appended log back to `size` bytes, durably (a commit that failed after it)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size: int


class TooLarge(Exception):
    pass


def store_stream(source: BinaryIO, directory: Path, name: str, *, limit: int, sync_dir: bool = True) -> StoredFile:
    """Copy `source` into `directory/name`, hashing while copying; never replace an existing file.

    The bytes go to a temp file first, are fsynced, then hard-linked to the final name
    (which fails if it exists) so a visible file is always complete.
    """
    final = directory / name
    tmp = directory / f"{TMP_PREFIX}{name}"
    digest = hashlib.sha256()
    size = 0
    try:
        with _create(lambda: open(tmp, "xb"), directory) as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        _test_pause("file")
        os.link(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    if sync_dir:  # False: the caller's store commit syncs the directory (Store.sync_dir)
        try:
            fsync_dir(directory)
        except BaseException:
            remove(final)  # not known to be durable: not stored
            raise
    return StoredFile(path=final, sha256=digest.hexdigest(), size=size)


@contextlib.contextmanager
def atomic_stream(path: Path) -> Iterator[BinaryIO]:
    """A handle to write `path` through: a temp file beside it, fsynced and renamed over `path`
    when the block ends without an error, removed when it raises."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{secrets.token_hex(4)}")
    try:
        with open(tmp, "xb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def copy_new(source: BinaryIO, path: Path) -> tuple[str, int]:
    """Copy `source` into a new file `path` (never over an existing one), fsynced; (sha256, size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with open(path, "xb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def remove(path: Path) -> None:
    """Undo a stored file whose record could not be written."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


PROBE = f"{TMP_PREFIX}ready"


def probe(directory: Path) -> None:
    """Write a small file in `directory`, fsync it and remove it: raises OSError when the
    directory cannot take a durable write (read-only, full, gone, or not a directory)."""
    path = directory / PROBE
    with open(path, "wb") as handle:
        handle.write(b"ready\n")
        handle.flush()
        os.fsync(handle.fileno())
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def clean_temp(root: Path) -> list[Path]:
    """Remove temp files a crash left behind under `root`; return what was removed."""
    removed = []
    if not root.exists():
        return removed
    for path in list(root.rglob(f"{TMP_PREFIX}*")):
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir():  # a directory copy (copy_tree) cut short
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def copy_tree(source: Path, target: Path, exclude: tuple[str, ...] = (),
              replaced: Mapping[str, bytes] | None = None) -> int:
    """Copy the directory `source` to `target`, which must not exist yet: into a temp directory
    beside it, every file and directory fsynced, then renamed into place, so `target` appears
    whole or not at all (a crash leaves a temp directory, which `clean_temp` removes). Temp
    files inside `source`, and its entries named in `exclude`, are left out; the files named (by
    their path inside `source`) in `replaced` get those bytes instead of their own. Return how
    many files were copied. FileExistsError when another process put `target` in place meanwhile
    (nothing of this copy is left)."""
    work = target.with_name(f"{TMP_PREFIX}{target.name}.{secrets.token_hex(4)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        work.mkdir()
        copied = [path for path in walk_files(source) if not path.name.startswith(TMP_PREFIX)
                  and path.relative_to(source).parts[0] not in exclude]
        for path in copied:
            name = path.relative_to(source).as_posix()
            own = replaced is None or name not in replaced
            with open(path, "rb") if own else io.BytesIO(replaced[name]) as handle:  # type: ignore[index]
                copy_new(handle, work / name)
        for directory in sorted({work / p.relative_to(source).parent for p in copied}, reverse=True):
            fsync_dir(directory)
        try:
            os.rename(work, target)
        except OSError:
            if target.exists():
                raise FileExistsError(target) from None
            raise
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    fsync_dir(target.parent)
    return len(copied)


def walk_files(root: Path) -> Iterator[Path]:
    yield from (p for p in sorted(root.rglob("*")) if p.is_file())
