"""The college's organisation checked before it bites: the set-up page and HR's to-dos list the
departments nobody can approve for, upload for or draft lead duties for, and the empty ones; a
department without an overseeing leader cannot submit targets; an empty department shows 无人员
everywhere, never 100% and never overdue, and is never chased."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from approvals import people, target_set
from helpers import DEPT, OTHER_DEPT, PASSWORD, Service, audit_actions, page_csrf, parse_html, running_service

from service.config import Settings
from service.rules import schedule
from service.workflows import accounts

SUMMER = dt.datetime(2019, 7, 12, 10, 0)  # contracts, duties and the April–June summaries all overdue
EMPTY = {"id": "lab", "name": "实验中心", "kind": "部门"}


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings) as svc:
        for name in ("clerk", "other", "boss"):
            svc.bearer(name)
        yield svc


def add_empty_department(service: Service) -> None:
    hr = service.bearer("hr")
    departments = service.client.get("/api/setup/departments", headers=hr).json()["departments"]
    answer = service.client.put("/api/setup/departments", headers=hr, json={"departments": [*departments, EMPTY]})
    assert answer.status_code == 200, answer.text


def checks(service: Service) -> list[dict[str, Any]]:
    answer = service.client.get("/api/setup/checks", headers=service.bearer("hr"))
    assert answer.status_code == 200, answer.text
    return answer.json()["checks"]  # type: ignore[no-any-return]


def kinds_of(found: list[dict[str, Any]], department: str) -> set[str]:
    return {c["kind"] for c in found if c["department"] == department}


def test_the_setup_page_and_hrs_todos_list_the_gaps_until_they_are_fixed(service: Service) -> None:
    add_empty_department(service)
    content = service.context.content
    held = {m.role for m in content.roster}
    # a department with people that no standard account serves, and one leading held roles
    lonely = next(d.id for d in content.departments if d.id not in (DEPT, OTHER_DEPT) and content.members(d.id))
    leading = next(d.id for d in content.departments if d.id not in (DEPT, OTHER_DEPT)
                   and any(r.id in held for r in schedule.roles_led_by(content, d.id)))

    found = checks(service)
    assert kinds_of(found, DEPT) == set() and kinds_of(found, OTHER_DEPT) == set()
    assert kinds_of(found, "lab") == {"empty"}
    assert {"no_leader", "no_clerk"} <= kinds_of(found, lonely)
    lead = next(c for c in found if c["department"] == leading and c["kind"] == "lead_no_account")
    led = [r.name for r in schedule.roles_led_by(content, leading) if r.id in held]
    assert lead["detail"] == "、".join(led) and lead["link"] == "/board/accounts"

    page = parse_html(service.hr_session().get("/board/setup").text)
    table = page.find("table", data_org_checks=True)
    assert table is not None
    assert len(table.find_all("tr", data_check=True)) == len(found)
    row = table.find("tr", data_check="empty", data_department="lab")
    assert row is not None and "实验中心" in row.text and "无人员" in row.text

    todos = service.client.get("/api/todos", headers=service.bearer("hr")).json()["todos"]
    [item] = [t for t in todos if t["kind"] == "organisation"]
    assert item["count"] == len(found) and item["link"] == "/board/setup#checks"

    # a leader for `lonely` and an account for it and for `leading`: their rows go
    assert service.client.put("/api/setup/leaders", headers=service.bearer("hr"),
                              json={"leaders": {"boss": [DEPT, OTHER_DEPT, lonely]}}).status_code == 200
    for department in {lonely, leading}:
        accounts.add_user(service.context, f"clerk-{department}", "department", department, PASSWORD, actor="test")
    after = checks(service)
    assert kinds_of(after, lonely) == set()
    assert "lead_no_account" not in kinds_of(after, leading)
    assert len(after) < len(found)


def organisation_todo(service: Service) -> int:
    todos = service.client.get("/api/todos", headers=service.bearer("hr")).json()["todos"]
    return next((t["count"] for t in todos if t["kind"] == "organisation"), 0)


def test_hrs_todo_follows_every_account_and_set_up_change_at_once(service: Service) -> None:
    hr = service.hr_session()
    content = service.context.content
    lonely = next(d.id for d in content.departments if d.id not in (DEPT, OTHER_DEPT) and content.members(d.id))
    before = organisation_todo(service)
    assert before == len(checks(service)) and organisation_todo(service) == before  # read again: the same

    def account_form(path: str, **fields: str) -> None:
        answer = hr.post(path, data={"csrf": page_csrf(hr, "/board/accounts"), **fields})
        assert answer.status_code in (200, 303), answer.text

    account_form("/board/accounts", username=f"clerk-{lonely}", role="department", department=lonely)
    assert organisation_todo(service) == before - 1  # the department has an account now
    account_form(f"/board/accounts/clerk-{lonely}", action="disable", confirm="on")
    assert organisation_todo(service) == before  # a disabled account serves no one
    account_form(f"/board/accounts/clerk-{lonely}", action="enable")
    assert organisation_todo(service) == before - 1
    add_empty_department(service)
    assert organisation_todo(service) == before  # the set-up changed: a department with nobody in it
    assert organisation_todo(service) == len(checks(service))


def test_a_department_no_leader_oversees_cannot_submit_targets(service: Service) -> None:
    hr = service.bearer("hr")
    assert service.client.put("/api/setup/leaders", headers=hr,
                              json={"leaders": {"boss": [OTHER_DEPT]}}).status_code == 200
    clerk = service.bearer("clerk")
    staff_id = people(service)[0]
    rows = target_set(service, staff_id)["rows"]
    answer = service.client.put(f"/api/targets/{staff_id}", headers=clerk, json={"rows": rows, "submit": True})
    assert answer.status_code == 409
    assert answer.json()["code"] == "no_approver"
    assert answer.json()["error"] == "本部门尚未指定主管院领导，请联系人事处"
    assert target_set(service, staff_id)["state"] is None  # nothing stored, not even the draft
    before = audit_actions(service.settings)

    bulk = service.client.post("/api/targets/bulk", headers=clerk,
                               json={"action": "submit", "staff_ids": people(service)[:3]})
    assert bulk.status_code == 409 and bulk.json()["code"] == "no_approver"
    assert [target_set(service, s)["state"] for s in people(service)[:3]] == [None] * 3
    assert audit_actions(service.settings) == before

    # a draft is still the clerk's to keep, and a department with a leader submits as before
    assert service.client.put(f"/api/targets/{staff_id}", headers=clerk,
                              json={"rows": rows, "submit": False}).status_code == 200
    other = people(service, OTHER_DEPT)[0]
    sent = service.client.put(f"/api/targets/{other}", headers=service.bearer("other"),
                              json={"rows": target_set(service, other, "other")["rows"], "submit": True})
    assert sent.status_code == 200, sent.text


def test_an_empty_department_shows_nobody_everywhere_and_is_never_chased(service: Service) -> None:
    add_empty_department(service)
    accounts.add_user(service.context, "lab-clerk", "department", "lab", PASSWORD, actor="test",
                      details=accounts.Profile(email="lab@example.edu.cn"))
    service.clock.set(SUMMER)
    hr = service.bearer("hr")

    status = service.client.get("/api/status").json()
    lab = next(d for d in status["departments"] if d["id"] == "lab")
    assert lab["empty"] is True and lab["percent"] is None and lab["overdue"] is False
    assert any(d["overdue"] for d in status["departments"])  # the others are late: the date counts

    service.publisher.publish_now()
    public = parse_html(service.status_page.read_text(encoding="utf-8")).find("tr", data_department="lab")
    assert public is not None and "无人员" in public.text and "100" not in public.text

    board = parse_html(service.hr_session().get("/board").text).find("tr", data_department="lab")
    assert board is not None and "无人员" in board.text
    assert "已完成" not in board.text and "逾期" not in board.text and "100" not in board.text

    progress = service.client.get("/api/progress", headers=hr).json()
    cells = next(d for d in progress["departments"] if d["id"] == "lab")["monthly"]
    assert cells and {c["state"] for c in cells.values()} == {"nobody"}
    monthly = parse_html(service.hr_session().get("/board/progress").text).find("table", data_progress_monthly=True)
    grid = monthly.find("tr", data_department="lab") if monthly else None
    assert grid is not None and "无人员" in grid.text and "未报送" not in grid.text

    month = service.client.get("/api/monthly/lab/4", headers=hr)
    assert month.status_code == 200 and month.json()["state_label"] == "无人员"

    export = openpyxl.load_workbook(io.BytesIO(service.client.get("/hr/export.xlsx", headers=hr).content))
    summary = export.worksheets[0]
    [row] = [[c.value for c in r] for r in summary.iter_rows() if r[0].value == "实验中心"]
    assert row[2] == 0 and row[6] == "无人员" and row[7] == "无人员"

    chased = service.client.get("/api/chase", headers=hr).json()["outstanding"]
    assert chased and not [c for c in chased if c["department"] == "lab"]
    answer = service.client.post("/api/reminders", headers=hr, json={"dry_run": True})
    assert answer.status_code == 200, answer.text
    planned = answer.json()["reminders"]
    assert planned and not [p for p in planned if "lab@example.edu.cn" in p["to"]]
    chase_page = parse_html(service.hr_session().get("/board/chase").text)
    assert chase_page.find("tr", data_department="lab") is None


def test_hrs_board_lists_empty_departments_last_when_sorted_by_percent(service: Service) -> None:
    add_empty_department(service)
    page = parse_html(service.hr_session().get("/board?sort=percent").text)
    rows = page.find("table", data_board_table=True).find_all("tr", data_department=True)  # type: ignore[union-attr]
    assert rows[-1].attrs["data-department"] == "lab"
