"""Job duties through HTTP: lead and own deliveries judged against 04-18 / 04-23, HR review, role pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import DEPT, Service, audit_actions, page_csrf, parse_html, running_service, wait_for

from service.config import Settings

LEAD = "jwc"  # 教务处 leads 理论课教师, 专业课教师, 教务干事, 教研室主任, 教管办主任
OTHER_LEAD = "xsc"  # 学生处
SILENT_LEAD = "ddc"  # 教育教学督导处, never delivers here


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=dt.datetime(2019, 4, 10, 9, 0)) as svc:
        for department in (LEAD, OTHER_LEAD):
            svc.add_user(f"{department}-clerk", "department", department)
        yield svc


def led_roles(service: Service, department: str) -> list[str]:
    return [r.id for r in service.context.content.roles if r.lead == department]


def deliver(service: Service, department: str, role_ids: list[str], headers: dict[str, str] | None = None) -> Any:
    roles = [{"role_id": r, "duties": [f"{r} 职责一：按计划完成本岗位工作", f"{r} 职责二：配合部门完成其他任务"]}
             for r in role_ids]
    return service.client.put(f"/api/duties/{department}", json={"roles": roles},
                              headers=headers or service.bearer(f"{department}-clerk"))


def duty_states(service: Service) -> dict[str, dict[str, str]]:
    body = service.client.get("/api/progress", headers=service.bearer("hr")).json()
    return {d["id"]: {kind: cell["state"] for kind, cell in d["duties"].items()} for d in body["departments"]}


def test_lead_duties_on_04_18_are_on_time_and_on_04_19_late(service: Service) -> None:
    service.clock.set(dt.datetime(2019, 4, 18, 23, 30))  # college time, still the 18th
    assert deliver(service, OTHER_LEAD, led_roles(service, OTHER_LEAD)).status_code == 200
    service.clock.set(dt.datetime(2019, 4, 19, 8, 0))
    response = deliver(service, LEAD, led_roles(service, LEAD))
    assert response.status_code == 200, response.text
    lead = next(o for o in response.json()["obligations"] if o["kind"] == "lead")
    assert lead["state"] == "late" and lead["state_label"] == "逾期"

    states = duty_states(service)
    assert states[OTHER_LEAD]["lead"] == "on_time"
    assert states[LEAD]["lead"] == "late"
    assert states[SILENT_LEAD]["lead"] == "missing"
    assert states[LEAD]["own"] == "pending"  # its other posts are due 04-23
    assert "lead" not in states[DEPT] and states[DEPT]["own"] == "pending"

    page = parse_html(service.hr_session().get("/board/progress").text)
    row = page.find("table", data_progress_duties=True).find("tr", data_department=LEAD)  # type: ignore[union-attr]
    assert row is not None and row.find("td", data_kind="lead").attrs["data-state"] == "late"  # type: ignore[union-attr]

    service.clock.set(dt.datetime(2019, 4, 24, 9, 0))
    assert duty_states(service)[DEPT]["own"] == "missing"


def test_a_partial_delivery_is_not_a_delivery(service: Service) -> None:
    service.clock.set(dt.datetime(2019, 4, 17, 10, 0))
    assert deliver(service, LEAD, led_roles(service, LEAD)[:2]).status_code == 200
    service.clock.set(dt.datetime(2019, 4, 19, 10, 0))
    assert duty_states(service)[LEAD]["lead"] == "missing"
    assert deliver(service, LEAD, led_roles(service, LEAD)[2:]).status_code == 200
    assert duty_states(service)[LEAD]["lead"] == "late"  # complete only on the 19th


def test_a_returned_role_is_delivered_again_when_resubmitted(service: Service) -> None:
    hr = service.bearer("hr")
    roles = led_roles(service, LEAD)
    service.clock.set(dt.datetime(2019, 4, 16, 10, 0))
    deliver(service, LEAD, roles)
    service.clock.set(dt.datetime(2019, 4, 17, 10, 0))
    returned = service.client.post(f"/api/duties/{LEAD}/{roles[0]}/return", json={"comment": "请按岗位细化"}, headers=hr)
    assert returned.status_code == 200 and returned.json()["state"] == "退回"
    assert duty_states(service)[LEAD]["lead"] == "pending"
    view = service.client.get(f"/api/duties/{LEAD}", headers=service.bearer(f"{LEAD}-clerk")).json()
    role = next(r for o in view["obligations"] for r in o["roles"] if r["role_id"] == roles[0])
    assert role["comment"] == "请按岗位细化"
    service.clock.set(dt.datetime(2019, 4, 18, 10, 0))
    deliver(service, LEAD, roles[:1])
    assert duty_states(service)[LEAD]["lead"] == "on_time"


def test_who_may_deliver_and_review(service: Service) -> None:
    clerk = service.bearer("clerk")
    wrong_role = deliver(service, DEPT, ["theory-teacher"], headers=clerk)  # led by 教务处, not 机械工程系
    assert wrong_role.status_code == 422 and "理论课教师" in wrong_role.json()["error"]
    assert deliver(service, LEAD, led_roles(service, LEAD), headers=clerk).status_code == 403
    empty = service.client.put(f"/api/duties/{DEPT}", json={"roles": [{"role_id": "department-head", "duties": [" "]}]},
                               headers=clerk)
    assert empty.status_code == 422
    assert deliver(service, LEAD, led_roles(service, LEAD)).status_code == 200
    role = led_roles(service, LEAD)[0]
    own = service.client.post(f"/api/duties/{LEAD}/{role}/accept", headers=service.bearer(f"{LEAD}-clerk"))
    assert own.status_code == 403
    assert service.client.post(f"/api/duties/{LEAD}/{role}/accept", headers=service.bearer("boss")).status_code == 403
    assert service.client.post(f"/api/duties/{LEAD}/{role}/return", headers=service.bearer("hr")).status_code == 400
    assert service.client.get(f"/api/duties/{LEAD}").status_code == 401


def test_the_department_form_delivers_duties(service: Service) -> None:
    browser = service.session("clerk")
    path = f"/board/{DEPT}/duties"
    page = parse_html(browser.get(path).text)
    fields = [e.attrs["name"] for e in page.find("form", data_duties_form=True).find_all("textarea")]  # type: ignore[union-attr]
    assert sorted(fields) == ["duties:department-head", "duties:dept-general-office"]
    nothing = browser.post(path, data={"csrf": page_csrf(browser, path), "duties:department-head": " "})
    assert nothing.status_code == 400 and "请至少填写一个岗位" in nothing.text
    response = browser.post(path, data={"csrf": page_csrf(browser, path),
                                        "duties:department-head": "主持系部全面工作\n\n组织教学与学生管理"})
    assert response.status_code == 303
    data = service.client.get(f"/api/duties/{DEPT}", headers=service.bearer("clerk")).json()
    head = next(r for o in data["obligations"] for r in o["roles"] if r["role_id"] == "department-head")
    assert head["state"] == "已提交" and head["duties"] == ["主持系部全面工作", "组织教学与学生管理"]


@pytest.mark.slow
def test_accepted_duties_appear_on_the_role_page_after_the_background_rebuild(service: Service) -> None:
    role = "theory-teacher"
    duties = ["负责理论课教学，按教学计划完成授课任务", "<script>alert(1)</script> 与 {{ 7 * 7 }} 原样显示"]
    response = service.client.put(f"/api/duties/{LEAD}", json={"roles": [{"role_id": role, "duties": duties}]},
                                  headers=service.bearer(f"{LEAD}-clerk"))
    assert response.status_code == 200, response.text
    rebuilder = service.app.state.rebuilder
    assert rebuilder.generations == 0  # nothing is rebuilt before HR accepts

    hr = service.hr_session()
    path = f"/board/{LEAD}/duties"
    accepted = hr.post(f"{path}/{role}", data={"csrf": page_csrf(hr, path), "action": "accept"})
    assert accepted.status_code == 303  # answered at once: the build runs in the background
    wait_for(lambda: rebuilder.generations >= 1, 120, "后台重建在 120 秒内没有完成")
    assert rebuilder.last_error is None

    html = (service.settings.site_dir / "roles" / role / "index.html").read_text(encoding="utf-8")
    section = parse_html(html).find("section", data_department=LEAD)
    assert "各部门报送的岗位职责（经人事处审核）" in html
    assert section is not None and "教务处" in section.text
    items = [li.text for li in section.find_all("li")]
    assert items == ["负责理论课教学，按教学计划完成授课任务", "<script>alert(1)</script> 与 {{ 7 * 7 }} 原样显示"]
    assert "<script>alert(1)</script>" not in html and "49 原样显示" not in html
    status = (service.settings.site_dir / "status" / "index.html").read_text(encoding="utf-8")
    assert parse_html(status).find(data_status_board=True) is not None  # the board was put back
    assert "duties.accept" in audit_actions(service.settings)
    other = (service.settings.site_dir / "roles" / "major-teacher" / "index.html").read_text(encoding="utf-8")
    assert "各部门报送的岗位职责" not in other
