"""A leader's own board: the overview lists only the departments the leader oversees, each opens
as a page for reading and deciding (no upload forms), and a refusal names the leader's reach."""

from __future__ import annotations

from helpers import DEPT, OTHER_DEPT, PASSWORD, Service, parse_html

from service.workflows import accounts


def names(service: Service, *ids: str) -> list[str]:
    return [d.name for d in service.context.content.departments if d.id in ids]


def test_the_overview_lists_only_the_departments_overseen(service: Service) -> None:
    page = parse_html(service.session("boss").get("/board").text)
    table = page.find("table", data_board_table=True)
    assert table is not None
    listed = {row.attrs["data-department"] for row in table.find_all("tr", data_department=True)}
    assert listed == {DEPT, OTHER_DEPT}
    content = service.context.content
    people = len(content.members(DEPT)) + len(content.members(OTHER_DEPT))
    totals = page.find(data_totals=True)
    assert totals is not None and totals.find(data_field="staff").text == str(people)  # type: ignore[union-attr]
    hr = parse_html(service.hr_session().get("/board").text).find("table", data_board_table=True)
    assert hr is not None and len(hr.find_all("tr", data_department=True)) == len(content.departments)


def test_an_overseen_department_opens_for_reading_and_deciding(service: Service) -> None:
    boss = service.session("boss")
    answer = boss.get(f"/board/{DEPT}")
    assert answer.status_code == 200, answer.text
    page = parse_html(answer.text)
    assert page.find("input", type="file") is None  # nothing to upload
    assert page.find("a", data_leader_review=True) is not None
    assert "填报个性目标" not in answer.text and "报送月汇总" not in answer.text
    rows = page.find_all("tr", data_staff=True)
    assert len(rows) == len(service.context.content.members(DEPT))
    for path in (f"/board/{DEPT}/targets", f"/board/{DEPT}/grades", f"/board/{DEPT}/monthly", f"/board/{DEPT}/duties"):
        assert boss.get(path).status_code == 200, path
    staff = service.client.get(f"/api/departments/{DEPT}/staff", headers=service.bearer("boss"))
    assert staff.status_code == 200 and len(staff.json()["staff"]) == len(rows)


def test_another_department_is_refused_in_the_leaders_words(service: Service) -> None:
    third = next(d.id for d in service.context.content.departments if d.id not in (DEPT, OTHER_DEPT))
    page = service.session("boss").get(f"/board/{third}")
    assert page.status_code == 403
    assert "本部门" not in page.text and "您分管" in page.text
    assert all(name in page.text for name in names(service, DEPT, OTHER_DEPT))
    api = service.client.get(f"/api/departments/{third}/staff", headers=service.bearer("boss"))
    assert api.status_code == 403 and "您分管" in api.json()["error"]
    write = service.client.put(f"/api/completion/{DEPT}", headers=service.bearer("boss"), json={"entries": []})
    assert write.status_code == 403 and "不能代部门填报" in write.json()["error"]


def test_a_leader_without_departments_is_told_so(service: Service) -> None:
    accounts.add_user(service.context, "newboss", "leader", None, PASSWORD, actor="test")
    page = service.session("newboss").get(f"/board/{DEPT}")
    assert page.status_code == 403 and "尚未为您的院领导账号指定分管部门" in page.text
