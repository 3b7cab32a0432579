"""A ballot cannot be traced to its voter from anything the service keeps. Two rounds are held side
by side with the same voters voting at the same moments, in the same order, but each voter's
choices swapped between the rounds: every file of the data directory then says the same of both
rounds, so nothing kept depends on who chose what, when, or in which order. Every file is also read
for a voter's 工号 beside a choice, and the audit digests of a ballot's commit are shown to match
any content of the ballot."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import DEPT, Service, page_csrf, running_service
from staff_helpers import issue_slips, staff_session

from service.config import Settings
from service.storage import digests
from service.workflows import ballots

NOW = dt.datetime(2019, 12, 10, 10, 0)
CHOICES = ("优秀", "合格", "基本合格", "不合格")


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=NOW) as running:
        yield running


def footprint(data_dir: Path, round_id: str) -> dict[str, Any]:
    """What the data directory holds of one round, its id replaced: per db file and table, the
    documents naming it in the table's order; the audit entries naming it, less their chain."""
    found: dict[str, Any] = {}
    for path in sorted((data_dir / "db").rglob("*.json")):
        for table, docs in json.loads(path.read_text(encoding="utf-8") or "{}").items():
            ordered = [json.dumps(docs[key], ensure_ascii=False, sort_keys=True) for key in sorted(docs, key=int)]
            mine = [text.replace(round_id, "ROUND") for text in ordered if round_id in text]
            if mine:
                found[f"{path.relative_to(data_dir)}:{table}"] = mine
    entries = []
    for line in (data_dir / "audit.log").read_text(encoding="utf-8").splitlines():
        if round_id in line:
            entry = json.loads(line.replace(round_id, "ROUND"))
            entries.append({k: v for k, v in entry.items() if k not in ("seq", "at", "prev", "hash", "docs")})
    found["audit.log"] = entries
    return found


def test_nothing_kept_links_a_voter_to_their_ballot(service: Service) -> None:
    members = [m.staff_id for m in service.context.content.members(DEPT)]
    x, y = members[:2]
    voting = sorted(members[2:6], reverse=True)  # the last 工号 votes first
    slips = issue_slips(service)
    clients = {sid: staff_session(service, sid, slips[sid]) for sid in voting}
    body = {"unit": DEPT, "title": "机械工程系民主测评", "candidates": [x, y], "voters": voting,
            "opens": "2019-12-10T09:00", "closes": "2019-12-10T18:00"}
    first, second = (service.client.post("/api/appraisal/rounds", json=body, headers=service.bearer("hr")).json()["id"]
                     for _ in range(2))
    chosen = {sid: (CHOICES[n % 4], CHOICES[(n + 1) % 4]) for n, sid in enumerate(voting)}
    for minute, sid in enumerate(voting):
        service.clock.set(NOW + dt.timedelta(minutes=minute + 1))
        csrf = page_csrf(clients[sid], "/me/ballots")
        ballot = dict(zip((x, y), chosen[sid], strict=True))
        swapped = dict(zip((x, y), chosen[voting[-1 - minute]], strict=True))  # another voter's choices
        for round_id, marks in ((first, ballot), (second, swapped)):
            cast = clients[sid].post(f"/api/appraisal/rounds/{round_id}/ballot", json={"marks": marks},
                                     headers={"X-CSRF-Token": csrf})
            assert cast.status_code == 201, cast.text
    data_dir = service.settings.data_dir
    assert footprint(data_dir, first) == footprint(data_dir, second)
    assert footprint(data_dir, first)["audit.log"], "the rounds left no audit entries"

    # who voted is kept sorted and untimed, apart from the counts, which carry no time either
    voted = service.context.store.get("college", ballots.VOTERS, round_id=first)
    assert voted == {"round_id": first, "voted": sorted(voting)}
    counts = service.context.store.get("college", ballots.COUNTS, round_id=first)
    assert counts is not None and set(counts) == {"round_id", "counts", "ballots", "entered_by", "entered_at"}
    assert counts["ballots"] == len(voting) and counts["entered_at"] is None

    # no record of any file puts a voter's 工号 beside a choice
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        records: list[str] = text.splitlines()
        if path.suffix == ".json" and "db" in path.parts:
            records = [json.dumps(doc, ensure_ascii=False) for docs in json.loads(text or "{}").values()
                       for doc in docs.values() if "voters" not in doc]  # a round's definition lists everyone
        for record in records:
            if any(sid in record for sid in voting):
                assert not any(choice in record for choice in CHOICES), (path, record[:300])

    # each ballot's audit entry vouches for the counts without their content
    entries = [json.loads(line) for line in (data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]
    cast_entries = [e for e in entries if e["action"] == "appraisal.ballot" and e["detail"]["round"] == first]
    assert [e["actor"] for e in cast_entries] == voting
    for number, entry in enumerate(cast_entries, start=1):
        logged = [digest for tables in entry["docs"].values() for digest in tables.get(ballots.COUNTS, {}).values()]
        assert len(logged) == 1
        for content in ({x: {"优秀": number}}, {}):
            doc = {"round_id": first, "counts": content, "ballots": number, "entered_by": None, "entered_at": None}
            assert digests.matches(ballots.COUNTS, doc, logged[0])
