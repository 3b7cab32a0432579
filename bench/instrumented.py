"""`portal serve` with timers around the submission path, for `python -m bench.profile`.

Run as `python -m bench.instrumented --port P` with PORTAL_* set and BENCH_PROFILE_OUT naming a
file prefix. On exit it writes <prefix>.json (per-function count and total seconds, measured in
every thread) and <prefix>.prof (cProfile of each upload and status regeneration, merged over
the worker threads). Nothing here changes what the service does.
"""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from service.storage import audit, durable, files, store
from service.storage.accounts import Accounts
from service.web import status_page
from service.web.views import api
from service.workflows import accounts, board, contracts
from service.workflows.board import BoardCache

_lock = threading.Lock()
_timers: dict[str, list[float]] = {}
_profiles: list[cProfile.Profile] = []
_local = threading.local()
CPROFILE = os.environ.get("BENCH_PROFILE_CPROFILE", "1") != "0"


def record(name: str, seconds: float) -> None:
    with _lock:
        slot = _timers.setdefault(name, [0, 0.0])
        slot[0] += 1
        slot[1] += seconds


def timed(owner: Any, attr: str, name: str, *, profile: bool = False) -> None:
    original: Callable[..., Any] = getattr(owner, attr)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        profiler = _profiler() if CPROFILE and profile and not getattr(_local, "active", False) else None
        began = time.perf_counter()
        if profiler:
            _local.active = True
            profiler.enable()
        try:
            return original(*args, **kwargs)
        finally:
            if profiler:
                profiler.disable()
                _local.active = False
            record(name, time.perf_counter() - began)

    setattr(owner, attr, wrapper)


def timed_async(owner: Any, attr: str, name: str) -> None:
    original: Callable[..., Any] = getattr(owner, attr)

    @functools.wraps(original)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            record(name, time.perf_counter() - began)

    setattr(owner, attr, wrapper)


def _profiler() -> cProfile.Profile:
    profiler = getattr(_local, "profiler", None)
    if profiler is None:
        profiler = cProfile.Profile()
        _local.profiler = profiler
        with _lock:
            _profiles.append(profiler)
    return profiler


def _time_lock_wait() -> None:
    original = store.Store.locked

    @contextlib.contextmanager
    def locked(self: store.Store, wait: bool = True) -> Iterator[None]:
        outer = not self._lock._is_owned()  # type: ignore[attr-defined]
        began = time.perf_counter()
        with original(self, wait):
            if outer:
                record("store lock: wait to acquire", time.perf_counter() - began)
            yield

    store.Store.locked = locked  # type: ignore[method-assign]


def _time_form_parsing() -> None:
    from starlette.requests import Request

    timed_async(Request, "form", "request.form() (multipart parse, spool to temp file)")


def install() -> None:
    timed(os, "fsync", "os.fsync (all)")
    timed(files, "store_stream", "files.store_stream (copy, sha256, fsync, link; the dir is synced by the commit)")
    timed(files, "atomic_write", "files.atomic_write (temp, fsync, rename, fsync dir)")
    timed(files, "append_bytes", "files.append_bytes (a commit's audit lines + fsync)")
    timed(durable.DurableStorage, "payload", "DurableStorage.payload (json.dumps of a changed table)")
    timed(store.Store, "_write", "Store._write (one commit: audit lines, then its files)")
    timed(store.Store, "_wait", "Store._wait (a change waiting for its commit)")
    timed(durable.DurableStorage, "read", "DurableStorage.read")
    timed(store.Store, "insert", "Store.insert")
    timed(store.Store, "find", "Store.find")
    timed(store.Store, "records", "Store.records")
    timed(Accounts, "token", "Accounts.token")
    timed(Accounts, "user", "Accounts.user")
    timed(audit.AuditLog, "append", "AuditLog.append")
    timed(contracts, "upload", "contracts.upload (whole use case)", profile=True)
    timed(accounts, "token_use", "accounts.token_use")
    timed(BoardCache, "state", "BoardCache.state")
    timed(board, "current", "board.current")
    timed(board, "compute", "rules.board.compute")
    timed(status_page.StatusPublisher, "publish_now", "StatusPublisher.publish_now", profile=True)
    timed_async(api, "upload_contract", "views.api.upload_contract (handler wall time)")
    _time_lock_wait()
    _time_form_parsing()


def dump(prefix: Path) -> None:
    with _lock:
        timers = {k: {"count": int(v[0]), "seconds": v[1]} for k, v in _timers.items()}
        profiles = list(_profiles)
    prefix.with_suffix(".json").write_text(json.dumps(timers, ensure_ascii=False, indent=1), encoding="utf-8")
    if profiles:
        import pstats

        stats = pstats.Stats(profiles[0])
        for other in profiles[1:]:
            stats.add(other)
        stats.dump_stats(str(prefix.with_suffix(".prof")))


def main() -> None:
    prefix = Path(os.environ["BENCH_PROFILE_OUT"])
    install()
    atexit.register(dump, prefix)
    from service.cli import cli

    cli(["serve", *sys.argv[1:]], standalone_mode=False)


if __name__ == "__main__":
    main()
