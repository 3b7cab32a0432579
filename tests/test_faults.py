"""Faults: a write or an fsync fails (ENOSPC, EIO) at a chosen point of a request.

The fault is armed for one request only (the disk is full, then space is freed): the client
must get a 5xx JSON answer in Chinese (a browser posting a form: the error page), the store,
the files and the audit log must be exactly as before (nothing acknowledged that was not
stored, no record without its file, no file without its record), and the same request must
then succeed and verify cleanly.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import DEPT, PDF, Service, page_csrf, parse_html
from starlette.testclient import TestClient

from service.storage import files, integrity
from service.storage.files import TMP_PREFIX


@dataclass
class Fault:
    """Which system call fails, for which path, and how."""

    call: str  # "fsync", "write" or "atomic_write"
    matches: Callable[[str], bool]
    partial: bool = False  # a write that puts half its bytes down before failing


def _in(part: str, *, temp: bool | None = None, directory: bool = False) -> Callable[[str], bool]:
    def matches(path: str) -> bool:
        if part not in path:
            return False
        if directory:
            return os.path.isdir(path)
        name = os.path.basename(path)
        return temp is None or name.startswith(TMP_PREFIX) == temp

    return matches


FAULTS: dict[str, Fault] = {
    "upload copy fsync": Fault("fsync", _in("/files/", temp=True)),
    "upload directory fsync": Fault("fsync", _in("/files/", directory=True)),
    "store temp fsync": Fault("fsync", _in("/db/", temp=True)),
    "store write": Fault("atomic_write", lambda path: path.endswith(".json")),
    "store directory fsync": Fault("fsync", _in("/db/", directory=True)),
    "audit write": Fault("write", lambda path: path.endswith("audit.log")),
    "audit half write": Fault("write", lambda path: path.endswith("audit.log"), partial=True),
    "audit fsync": Fault("fsync", lambda path: path.endswith("audit.log")),
}
STORE_AND_AUDIT = [name for name in FAULTS if not name.startswith("upload")]


class Armed:
    """Patches os.fsync / os.write / files.atomic_write; fails matching calls while armed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fault: Fault | None = None
        self.code = errno.ENOSPC
        self.hits = 0
        real_fsync, real_write, real_atomic = os.fsync, os.write, files.atomic_write

        def fsync(fd: int) -> None:
            self._check("fsync", _fd_path(fd))
            real_fsync(fd)

        def write(fd: int, data: Any) -> int:
            fault = self._match("write", _fd_path(fd))
            if fault is not None:
                if fault.partial:
                    real_write(fd, bytes(data)[: len(data) // 2])
                raise OSError(self.code, os.strerror(self.code))
            return real_write(fd, data)

        def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
            self._check("atomic_write", str(path))
            real_atomic(path, data, durable=durable)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "write", write)
        monkeypatch.setattr(files, "atomic_write", atomic_write)

    def _match(self, call: str, path: str) -> Fault | None:
        fault = self.fault
        if fault is not None and fault.call == call and fault.matches(path):
            self.hits += 1
            return fault
        return None

    def _check(self, call: str, path: str) -> None:
        if self._match(call, path) is not None:
            raise OSError(self.code, os.strerror(self.code))


def _fd_path(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def snapshot(data_dir: Path) -> dict[str, Any]:
    """The data directory as a reader sees it: the store's documents (a partition or table that
    is empty counts as absent; a token's last use left out), every uploaded file and the audit
    log by content hash."""
    state: dict[str, Any] = {}
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file() or path.name == ".lock":
            continue
        name = str(path.relative_to(data_dir))
        if name.startswith("db/"):
            tables = {table: docs for table, docs in json.loads(path.read_bytes() or b"{}").items() if docs}
            for docs in tables.values():  # when a token was last used is bookkeeping, not the request's change
                for doc in docs.values():
                    doc.pop("last_used_at", None)
            if tables:
                state[name] = tables
        else:
            state[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


@pytest.fixture
def armed(monkeypatch: pytest.MonkeyPatch) -> Armed:
    return Armed(monkeypatch)


def people(service: Service) -> list[str]:
    return [m.staff_id for m in service.context.content.members(DEPT)]


def _upload(service: Service, client: TestClient) -> Any:
    return client.post("/api/contracts", headers=service.bearer("clerk"), data={"staff_id": people(service)[0]},
                       files={"file": ("scan.pdf", PDF, "application/pdf")})


def _completion(service: Service, client: TestClient) -> Any:
    return client.put(f"/api/completion/{DEPT}", headers=service.bearer("clerk"),
                      json={"entries": [{"staff_id": people(service)[1], "status": "病假"}]})


def _monthly(service: Service, client: TestClient) -> Any:
    rows = [{"工号": s, "出勤": 22, "事假": 0, "病假": 0, "迟到": 0, "早退": 0, "旷工": 0, "离岗": 0,
             "其他项目": 0, "业务工作目标": 50} for s in people(service)]
    return client.put(f"/api/monthly/{DEPT}/3", headers=service.bearer("clerk"), json={"rows": rows})


def _score_event(service: Service, client: TestClient) -> Any:
    target = service.context.content.common_targets[0]
    return client.post("/api/score-events", headers=service.bearer("hr"),
                       json={"department": DEPT, "item_id": target.id, "rule_index": 0, "note": "测试"})


REQUESTS: dict[str, Callable[[Service, TestClient], Any]] = {
    "upload": _upload, "completion": _completion, "monthly": _monthly, "score event": _score_event}
CASES = ([("upload", fault, code) for fault in FAULTS for code in (errno.ENOSPC, errno.EIO)]
         + [(request, fault, (errno.ENOSPC, errno.EIO)[i % 2])
            for request in ("completion", "monthly", "score event") for i, fault in enumerate(STORE_AND_AUDIT)])


@pytest.mark.parametrize(("request_name", "fault_name", "code"), CASES,
                         ids=[f"{r}-{f}-{errno.errorcode[c]}".replace(" ", "_") for r, f, c in CASES])
def test_a_failed_write_is_a_5xx_and_leaves_everything_as_it_was(service: Service, armed: Armed,
                                                                request_name: str, fault_name: str,
                                                                code: int) -> None:
    send = REQUESTS[request_name]
    client = TestClient(service.app, raise_server_exceptions=False, follow_redirects=False)
    service.bearer("clerk"), service.bearer("hr")  # accounts and tokens exist before the snapshot
    before = snapshot(service.settings.data_dir)
    armed.fault, armed.code = FAULTS[fault_name], code
    try:
        response = send(service, client)
    finally:
        armed.fault = None
    assert armed.hits, f"the fault {fault_name!r} was never reached"
    assert 500 <= response.status_code < 600, response.text
    body = response.json()
    assert body["code"] == "storage_error"
    assert not body["error"].isascii()  # a Chinese message
    assert snapshot(service.settings.data_dir) == before, "a failed request changed the data directory"
    assert [p for p in service.settings.data_dir.rglob(f"{TMP_PREFIX}*")] == []

    again = send(service, client)  # space freed: the same request works
    assert again.status_code in (200, 201), again.text
    assert snapshot(service.settings.data_dir) != before
    report = integrity.verify(service.context.store)
    assert report.problems == []


def test_a_failed_write_from_a_browser_form_shows_the_error_page(service: Service, armed: Armed) -> None:
    """A browser (session, form post, Accept: text/html) gets the Chinese error page, not JSON."""
    browser = service.session("clerk")
    html = {"Accept": "text/html,application/xhtml+xml"}
    csrf = page_csrf(browser, f"/board/{DEPT}")
    before = snapshot(service.settings.data_dir)
    armed.fault = FAULTS["store write"]
    try:
        response = browser.post(f"/board/{DEPT}/completion", headers=html,
                                data={f"status:{people(service)[1]}": "病假", "csrf": csrf})
    finally:
        armed.fault = None
    assert armed.hits, "the store write was never reached"
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("text/html")
    alert = parse_html(response.text).find(role="alert")
    assert alert is not None and "未作任何更改" in alert.text and "storage_error" in alert.text
    assert response.headers["x-content-type-options"] == "nosniff"  # inside the usual middleware
    assert snapshot(service.settings.data_dir) == before

    again = browser.post(f"/board/{DEPT}/completion", headers=html,
                         data={f"status:{people(service)[1]}": "病假", "csrf": csrf})
    assert again.status_code == 303, again.text
