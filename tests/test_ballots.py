"""民主测评 through HTTP: HR opens a round with its window, each voter casts one ballot from their own
account (a second one, or one outside the window, refused), HR follows participation and closes the
round, then HR and the leaders overseeing the unit read and export the tally; staff, other
departments and other leaders never do. Paper rounds: the printed sheet and a tally entered by hand."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from docx import Document
from helpers import DEPT, OTHER_DEPT, Service, page_csrf, parse_html, running_service
from staff_helpers import issue_slips, sign_in_again, staff_session
from starlette.testclient import TestClient

from service.config import Settings
from service.storage.store import COLLEGE
from service.workflows import ballots

NOW = dt.datetime(2019, 12, 10, 10, 0)
WINDOW = {"opens": "2019-12-10T09:00", "closes": "2019-12-10T18:00"}


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=NOW) as running:
        yield running


def people(service: Service, department: str = DEPT) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def voters(service: Service, count: int) -> dict[str, TestClient]:
    """`count` staff members of DEPT (after its first two, the candidates), each signed in."""
    slips = issue_slips(service)
    return {sid: staff_session(service, sid, slips[sid]) for sid in people(service)[2:2 + count]}


def open_round(service: Service, voting: list[str], **extra: Any) -> dict[str, Any]:
    body = {"unit": DEPT, "candidates": people(service)[:2], "voters": voting, **WINDOW, **extra}
    opened = service.client.post("/api/appraisal/rounds", json=body, headers=service.bearer("hr"))
    assert opened.status_code == 201, opened.text
    return opened.json()  # type: ignore[no-any-return]


def vote(client: TestClient, round_id: str, marks: dict[str, str]) -> Any:
    csrf = page_csrf(client, "/me/ballots")
    return client.post(f"/api/appraisal/rounds/{round_id}/ballot", json={"marks": marks},
                       headers={"X-CSRF-Token": csrf})


def stored_counts(service: Service, round_id: str) -> dict[str, Any]:
    found = service.context.store.get(COLLEGE, ballots.COUNTS, round_id=round_id)
    assert found is not None
    return found


def test_each_voter_casts_one_ballot_and_the_tally_is_the_hand_count(service: Service) -> None:
    a, b = people(service)[:2]
    clients = voters(service, 4)
    opened = open_round(service, list(clients))
    assert opened["choices"] == ["优秀", "合格", "基本合格", "不合格"] and opened["eligible"] == 4
    cast = [{a: "优秀", b: "合格"}, {a: "优秀", b: "不合格"}, {a: "合格", b: "优秀"}]
    for client, marks in zip(clients.values(), cast, strict=False):
        answered = vote(client, opened["id"], marks)
        assert answered.status_code == 201, answered.text
    again = vote(next(iter(clients.values())), opened["id"], {a: "不合格", b: "不合格"})
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    assert not again.json()["error"].isascii()
    hr = service.bearer("hr")
    progress = service.client.get(f"/api/appraisal/rounds/{opened['id']}/participation", headers=hr).json()
    assert (progress["voted"], progress["eligible"]) == (3, 4)
    early = service.client.get(f"/api/appraisal/rounds/{opened['id']}/tally", headers=hr)
    assert early.status_code == 409 and early.json()["code"] == "round_open"
    assert service.client.post(f"/api/appraisal/rounds/{opened['id']}/close", headers=hr).status_code == 200
    late = vote(list(clients.values())[3], opened["id"], {a: "合格", b: "合格"})
    assert late.status_code == 409 and late.json()["code"] == "round_closed"
    tally = service.client.get(f"/api/appraisal/rounds/{opened['id']}/tally", headers=hr).json()
    lines = {line["staff_id"]: line for line in tally["lines"]}
    for candidate in (a, b):
        hand = {choice: sum(1 for marks in cast if marks[candidate] == choice) for choice in opened["choices"]}
        assert lines[candidate]["counts"] == hand
    assert lines[a]["excellent_rate"] == round(100 * 2 / 3, 1) and lines[b]["excellent_rate"] == round(100 / 3, 1)
    assert tally["ballots"] == 3 and tally["unit_rate"] == 50.0
    exported = service.client.get(f"/board/appraisal/rounds/{opened['id']}/tally.xlsx", headers=hr)
    assert exported.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert rows[a][3:7] == (2, 1, 0, 0) and rows[b][3:7] == (1, 1, 0, 1)


def test_a_ballot_outside_the_window_is_refused(service: Service) -> None:
    clients = voters(service, 1)
    a, b = people(service)[:2]
    later = open_round(service, list(clients), opens="2019-12-11T08:00", closes="2019-12-11T17:00")
    sid, client = next(iter(clients.items()))
    before = vote(client, later["id"], {a: "优秀", b: "合格"})
    assert before.status_code == 409 and before.json()["code"] == "round_not_open"
    service.clock.set(dt.datetime(2019, 12, 11, 17, 0))
    client = sign_in_again(service, sid)
    after = vote(client, later["id"], {a: "优秀", b: "合格"})
    assert after.status_code == 409 and after.json()["code"] == "round_closed"
    assert stored_counts(service, later["id"])["ballots"] == 0
    service.clock.set(dt.datetime(2019, 12, 11, 9, 0))
    client = sign_in_again(service, sid)
    assert vote(client, later["id"], {a: "优秀", b: "合格"}).status_code == 201


@pytest.mark.parametrize(("marks", "status", "code"), [
    ({"999999": "优秀"}, 422, "unknown_candidate"),
    ("FIRST:卓越", 422, "unknown_choice"),
    ("FIRST:优秀", 422, "incomplete_ballot"),
    ([], 400, "invalid_ballot"),
])
def test_a_bad_ballot_is_refused_and_nothing_is_stored(service: Service, marks: Any, status: int,
                                                       code: str) -> None:
    clients = voters(service, 1)
    opened = open_round(service, list(clients))
    if isinstance(marks, str):
        marks = {people(service)[0]: marks.split(":")[1]}
    before_counts = stored_counts(service, opened["id"])
    log = (service.settings.data_dir / "audit.log").read_text(encoding="utf-8")
    answered = vote(next(iter(clients.values())), opened["id"], marks)
    assert answered.status_code == status and answered.json()["code"] == code
    assert stored_counts(service, opened["id"]) == before_counts
    assert (service.settings.data_dir / "audit.log").read_text(encoding="utf-8") == log
    progress = service.client.get(f"/api/appraisal/rounds/{opened['id']}/participation",
                                  headers=service.bearer("hr")).json()
    assert progress["voted"] == 0


def test_only_hr_and_the_units_leaders_see_the_tally(service: Service) -> None:
    clients = voters(service, 2)
    a, b = people(service)[:2]
    opened = open_round(service, list(clients))
    voter = next(iter(clients.values()))
    assert vote(voter, opened["id"], {a: "优秀", b: "优秀"}).status_code == 201
    rid = opened["id"]
    assert service.client.get(f"/api/appraisal/rounds/{rid}/participation",
                              headers=service.bearer("boss")).status_code == 403
    service.client.post(f"/api/appraisal/rounds/{rid}/close", headers=service.bearer("hr"))
    service.add_user("boss2", "leader", oversees=(OTHER_DEPT,))
    for path in (f"/api/appraisal/rounds/{rid}/tally", f"/board/appraisal/rounds/{rid}/tally.xlsx",
                 f"/api/appraisal/rounds/{rid}"):
        assert service.client.get(path, headers=service.bearer("boss")).status_code == 200, path
        assert service.client.get(path, headers=service.bearer("boss2")).status_code == 403, path
        assert service.client.get(path, headers=service.bearer("clerk")).status_code == 403, path
        assert voter.get(path).status_code == 403, path
        assert service.new_client().get(path).status_code == 401, path
    assert service.client.get("/api/appraisal/rounds", headers=service.bearer("boss2")).json()["rounds"] == []
    page = parse_html(service.client.get(f"/board/appraisal/rounds/{rid}", headers=service.bearer("boss")).text)
    assert page.find("tr", data_candidate=a).find("td", data_choice="优秀").text == "1"
    assert voter.get("/board/appraisal/rounds").status_code == 403
    assert voter.get("/api/me/ballots").json()["rounds"][0]["voted"] is True
    site = "".join(p.read_text(encoding="utf-8", errors="replace") for p in service.settings.site_dir.rglob("*.html"))
    assert rid not in site and "民主测评" not in site


def test_someone_not_on_the_voters_list_cannot_vote(service: Service) -> None:
    clients = voters(service, 2)
    a, b = people(service)[:2]
    outsider = list(clients.values())[1]
    opened = open_round(service, [next(iter(clients))])
    refused = vote(outsider, opened["id"], {a: "优秀", b: "优秀"})
    assert refused.status_code == 403
    assert outsider.get(f"/me/ballots/{opened['id']}").status_code == 403
    assert stored_counts(service, opened["id"])["ballots"] == 0


def test_the_phone_page_casts_a_ballot_once(service: Service) -> None:
    clients = voters(service, 1)
    a, b = people(service)[:2]
    opened = open_round(service, list(clients))
    client = next(iter(clients.values()))
    listing = parse_html(client.get("/me/ballots").text)
    assert listing.find("li", data_round=opened["id"]).find("a") is not None
    form_page = client.get(f"/me/ballots/{opened['id']}")
    assert form_page.status_code == 200
    form = parse_html(form_page.text).find("form", data_ballot_form="")
    assert form is not None and form.find("fieldset", data_candidate=a) is not None
    fields = {"csrf": page_csrf(client, f"/me/ballots/{opened['id']}"), f"c:{a}": "基本合格", f"c:{b}": "合格"}
    sent = client.post(f"/me/ballots/{opened['id']}", data=fields)
    assert sent.status_code == 303 and sent.headers["location"] == "/me/ballots?notice=voted"
    second = client.post(f"/me/ballots/{opened['id']}", data=fields)
    assert second.status_code == 409
    assert parse_html(second.text).find("div", data_error="already_voted") is not None
    assert stored_counts(service, opened["id"])["counts"][a]["基本合格"] == 1


def test_hr_opens_a_round_from_the_page(service: Service) -> None:
    hr = service.hr_session()
    csrf = page_csrf(hr, "/board/appraisal/rounds")
    a, b = people(service)[:2]
    sent = hr.post("/board/appraisal/rounds", data={"csrf": csrf, "unit": DEPT, "mode": "online",
                                                    "opens": "2019-12-10T08:00", "closes": "2019-12-12T18:00",
                                                    "choices": ["优秀", "合格", "不合格"], "candidates": f"{a}，{b}"})
    assert sent.status_code == 303, sent.text
    round_page = hr.get(sent.headers["location"])
    assert parse_html(round_page.text).find("strong", data_eligible="").text == str(len(people(service)))
    listed = service.client.get("/api/appraisal/rounds", headers=service.bearer("hr")).json()["rounds"]
    assert listed[0]["choices"] == ["优秀", "合格", "不合格"]
    refused = hr.post("/board/appraisal/rounds", data={"csrf": csrf, "unit": DEPT, "opens": "2019-12-10T08:00",
                                                       "closes": "2019-12-09T08:00"})
    assert refused.status_code == 422
    assert parse_html(refused.text).find("div", data_error="invalid_window") is not None


def test_a_paper_round_prints_its_sheet_and_takes_a_hand_tally(service: Service) -> None:
    a, b = people(service)[:2]
    hr = service.bearer("hr")
    opened = open_round(service, people(service)[:6], mode="paper")
    sheet = service.client.get(f"/board/appraisal/rounds/{opened['id']}/sheet.docx", headers=hr)
    assert sheet.status_code == 200
    text = "\n".join(c.text for t in Document(io.BytesIO(sheet.content)).tables for r in t.rows for c in r.cells)
    names = [service.context.content.staff(s).name for s in (a, b)]  # type: ignore[union-attr]
    assert all(name in text for name in names) and "基本合格" in text
    assert service.client.get(f"/board/appraisal/rounds/{opened['id']}/sheet.docx",
                              headers=service.bearer("boss")).status_code == 403
    counts = {a: {"优秀": 4, "合格": 1}, b: {"合格": 5}}
    over = service.client.put(f"/api/appraisal/rounds/{opened['id']}/tally", headers=hr,
                              json={"ballots": 4, "counts": counts})
    assert over.status_code == 422 and over.json()["code"] == "count_over_ballots"
    entered = service.client.put(f"/api/appraisal/rounds/{opened['id']}/tally", headers=hr,
                                 json={"ballots": 5, "counts": counts})
    assert entered.status_code == 200, entered.text
    tally = entered.json()
    assert tally["entered_by"] == "hr" and tally["state"] == "closed"
    assert {line["staff_id"]: line["excellent_rate"] for line in tally["lines"]} == {a: 80.0, b: 0.0}
    online = open_round(service, people(service)[2:4])
    refused = service.client.put(f"/api/appraisal/rounds/{online['id']}/tally", headers=hr,
                                 json={"ballots": 1, "counts": {}})
    assert refused.status_code == 409 and refused.json()["code"] == "not_paper"
