"""Load: 200 uploads from 16 clients against a real uvicorn, with board reads and exports meanwhile.

Every acknowledged upload must be stored exactly once with the right hash, and the data
directory must verify cleanly afterwards.
"""

from __future__ import annotations

import io
import json
import random
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openpyxl
import pytest
from helpers import DEPT, OTHER_DEPT, PASSWORD, PDF, PNG, copy_site, csrf_from, sha256
from serverproc import accounts, cli, serving, store_documents

from service.config import Settings
from service.content.loader import load_content
from service.storage import integrity
from service.storage.store import Store

UPLOADS = 200
CLIENTS = 16


@pytest.mark.slow
def test_200_uploads_from_16_clients_while_the_board_is_read_and_exported(settings: Settings) -> None:
    copy_site(settings.site_dir, full=False)
    content = load_content(settings.content_dir)
    headers = accounts(settings)
    rng = random.Random(6)
    # who uploads for whom: the two clerks for their own people, HR for anyone
    plan: list[tuple[str, str, bytes, str | None]] = []
    everyone = list(content.roster)
    for i in range(UPLOADS):
        who = ("clerk", "other", "hr")[i % 3]
        pool = [m for m in everyone if who == "hr" or m.department == (DEPT if who == "clerk" else OTHER_DEPT)]
        member = rng.choice(pool)
        body = (PDF if i % 2 else PNG) + f"\n%upload {i}\n".encode()
        key = f"load-{i}" if i % 4 == 0 else None
        plan.append((who, member.staff_id, body, key))

    acknowledged: list[dict[str, Any]] = []
    failures: list[str] = []
    reads: dict[str, int] = {}
    lock = threading.Lock()
    uploads_done = threading.Event()

    with serving(settings) as server:
        def send(item: tuple[str, str, bytes, str | None]) -> None:
            who, staff_id, body, key = item
            extra = {"Idempotency-Key": key} if key else {}
            with server.client() as client:
                response = client.post("/api/contracts", headers={**headers[who], **extra},
                                       data={"staff_id": staff_id},
                                       files={"file": ("扫描件.pdf", body, "application/pdf")})
            with lock:
                if response.status_code in (200, 201):
                    acknowledged.append({**response.json(), "body_sha": sha256(body), "status": response.status_code})
                else:
                    failures.append(f"{response.status_code} {response.text}")

        def reader(paths: list[str], auth: dict[str, str] | None, browser: bool = False) -> None:
            with server.client() as client:
                if browser:
                    page = client.get("/login")
                    client.post("/login", data={"username": "hr", "password": PASSWORD,
                                                "csrf": csrf_from(page.text)})
                while not uploads_done.is_set():
                    for path in paths:
                        response = client.get(path, headers=auth)
                        check_read(path, response.status_code, response.content, failures, lock)
                        with lock:
                            reads[path] = reads.get(path, 0) + 1

        readers = [
            threading.Thread(target=reader, args=(["/api/status", f"/api/departments/{DEPT}/staff"], headers["clerk"])),
            threading.Thread(target=reader, args=(["/board", f"/board/{OTHER_DEPT}"], None, True)),
            threading.Thread(target=reader, args=(["/hr/export.xlsx", "/hr/contracts.zip"], headers["hr"])),
        ]
        started = time.monotonic()
        for thread in readers:
            thread.start()
        try:
            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(send, plan))
        finally:
            uploads_done.set()
            for thread in readers:
                thread.join(timeout=60)
        elapsed = time.monotonic() - started
        # the public status page was regenerated and is whole
        status = server.client().get("/status/")
        assert status.status_code == 200 and "<!-- status-board:end -->" in status.text
    assert not failures, failures[:5]
    assert len(acknowledged) == UPLOADS, f"{len(acknowledged)} of {UPLOADS} acknowledged"
    assert all(n > 0 for n in reads.values()) and len(reads) == 6, reads
    print(f"\n{UPLOADS} uploads from {CLIENTS} clients in {elapsed:.1f} s; reads {reads}")

    # every 2xx has exactly one record and one file with the right SHA-256; ids unique
    store = Store(settings.data_dir, content.settings.year)
    assert store.check_all() == []
    records = [record for _, _, record in store.every("contracts")]
    by_id = {r["id"]: r for r in records}
    assert len(by_id) == len(records) == UPLOADS
    for ack in acknowledged:
        record = by_id[ack["id"]]
        assert record["sha256"] == ack["sha256"] == ack["body_sha"]
        assert record["staff_id"] == ack["staff_id"]
        assert sha256((settings.data_dir / record["file"]).read_bytes()) == ack["sha256"]
    assert len({r["file"] for r in records}) == UPLOADS
    files = [p for p in (settings.data_dir / "files").rglob("*") if p.is_file()]
    assert sorted(files) == sorted(settings.data_dir / r["file"] for r in records)  # no stray or temp file
    versions: dict[str, list[int]] = {}
    for record in records:
        versions.setdefault(record["staff_id"], []).append(record["version"])
    assert all(sorted(v) == list(range(1, len(v) + 1)) for v in versions.values())  # no version twice
    uploads_logged = [json.loads(line)["detail"]["id"] for line in
                      (settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()
                      if '"contract.upload"' in line]
    assert sorted(uploads_logged) == sorted(by_id)
    assert store_documents(settings.data_dir)  # every partition parses
    report = integrity.verify(store)
    assert report.problems == [] and report.files == UPLOADS
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"已存文件 {UPLOADS} 个" in verified.stdout


def check_read(path: str, status: int, body: bytes, failures: list[str], lock: threading.Lock) -> None:
    problem = None
    if status != 200:
        problem = f"{path}: {status}"
    elif path.endswith(".xlsx"):
        openpyxl.load_workbook(io.BytesIO(body), read_only=True).close()
    elif path.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            bad = archive.testzip()
            problem = f"{path}: damaged member {bad}" if bad else None
    elif path.startswith("/api/"):
        json.loads(body)
    if problem:
        with lock:
            failures.append(problem)
