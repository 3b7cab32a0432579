"""集体审定: per person the score, the latest closed 民主测评 tally, the proposed grade and both
leaders' views side by side, for HR and the leaders overseeing the department; a proposed 优秀 rated
far below the unit is flagged (a setting), never refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from helpers import DEPT, OTHER_DEPT, Service, page_csrf, parse_html, running_service
from staff_helpers import issue_slips, staff_session

from service.config import Settings

NOW = dt.datetime(2019, 12, 10, 10, 0)


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=NOW) as running:
        yield running


def test_the_collective_page_sets_tally_grade_and_views_side_by_side(service: Service) -> None:
    members = [m.staff_id for m in service.context.content.members(DEPT)]
    a, b = members[:2]
    hr = service.bearer("hr")
    scored = service.client.put(f"/api/monthly/{DEPT}/1", headers=hr, json={
        "rows": [{"工号": sid, "业务工作目标": 50} for sid in (a, b)], "partial": True})
    assert scored.status_code == 200, scored.text
    graded = service.client.put(f"/api/grades/{DEPT}", headers=hr, json={"grades": {a: "优秀", b: "优秀"}})
    assert graded.status_code == 200, graded.text
    view = service.client.put(f"/api/appraisal/views/{a}/leader", headers=service.bearer("boss"),
                              json={"comment": "教学认真，建议优秀。", "grade": "优秀"})
    assert view.status_code == 200, view.text
    slips = issue_slips(service)
    voting = members[2:6]
    opened = service.client.post("/api/appraisal/rounds", headers=hr, json={
        "unit": DEPT, "candidates": [a, b], "voters": voting, "opens": "2019-12-10T09:00",
        "closes": "2019-12-10T18:00"}).json()
    ballots = [{a: "合格", b: "优秀"}, {a: "合格", b: "优秀"}, {a: "优秀", b: "优秀"}, {a: "合格", b: "优秀"}]
    for sid, marks in zip(voting, ballots, strict=True):
        client = staff_session(service, sid, slips[sid])
        cast = client.post(f"/api/appraisal/rounds/{opened['id']}/ballot", json={"marks": marks},
                           headers={"X-CSRF-Token": page_csrf(client, "/me/ballots")})
        assert cast.status_code == 201, cast.text
    before = service.client.get(f"/api/appraisal/departments/{DEPT}/collective", headers=hr).json()
    assert next(p for p in before["people"] if p["staff_id"] == a)["tally"] is None  # the round is still open
    service.client.post(f"/api/appraisal/rounds/{opened['id']}/close", headers=hr)

    data = service.client.get(f"/api/appraisal/departments/{DEPT}/collective", headers=service.bearer("boss")).json()
    people = {p["staff_id"]: p for p in data["people"]}
    assert people[a]["tally"]["excellent_rate"] == 25.0 and people[a]["tally"]["unit_rate"] == 62.5
    assert people[a]["proposed"] == "优秀" and people[a]["flag"] is True  # 37.5 points below
    assert people[b]["tally"]["excellent_rate"] == 100.0 and people[b]["flag"] is False
    assert people[a]["leader"]["comment"] == "教学认真，建议优秀。" and people[a]["head"] is None
    assert people[a]["score"] is not None and data["gap_points"] == 20.0

    page = parse_html(service.session("boss").get(f"/board/{DEPT}/collective").text)
    row_a = page.find("tr", data_staff=a)
    assert row_a.find("strong", data_flag="") is not None and "教学认真" in row_a.find("td", data_view="leader").text
    assert page.find("tr", data_staff=b).find("strong", data_flag="") is None

    service.add_user("boss2", "leader", oversees=(OTHER_DEPT,))
    for refused in ("clerk", "boss2"):
        answer = service.client.get(f"/api/appraisal/departments/{DEPT}/collective", headers=service.bearer(refused))
        assert answer.status_code == 403, refused


def test_the_gap_that_flags_is_a_setting(settings: Settings) -> None:
    path = settings.content_dir / "settings.yml"
    text = path.read_text(encoding="utf-8")
    assert "ballot_gap_points: 20" in text
    path.write_text(text.replace("ballot_gap_points: 20", "ballot_gap_points: 50"), encoding="utf-8")
    with running_service(settings, now=NOW) as service:
        data = service.client.get(f"/api/appraisal/departments/{DEPT}/collective", headers=service.bearer("hr"))
        assert data.status_code == 200 and data.json()["gap_points"] == 50.0
