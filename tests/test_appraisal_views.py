"""The leaders' views on each person's year: the supervising leader's comment and proposed grade,
written only by a leader overseeing the person's department, and the unit head's view, written by
the department's own account; both through the API and the pages, audited, refused with nothing
stored when they come from the wrong account or carry a grade the year does not have."""

from __future__ import annotations

import json

from helpers import DEPT, OTHER_DEPT, Service, audit_actions, page_csrf, parse_html

from service.workflows import appraisal_views


def first(service: Service, department: str = DEPT) -> str:
    return service.context.content.members(department)[0].staff_id


def stored(service: Service) -> list[dict[str, object]]:
    return [doc for department in (DEPT, OTHER_DEPT)
            for doc in service.context.store.records(department, appraisal_views.TABLE)]


def test_the_overseeing_leader_records_a_comment_and_a_grade(service: Service) -> None:
    sid = first(service)
    saved = service.client.put(f"/api/appraisal/views/{sid}/leader", headers=service.bearer("boss"),
                               json={"comment": "工作勤恳，成绩突出。", "grade": "优秀"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["leader"]["comment"] == "工作勤恳，成绩突出。"
    assert saved.json()["leader"]["grade"] == "优秀" and saved.json()["head"] is None
    read = service.client.get(f"/api/appraisal/views/{sid}", headers=service.bearer("clerk")).json()
    assert read["leader"]["by"] == "boss" and read["may_write"] == ["head"]
    assert "appraisal.view.leader" in audit_actions(service.settings)
    entry = next(json.loads(line) for line in (service.settings.data_dir / "audit.log").read_text().splitlines()
                 if json.loads(line)["action"] == "appraisal.view.leader")
    assert "工作勤恳" not in json.dumps(entry, ensure_ascii=False)  # the text stays out of the log
    views = appraisal_views.views_for(service.context, DEPT)
    assert views[sid].leader is not None and views[sid].leader.grade == "优秀"
    assert list(views) == [m.staff_id for m in service.context.content.members(DEPT)]


def test_the_department_records_its_heads_view(service: Service) -> None:
    sid = first(service)
    saved = service.client.put(f"/api/appraisal/views/{sid}/head", headers=service.bearer("clerk"),
                               json={"comment": "同意主管领导意见", "grade": "合格"})
    assert saved.status_code == 200, saved.text
    listing = service.client.get(f"/api/appraisal/departments/{DEPT}", headers=service.bearer("hr")).json()
    person = next(p for p in listing["people"] if p["staff_id"] == sid)
    assert person["head"]["grade"] == "合格" and listing["may_write"] == []
    assert "优秀" in listing["grades"] and "不定档次" in listing["grades"]


def test_a_leader_of_another_department_is_refused(service: Service) -> None:
    service.add_user("boss2", "leader", oversees=(OTHER_DEPT,))
    sid = first(service)
    refused = service.client.put(f"/api/appraisal/views/{sid}/leader", headers=service.bearer("boss2"),
                                 json={"comment": "好", "grade": "优秀"})
    assert refused.status_code == 403
    assert service.client.get(f"/api/appraisal/views/{sid}", headers=service.bearer("boss2")).status_code == 403
    other = first(service, OTHER_DEPT)
    assert service.client.put(f"/api/appraisal/views/{other}/leader", headers=service.bearer("boss2"),
                              json={"comment": "好", "grade": "合格"}).status_code == 200
    assert [d["staff_id"] for d in stored(service)] == [other]


def test_the_wrong_account_for_each_view_is_refused(service: Service) -> None:
    sid = first(service)
    body = {"comment": "好", "grade": "合格"}
    assert service.client.put(f"/api/appraisal/views/{sid}/leader", headers=service.bearer("clerk"),
                              json=body).status_code == 403
    assert service.client.put(f"/api/appraisal/views/{sid}/head", headers=service.bearer("boss"),
                              json=body).status_code == 403
    assert service.client.put(f"/api/appraisal/views/{sid}/head", headers=service.bearer("other"),
                              json=body).status_code == 403
    assert service.client.put(f"/api/appraisal/views/{sid}/head", headers=service.bearer("hr"),
                              json=body).status_code == 403
    assert service.client.put(f"/api/appraisal/views/{sid}/head", json=body).status_code == 401
    assert stored(service) == []


def test_bad_views_are_refused_with_nothing_stored(service: Service) -> None:
    sid = first(service)
    cases = [({"comment": "好", "grade": "特等"}, 422, "unknown_grade"),
             ({"comment": "  ", "grade": "合格"}, 400, "missing_comment"),
             ({"comment": "很" * 1001, "grade": "合格"}, 422, "comment_too_long"),
             (["合格"], 400, "invalid_body")]
    for body, status, code in cases:
        refused = service.client.put(f"/api/appraisal/views/{sid}/leader", headers=service.bearer("boss"), json=body)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    unknown = service.client.put(f"/api/appraisal/views/{sid}/mayor", headers=service.bearer("boss"),
                                 json={"comment": "好", "grade": "合格"})
    assert unknown.status_code == 404
    assert stored(service) == []


def test_the_leaders_page_and_the_form(service: Service) -> None:
    sid = first(service)
    boss = service.session("boss")
    college = parse_html(boss.get("/board/appraisal").text)
    assert college.find("tr", data_department=DEPT) is not None
    path = f"/board/{DEPT}/appraisal/{sid}"
    csrf = page_csrf(boss, path)
    page = parse_html(boss.get(path).text)
    assert page.find("form", data_view_form="leader") is not None
    assert page.find("form", data_view_form="head") is None
    bad = boss.post(f"{path}/views/leader", data={"csrf": csrf, "comment": "有待提高", "grade": "甲等"})
    assert bad.status_code == 422 and "有待提高" in bad.text  # the text is kept for another try
    assert stored(service) == []
    done = boss.post(f"{path}/views/leader", data={"csrf": csrf, "comment": "有待提高", "grade": "基本合格"})
    assert done.status_code == 303 and done.headers["location"] == f"{path}?notice=saved"
    shown = parse_html(boss.get(path).text).find("div", data_view="leader")
    assert shown is not None and "有待提高" in shown.text and "基本合格" in shown.text
    clerk = service.session("clerk")
    assert clerk.get("/board/appraisal").headers["location"] == f"/board/{DEPT}/appraisal"
    row = parse_html(clerk.get(f"/board/{DEPT}/appraisal").text).find("tr", data_staff=sid)
    assert row is not None and row.find("td", data_view="leader").text == "基本合格"  # type: ignore[union-attr]
    assert service.session("other").get(path).status_code == 403
