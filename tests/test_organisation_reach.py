"""What a clerk and HR meet beyond the organisation checks themselves: the targets web forms
refused with 409 no_approver and nothing stored; a department with nobody in it shown as 无人员
on the progress grid and its monthly summaries, absent from the chase page, and never reminded
by `portal remind`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


def hr_todos(service: Service) -> dict[str, dict[str, Any]]:
    answer = service.client.get("/api/todos", headers=service.bearer("hr"))
    assert answer.status_code == 200, answer.text
    return {t["kind"]: t for t in answer.json()["todos"]}


# -- no approver ---------------------------------------------------------------------------------


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


def test_an_empty_department_is_no_people_on_the_progress_grid_and_absent_from_the_chase_page(late: Service) -> None:
    hr = late.hr_session()
    progress = parse_html(hr.get("/board/progress").text).find("table", data_progress_monthly=True)
    assert progress is not None
    cells = progress.find("tr", data_department=EMPTY).find_all("td", data_month=True)  # type: ignore[union-attr]
    assert len(cells) >= 2 and {c.attrs["data-state"] for c in cells} == {"nobody"}
    assert {c.text.strip() for c in cells} == {"无人员"}
    monthly = late.client.get(f"/api/monthly/{EMPTY}/4", headers=late.bearer("hr"))
    assert monthly.status_code == 200 and monthly.json()["state_label"] == "无人员"

    chase = parse_html(hr.get("/board/chase").text)
    assert chase.find("tr", data_department=EMPTY) is None
    assert chase.find("tr", data_department=DEPT) is not None
    assert all(i["department"] != EMPTY for i in late.client.get("/api/chase", headers=late.bearer("hr")).json()["outstanding"])
    assert "overdue" in hr_todos(late)


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
