"""A staff member's annual grade: hidden until its written notice was delivered, then shown with
the notice to download; an objection to it is the 复核 application, on its clock, answered by
HR's review decision (never worse), seen by the person; leaders' college-wide lists name only
the people of the departments they oversee."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator

import pytest
from docx import Document
from grade_helpers import START, action, decide_and_publish, grade_everyone
from helpers import DEPT, Service, page_csrf, parse_html, running_service
from staff_helpers import issue_slips, me, sign_in_again, staff_session

from service.config import Settings
from service.content.codes import DISPUTE_ANSWERED, DISPUTE_GRADE, DISPUTE_OPEN, GRADE_BASIC, GRADE_PASS


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=START) as running:
        running.grades = grade_everyone(running)  # type: ignore[attr-defined]
        decide_and_publish(running)
        running.clock.set(dt.datetime(2019, 10, 10, 9))
        assert action(running, "close-publicity", {}).status_code == 200
        yield running


def someone(service: Service, grade: str) -> str:
    return next(sid for sid, g in service.grades.items() if g == grade)  # type: ignore[attr-defined]


def notify(service: Service) -> None:
    service.clock.set(dt.datetime(2019, 10, 15, 10))
    assert action(service, "notified", {"department": DEPT, "date": "2019-10-15"}).status_code == 200


def test_the_grade_shows_once_the_notice_was_delivered(service: Service) -> None:
    sid = someone(service, GRADE_PASS)
    passwords = issue_slips(service)
    client = staff_session(service, sid, passwords[sid])
    assert me(client)["grade"] == {"published": False, "year": 2019}  # decided, not yet delivered
    assert "通知书送达后" in client.get("/me/grade").text
    assert client.get("/me/grade/notice.docx").status_code == 404
    notify(service)
    client = sign_in_again(service, sid)
    grade = me(client)["grade"]
    assert grade["published"] and grade["grade"] == GRADE_PASS and grade["notified_on"] == "2019-10-15"
    page = parse_html(client.get("/me/grade").text)
    assert page.find(data_field="grade").text == GRADE_PASS
    notice = client.get("/me/grade/notice.docx")
    assert notice.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(notice.content)).paragraphs)
    name = service.context.content.staff(sid).name  # type: ignore[union-attr]
    assert f"{name}同志" in text and "合格" in text
    assert "按规定，考核结果为基本合格、不合格的可申请复核" in client.get("/me/grade").text


def test_an_objection_to_the_grade_is_the_review_on_its_clock(service: Service) -> None:
    sid = someone(service, GRADE_BASIC)
    passwords = issue_slips(service)
    client = staff_session(service, sid, passwords[sid])
    form = {"kind": DISPUTE_GRADE, "ref": "2019", "reason": "全年无违纪，业务成绩在部门中等以上"}
    early = client.post("/me/objections", data={**form, "csrf": page_csrf(client, "/me/objections")})
    assert early.status_code == 422 and "尚未送达" in early.text
    notify(service)
    service.clock.set(dt.datetime(2019, 10, 20, 10))
    client = sign_in_again(service, sid)
    raised = client.post("/me/objections", data={**form, "csrf": page_csrf(client, "/me/objections")})
    assert raised.status_code == 303
    (objection,) = me(client)["objections"]
    assert objection["state"] == DISPUTE_OPEN and objection["subject"] == f"2019年度考核档次（{GRADE_BASIC}）"
    assert [c["label"] for c in objection["clocks"]] == ["复核决定期限"]
    grade = me(client)["grade"]
    assert grade["review"]["applied_on"] == "2019-10-20" and grade["review"]["reason"] == form["reason"]

    cases = service.client.get("/api/grades/reviews", headers=service.bearer("hr")).json()["cases"]
    assert next(c for c in cases if c["staff_id"] == sid)["review"]["applied_on"] == "2019-10-20"  # HR's board
    listed = service.client.get("/api/objections", headers=service.bearer("hr")).json()
    assert listed["waiting"] == 1
    clerk = service.client.post(f"/api/objections/{DEPT}/{objection['id']}", json={"answer": "维持"},
                                headers=service.bearer("clerk"))
    assert clerk.status_code == 403  # the department sees it; HR records the review decision
    worse = service.client.post(f"/api/objections/{DEPT}/{objection['id']}",
                                json={"answer": "复核", "grade": "不合格"}, headers=service.bearer("hr"))
    assert worse.status_code == 422 and worse.json()["code"] == "would_worsen"
    hr = service.hr_session()
    page = parse_html(hr.get(f"/board/{DEPT}/objections").text)
    assert page.find("select", name="grade") is not None
    answered = hr.post(f"/board/{DEPT}/objections/{objection['id']}",
                       data={"csrf": page_csrf(hr, "/board/objections"), "answer": "经复核，改为合格",
                             "grade": GRADE_PASS})
    assert answered.status_code == 303
    (objection,) = me(client)["objections"]
    assert objection["state"] == DISPUTE_ANSWERED and objection["answer"].startswith(f"复核决定：{GRADE_PASS}")
    assert me(client)["grade"]["grade"] == GRADE_PASS
    again = client.post("/me/objections", data={**form, "csrf": page_csrf(client, "/me/objections")})
    assert again.status_code == 409 and "已申请过复核" in again.text


def test_a_review_applied_for_too_late_is_refused(service: Service) -> None:
    sid = someone(service, GRADE_BASIC)
    passwords = issue_slips(service)
    client = staff_session(service, sid, passwords[sid])
    notify(service)
    service.clock.set(dt.datetime(2019, 11, 20, 10))  # day 36
    client = sign_in_again(service, sid)
    late = client.post("/me/objections", data={"csrf": page_csrf(client, "/me/objections"), "kind": DISPUTE_GRADE,
                                               "ref": "2019", "reason": "晚了"})
    assert late.status_code == 422 and "第 36 日" in late.text
    assert me(client)["objections"] == []


def test_leaders_see_only_the_people_of_departments_they_oversee(service: Service) -> None:
    sid = someone(service, GRADE_BASIC)
    person = service.context.content.staff(sid)
    earlier = service.context.store.db_dir / "2018" / DEPT
    earlier.mkdir(parents=True)
    record = {"staff_id": sid, "name": person.name, "department": DEPT, "department_name": "机械工程系",  # type: ignore[union-attr]
              "post": person.post, "score": 61, "grade": GRADE_BASIC, "reason": ""}  # type: ignore[union-attr]
    (earlier / "grades.json").write_text(json.dumps({"grades": {"1": record}}, ensure_ascii=False), encoding="utf-8")
    service.add_user("far", "leader", oversees=("dqx",))
    service.add_user("near", "leader", oversees=(DEPT,))
    for leader, shown in (("far", {}), ("near", {sid: "连续两年基本合格"}), ("hr", {sid: "连续两年基本合格"})):
        overview = service.client.get("/api/grades", headers=service.bearer(leader)).json()
        assert overview["weak_twice"] == shown, leader
    page = service.session("far").get("/board/grades").text
    assert sid not in page
