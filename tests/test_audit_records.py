"""The audit log vouches for the records: a data directory filled through HTTP, whose TinyDB
files are then edited by hand, fails `portal audit verify` (a real process, exit 1) with the
file, the record, the person and the changed field named; an untouched one, and one written
by an older version (entries without document digests), still verify; the records an older
version wrote are sealed when the log is next appended to."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from grade_helpers import START, give_scores, propose, view
from helpers import DEPT, JPEG, PDF, copy_site, portal, running_service, upload, wait_for
from serverproc import accounts, serving, start_server

from service.config import Settings
from service.content.codes import GRADE_PASS
from service.content.loader import load_content
from service.storage.audit import (
    HEAD_FILE,
    HEAD_TABLE,
    RECOVERED,
    SEAL_FILE,
    SEAL_MARKER,
    audit_key,
    entry_hash,
    head_mac,
)
from service.storage.files import TMP_PREFIX

YEAR = "2019"
Doc = dict[str, Any]


@pytest.fixture
def recorded(settings: Settings) -> Settings:
    """Scans of two people, a month's scores, the department's grades, a score event added and
    removed, accounts with tokens and a session: all through HTTP."""
    with running_service(settings, now=START) as service:
        clerk, hr = service.bearer("clerk"), service.bearer("hr")
        people = [m.staff_id for m in service.context.content.members(DEPT)]
        assert upload(service.client, people[0], PDF, headers=clerk).status_code == 201
        assert upload(service.client, people[1], JPEG, headers=clerk).status_code == 201
        give_scores(service)
        suggested = {p["staff_id"]: p["suggested"] for p in view(service)["people"]}
        assert propose(service, DEPT, suggested).status_code == 200
        event = service.client.post("/api/score-events", headers=hr,
                                    json={"department": DEPT, "item_id": "c7", "rule_index": 0, "points": 1})
        assert event.status_code == 201, event.text
        assert service.client.delete(f"/api/score-events/{event.json()['id']}", headers=hr).status_code == 204
        service.session("clerk")
    return settings


def db(settings: Settings, relative: str) -> Path:
    return settings.data_dir / "db" / relative


def edit(settings: Settings, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change a TinyDB file by hand, as someone with shell access would (TinyDB's own layout)."""
    path = db(settings, relative)
    tables = json.loads(path.read_text(encoding="utf-8"))
    change(tables)
    path.write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")


def find(docs: dict[str, Doc], **fields: Any) -> tuple[str, Doc]:
    return next((doc_id, doc) for doc_id, doc in docs.items() if all(doc.get(k) == v for k, v in fields.items()))


def scan_file(settings: Settings) -> str:
    found = sorted(db(settings, f"{YEAR}/{DEPT}").glob("contracts/*.json"))[0]
    return found.relative_to(settings.data_dir / "db").as_posix()


def failed(settings: Settings) -> str:
    result = portal(settings, "audit", "verify")
    assert result.returncode == 1, result.stdout
    assert "校验失败" in result.stderr
    return result.stderr


def problem_lines(stderr: str) -> list[str]:
    return [line.strip() for line in stderr.splitlines() if line.strip().startswith("✗")]


def test_an_untouched_data_directory_verifies(recorded: Settings) -> None:
    result = portal(recorded, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "校验通过" in result.stdout
    counted = int(result.stdout.split("核对记录 ")[1].split(" 条")[0])
    files = sorted(p for p in (recorded.data_dir / "db").rglob("*.json") if p.name not in (HEAD_FILE, "sessions.json"))
    assert counted == sum(len(docs) for p in files for docs in json.loads(p.read_bytes()).values())


def test_each_entry_carries_the_sha256_of_each_written_records_canonical_json(recorded: Settings) -> None:
    log = [json.loads(line) for line in (recorded.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]
    [upload_entry, *_] = [e for e in log if e["action"] == "contract.upload"]
    [(file, tables)] = upload_entry["docs"].items()
    [(doc_id, digest)] = tables["contracts"].items()
    stored = json.loads(db(recorded, file).read_bytes())["contracts"][doc_id]
    canonical = json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    assert digest[:32] == hashlib.sha256(canonical).hexdigest()[:32]
    assert len(digest) == 32 + 4 * len(stored)  # and a short tag per field


def test_a_changed_monthly_score_is_named(recorded: Settings) -> None:
    def lower(tables: dict[str, Any]) -> None:
        find(tables["monthly"], month=1)[1]["rows"][0]["business"] = 10.0

    edit(recorded, f"{YEAR}/{DEPT}/monthly.json", lower)
    [problem] = problem_lines(failed(recorded))
    assert f"db/{YEAR}/{DEPT}/monthly.json 表 monthly 第 1 条记录（月份 1）" in problem
    assert "记录被改动" in problem and "改动的字段：rows" in problem


def test_a_scan_moved_to_another_staff_id_is_named(recorded: Settings) -> None:
    relative = scan_file(recorded)
    edit(recorded, relative, lambda tables: tables["contracts"]["1"].update(staff_id="100999"))
    problems = problem_lines(failed(recorded))
    assert any(f"db/{relative} 表 contracts 第 1 条记录（工号 100999）" in p and "改动的字段：staff_id" in p
               for p in problems), problems


def test_a_scans_uploader_changed_is_named(recorded: Settings) -> None:
    relative = scan_file(recorded)
    staff_id = json.loads(db(recorded, relative).read_bytes())["contracts"]["1"]["staff_id"]
    edit(recorded, relative, lambda tables: tables["contracts"]["1"].update(uploaded_by="hr"))
    [problem] = problem_lines(failed(recorded))
    assert f"db/{relative} 表 contracts 第 1 条记录（工号 {staff_id}）" in problem
    assert problem.endswith("改动的字段：uploaded_by")


def a_grade_changed_by_hand_is_named(settings: Settings) -> None:
    grades = json.loads(db(settings, f"{YEAR}/{DEPT}/grades.json").read_bytes())["grades"]
    doc_id, doc = next((i, d) for i, d in grades.items() if d["grade"] != GRADE_PASS)
    edit(settings, f"{YEAR}/{DEPT}/grades.json", lambda tables: tables["grades"][doc_id].update(grade=GRADE_PASS))
    [problem] = problem_lines(failed(settings))
    assert f"db/{YEAR}/{DEPT}/grades.json 表 grades 第 {doc_id} 条记录（工号 {doc['staff_id']}）" in problem
    assert problem.endswith("改动的字段：grade")


def test_a_changed_grade_is_named(recorded: Settings) -> None:
    a_grade_changed_by_hand_is_named(recorded)


def test_an_accounts_role_changed_is_named(recorded: Settings) -> None:
    def promote(tables: dict[str, Any]) -> None:
        find(tables["users"], username="clerk")[1]["role"] = "hr"

    edit(recorded, "accounts.json", promote)
    [problem] = problem_lines(failed(recorded))
    assert "db/accounts.json 表 users" in problem and "（用户名 clerk）" in problem
    assert problem.endswith("改动的字段：role")


def test_a_record_inserted_by_hand_is_named(recorded: Settings) -> None:
    def add_hr(tables: dict[str, Any]) -> None:
        _, clerk = find(tables["users"], username="clerk")
        tables["users"]["99"] = {**clerk, "username": "intruder", "role": "hr", "department": None}

    edit(recorded, "accounts.json", add_hr)
    copied = db(recorded, f"{YEAR}/{DEPT}/contracts/100999-1.json")  # a scan record for someone never scanned
    copied.write_bytes(db(recorded, scan_file(recorded)).read_bytes().replace(b'"staff_id":"', b'"staff_id":"9'))
    problems = problem_lines(failed(recorded))
    assert any("db/accounts.json 表 users 第 99 条记录（用户名 intruder）" in p and "记录是手工加入的" in p
               for p in problems), problems
    assert any(f"db/{YEAR}/{DEPT}/contracts/100999-1.json 表 contracts 第 1 条记录" in p and "记录是手工加入的" in p
               for p in problems), problems


def test_a_record_removed_by_hand_is_named(recorded: Settings) -> None:
    grades = json.loads(db(recorded, f"{YEAR}/{DEPT}/grades.json").read_bytes())["grades"]
    doc_id = sorted(grades)[-1]
    edit(recorded, f"{YEAR}/{DEPT}/grades.json", lambda tables: tables["grades"].pop(doc_id))
    [problem] = problem_lines(failed(recorded))
    assert f"db/{YEAR}/{DEPT}/grades.json 表 grades 第 {doc_id} 条记录" in problem and "记录被手工删除" in problem


def test_a_removed_record_put_back_by_hand_is_named(recorded: Settings) -> None:
    log = [json.loads(line) for line in (recorded.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]
    [removal] = [e for e in log if e["action"] == "score.event.remove"]
    [(file, tables)] = removal["docs"].items()
    [(doc_id, digest)] = tables["score_events"].items()
    assert digest is None  # the removal is recorded
    [added] = [e for e in log if e["action"] == "score.event"]  # its detail is the record as it was stored
    assert added["docs"][file]["score_events"][doc_id]
    edit(recorded, file, lambda t: t.setdefault("score_events", {}).update({doc_id: added["detail"]}))
    [problem] = problem_lines(failed(recorded))
    assert f"db/{file} 表 score_events 第 {doc_id} 条记录" in problem and "记录是手工加回的" in problem


def as_an_older_version_wrote_it(settings: Settings) -> list[dict[str, Any]]:
    """The same history without document digests, keyed and with its head, as the version
    before digests wrote it."""
    path = settings.data_dir / "audit.log"
    key = audit_key((settings.data_dir / "secret").read_bytes().strip())
    entries, previous = [], "0" * 64
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        entry.pop("docs")
        entry["prev"] = previous
        entry["hash"] = previous = entry_hash(entry, key)
        entries.append(entry)
    path.write_text("".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries),
                    encoding="utf-8")
    head = {"count": len(entries), "hash": previous, "mac": head_mac(key, len(entries), previous)}
    db(settings, HEAD_FILE).write_text(json.dumps({HEAD_TABLE: {"1": head}}), encoding="utf-8")
    return entries


def test_a_log_without_digests_verifies_and_its_records_are_sealed_when_next_written(recorded: Settings) -> None:
    entries = as_an_older_version_wrote_it(recorded)
    older = portal(recorded, "audit", "verify")
    assert older.returncode == 0, older.stderr
    assert "核对记录 0 条" in older.stdout  # records an older version wrote are not checked until sealed
    with running_service(recorded, users=False, now=START) as service:  # the next entry seals them
        service.session("clerk")
    after = [json.loads(line) for line in (recorded.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]
    marker = after[len(entries)]
    assert marker["action"] == SEAL_MARKER and marker["detail"]["sealed_documents"] > 0
    sealed = portal(recorded, "audit", "verify")
    assert sealed.returncode == 0, sealed.stderr
    assert f"核对记录 {marker['detail']['sealed_documents']} 条" in sealed.stdout
    a_grade_changed_by_hand_is_named(recorded)  # a record sealed, not written since


def test_an_edited_seal_is_named(recorded: Settings) -> None:
    as_an_older_version_wrote_it(recorded)
    with running_service(recorded, users=False, now=START) as service:
        service.session("clerk")
    seal = recorded.data_dir / SEAL_FILE
    docs = json.loads(seal.read_bytes())
    monthly = docs[f"{YEAR}/{DEPT}/monthly.json"]["monthly"]
    monthly["1"] = "0" * len(monthly["1"])  # vouch for a forged month
    seal.write_text(json.dumps(docs), encoding="utf-8")
    problems = failed(recorded)
    assert f"封存快照 {SEAL_FILE}: 与审计日志第" in problems and "快照被改动" in problems


def test_a_commit_cut_short_by_a_crash_is_recorded_as_the_files_hold_it(settings: Settings) -> None:
    copy_site(settings.site_dir, full=False)
    clerk = accounts(settings)["clerk"]
    staff_id = load_content(settings.content_dir).members(DEPT)[0].staff_id
    with serving(settings) as warm, warm.client() as client:  # the token's first use noted (not again for a minute)
        assert client.get(f"/api/departments/{DEPT}/staff", headers=clerk).status_code == 200
    server = start_server(settings, PORTAL_TEST_PAUSE="store=30")  # the table's temp file written, not renamed

    def send() -> None:
        with contextlib.suppress(httpx2.HTTPError), server.client() as client:
            client.post("/api/contracts", headers=clerk, data={"staff_id": staff_id},
                        files={"file": ("scan.pdf", PDF, "application/pdf")})

    sender = threading.Thread(target=send)
    sender.start()
    try:
        wait_for(lambda: any(p.name.startswith(TMP_PREFIX) for p in (settings.data_dir / "db").rglob("*")), 30,
                 "the upload's store write was not caught")
    finally:
        server.kill()
        sender.join(timeout=60)
    log = [json.loads(line) for line in (settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]
    [cut_short] = [e for e in log if e["action"] == "contract.upload"]  # written ahead of the files
    with serving(settings):  # the restart recovers
        pass
    log = [json.loads(line) for line in (settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]
    [recovered] = [e for e in log if e["action"] == RECOVERED]
    [(file, tables)] = cut_short["docs"].items()
    assert recovered["docs"] == {file: {"contracts": {doc_id: None for doc_id in tables["contracts"]}}}
    assert not db(settings, file).exists()
    result = portal(settings, "audit", "verify")
    assert result.returncode == 0, result.stderr
