"""Crash: start the real server, upload, SIGKILL it at random moments and inside writes, restart.

24 seeded cycles. Some kill the process a random moment into a burst of concurrent uploads;
others start it with PORTAL_TEST_PAUSE (service.files) so a TinyDB partition write, a status
page write or an uploaded file's copy holds with its temp file written and not yet renamed,
and kill it exactly then. After every restart: each acknowledged (2xx) upload is there with
its hash, every partition and the status page parse, no temp file and no file without a record
is left, `integrity.verify` finds nothing, and a client that retries an unanswered upload with
its Idempotency-Key gets exactly one stored version.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
from helpers import DEPT, OTHER_DEPT, PDF, PNG, copy_site, parse_html, sha256
from serverproc import Server, accounts, cli, start_server, store_documents

from service.config import Settings
from service.content.loader import load_content
from service.storage import integrity
from service.storage.files import TMP_PREFIX
from service.storage.store import Store
from service.web.status_page import END, START

SEED = 20190426
KINDS = ("random", "store", "random", "status", "random", "file")
CYCLES = 24
PAUSE = {"store": "store=5", "status": "status=1.5", "file": "file=5"}


@dataclass
class Ledger:
    """What the clients were told: acknowledged uploads and unanswered ones they will retry."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # record id -> sha256
    keys: dict[str, str] = field(default_factory=dict)  # idempotency key -> record id
    unanswered: list[tuple[str, str, bytes, str]] = field(default_factory=list)  # who, staff, body, key
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, server: Server, headers: dict[str, str], who: str, staff_id: str, body: bytes, key: str) -> bool:
        try:
            with server.client(timeout=15) as client:
                response = client.post("/api/contracts", headers={**headers, "Idempotency-Key": key},
                                       data={"staff_id": staff_id},
                                       files={"file": ("scan.pdf", body, "application/pdf")})
        except httpx2.HTTPError:
            with self.lock:
                self.unanswered.append((who, staff_id, body, key))
            return False
        assert response.status_code in (200, 201), response.text
        record = response.json()
        assert record["sha256"] == sha256(body)
        with self.lock:
            assert self.keys.setdefault(key, record["id"]) == record["id"], "one key, two records"
            self.acknowledged[record["id"]] = record["sha256"]
        return True


def burst(ledger: Ledger, server: Server, headers: dict[str, dict[str, str]],
          job: Callable[[str], tuple[str, str, bytes, str]], stop: threading.Event, who: str) -> None:
    """One client uploading one scan after another until told to stop or the server dies."""
    while not stop.is_set():
        if not ledger.send(server, headers[who], *job(who)):
            return


def temp_files(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob(f"{TMP_PREFIX}*")]


def older_than(path: Path, moment: float) -> bool:
    """Whether `path` was made before `moment` (time.time()); gone counts as no. The inode's
    change time, not its mtime: a `.old` hard link a live write makes keeps its twin's mtime."""
    try:
        return path.stat().st_ctime < moment
    except FileNotFoundError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def assert_whole(settings: Settings, year: int, ledger: Ledger, leftovers: list[Path], started: float) -> None:
    """After a restart (recovery done): nothing acknowledged is lost, nothing partial is visible.

    `leftovers` are the temp files the killed process left (listed once it was dead), `started`
    the moment before the restart. The restarted server may already be writing (the status page
    is regenerated at start-up): its own temp files, written after `started`, are not leftovers.
    """
    data = settings.data_dir
    assert [p for p in leftovers if p.exists()] == [], "temp files of the killed process left after recovery"
    stale = [p for p in temp_files(data, settings.site_dir) if older_than(p, started)]
    assert stale == [], "temp files from before the restart left after recovery"
    documents = store_documents(data)  # every partition parses
    assert documents
    store = Store(data, year)
    assert store.check_all() == []
    records = {r["id"]: r for _, _, r in store.every("contracts")}
    for record_id, digest in ledger.acknowledged.items():
        assert record_id in records, f"acknowledged upload {record_id} lost"
        record = records[record_id]
        assert record["sha256"] == digest
        assert sha256((data / record["file"]).read_bytes()) == digest
    stored = sorted(p for p in (data / "files").rglob("*") if p.is_file()) if (data / "files").exists() else []
    assert stored == sorted(data / r["file"] for r in records.values()), "a file without a record"
    keyed: dict[str, int] = {}
    for record in records.values():
        if record.get("idempotency_key"):
            keyed[record["idempotency_key"]] = keyed.get(record["idempotency_key"], 0) + 1
    assert all(n == 1 for n in keyed.values()), "an Idempotency-Key stored twice"
    page = (settings.site_dir / "status" / "index.html").read_text(encoding="utf-8")
    assert START in page and END in page and page.rstrip().endswith("</html>")
    assert parse_html(page).find("div", data_status_board=True) is not None
    report = integrity.verify(store)
    assert report.problems == []


@pytest.mark.slow
def test_sigkill_at_random_moments_and_inside_writes_loses_nothing_acknowledged(settings: Settings) -> None:
    copy_site(settings.site_dir, full=False)
    content = load_content(settings.content_dir)
    year = content.settings.year
    headers = accounts(settings)
    rng = random.Random(SEED)
    people = {"clerk": [m.staff_id for m in content.members(DEPT)],
              "other": [m.staff_id for m in content.members(OTHER_DEPT)]}
    ledger = Ledger()
    counter = itertools.count(1)
    choice = threading.Lock()
    leftovers_seen = {kind: 0 for kind in PAUSE}
    leftovers: list[Path] = []

    def job(who: str) -> tuple[str, str, bytes, str]:
        number = next(counter)
        with choice:
            staff_id = rng.choice(people[who])
        body = (PDF if number % 2 else PNG) + f"\n%crash-upload {number}\n".encode()
        return who, staff_id, body, f"crash-{number}"

    for cycle in range(CYCLES):
        kind = KINDS[cycle % len(KINDS)]
        env = {"PORTAL_TEST_PAUSE": PAUSE[kind]} if kind in PAUSE else {}
        started = time.time()
        server = start_server(settings, **env)
        threads: list[threading.Thread] = []
        stop = threading.Event()
        try:
            assert_whole(settings, year, ledger, leftovers, started)
            # clients retry what went unanswered, with the same key: stored once, whatever happened
            retry, ledger.unanswered = ledger.unanswered, []
            for who, staff_id, body, key in retry if kind == "random" else []:
                assert ledger.send(server, headers[who], who, staff_id, body, key)
            ledger.unanswered.extend(retry if kind != "random" else [])
            if kind == "random":
                threads = [threading.Thread(target=burst, args=(ledger, server, headers, job, stop, ("clerk", "other")[i % 2]))
                           for i in range(6)]
                for thread in threads:
                    thread.start()
                time.sleep(rng.uniform(0.02, 0.6))
            else:
                target = {"store": settings.data_dir / "db", "status": settings.site_dir / "status",
                          "file": settings.data_dir / "files"}[kind]
                threads = [threading.Thread(target=ledger.send, args=(server, headers[who], *job(who)))
                           for who in ("clerk", "other", "clerk")]
                for thread in threads:
                    thread.start()
                assert wait_until(lambda: bool(temp_files(target)), 10), f"no {kind} write was caught"  # noqa: B023
        finally:
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=20)
        leftovers = temp_files(settings.data_dir, settings.site_dir)  # the process is dead: all its own
        if kind in PAUSE:
            leftovers_seen[kind] += bool(leftovers)
    assert all(n == CYCLES // len(KINDS) for n in leftovers_seen.values()), leftovers_seen

    started = time.time()
    server = start_server(settings)
    try:
        assert_whole(settings, year, ledger, leftovers, started)
        for who, staff_id, body, key in ledger.unanswered:
            assert ledger.send(server, headers[who], who, staff_id, body, key)
        assert_whole(settings, year, ledger, leftovers, started)
    finally:
        server.stop()
    assert len(ledger.acknowledged) > 50, len(ledger.acknowledged)
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
