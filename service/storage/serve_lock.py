"""The data directory's serving lock: `portal serve` holds it for its whole life, so a command
that must not run beside a service (`portal restore`) can tell that one is running.

The lock is an exclusive `flock` on `<data>/.serve.lock`, which names the holder's pid. The
kernel drops it when the process ends, however it ends (a SIGKILL included), so a stale file
never blocks anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".serve.lock"


class ServiceRunning(Exception):
    """A `portal serve` holds the lock of `data_dir`; the message is Chinese, for the CLI."""

    def __init__(self, data_dir: Path, pid: int | None) -> None:
        who = f"（进程 {pid}）" if pid else ""
        super().__init__(f"数据目录 {data_dir} 正由运行中的 portal serve{who}使用")
        self.data_dir = data_dir
        self.pid = pid


@contextlib.contextmanager
def serving(data_dir: Path) -> Iterator[None]:
    """Hold the serving lock of `data_dir` while the block runs; raise ServiceRunning when
    another service holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _take(fd, data_dir)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


@contextlib.contextmanager
def not_serving(data_dir: Path) -> Iterator[None]:
    """Run the block only while no service uses `data_dir`, holding the lock so that none can
    start meanwhile; raise ServiceRunning when one runs. Creates nothing in `data_dir`."""
    try:
        fd = os.open(data_dir / LOCK_NAME, os.O_RDWR)
    except (FileNotFoundError, NotADirectoryError):
        yield  # never served (a service makes the file before it starts)
        return
    try:
        _take(fd, data_dir)
        yield
    finally:
        os.close(fd)


def _take(fd: int, data_dir: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ServiceRunning(data_dir, _holder(fd)) from None


def _holder(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode("ascii").strip())
    return None
