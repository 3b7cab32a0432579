"""A start after a crash looks for stored files without records in every year; a start after a
clean stop does not read the years' file records at all (the real `portal serve`, SIGKILLed or
stopped with SIGTERM)."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import httpx2
from helpers import DEPT, PDF, copy_site
from serverproc import accounts, cli, start_server

from service.config import Settings
from service.content.loader import load_content
from service.storage.clean_stop import MARK
from service.storage.files import TMP_PREFIX
from service.storage.store import Store

EARLIER = "2018"  # a year before the sample college's


def recordless(settings: Settings, year: int) -> list[Path]:
    """Stored files that no contract record of any year points at."""
    data = settings.data_dir
    named = {data / record["file"] for _, _, record in Store(data, year).every("contracts")}
    return sorted(p for p in (data / "files").rglob("*") if p.is_file() and p not in named)


def planted(settings: Settings) -> Path:
    """A file in an earlier year's folder with no record: what an upload cut short there leaves."""
    path = settings.data_dir / "files" / EARLIER / DEPT / "cut-short.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PDF)
    return path


def wait_for(condition: object, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_file_whose_record_a_crash_cut_short_is_removed_at_the_next_start(settings: Settings) -> None:
    copy_site(settings.site_dir, full=False)
    year = load_content(settings.content_dir).settings.year
    headers = accounts(settings)
    staff_id = load_content(settings.content_dir).members(DEPT)[0].staff_id
    server = start_server(settings, PORTAL_TEST_PAUSE="store=10")  # each store write holds: kill it at the record's
    try:
        assert not (settings.data_dir / MARK).exists()  # taken at start: a crash from now on leaves none

        def upload() -> None:
            with contextlib.suppress(httpx2.HTTPError), server.client(timeout=60) as client:  # killed under it
                client.post("/api/contracts", headers=headers["clerk"], data={"staff_id": staff_id},
                            files={"file": ("scan.pdf", PDF, "application/pdf")})

        thread = threading.Thread(target=upload)
        thread.start()
        partition = settings.data_dir / "db" / str(year) / DEPT
        assert wait_for(lambda: any(partition.rglob(f"{TMP_PREFIX}*"))), "no write of the record caught"
        earlier = planted(settings)
    finally:
        server.kill()
    thread.join(timeout=60)
    cut_short = recordless(settings, year)
    assert earlier in cut_short and any(str(year) in p.parts for p in cut_short), cut_short
    assert not (settings.data_dir / MARK).exists()
    server = start_server(settings)
    try:
        assert recordless(settings, year) == []
    finally:
        server.stop()
    assert (settings.data_dir / MARK).exists()
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_a_clean_restart_leaves_the_years_files_unread_and_audit_verify_still_checks_them(
        settings: Settings) -> None:
    copy_site(settings.site_dir, full=False)
    year = load_content(settings.content_dir).settings.year
    accounts(settings)
    server = start_server(settings)
    server.stop()  # SIGTERM: a clean stop
    assert (settings.data_dir / MARK).exists()
    by_hand = planted(settings)  # not a crash: put there while the service was stopped
    server = start_server(settings)
    try:
        assert not (settings.data_dir / MARK).exists()
        assert recordless(settings, year) == [by_hand]  # the years' files were not scanned
    finally:
        server.kill()  # a crash: no mark, so the next start scans every year
    assert not (settings.data_dir / MARK).exists()
    found = cli(settings, "audit", "verify")
    assert found.returncode == 1 and "没有对应记录的文件" in found.stderr and EARLIER in found.stderr, found.stderr
    server = start_server(settings)
    try:
        assert recordless(settings, year) == []
    finally:
        server.stop()
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
