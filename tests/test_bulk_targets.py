"""Target sets by the list, through the pages and the API: the template applied and sets submitted
for the people ticked, a leader's approval after a page that lists the names, a return that
always has its comment; each person judged as one, the rest refused with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from approvals import people
from helpers import DEPT, OTHER_DEPT, Service, audit_actions, page_csrf, parse_html, running_service

from service.config import Settings


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings) as svc:
        for name in ("clerk", "boss"):
            svc.bearer(name)
        yield svc


def state(service: Service, staff_id: str) -> str | None:
    return service.client.get(f"/api/targets/{staff_id}", headers=service.bearer("hr")).json()["state"]  # type: ignore[no-any-return]


def bulk(browser: Any, action: str, staff: list[str], path: str = f"/board/{DEPT}/targets/bulk", **extra: str) -> Any:
    csrf = page_csrf(browser, f"/board/{DEPT}/targets" if "targets" in path else "/board/review")
    return browser.post(path, data={"csrf": csrf, "action": action, "staff": staff, **extra})


def test_a_clerk_applies_the_template_and_submits_the_people_ticked(service: Service) -> None:
    chosen = people(service)[:5]
    clerk = service.session("clerk")
    drafted = bulk(clerk, "template", chosen)
    assert drafted.status_code == 200
    result = parse_html(drafted.text).find(data_bulk_result="template")
    assert result is not None and "已办理 5 人" in result.text
    assert [state(service, s) for s in chosen] == ["草稿"] * 5
    assert state(service, people(service)[5]) is None  # not ticked: untouched

    broken = service.client.get(f"/api/targets/{chosen[0]}", headers=service.bearer("clerk")).json()["rows"]
    broken[0]["分值"] = float(broken[0]["分值"]) - 1
    assert service.client.put(f"/api/targets/{chosen[0]}", json={"rows": broken, "submit": False},
                              headers=service.bearer("clerk")).status_code == 200
    fresh = people(service)[5]  # never drafted: submitted as its role's template
    sent = bulk(clerk, "submit", [*chosen, fresh])
    page = parse_html(sent.text)
    result = page.find(data_bulk_result="submit")
    assert result is not None and "已办理 5 人，1 人未办理" in result.text
    refused = page.find("li", data_refused=chosen[0])
    assert refused is not None and "59" in refused.text
    assert [state(service, s) for s in [*chosen[1:], fresh]] == ["已提交"] * 5
    assert state(service, chosen[0]) == "草稿"
    assert audit_actions(service.settings).count("targets.bulk.submit") == 1  # one commit for the five
    note = service.client.get("/api/todos", headers=service.bearer("boss")).json()["notifications"]
    assert len(note) == 1 and "提交了 5 人的个性目标" in note[0]["text"]


def test_a_department_cannot_tick_another_departments_people(service: Service) -> None:
    other = people(service, OTHER_DEPT)[0]
    answer = bulk(service.session("clerk"), "submit", [people(service)[0], other])
    assert answer.status_code == 403
    assert state(service, people(service)[0]) is None and state(service, other) is None


def test_a_leader_approves_the_ticked_sets_after_seeing_their_names(service: Service) -> None:
    chosen = people(service)[:5]
    service.client.post("/api/targets/bulk", headers=service.bearer("clerk"),
                        json={"action": "submit", "staff_ids": chosen})
    boss = service.session("boss")
    review = parse_html(boss.get("/board/review").text)
    assert {r.attrs["value"] for r in review.find_all("input", data_pick=True)} == set(chosen)
    confirm = bulk(boss, "approve", chosen, "/board/review/confirm")
    assert confirm.status_code == 200
    page = parse_html(confirm.text)
    listed = page.find(data_confirm_list="5")
    names = [m.name for m in service.context.content.members(DEPT)[:5]]
    assert listed is not None and all(name in listed.text for name in names)
    assert [state(service, s) for s in chosen] == ["已提交"] * 5  # nothing decided yet
    hidden = [i.attrs["value"] for i in page.find_all("input", name="staff")]
    done = boss.post("/board/review/bulk", data={"csrf": page_csrf(boss, "/board/review"), "action": "approve",
                                                 "staff": hidden})
    assert done.status_code == 200
    result = parse_html(done.text).find(data_bulk_result="approve")
    assert result is not None and "审定通过：已办理 5 人" in result.text
    assert [state(service, s) for s in chosen] == ["已审定"] * 5
    assert audit_actions(service.settings).count("targets.bulk.approve") == 1
    found = service.client.get(f"/api/targets/{chosen[0]}", headers=service.bearer("hr")).json()
    assert found["approved"]["version"] == 1 and found["approved"]["tag"]  # as one by one: a version and its tag
    assert parse_html(boss.get("/board/review").text).find("table", data_review_table=True) is None


def test_a_return_always_asks_for_a_comment(service: Service) -> None:
    chosen = people(service)[:2]
    service.client.post("/api/targets/bulk", headers=service.bearer("clerk"),
                        json={"action": "submit", "staff_ids": chosen})
    boss = service.session("boss")
    silent = bulk(boss, "return", chosen, "/board/review/confirm", comment="  ")
    assert silent.status_code == 400
    alert = parse_html(silent.text).find(data_error="comment_required")
    assert alert is not None and "退回时请填写审定意见" in alert.text
    api = service.client.post("/api/targets/bulk", headers=service.bearer("boss"),
                              json={"action": "return", "staff_ids": chosen})
    assert api.status_code == 400 and api.json()["code"] == "comment_required"
    assert [state(service, s) for s in chosen] == ["已提交"] * 2
    page = parse_html(bulk(boss, "return", chosen, "/board/review/confirm", comment="佐证材料不具体").text)
    assert page.find(data_confirm_list="2") is not None
    assert [i.attrs["value"] for i in page.find_all("input", name="comment")] == ["佐证材料不具体"]
    done = boss.post("/board/review/bulk", data={"csrf": page_csrf(boss, "/board/review"), "action": "return",
                                                 "comment": "佐证材料不具体", "staff": chosen})
    assert done.status_code == 200
    assert [state(service, s) for s in chosen] == ["退回"] * 2
    note = service.client.get("/api/todos", headers=service.bearer("clerk")).json()["notifications"]
    assert len(note) == 1 and "2 人的个性目标被退回修改" in note[0]["text"] and "佐证材料不具体" in note[0]["text"]


def test_only_the_leader_overseeing_a_department_decides_its_sets(service: Service) -> None:
    chosen = people(service)[:1]
    service.client.post("/api/targets/bulk", headers=service.bearer("clerk"),
                        json={"action": "submit", "staff_ids": chosen})
    service.add_user("lead2", "leader", oversees=(OTHER_DEPT,))
    stranger = service.session("lead2")
    assert bulk(stranger, "approve", chosen, "/board/review/confirm").status_code == 403
    assert bulk(service.hr_session(), "approve", chosen, "/board/review/confirm").status_code == 403
    answer = service.client.post("/api/targets/bulk", headers=service.bearer("clerk"),
                                 json={"action": "approve", "staff_ids": chosen})
    assert answer.status_code == 200 and answer.json()["done"] == []
    assert "只有主管院领导可以审定" in answer.json()["refused"][0]["message"]
    assert state(service, chosen[0]) == "已提交"
