"""What each user has to do, on the landing page after signing in, with counts and one link
each; the notifications an event leaves (marked read when opened); the workbooks HR sees
refused; through HTTP and the pages as a browser gets them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import approvals
import pytest
from helpers import AFTER_DEADLINE, DEPT, PDF, Service, parse_html, running_service, scan_of, upload
from sheets import completion_with

from service.config import Settings
from service.office import annex5


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    path = Path(settings.content_dir) / "settings.yml"  # a college whose monthly cycle runs from January
    path.write_text(path.read_text(encoding="utf-8").replace("monthly_first_month: 4", "monthly_first_month: 1"),
                    encoding="utf-8")
    with running_service(settings) as svc:
        for name in ("clerk", "boss", "other"):
            svc.bearer(name)  # the accounts exist before the events that concern them
        yield svc


def todos(service: Service, user: str) -> dict[str, dict[str, Any]]:
    answer = service.client.get("/api/todos", headers=service.bearer(user))
    assert answer.status_code == 200, answer.text
    return {t["kind"]: t for t in answer.json()["todos"]}


def notes(service: Service, user: str) -> list[dict[str, Any]]:
    return service.client.get("/api/todos", headers=service.bearer(user)).json()["notifications"]  # type: ignore[no-any-return]


def duty_roles(service: Service) -> list[str]:
    obligations = service.client.get(f"/api/duties/{DEPT}", headers=service.bearer("clerk")).json()["obligations"]
    return [r["role_id"] for o in obligations for r in o["roles"]]


def test_a_clerks_todos_count_what_is_left_and_link_where_it_is_done(service: Service) -> None:
    people = approvals.people(service)
    first = todos(service, "clerk")
    assert first["no_scan"]["count"] == len(people) and first["no_scan"]["link"] == f"/board/{DEPT}/scans"
    assert first["targets_open"]["count"] == len(people)
    assert first["duties"]["count"] == len(duty_roles(service)) and first["duties"]["link"] == f"/board/{DEPT}/duties"
    assert first["monthly"]["count"] == 3  # January to March are over on 04-20
    assert first["monthly"]["link"] == f"/board/{DEPT}/monthly/3" and "4月5日截止" in first["monthly"]["detail"]
    assert "resign" not in first and "targets_returned" not in first

    clerk = service.bearer("clerk")
    for staff_id in people[:2]:
        assert upload(service.client, staff_id, scan_of(staff_id), headers=clerk).status_code == 201
    service.client.put(f"/api/completion/{DEPT}", headers=clerk, json={"entries": [{"staff_id": people[2],
                                                                                    "status": "产假"}]})
    for staff_id in people[3:6]:
        approvals.submit(service, staff_id, user="clerk")
    returned = service.client.post(f"/api/targets/{people[3]}/return", headers=service.bearer("boss"),
                                   json={"comment": "第1条请写明次数"})
    assert returned.status_code == 200, returned.text
    delivered = service.client.put(f"/api/duties/{DEPT}", headers=clerk, json={"roles": [
        {"role_id": role, "duties": "负责本岗位工作。"} for role in duty_roles(service)]})
    assert delivered.status_code == 200, delivered.text
    rows = [{"工号": s, "出勤": 22} for s in people]
    assert service.client.put(f"/api/monthly/{DEPT}/3", headers=clerk, json={"rows": rows}).status_code == 200

    now = todos(service, "clerk")
    assert now["no_scan"]["count"] == len(people) - 3  # two signed, one on leave
    assert now["targets_returned"]["count"] == 1
    assert now["targets_returned"]["link"] == f"/board/{DEPT}/targets?status=退回"
    assert now["targets_open"]["count"] == len(people) - 3
    assert "duties" not in now
    assert now["monthly"]["count"] == 2 and now["monthly"]["link"] == f"/board/{DEPT}/monthly/2"

    # the landing page shows the same list, each item a link
    page = parse_html(service.session("clerk").get(f"/board/{DEPT}").text)
    panel = page.find(data_todos=True)
    assert panel is not None
    shown = {li.attrs["data-todo"]: li for li in panel.find_all("li", data_todo=True)}
    assert list(shown) == list(now)
    for kind, item in now.items():
        link = shown[kind].find("a")
        assert link is not None and link.attrs["href"] == item["link"]
        assert shown[kind].find(data_count=True).text == str(item["count"])  # type: ignore[union-attr]
    # HR looking at the department page sees the department, not the clerk's list
    assert parse_html(service.hr_session().get(f"/board/{DEPT}").text).find(data_todos=True) is None


def test_a_scan_to_sign_again_is_a_todo_and_its_link_filters_the_people(service: Service) -> None:
    from approvals import approve, reopen

    person = approvals.people(service)[0]
    approve(service, person)
    assert upload(service.client, person, PDF, headers=service.bearer("clerk")).status_code == 201
    assert reopen(service, person).status_code == 200
    item = todos(service, "clerk")["resign"]
    assert item["count"] == 1 and item["link"] == f"/board/{DEPT}?status=需重签#people"
    page = parse_html(service.session("clerk").get(item["link"].split("#")[0]).text)
    shown = [row.attrs["data-staff"] for row in page.find_all("tr", data_staff=True) if "hidden" not in row.attrs]
    assert shown == [person]


def test_a_leader_sees_the_sets_waiting_and_is_notified(service: Service) -> None:
    people = approvals.people(service)
    for staff_id in people[:3]:
        approvals.submit(service, staff_id, user="clerk")
    waiting = todos(service, "boss")["targets_waiting"]
    assert waiting == {"kind": "targets_waiting", "label": "个性目标等待审定", "count": 3, "unit": "人",
                       "link": "/board/review", "detail": ""}
    found = notes(service, "boss")
    assert len(found) == 3 and all("机械工程系提交了 1 人的个性目标，等待审定" in n["text"] for n in found)
    assert notes(service, "clerk") == []  # nothing for the department that sent them
    browser = service.session("boss")
    opened = browser.get(f"/notifications/{found[0]['department']}/{found[0]['id']}")
    assert opened.status_code == 303 and opened.headers["location"] == "/board/review"
    assert len(notes(service, "boss")) == 2  # read once opened
    other = service.session("other")
    assert other.get(f"/notifications/{found[1]['department']}/{found[1]['id']}").status_code == 404
    board = parse_html(browser.get("/board").text)
    listed = board.find(data_notes=True)
    assert listed is not None and len(listed.find_all("li")) == 2
    assert board.find("li", data_todo="targets_waiting") is not None


def test_returned_targets_and_duties_notify_the_department(service: Service) -> None:
    person = approvals.people(service)[0]
    approvals.submit(service, person, user="clerk")
    service.client.post(f"/api/targets/{person}/return", headers=service.bearer("boss"), json={"comment": "请补充佐证材料"})
    role = duty_roles(service)[0]
    service.client.put(f"/api/duties/{DEPT}", headers=service.bearer("clerk"), json={"roles": [
        {"role_id": role, "duties": "负责本岗位工作。"}]})
    service.client.post(f"/api/duties/{DEPT}/{role}/return", headers=service.bearer("hr"), json={"comment": "请分条写"})
    texts = [n["text"] for n in notes(service, "clerk")]
    assert any("个性目标被退回修改" in t and "请补充佐证材料" in t for t in texts)
    assert any("岗位职责被人事处退回修改。意见：请分条写" in t for t in texts)
    links = {n["kind"]: n["link"] for n in notes(service, "clerk")}
    assert links == {"targets_returned": f"/board/{DEPT}/targets?status=退回",
                     "duties": f"/board/{DEPT}/duties#role-{role}"}
    assert notes(service, "other") == []  # another department's account


def test_hr_sees_overdue_steps_duties_to_accept_and_refused_workbooks(service: Service) -> None:
    clerk = service.bearer("clerk")
    role = duty_roles(service)[0]
    service.client.put(f"/api/duties/{DEPT}", headers=clerk, json={"roles": [{"role_id": role, "duties": "负责。"}]})
    refused = service.client.post(f"/api/completion/{DEPT}/xlsx", headers=clerk,
                                  files={"file": ("完成情况.xlsx", b"%PDF-1.4 not a workbook", "application/pdf")})
    assert refused.status_code == 415
    service.clock.set(AFTER_DEADLINE)
    found = todos(service, "hr")
    overdue = service.client.get("/api/status").json()["departments"]
    contracts = next(t for t in service.client.get("/api/todos", headers=service.bearer("hr")).json()["todos"]
                     if t["link"] == "/board/chase?step=contracts")
    assert contracts["count"] == sum(1 for d in overdue if d["outstanding"]) and contracts["detail"] == "责任状签订"
    assert found["duties_review"]["count"] == 1
    assert found["workbook_errors"] == {"kind": "workbook_errors", "label": "上传出错的工作簿", "count": 1, "unit": "份",
                                        "link": "/board/workbooks", "detail": ""}
    page = parse_html(service.hr_session().get("/board/workbooks").text)
    row = page.find("tr", data_open=True)
    assert row is not None and "附件5" in row.text and "完成情况.xlsx" in row.text and "xlsx" in row.text
    good = completion_with(annex5.completion_xlsx(service.context.content, DEPT), {approvals.people(service)[0]: "产假"})
    accepted = service.client.post(f"/api/completion/{DEPT}/xlsx", headers=clerk,
                                   files={"file": ("完成情况.xlsx", good, "application/octet-stream")})
    assert accepted.status_code == 200, accepted.text
    assert "workbook_errors" not in todos(service, "hr")  # resolved by the upload accepted
    resolved = parse_html(service.hr_session().get("/board/workbooks").text).find("tr", data_error_id=True)
    assert resolved is not None and "已解决" in resolved.text and "data-open" not in resolved.attrs


def test_hrs_counts_follow_each_change_and_the_day_at_once(service: Service) -> None:
    clerk, hr = service.bearer("clerk"), service.bearer("hr")
    before = todos(service, "hr")
    assert "duties_review" not in before and todos(service, "hr") == before  # read twice: the same
    overdue_links = {t["link"] for t in before.values() if t["link"].startswith("/board/chase")}
    role = duty_roles(service)[0]
    service.client.put(f"/api/duties/{DEPT}", headers=clerk, json={"roles": [{"role_id": role, "duties": "负责。"}]})
    assert todos(service, "hr")["duties_review"]["count"] == 1  # submitted: HR sees it at once
    accepted = service.client.post(f"/api/duties/{DEPT}/{role}/accept", headers=hr)
    assert accepted.status_code == 200, accepted.text
    assert "duties_review" not in todos(service, "hr")
    service.clock.set(AFTER_DEADLINE)  # nothing stored changed, the day did: the contracts are overdue
    after = {t["link"] for t in service.client.get("/api/todos", headers=hr).json()["todos"]}
    assert "/board/chase?step=contracts" in after - overdue_links


def test_the_chase_link_on_hrs_board(service: Service) -> None:
    board = parse_html(service.hr_session().get("/board").text)
    link = board.find("a", data_chase_link=True)
    assert link is not None and link.attrs["href"] == "/board/chase"
    assert parse_html(service.session("boss").get("/board").text).find("a", data_chase_link=True) is None
