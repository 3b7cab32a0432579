"""A start after a crash looks for stored files without records in every year; a start after a
clean stop does not read the years' file records at all (the real `portal serve`, SIGKILLed or
stopped with SIGTERM). Another process that stores a file over a stopped service's data
directory takes the mark first, so its crash is seen too; one that stores none leaves it."""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
from helpers import DEPT, PDF, copy_site
from serverproc import accounts, cli, portal_env, start_server, terminate

from service.config import Settings
from service.content.loader import load_content
from service.storage.clean_stop import MARK
from service.storage.files import TMP_PREFIX
from service.storage.store import Store

EARLIER = "2018"  # a year before the sample college's
SERVICE = Path(__file__).resolve().parent.parent / "service"
# A process other than the service that stores a scan with its record, as a `portal` command
# would: the CLI's context over the data directory, HR storing argv[2]'s bytes for staff argv[1].
WRITER = """
import io, sys
from pathlib import Path
from service.cli.base import open_context
from service.rules.access import User
from service.workflows import contracts
contracts.upload(open_context(), User("hr", "hr"), sys.argv[1],
                 contracts.Upload(io.BytesIO(Path(sys.argv[2]).read_bytes()), "scan.pdf"))
"""


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


def writer(settings: Settings, staff_id: str, scan: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, staff_id, str(scan)], env=portal_env(settings, **env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stopped_cleanly(settings: Settings) -> int:
    """Accounts made, a real service started and stopped with SIGTERM: the mark is there; the year."""
    copy_site(settings.site_dir, full=False)
    accounts(settings)
    start_server(settings).stop()
    assert (settings.data_dir / MARK).exists()
    return load_content(settings.content_dir).settings.year


def test_another_process_that_dies_between_a_file_and_its_record_leaves_no_mark_and_the_start_removes_the_file(
        settings: Settings, tmp_path: Path) -> None:
    year = stopped_cleanly(settings)
    staff_id = load_content(settings.content_dir).members(DEPT)[0].staff_id
    (scan := tmp_path / "scan.pdf").write_bytes(PDF)
    process = writer(settings, staff_id, scan, PORTAL_TEST_PAUSE="store=120")  # held at its record's write
    try:
        partition = settings.data_dir / "db" / str(year) / DEPT
        assert wait_for(lambda: any(partition.rglob(f"{TMP_PREFIX}*"))), "no write of the record caught"
        assert not (settings.data_dir / MARK).exists()  # taken before the file was stored
    finally:
        process.kill()
        process.communicate(timeout=60)
    cut_short = recordless(settings, year)
    assert len(cut_short) == 1 and cut_short[0].read_bytes() == PDF, cut_short
    server = start_server(settings)
    try:
        assert recordless(settings, year) == []
        assert not cut_short[0].exists()
    finally:
        server.stop()
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_another_process_that_stores_a_file_whole_takes_the_mark_and_the_next_start_keeps_the_file(
        settings: Settings, tmp_path: Path) -> None:
    year = stopped_cleanly(settings)
    staff_id = load_content(settings.content_dir).members(DEPT)[0].staff_id
    (scan := tmp_path / "scan.pdf").write_bytes(PDF)
    process = writer(settings, staff_id, scan)
    try:
        _, errors = process.communicate(timeout=120)
    finally:
        terminate(process)
    assert process.returncode == 0, errors
    assert not (settings.data_dir / MARK).exists()  # the next start scans every year
    stored = [settings.data_dir / r["file"] for _, _, r in Store(settings.data_dir, year).every("contracts")]
    assert len(stored) == 1 and stored[0].read_bytes() == PDF
    server = start_server(settings)
    try:
        assert recordless(settings, year) == []
        assert stored[0].read_bytes() == PDF
    finally:
        server.stop()
    assert (settings.data_dir / MARK).exists()
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_commands_that_store_no_file_leave_the_mark(settings: Settings) -> None:
    stopped_cleanly(settings)
    for command in (("check",), ("audit", "verify"), ("users", "list"),
                    ("users", "token", "hr")):  # a record alone: a start mends it after a crash anyway
        done = cli(settings, *command)
        assert done.returncode == 0, (command, done.stderr)
        assert (settings.data_dir / MARK).exists(), command


def test_every_stored_file_is_written_by_the_one_function_that_takes_the_mark_first() -> None:
    callers = sorted(str(path.relative_to(SERVICE)) for path in SERVICE.rglob("*.py")
                     if any(isinstance(node, ast.Attribute | ast.Name) and "store_stream" in (
                         node.attr if isinstance(node, ast.Attribute) else node.id)
                         for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))))
    assert callers == ["workflows/uploads.py"], callers
