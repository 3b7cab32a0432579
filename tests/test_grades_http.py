"""Annual grades through HTTP, hand-computed: the quota of a department of 42, leave and
sanctions with the rule named, quota overruns refused with the numbers, HR's reasons in
the audit log, who may see and do what."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from grade_helpers import START, action, give_scores, propose, view
from helpers import DEPT, OTHER_DEPT, Service, parse_html, running_service

from service.config import Settings
from service.content.codes import GRADE_EXCELLENT, GRADE_NONE, GRADE_PASS


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=START) as running:
        yield running


def test_a_department_of_42_gets_at_most_8_excellent(service: Service) -> None:
    ids = give_scores(service)
    assert len(ids) == 42
    found = view(service)
    assert found["quota"]["base"] == 42 and found["quota"]["places"] == 8  # 42 × 20% = 8.4, rounded down
    suggested = [p["staff_id"] for p in found["people"] if p["suggested"] == GRADE_EXCELLENT]
    assert suggested == ids[:8]  # the 8 best scores (99 … 95.5); 19 people score 90 or more
    assert sum(1 for p in found["people"] if p["score"] >= 90) == 19
    eight = {sid: (GRADE_EXCELLENT if sid in ids[:8] else GRADE_PASS) for sid in ids}
    assert propose(service, DEPT, eight, service.bearer("clerk")).status_code == 200
    assert view(service)["quota"]["excellent"] == 8


def test_a_quota_overrun_is_refused_with_the_numbers(service: Service) -> None:
    ids = give_scores(service)
    nine = {sid: (GRADE_EXCELLENT if sid in ids[:9] else GRADE_PASS) for sid in ids}
    response = propose(service, DEPT, nine, service.bearer("clerk"))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert (body["proposed_excellent"], body["places"], body["base"], body["percent"]) == (9, 8, 42, 20.0)
    assert body["error"] == ("机械工程系拟定优秀 9 人，超过名额 8 人（应参加年度考核人数 42 人 × 20% = 8.4，"
                             "向下取整为 8 人），请减少 1 人")
    assert all(p["grade"] is None for p in view(service)["people"])  # nothing kept


def test_seven_months_of_sick_leave_mean_no_grade_and_the_next_by_score_is_suggested(service: Service) -> None:
    ids = give_scores(service)
    response = action(service, "leave", {"staff_id": ids[0], "kind": "病假", "start": "2019-01-01", "end": "2019-07-31"})
    assert response.status_code == 200 and response.json()["days"] == 212
    people = {p["staff_id"]: p for p in view(service)["people"]}
    sick = people[ids[0]]
    assert sick["required"] == GRADE_NONE and sick["suggested"] == GRADE_NONE
    assert "第四十一条" in sick["findings"][0]["rule"] and "累计 212 天" in sick["findings"][0]["detail"]
    # the place goes down the ranking: the 9th best score is now suggested 优秀, and named as the one who moved up
    assert [sid for sid in ids if people[sid]["suggested"] == GRADE_EXCELLENT] == ids[1:9]
    assert sick["instead"] == {"staff_id": ids[8], "name": people[ids[8]]["name"], "score": 95.0}
    assert people[ids[8]]["note"] == f"按得分递补（{sick['name']}不能评为优秀）"
    assert not people[ids[1]]["note"]  # the second best had a place by score anyway
    page = parse_html(service.hr_session().get(f"/board/{DEPT}/grades").text)
    moved = page.find("small", data_instead=ids[8])
    assert moved is not None and people[ids[8]]["name"] in moved.text
    refused = propose(service, DEPT, {ids[0]: GRADE_EXCELLENT})
    assert refused.status_code == 422 and refused.json()["code"] == "not_eligible"
    assert "应为不定档次" in refused.json()["error"]


def test_a_warning_in_the_year_blocks_excellent_with_the_rule_named(service: Service) -> None:
    ids = give_scores(service)
    assert action(service, "sanction", {"staff_id": ids[0], "kind": "警告", "on": "2019-05-06"}).status_code == 200
    people = {p["staff_id"]: p for p in view(service)["people"]}
    assert people[ids[0]]["suggested"] == GRADE_PASS and not people[ids[0]]["may_excellent"]
    refused = propose(service, DEPT, {ids[0]: GRADE_EXCELLENT}, service.bearer("clerk"))
    assert refused.status_code == 422
    message = refused.json()["error"]
    assert "不能评为优秀：受警告处分的当年，不得评为优秀（处分规定，处分期 6 个月）（2019-05-06 受警告处分）" in message
    assert f"按得分可改由 {people[ids[1]]['name']}（{ids[1]}，98.5 分）" in message
    assert propose(service, DEPT, {ids[0]: GRADE_PASS}, service.bearer("clerk")).status_code == 200


def test_an_hr_adjustment_keeps_its_reason_in_the_audit_log(service: Service) -> None:
    ids = give_scores(service)
    assert propose(service, DEPT, {ids[10]: GRADE_PASS}, service.bearer("clerk")).status_code == 200
    missing = action(service, "adjust", {"staff_id": ids[10], "grade": "基本合格"})
    assert missing.status_code == 400 and missing.json()["code"] == "missing_reason"
    done = action(service, "adjust", {"staff_id": ids[10], "grade": "基本合格", "reason": "年度述职材料未按时提交"})
    assert done.status_code == 200, done.text
    lines = [json.loads(line) for line in (service.settings.data_dir / "audit.log").read_text().splitlines()]
    assert lines[-1]["action"] == "grades.adjust" and lines[-1]["actor"] == "hr"
    last = lines[-1]["detail"]
    assert (last["staff_id"], last["from"], last["to"], last["reason"]) == (ids[10], GRADE_PASS, "基本合格",
                                                                           "年度述职材料未按时提交")
    person = next(p for p in view(service)["people"] if p["staff_id"] == ids[10])
    assert person["changes"][-1]["reason"] == "年度述职材料未按时提交"


def test_who_may_see_and_propose(service: Service) -> None:
    ids = give_scores(service)
    client = service.client
    assert client.get(f"/api/grades/{DEPT}").status_code == 401
    assert client.get(f"/api/grades/{DEPT}", headers=service.bearer("other")).status_code == 403
    assert client.get(f"/api/grades/{DEPT}", headers=service.bearer("boss")).status_code == 200
    assert client.get("/api/grades", headers=service.bearer("clerk")).status_code == 403
    assert propose(service, DEPT, {ids[0]: GRADE_PASS}, service.bearer("other")).status_code == 403
    assert propose(service, DEPT, {ids[0]: GRADE_PASS}, service.bearer("boss")).status_code == 403
    adjusted = action(service, "adjust", {"staff_id": ids[0], "grade": GRADE_PASS, "reason": "x"},
                      service.bearer("clerk"))
    assert adjusted.status_code == 403
    stranger = propose(service, DEPT, {"999999": GRADE_PASS})
    assert stranger.status_code == 422 and stranger.json()["code"] == "not_in_department"
    assert propose(service, OTHER_DEPT, {ids[0]: GRADE_PASS}).json()["code"] == "not_in_department"


def test_a_quota_variant_needs_a_reason_and_one_of_the_set_percentages(service: Service) -> None:
    give_scores(service)
    assert action(service, "quota", {"unit": DEPT, "percent": 30, "reason": "x"}).json()["code"] == "invalid_percent"
    assert action(service, "quota", {"unit": DEPT, "percent": 25}).json()["code"] == "missing_reason"
    done = action(service, "quota", {"unit": DEPT, "percent": 25, "reason": "2019 年获集体记功"})
    assert done.status_code == 200
    assert view(service)["quota"]["places"] == 10  # 42 × 25% = 10.5, rounded down


def test_the_department_page_proposes_through_its_form(service: Service) -> None:
    ids = give_scores(service)
    browser = service.session("clerk")
    page = browser.get(f"/board/{DEPT}/grades")
    assert page.status_code == 200
    tree = parse_html(page.text)
    assert tree.find("p", data_quota=True) is not None and "8" in tree.find("p", data_quota=True).text
    form = tree.find("form", data_propose_form=True)
    fields = {e.attrs["name"]: next((o.attrs["value"] for o in e.find_all("option") if "selected" in o.attrs), "")
              for e in form.find_all("select")}
    assert sum(1 for v in fields.values() if v == GRADE_EXCELLENT) == 8
    fields[f"grade-{ids[8]}"] = GRADE_EXCELLENT  # one too many
    csrf = form.find("input", name="csrf").attrs["value"]
    refused = browser.post(f"/board/{DEPT}/grades", data={**fields, "csrf": csrf})
    assert refused.status_code == 422 and "超过名额 8 人" in parse_html(refused.text).text
    fields[f"grade-{ids[8]}"] = GRADE_PASS
    saved = browser.post(f"/board/{DEPT}/grades", data={**fields, "csrf": csrf})
    assert saved.status_code == 303
    assert view(service)["quota"]["excellent"] == 8
    assert browser.get("/board/grades").headers["location"] == f"/board/{DEPT}/grades"
