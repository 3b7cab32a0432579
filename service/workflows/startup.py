"""Starting over a data directory: recover from a crash, upgrade an older format, the first HR
account, the audit entry of a set-up carried over from the checkout, and the figures kept per
department worked out ahead of the first reads."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.content.codes import ROLE_HR
from service.rules import credentials
from service.storage import backup, clean_stop, data_format, files
from service.storage.integrity import orphans
from service.storage.setup_dir import Placed
from service.workflows import completion, progress, scores, targets
from service.workflows.accounts import leaders_without_departments, new_user
from service.workflows.commit import NewUser, commit, log
from service.workflows.context import Context

ADMIN = "hr"
GIVE_WAY = 0.25  # seconds the warm-up waits, at most, before a department while requests are answered
_PAUSE = 0.002


def recover(ctx: Context) -> list[Path]:
    """After a crash: drop temp files (data and site), orphaned uploads and a partial audit line;
    record what the files hold of the documents a commit cut short had named. After a clean
    stop (storage/clean_stop.py) no stored file can have been cut short, by the service or by
    any process since (each takes the mark before it stores one): the stored files of the years
    are not scanned, so a start does not grow with the years kept."""
    data_dir = ctx.settings.data_dir
    with ctx.store.settled():
        clean = clean_stop.take(data_dir)
        removed = files.clean_temp(data_dir) + files.clean_temp(ctx.settings.site_dir)
        for path in [] if clean else orphans(data_dir, ctx.store):
            files.remove(path)
            removed.append(path)
        ctx.audit.recover()
        ctx.audit.reconcile()
    return removed


def stopped(ctx: Context) -> None:
    """The service's last step of a clean stop: every request has ended; mark the data
    directory as left whole (the next start skips the scan for files without records)."""
    with ctx.store.settled():
        clean_stop.record(ctx.settings.data_dir)


@dataclass(frozen=True)
class Upgraded:
    from_format: int
    backup: Path
    leaders_without_departments: tuple[str, ...]

    @property
    def message(self) -> str:
        leaders = (f"；院领导账号 {'、'.join(self.leaders_without_departments)} 未设主管部门，已列入人事处待办"
                   if self.leaders_without_departments else "")
        return (f"数据目录已从第 {self.from_format} 版格式升级到第 {data_format.CURRENT} 版，"
                f"升级前的数据已自动备份到 {self.backup}{leaders}")


def upgrade(ctx: Context, setup: Path | None, before: int | None) -> Upgraded | None:
    """Bring an older data directory to the current format: a backup first (of the store, the
    audit log, the secret and `setup`), then one audit entry, then FORMAT. What it cannot
    decide stays for HR: leader accounts without overseen departments are a to-do of HR's.
    `before` is the format found before the context was opened (None: a fresh directory, which
    is marked current); None when nothing was upgraded."""
    data_dir = ctx.settings.data_dir
    with ctx.store.locked():
        version = data_format.refuse_newer(data_dir) if before is not None else None
        if version == data_format.CURRENT:
            return None
        if version is None:
            data_format.record(data_dir)
            return None
        saved = backup.automatic(ctx.store, setup, f"before-format-{data_format.CURRENT}")
        leaders = tuple(leaders_without_departments(ctx))
        log(ctx, "system", "data.upgrade", from_format=version, to_format=data_format.CURRENT,
            backup=saved.relative_to(data_dir).as_posix(), leaders_without_departments=list(leaders))
        data_format.record(data_dir)
    return Upgraded(version, saved, leaders)


def ensure_admin(ctx: Context) -> str | None:
    """On an empty data directory, create the `hr` account; return its one-time password."""
    with ctx.store.locked():
        if ctx.store.accounts.users():
            return None
        password = credentials.new_password()
        commit(ctx, [NewUser(new_user(ctx, ADMIN, ROLE_HR, None, password))], "system", "user.create",
               username=ADMIN, role=ROLE_HR)
        return password


def record_setup_move(ctx: Context, placed: Placed) -> None:
    """Audit that an older installation's content/ was carried over into the data directory."""
    log(ctx, "system", "setup.move", source=str(placed.source), target=str(placed.target), files=placed.count)


def warm(ctx: Context, stop: threading.Event | None = None, busy: Callable[[], bool] = lambda: False) -> None:
    """Work out what is kept per department, one department at a time so that requests go on
    between them: the score books and the college's ranking first (the heaviest), then the
    progress board, then the completion sheets; `stop` ends it early (a service shutting down).
    While `busy()` (a request is being answered) it waits before the next department, up to
    `GIVE_WAY` seconds each time: a request right after a start shares the processor with it
    (Python runs one thread at a time) and would take twice as long."""
    ids = [d.id for d in ctx.content.departments]
    steps: list[Callable[[], object]] = [
        *(functools.partial(scores.book, ctx, d) for d in ids), functools.partial(scores.warm, ctx),
        *(functools.partial(targets.stored, ctx, d) for d in ids), functools.partial(progress.board, ctx),
        *(functools.partial(completion.sheet_lines, ctx, d) for d in ids)]
    try:
        for step in steps:
            if stop is not None and stop.is_set():
                return
            _give_way(busy)
            step()
    except Exception:  # logged; the first read works the figures out
        logging.getLogger("portal").exception("启动后预先计算各部门数据失败")


def _give_way(busy: Callable[[], bool]) -> None:
    deadline = time.monotonic() + GIVE_WAY
    while busy() and time.monotonic() < deadline:
        time.sleep(_PAUSE)
