"""Rebuilding the static portal in the background, never inside a request.

After HR accepts job duties the role pages must show them. A `SiteRebuilder` runs
`python -m service build --site-dir <tmp>` in a subprocess (MkDocs keeps global state; a
child process keeps it out of the service), into a directory under the data dir, then copies
the new files over the live site one by one with `files.atomic_write`, so a reader sees an
old page or a new one, never half a file. The build wrote the status page with an empty
board: it is published with the current board straight away. Requests coalesce: at most one
rebuild runs and one waits. Each request is numbered (`requested`); `published` is the
number of the last request a finished rebuild covered, so a page can say whether a change it
saved is on the public site yet.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from service.config import Settings
from service.storage import files
from service.web.coalesce import Coalescer
from service.web.status_page import StatusPublisher

log = logging.getLogger("portal.rebuild")
STATUS_PAGE = Path("status") / "index.html"
WORK_DIR = "site-build"
BUILD_NICENESS = 10  # the background build yields the processor to the service


class RebuildFailed(Exception):
    pass


def copy_site(built: Path, live: Path, publisher: StatusPublisher) -> int:
    """Copy changed files of `built` into `live` atomically; return how many were written.

    The status page is not copied as built: its board is filled in first.
    """
    written = 0
    for path in files.walk_files(built):
        relative = path.relative_to(built)
        if relative == STATUS_PAGE:
            continue
        data = path.read_bytes()
        target = live / relative
        try:
            if target.read_bytes() == data:
                continue
        except (FileNotFoundError, IsADirectoryError):
            pass
        files.atomic_write(target, data, durable=False)
        written += 1
    shell = built / STATUS_PAGE
    if shell.exists():
        publisher.publish_now(shell.read_text(encoding="utf-8"))
        written += 1
    return written


class SiteRebuilder:
    def __init__(self, settings: Settings, publisher: StatusPublisher,
                 on_done: Callable[[], None] = lambda: None, timeout: float = 600) -> None:
        self.settings = settings
        self.publisher = publisher
        self.on_done = on_done
        self.timeout = timeout
        self.generations = 0  # finished rebuilds, successful or not
        self.last_error: str | None = None
        self.requested = 0  # rebuilds asked for since the start
        self.published = 0  # the last request a successful rebuild covered
        self._counting = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._worker = Coalescer(self.rebuild_now, "门户网站后台重建失败")

    async def start(self) -> None:
        await self._worker.start()

    async def stop(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        await self._worker.stop()

    def poke(self) -> int:
        """Ask for a rebuild; safe from any thread. Returns the request's number."""
        with self._counting:
            self.requested += 1
            number = self.requested
        self._worker.poke()
        return number

    async def settled(self) -> None:
        await self._worker.settled()

    def rebuild_now(self) -> int:
        """Build into a work directory and copy the result over the live site (blocking)."""
        work = self.settings.data_dir / WORK_DIR
        covers = self.requested  # the build reads the set-up as it is now: every request so far
        try:
            shutil.rmtree(work, ignore_errors=True)  # a crashed earlier run's leftovers
            work.mkdir(parents=True)
            self._build(work / "site")
            written = copy_site(work / "site", self.settings.site_dir, self.publisher)
            self.last_error = None
            self.published = max(self.published, covers)
            log.info("门户网站已在后台重建，更新 %d 个文件", written)
        except Exception as exc:
            self.last_error = str(exc)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
            self.generations += 1
        self.publisher.poke()  # a regeneration racing the copy must not leave an older board
        self.on_done()
        return written

    def _build(self, out: Path) -> None:
        s = self.settings
        env = {**os.environ, "PORTAL_ROOT": str(s.root), "PORTAL_CONTENT": str(s.content_dir),
               "PORTAL_SAMPLE_CONTENT": str(s.sample_dir),
               "PORTAL_DATA": str(s.data_dir), "PORTAL_MKDOCS": str(s.mkdocs_file), "PORTAL_SITE": str(out)}
        command = [sys.executable, "-m", "service", "build", "--site-dir", str(out)]
        self._process = subprocess.Popen(command, cwd=s.root, env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with contextlib.suppress(OSError):  # the requests the service answers meanwhile go first
            os.setpriority(os.PRIO_PROCESS, self._process.pid, BUILD_NICENESS)
        try:
            _, err = self._process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            raise RebuildFailed(f"站点构建超过 {self.timeout:g} 秒未完成，已终止") from None
        finally:
            code = self._process.returncode
            self._process = None
        if code != 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
            raise RebuildFailed(f"站点构建失败（退出码 {code}）：{' '.join(tail)}")
