"""Quick reads: the accounts are looked up on the event loop only when the store's locks are
free at once; when a commit (or another process) holds them, the lookup waits in a worker
thread, and the event loop goes on serving."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from helpers import DEPT, Service

from service.storage.store import Busy, Store

YEAR = 2019


def test_a_quick_lock_is_refused_while_another_thread_or_process_holds_it(tmp_path: Path) -> None:
    store = Store(tmp_path, YEAR)
    with store.locked(wait=False), store.locked(wait=False):  # free, and re-entrant
        pass
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with store.locked():
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    try:
        with pytest.raises(Busy), store.locked(wait=False):
            pass
    finally:
        release.set()
        thread.join()
    other = Store(tmp_path, YEAR)  # its own advisory lock, as another process has
    with other.locked(), pytest.raises(Busy), store.locked(wait=False):
        pass
    with store.locked(wait=False):
        store.records("a", "contracts")


def test_a_lookup_waits_for_a_busy_store_off_the_event_loop(service: Service) -> None:
    headers = service.bearer("clerk")
    held, release = threading.Event(), threading.Event()
    answers: dict[str, int] = {}

    def holder() -> None:
        with service.context.store.locked():
            held.set()
            release.wait(10)

    def api() -> None:
        answers["api"] = service.client.get(f"/api/departments/{DEPT}/staff", headers=headers).status_code

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    caller = threading.Thread(target=api)
    try:
        caller.start()
        time.sleep(0.3)  # the API request is waiting for the store
        began = time.monotonic()
        assert service.new_client().get("/healthz").status_code == 200
        assert time.monotonic() - began < 0.25 and "api" not in answers  # the loop was free meanwhile
    finally:
        release.set()
        thread.join()
        caller.join(10)
    assert answers == {"api": 200}
