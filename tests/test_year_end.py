"""The year's end through HTTP: an ungraded person's notice says why, no grade without a score,
HR reads who objected during 公示, notices delivered for several departments at once, and a
refused proposal back on its form with the grades as chosen."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from grade_helpers import (
    START,
    action,
    decide_and_publish,
    excellent,
    give_scores,
    grade_everyone,
    propose,
    view,
)
from helpers import DEPT, OTHER_DEPT, page_csrf, parse_html, running_service
from staff_helpers import issue_slips, staff_session

from service.config import Settings
from service.content.codes import GRADE_EXCELLENT, GRADE_NONE, GRADE_PASS


def test_an_ungraded_persons_notice_states_the_reason(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        ids = [m.staff_id for m in service.context.content.members(DEPT)]
        sick, newcomer, sanctioned = ids[0], ids[1], ids[2]
        assert action(service, "leave", {"staff_id": sick, "kind": "病假", "start": "2019-01-01",
                                         "end": "2019-07-31"}).status_code == 200
        assert action(service, "newcomer", {"staff_id": newcomer, "joined": "2019-09-01"}).status_code == 200
        assert action(service, "sanction", {"staff_id": sanctioned, "kind": "记过", "on": "2019-03-01"}).status_code == 200
        grades = grade_everyone(service)
        assert [grades[sid] for sid in (sick, newcomer, sanctioned)] == [GRADE_NONE] * 3
        decide_and_publish(service)
        service.clock.set(dt.datetime(2019, 10, 10, 9))
        assert action(service, "close-publicity", {}).status_code == 200
        browser = service.session("clerk")
        said = {}
        for sid in (sick, newcomer, sanctioned):
            answer = browser.get(f"/board/{DEPT}/grades/{sid}/notice.docx")
            assert answer.status_code == 200
            said[sid] = "\n".join(p.text for p in Document(io.BytesIO(answer.content)).paragraphs)
        assert "不定档次。原因：病假、事假等累计超过半年（累计 212 天）。" in said[sick]
        assert "不定档次。原因：试用期（初次就业，2019-09-01 到本单位，不满半年）。" in said[newcomer]
        assert "不定档次。原因：处分期（2019-03-01 受记过处分）。" in said[sanctioned]


def test_no_grade_without_a_score_and_the_form_comes_back_with_its_message(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        ids = [m.staff_id for m in service.context.content.members(DEPT)]
        refused = propose(service, DEPT, {ids[0]: GRADE_PASS})
        assert refused.status_code == 422 and refused.json()["code"] == "no_score"
        assert "尚无考核得分" in refused.json()["error"]
        assert all(p["grade"] is None for p in view(service)["people"])

        give_scores(service)
        browser = service.session("clerk")
        csrf = page_csrf(browser, f"/board/{DEPT}/grades")
        chosen = {ids[i]: GRADE_EXCELLENT for i in range(9)} | {ids[9]: GRADE_PASS}  # 9 优秀: one over the 8 places
        answer = browser.post(f"/board/{DEPT}/grades",
                              data={"csrf": csrf, **{f"grade-{sid}": grade for sid, grade in chosen.items()}})
        assert answer.status_code == 422
        page = parse_html(answer.text)
        error = page.find("div", data_error="quota_exceeded")
        assert error is not None and "超过名额 8 人" in error.text
        form = page.find("form", data_propose_form=True)
        assert form is not None
        kept = {}
        for select in form.find_all("select"):
            option = next((o for o in select.find_all("option") if "selected" in o.attrs), None)
            kept[select.attrs["name"].removeprefix("grade-")] = option.attrs["value"] if option else ""
        assert {sid: grade for sid, grade in kept.items() if grade} == chosen  # as chosen, not the suggestions
        assert all(p["grade"] is None for p in view(service)["people"])  # nothing kept


def test_hr_reads_the_objectors_name(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        target = excellent(grade_everyone(service))[0]
        objector = service.context.content.members(OTHER_DEPT)[0]
        password = issue_slips(service, OTHER_DEPT)[objector.staff_id]
        decide_and_publish(service)
        service.clock.set(dt.datetime(2019, 9, 30, 9))
        browser = staff_session(service, objector.staff_id, password)
        sent = browser.post("/board/grades/do/objection", data={"csrf": page_csrf(browser, "/gongshi"), "next": "/gongshi",
                                                                 "staff_id": target, "text": "述职材料与实际不符"})
        assert sent.status_code == 303, sent.text
        listed = service.client.get("/api/grades/objections", headers=service.bearer("hr")).json()["objections"]
        assert [(o["by_name"], o["by_staff_id"]) for o in listed] == [(objector.name, objector.staff_id)]
        page = parse_html(service.hr_session().get("/board/grades/objections").text)
        cell = page.find("td", data_objector=True)
        assert cell is not None and cell.text == f"{objector.name}（{objector.staff_id}）"


def test_notices_delivered_for_several_departments_at_once(settings: Settings) -> None:
    with running_service(settings, now=START) as service:
        grade_everyone(service)
        decide_and_publish(service)
        service.clock.set(dt.datetime(2019, 10, 12, 9))
        hr = service.hr_session()
        page = parse_html(hr.get("/board/grades").text)
        select = page.find("select", data_notified_departments=True)
        assert select is not None and "multiple" in select.attrs
        answer = hr.post("/board/grades/do/notified", data={"csrf": page_csrf(hr, "/board/grades"), "next": "/board/grades",
                                                             "departments": [DEPT, OTHER_DEPT], "date": "2019-10-11"})
        assert answer.status_code == 303, answer.text
        for department in (DEPT, OTHER_DEPT):
            assert {p["notified_on"] for p in view(service, department)["people"]} == {"2019-10-11"}
        third = next(d.id for d in service.context.content.departments if d.id not in (DEPT, OTHER_DEPT))
        assert {p["notified_on"] for p in view(service, third)["people"]} == {None}

        listed = action(service, "notified", {"departments": [third], "date": "2019-10-12"})
        assert listed.status_code == 200 and listed.json()["people"] == len(service.context.content.members(third))
        unknown = action(service, "notified", {"departments": ["nope"], "date": "2019-10-12"})
        assert unknown.status_code == 404
