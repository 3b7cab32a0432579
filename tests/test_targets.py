"""Individual targets (附件3) through HTTP: the 60-point check, approval and return, who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import DEPT, OTHER_DEPT, Service, audit_actions, page_csrf, parse_html

from service.office import annex3


@pytest.fixture
def clerk(service: Service) -> dict[str, str]:
    return service.bearer("clerk")


@pytest.fixture
def boss(service: Service) -> dict[str, str]:
    return service.bearer("boss")


def people(service: Service, department: str = DEPT) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def get_set(service: Service, headers: dict[str, str], staff_id: str) -> dict[str, Any]:
    response = service.client.get(f"/api/targets/{staff_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def submit(service: Service, headers: dict[str, str], staff_id: str, rows: list[dict[str, Any]]) -> Any:
    return service.client.put(f"/api/targets/{staff_id}", json={"rows": rows, "submit": True}, headers=headers)


def form_data(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated form fields, in order (the n-th value of each column is row n)."""
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def template(service: Service, headers: dict[str, str], staff_id: str) -> list[dict[str, Any]]:
    data = get_set(service, headers, staff_id)
    assert data["state"] is None and data["state_label"] == "未开始"
    assert data["total"] == 60
    return data["rows"]  # type: ignore[no-any-return]


# -- the 60 points ---------------------------------------------------------------------------------


def test_a_set_summing_to_59_is_refused_with_the_total_named(service: Service, clerk: dict[str, str]) -> None:
    staff_id = people(service)[0]
    rows = template(service, clerk, staff_id)
    rows[0]["分值"] -= 1
    response = submit(service, clerk, staff_id, rows)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_targets"
    assert "59" in body["error"] and "60" in body["error"]
    assert get_set(service, clerk, staff_id)["state"] is None  # nothing stored


def test_every_row_needs_evidence_and_a_deadline(service: Service, clerk: dict[str, str]) -> None:
    staff_id = people(service)[0]
    rows = template(service, clerk, staff_id)
    rows[1]["佐证材料及分值"] = ""
    rows[2]["完成时限"] = " "
    body = submit(service, clerk, staff_id, rows).json()
    assert "第 2 行：请填写佐证材料及分值" in body["error"]
    assert "第 3 行：请填写完成时限" in body["error"]


def test_a_draft_may_be_incomplete_but_not_submitted(service: Service, clerk: dict[str, str]) -> None:
    staff_id = people(service)[0]
    rows = template(service, clerk, staff_id)[:2]
    response = service.client.put(f"/api/targets/{staff_id}", json={"rows": rows}, headers=clerk)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["state"] == "草稿" and len(data["rows"]) == 2
    assert any("合计应为 60 分" in p for p in data["problems"])
    assert submit(service, clerk, staff_id, rows).status_code == 422


def test_the_form_refuses_59_and_keeps_what_was_typed(service: Service) -> None:
    staff_id = people(service)[0]
    browser = service.session("clerk")
    path = f"/board/{DEPT}/targets/{staff_id}"
    page = parse_html(browser.get(path).text)
    form = page.find("form", data_targets_form=True)
    assert form is not None
    inputs = [e for e in form.iter() if e.tag in ("input", "textarea") and e.attrs.get("name") != "csrf"]
    data: list[tuple[str, str]] = [(e.attrs["name"], e.attrs.get("value", e.text)) for e in inputs]
    points = [i for i, (name, value) in enumerate(data) if name == "分值" and value]
    data[points[0]] = ("分值", str(int(data[points[0]][1]) - 1))
    response = browser.post(path, data=form_data([("csrf", page_csrf(browser, path)), ("action", "submit"), *data]))
    assert response.status_code == 422
    html = parse_html(response.text)
    assert "当前为 59 分" in html.find(data_error="invalid_targets").text  # type: ignore[union-attr]
    typed = [e.attrs["value"] for e in html.find_all("input", name="分值") if e.attrs.get("value")]
    assert str(int(data[points[0]][1])) in typed


# -- approval -------------------------------------------------------------------------------------


def test_leader_approves_one_returns_another_and_the_department_resubmits(
        service: Service, clerk: dict[str, str], boss: dict[str, str]) -> None:
    first, second = people(service)[:2]
    for staff_id in (first, second):
        response = submit(service, clerk, staff_id, template(service, clerk, staff_id))
        assert response.status_code == 200 and response.json()["state"] == "已提交"

    waiting = service.client.get("/api/targets", params={"state": "已提交"}, headers=boss).json()["people"]
    assert {p["staff_id"] for p in waiting} == {first, second}
    review = parse_html(service.session("boss").get("/board/review").text)
    assert {r[2] for r in review.find("table", data_review_table=True).rows()} == {first, second}  # type: ignore[union-attr]  # after the tick box and the department

    approved = service.client.post(f"/api/targets/{first}/approve", headers=boss)
    assert approved.status_code == 200 and approved.json()["state"] == "已审定"
    no_comment = service.client.post(f"/api/targets/{second}/return", json={"comment": " "}, headers=boss)
    assert no_comment.status_code == 400 and no_comment.json()["code"] == "comment_required"
    returned = service.client.post(f"/api/targets/{second}/return",
                                   json={"comment": "第3条佐证材料不具体，请补充"}, headers=boss)
    assert returned.status_code == 200 and returned.json()["state"] == "退回"

    # The department sees the comment (JSON and page), edits and resubmits.
    data = get_set(service, clerk, second)
    assert data["comment"] == "第3条佐证材料不具体，请补充"
    page = parse_html(service.session("clerk").get(f"/board/{DEPT}/targets/{second}").text)
    assert "第3条佐证材料不具体，请补充" in page.find(data_comment=True).text  # type: ignore[union-attr]
    rows = data["rows"]
    rows[2]["佐证材料及分值"] = "听课记录本、公开课教案（每少1节扣0.5分）"
    again = submit(service, clerk, second, rows)
    assert again.status_code == 200 and again.json()["state"] == "已提交"
    # The answered return is history now, not the current comment.
    assert again.json()["comment"] == ""
    resubmitted = parse_html(service.session("clerk").get(f"/board/{DEPT}/targets/{second}").text)
    assert resubmitted.find(data_comment=True) is None
    assert "第3条佐证材料不具体，请补充" in resubmitted.find("ol", class_="history").text  # type: ignore[union-attr]
    listed = service.client.get("/api/targets", params={"department": DEPT}, headers=clerk).json()["people"]
    assert next(p for p in listed if p["staff_id"] == second)["comment"] == ""
    assert service.client.post(f"/api/targets/{second}/approve", headers=boss).json()["state"] == "已审定"
    assert get_set(service, clerk, second)["rows"][2]["佐证材料及分值"].startswith("听课记录本")

    # An approved set is final.
    assert service.client.post(f"/api/targets/{first}/approve", headers=boss).status_code == 409
    assert submit(service, clerk, first, rows).status_code == 409
    actions = audit_actions(service.settings)
    assert actions.count("targets.approve") == 2 and actions.count("targets.return") == 1

    progress = service.client.get("/api/progress", headers=service.bearer("hr")).json()
    counts = next(d for d in progress["departments"] if d["id"] == DEPT)["targets"]
    assert counts["已审定"] == 2 and counts["未开始"] == len(people(service)) - 2


def test_a_department_cannot_approve_its_own_and_hr_cannot_approve(
        service: Service, clerk: dict[str, str], boss: dict[str, str]) -> None:
    staff_id = people(service)[0]
    assert submit(service, clerk, staff_id, template(service, clerk, staff_id)).status_code == 200
    own = service.client.post(f"/api/targets/{staff_id}/approve", headers=clerk)
    assert own.status_code == 403 and own.json()["code"] == "not_leader"
    hr = service.client.post(f"/api/targets/{staff_id}/approve", headers=service.bearer("hr"))
    assert hr.status_code == 403
    assert get_set(service, boss, staff_id)["state"] == "已提交"


def test_who_may_draft(service: Service, clerk: dict[str, str], boss: dict[str, str]) -> None:
    staff_id = people(service)[0]
    rows = template(service, clerk, staff_id)
    other = service.client.put(f"/api/targets/{staff_id}", json={"rows": rows}, headers=service.bearer("other"))
    assert other.status_code == 403
    assert service.client.get(f"/api/targets/{staff_id}", headers=service.bearer("other")).status_code == 403
    leader = service.client.put(f"/api/targets/{staff_id}", json={"rows": rows}, headers=boss)
    assert leader.status_code == 403 and leader.json()["code"] == "leader_cannot_edit"
    hr = submit(service, service.bearer("hr"), staff_id, rows)  # HR may draft for any department
    assert hr.status_code == 200 and hr.json()["state"] == "已提交"
    assert service.client.get(f"/api/targets/{staff_id}").status_code == 401
    assert service.client.get("/api/targets", headers=service.bearer("other")).json()["department"] == OTHER_DEPT


def test_the_form_flow_for_department_and_leader(service: Service) -> None:
    staff_id = people(service)[0]
    path = f"/board/{DEPT}/targets/{staff_id}"
    clerk = service.session("clerk")
    page = parse_html(clerk.get(path).text)
    form = page.find("form", data_targets_form=True)
    assert form is not None
    data = [(e.attrs["name"], e.attrs.get("value", e.text)) for e in form.iter()
            if e.tag in ("input", "textarea") and e.attrs.get("name") != "csrf"]
    forged = clerk.post(path, data=form_data([("csrf", "wrong"), ("action", "submit"), *data]))
    assert forged.status_code == 403
    response = clerk.post(path, data=form_data([("csrf", page_csrf(clerk, path)), ("action", "submit"), *data]))
    assert response.status_code == 303 and response.headers["location"].endswith("notice=submit")
    listing = parse_html(clerk.get(f"/board/{DEPT}/targets").text)
    row = listing.find("tr", data_staff=staff_id)
    assert row is not None and row.attrs["data-state"] == "已提交"

    leader = service.session("boss")
    response = leader.post(path, data={"csrf": page_csrf(leader, path), "action": "return", "comment": ""})
    assert response.status_code == 400 and "退回时请填写审定意见" in response.text
    response = leader.post(path, data={"csrf": page_csrf(leader, path), "action": "approve", "comment": "同意"})
    assert response.status_code == 303 and response.headers["location"].startswith("/board/review")
    assert parse_html(clerk.get(path).text).find(data_state=True).text == "已审定"  # type: ignore[union-attr]


def test_someone_elses_person_under_a_department_url_is_404(service: Service) -> None:
    staff_id = people(service, OTHER_DEPT)[0]
    assert service.session("hr", service.hr_password).get(f"/board/{DEPT}/targets/{staff_id}").status_code == 404


# -- the annex 3 workbook ---------------------------------------------------------------------------


def filled_annex3(service: Service, staff_id: str, cells: dict[str, object] | None = None) -> bytes:
    import io

    import openpyxl


    member = service.context.content.staff(staff_id)
    assert member is not None
    data = annex3.targets_xlsx(service.context.content, member)
    if not cells:
        return data
    book = openpyxl.load_workbook(io.BytesIO(data))
    for ref, value in cells.items():
        book["附件3"][ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_annex3_workbook_saves_or_submits_a_set(service: Service, clerk: dict[str, str]) -> None:
    first, second = people(service)[:2]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    url = f"/api/departments/{DEPT}/targets.xlsx"
    response = service.client.post(url, headers=clerk, data={"submit": "true"},
                                   files={"file": ("附件3.xlsx", filled_annex3(service, first), xlsx)})
    assert response.status_code == 200, response.text
    assert response.json()["staff_id"] == first and response.json()["state"] == "已提交"
    assert response.json()["total"] == 60

    short = filled_annex3(service, second, {"C5": 1})
    refused = service.client.post(url, headers=clerk, files={"file": ("附件3.xlsx", short, xlsx)})
    assert refused.status_code == 422 and "实际为" in refused.json()["error"]
    other = service.client.post(f"/api/departments/{OTHER_DEPT}/targets.xlsx", headers=service.bearer("other"),
                                files={"file": ("附件3.xlsx", filled_annex3(service, second), xlsx)})
    assert other.status_code == 422  # a 机械工程系 person on 电气工程系's upload
    assert service.client.post(url, headers=clerk, files={"file": ("x.xlsx", b"not a workbook", xlsx)}).status_code == 415

    browser = service.session("clerk")
    path = f"/board/{DEPT}/targets"
    done = browser.post(f"{path}/xlsx", data={"csrf": page_csrf(browser, path)},
                        files={"file": ("附件3.xlsx", filled_annex3(service, second), xlsx)})
    assert done.status_code == 303 and done.headers["location"] == f"{path}/{second}?notice=save"
    assert get_set(service, clerk, second)["state"] == "草稿"
