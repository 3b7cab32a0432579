"""The organisation checked before it bites, over HTTP and the CLI: each check on the set-up page,
its JSON and HR's to-dos; target sets refused where no leader would review them; a department
with nobody in it shown as 无人员 on every board, the public page, the export, and never chased."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from helpers import (
    AFTER_DEADLINE,
    DEPT,
    OTHER_DEPT,
    PASSWORD,
    Service,
    page_csrf,
    parse_html,
    portal,
    running_service,
)
from reminders_kit import env_for, mail_server, outbound_for

from service.config import Settings
from service.content.models import SELF_LEAD
from service.workflows import accounts

EMPTY = "lab"
NO_APPROVER = "本部门尚未指定主管院领导，请联系人事处"
AFTER_SUMMARIES = AFTER_DEADLINE.replace(month=6, day=10)  # April's and May's summaries are overdue


def add_empty_department(service: Service) -> None:
    hr = service.bearer("hr")
    departments = service.client.get("/api/setup/departments", headers=hr).json()["departments"]
    departments.append({"id": EMPTY, "name": "实验中心", "kind": "部门"})
    answer = service.client.put("/api/setup/departments", json={"departments": departments}, headers=hr)
    assert answer.status_code == 200, answer.text
    accounts.add_user(service.context, "labclerk", "department", EMPTY, PASSWORD, actor="test",
                      details=accounts.Profile(display_name="实验中心报送员", email="lab@example.edu.cn"))


def checks(service: Service) -> dict[str, dict[str, Any]]:
    answer = service.client.get("/api/setup/checks", headers=service.bearer("hr"))
    assert answer.status_code == 200, answer.text
    return {c["kind"]: c for c in answer.json()["checks"]}


def hr_todos(service: Service) -> dict[str, dict[str, Any]]:
    answer = service.client.get("/api/todos", headers=service.bearer("hr"))
    assert answer.status_code == 200, answer.text
    return {t["kind"]: t for t in answer.json()["todos"]}


# -- the checks ---------------------------------------------------------------------------------


def test_each_check_is_listed_on_the_set_up_page_its_json_and_hrs_to_dos(service: Service) -> None:
    service.bearer("clerk")  # jxx's account, and boss overseeing jxx and dqx
    add_empty_department(service)
    content = service.context.content
    led = next(r for r in content.roles if r.lead not in (SELF_LEAD, DEPT, OTHER_DEPT, EMPTY)
               and any(m.role == r.id for m in content.roster))
    staffed = next(d.id for d in content.departments if d.id not in (DEPT, OTHER_DEPT, EMPTY) and content.members(d.id))

    found = checks(service)
    assert set(found) == {"no_leader", "no_clerk", "lead_without_clerk", "empty_department"}
    assert staffed in found["no_leader"]["ids"] and DEPT not in found["no_leader"]["ids"]
    assert EMPTY not in found["no_leader"]["ids"]  # nobody in it: nothing to review
    assert OTHER_DEPT in found["no_clerk"]["ids"] and DEPT not in found["no_clerk"]["ids"]
    assert EMPTY not in found["no_clerk"]["ids"]
    assert led.id in found["lead_without_clerk"]["ids"]
    assert found["empty_department"]["ids"] == [EMPTY] and found["empty_department"]["names"] == ["实验中心"]
    links = {kind: c["link"] for kind, c in found.items()}
    assert links == {"no_leader": "/board/setup/leaders", "no_clerk": "/board/accounts",
                     "lead_without_clerk": "/board/accounts", "empty_department": "/board/setup/departments"}

    page = parse_html(service.hr_session().get("/board/setup").text)
    for kind, check in found.items():
        shown = page.find(data_check=kind)
        assert shown is not None, kind
        assert all(name in shown.text for name in check["names"])
        assert [a.attrs["href"] for a in shown.find_all("a")] == [check["link"]]

    todos = hr_todos(service)
    for kind, check in found.items():
        assert todos[kind]["count"] == check["count"] and todos[kind]["link"] == check["link"]
    board = parse_html(service.hr_session().get("/board").text)
    assert any(a.attrs.get("href") == "/board/setup/leaders" for a in board.find_all("a"))

    service.add_user("leadclerk", "department", led.lead)
    assert led.id not in checks(service)["lead_without_clerk"]["ids"]
    assert service.client.put("/api/setup/leaders", json={"leaders": {"boss": [DEPT, OTHER_DEPT, staffed]}},
                              headers=service.bearer("hr")).status_code == 200
    assert staffed not in checks(service)["no_leader"]["ids"]
    assert staffed not in hr_todos(service).get("no_leader", {}).get("detail", "")


def test_checks_are_read_only_and_for_hr(service: Service) -> None:
    assert service.client.get("/api/setup/checks", headers=service.bearer("clerk")).status_code == 403
    answer = service.client.put("/api/setup/checks", json={"checks": []}, headers=service.bearer("hr"))
    assert answer.status_code == 404


# -- no approver --------------------------------------------------------------------------------


def test_a_department_no_leader_oversees_cannot_submit_targets_and_nothing_changes(service: Service) -> None:
    clerk = service.bearer("clerk")
    assert service.client.put("/api/setup/leaders", json={"leaders": {"boss": [OTHER_DEPT]}},
                              headers=service.bearer("hr")).status_code == 200
    staff = [m.staff_id for m in service.context.content.members(DEPT)]
    rows = service.client.get(f"/api/targets/{staff[0]}", headers=clerk).json()["rows"]
    before = service.context.store.records(DEPT, "targets")

    single = service.client.put(f"/api/targets/{staff[0]}", json={"rows": rows, "submit": True}, headers=clerk)
    assert single.status_code == 409, single.text
    assert single.json() == {"code": "no_approver", "error": NO_APPROVER}
    bulk = service.client.post("/api/targets/bulk", json={"action": "submit", "staff_ids": staff[:3]}, headers=clerk)
    assert bulk.status_code == 409 and bulk.json()["code"] == "no_approver"

    browser = service.session("clerk")
    path = f"/board/{DEPT}/targets/{staff[1]}"
    form = parse_html(browser.get(path).text).find("form", data_targets_form=True)
    assert form is not None
    fields: dict[str, list[str]] = {"csrf": [page_csrf(browser, path)], "action": ["submit"]}
    for e in form.iter():
        if e.tag in ("input", "textarea") and e.attrs.get("name") not in (None, "csrf"):
            fields.setdefault(e.attrs["name"], []).append(e.attrs.get("value", e.text))
    refused = browser.post(path, data=fields)
    assert refused.status_code == 409
    shown = parse_html(refused.text).find(data_error="no_approver")
    assert shown is not None and NO_APPROVER in shown.text
    csrf = page_csrf(browser, f"/board/{DEPT}/targets")
    page = browser.post(f"/board/{DEPT}/targets/bulk", data={"csrf": csrf, "action": "submit", "staff": staff[:2]})
    assert page.status_code == 409 and NO_APPROVER in page.text

    assert service.context.store.records(DEPT, "targets") == before
    assert service.client.get(f"/api/targets/{staff[0]}", headers=clerk).json()["state"] is None
    # saving a draft still works: only submitting waits for a leader
    draft = service.client.put(f"/api/targets/{staff[0]}", json={"rows": rows, "submit": False}, headers=clerk)
    assert draft.status_code == 200


# -- an empty department ------------------------------------------------------------------------


@pytest.fixture
def late(settings: Settings) -> Iterator[Service]:
    """Past the contract deadline and two monthly summaries, with an empty department."""
    with running_service(settings, now=AFTER_SUMMARIES) as svc:
        svc.bearer("clerk")
        add_empty_department(svc)
        yield svc


def test_an_empty_department_shows_no_people_on_every_board_never_complete_or_overdue(late: Service) -> None:
    status = late.client.get("/api/status").json()
    [row] = [d for d in status["departments"] if d["id"] == EMPTY]
    assert row["empty"] is True and row["percent"] is None and row["overdue"] is False and row["staff"] == 0
    assert status["deadline_passed"] is True
    assert any(d["overdue"] for d in status["departments"])  # the others are chased as before

    hr = late.hr_session()
    board_row = parse_html(hr.get("/board").text).find("tr", data_department=EMPTY)
    assert board_row is not None
    assert board_row.find(data_field="state").text.strip() == "无人员"  # type: ignore[union-attr]
    assert board_row.find(data_field="percent").text.strip() == "无人员"  # type: ignore[union-attr]
    assert "已完成" not in board_row.text and "100" not in board_row.text and "逾期" not in board_row.text
    assert "overdue-row" not in board_row.attrs.get("class", "")

    department = parse_html(hr.get(f"/board/{EMPTY}").text)
    assert department.find(data_field="percent").text.strip() == "无人员"  # type: ignore[union-attr]
    assert "100" not in department.find(data_field="percent").text  # type: ignore[union-attr]
    assert department.find("p", class_="overdue") is None

    late.settle()
    public = parse_html(late.status_page.read_text(encoding="utf-8")).find("tr", data_department=EMPTY)
    assert public is not None and "无人员" in public.text
    assert "100" not in public.text and "是" not in public.text

    progress = parse_html(hr.get("/board/progress").text).find("table", data_progress_monthly=True)
    assert progress is not None
    cells = progress.find("tr", data_department=EMPTY).find_all("td", data_month=True)  # type: ignore[union-attr]
    assert len(cells) >= 2 and {c.attrs["data-state"] for c in cells} == {"empty"}
    assert {c.text.strip() for c in cells} == {"无人员"}
    monthly = late.client.get(f"/api/monthly/{EMPTY}/4", headers=late.bearer("hr"))
    assert monthly.status_code == 200 and monthly.json()["state_label"] == "无人员"

    chase = parse_html(hr.get("/board/chase").text)
    assert chase.find("tr", data_department=EMPTY) is None
    assert chase.find("tr", data_department=DEPT) is not None
    assert all(i["department"] != EMPTY for i in late.client.get("/api/chase", headers=late.bearer("hr")).json()["outstanding"])
    assert "overdue" in hr_todos(late)


def test_an_empty_department_is_no_people_in_the_export_workbook(late: Service) -> None:
    answer = late.client.get("/hr/export.xlsx", headers=late.bearer("hr"))
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if "完成率(%)" in r)
    [lab] = [r for r in rows if r[0] == "实验中心"]
    assert lab[header.index("应签人数")] == 0
    assert lab[header.index("完成率(%)")] == "无人员" and lab[header.index("逾期")] == "无人员"
    [jxx] = [r for r in rows if r[0] == late.context.content.department(DEPT).name]  # type: ignore[union-attr]
    assert jxx[header.index("逾期")] == "是"


def test_portal_remind_sends_nothing_for_an_empty_department(settings: Settings) -> None:
    with mail_server() as mail:
        with running_service(settings, now=AFTER_SUMMARIES) as service:
            service.bearer("clerk")
            add_empty_department(service)
        env = {**env_for(outbound_for(mail)), "PORTAL_TODAY": AFTER_SUMMARIES.isoformat()}
        empty = portal(settings, "remind", "--dry-run", "--department", EMPTY, env=env, timeout=60)
        assert empty.returncode == 0, empty.stderr
        assert "试运行：将发送 0 条催办" in empty.stdout and "实验中心" not in empty.stdout
        sent = portal(settings, "remind", "--department", EMPTY, env=env, timeout=60)
        assert sent.returncode == 0, sent.stderr
        assert "没有需要发送的催办" in sent.stdout and mail.messages == []
        others = portal(settings, "remind", "--dry-run", "--department", DEPT, env=env, timeout=60)
        assert "试运行：将发送 0 条催办" not in others.stdout  # the staffed department is still chased
