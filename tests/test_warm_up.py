"""After a start the kept figures are worked out in the background, one department at a time,
and while a request is being answered the work waits for it (up to a limit each time)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from service.config import Settings
from service.content.loader import load_content
from service.workflows import startup
from service.workflows.context import Context

WAIT = 120.0


def test_the_warm_up_waits_while_a_request_is_answered_and_then_finishes(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context.open(settings, load_content(settings.content_dir), lambda: dt.datetime.now(dt.UTC))
    monkeypatch.setattr(startup, "GIVE_WAY", WAIT)
    answering, asked = threading.Event(), threading.Semaphore(0)
    answering.set()

    def busy() -> bool:
        asked.release()
        return answering.is_set()

    worker = threading.Thread(target=startup.warm, args=(ctx, None, busy))
    worker.start()
    try:
        for _ in range(20):  # it keeps asking, and waits
            assert asked.acquire(timeout=WAIT)
        assert len(ctx.kept) == 0  # nothing worked out while the request runs
    finally:
        answering.clear()
    worker.join(WAIT)
    assert not worker.is_alive()
    assert len(ctx.kept) > 0  # every department's figures once nothing is answered


def test_the_warm_up_goes_on_after_waiting_its_limit(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context.open(settings, load_content(settings.content_dir), lambda: dt.datetime.now(dt.UTC))
    monkeypatch.setattr(startup, "GIVE_WAY", 0.0)
    worker = threading.Thread(target=startup.warm, args=(ctx, None, lambda: True))  # requests without end
    worker.start()
    worker.join(WAIT)
    assert not worker.is_alive() and len(ctx.kept) > 0
