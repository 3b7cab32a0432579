"""HR's set-up console over HTTP: each part read and changed, validated like the files, nothing
saved when refused, and a change seen by the board, /api/status and the status page at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import DEPT, Service, csrf_from, parse_html

from service.config import Settings
from service.content.loader import OPTIONAL_FILES, SETUP_FILES

NEW_ROLE = {"id": "lab-keeper", "name": "实验室管理员", "duties": ["管理实验室设备"],
            "targets": [{"目标内容": "设备完好率不低于95%", "分值": 35, "佐证材料及分值": "设备台账", "完成时限": "全年"},
                        {"目标内容": "实验室安全无事故", "分值": 25, "佐证材料及分值": "检查记录", "完成时限": "全年"}]}


def setup_files(settings: Settings) -> dict[str, bytes]:
    return {name: (settings.content_dir / name).read_bytes() for name in (*SETUP_FILES, *OPTIONAL_FILES)
            if (settings.content_dir / name).exists()}


def put(service: Service, part: str, value: Any, **extra: Any) -> Any:
    return service.client.put(f"/api/setup/{part}", json={part: value, **extra}, headers=service.bearer("hr"))


def get(service: Service, part: str) -> Any:
    response = service.client.get(f"/api/setup/{part}", headers=service.bearer("hr"))
    assert response.status_code == 200, response.text
    return response.json()[part]


def audit(settings: Settings, action: str) -> list[dict[str, Any]]:
    lines = (settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()
    return [entry for entry in map(json.loads, lines) if entry["action"] == action]


def test_a_moved_deadline_is_on_the_board_the_api_and_the_status_page_at_once(service: Service) -> None:
    assert service.client.get("/api/status").json()["deadline"] == "2019-04-26"
    response = put(service, "settings", {"deadlines": {"contracts": "05-10"}, "college": "示例技师学院"})
    assert response.status_code == 200, response.text
    assert response.json()["saved"] is True
    assert service.client.get("/api/status").json()["deadline"] == "2019-05-10"
    assert "5月10日" in service.status_page.read_text(encoding="utf-8")  # regenerated before the answer
    board = service.hr_session().get("/board").text
    assert "5月10日" in board and "4月26日" not in board
    on_disk = yaml.safe_load((service.settings.content_dir / "settings.yml").read_text(encoding="utf-8"))
    assert on_disk["deadlines"]["contracts"] == "05-10" and on_disk["college"] == "示例技师学院"
    assert on_disk["deadlines"]["duties_all"] == "04-23"  # what was not sent stays
    [entry] = audit(service.settings, "setup.change")
    assert entry["detail"]["before"]["deadlines.contracts"] == "04-26"
    assert entry["detail"]["after"]["deadlines.contracts"] == "05-10"
    assert "deadlines.duties_all" not in entry["detail"]["after"]


def test_departments_are_added_renamed_reordered_and_closed_with_their_history(service: Service) -> None:
    departments = get(service, "departments")
    departments[0]["name"] = "党政综合办公室"
    departments.insert(1, {"id": "ai", "name": "人工智能系", "kind": "系"})
    departments.append({"id": "lab", "name": "实验中心", "kind": "部门"})
    assert put(service, "departments", departments).status_code == 200
    listed = [(d["id"], d["name"]) for d in service.client.get("/api/status").json()["departments"]]
    assert ("ai", "人工智能系") in listed and ("dzb", "党政综合办公室") in listed
    assert [d.id for d in service.context.content.departments][:2] == ["dzb", "ai"]

    departments = get(service, "departments")
    closing = next(d for d in departments if d["id"] == DEPT)
    closing["closed"] = "2019-04-20"
    asked = put(service, "departments", departments)
    assert asked.status_code == 409 and asked.json()["code"] == "department_in_use"
    assert asked.json()["people"] == len(service.context.content.members(DEPT))

    departments = get(service, "departments")
    next(d for d in departments if d["id"] == "lab")["closed"] = "2019-04-20"  # nobody in it
    assert put(service, "departments", departments).status_code == 200
    assert "lab" not in [d["id"] for d in service.client.get("/api/status").json()["departments"]]
    kept = next(d for d in get(service, "departments") if d["id"] == "lab")
    assert kept["closed"] == "2019-04-20" and kept["name"] == "实验中心"
    assert [d.id for d in service.context.content.closed_departments] == ["lab"]


def test_a_role_with_its_template_rows_is_added(service: Service) -> None:
    groups = get(service, "roles")
    groups.append({"lead": DEPT, "roles": [NEW_ROLE]})
    assert put(service, "roles", groups).status_code == 200
    role = service.context.content.role("lab-keeper")
    assert role is not None and role.lead == DEPT and role.target_total == 60


def test_common_targets_and_their_rules_are_edited(service: Service) -> None:
    items = get(service, "common-targets")
    items[0]["评分标准"][0]["扣分"] = 1
    assert put(service, "common-targets", items).status_code == 200
    assert service.context.content.common_targets[0].rules[0].points == 1


def test_the_leaders_matrix_sets_each_leaders_departments(service: Service) -> None:
    service.bearer("boss")
    assert put(service, "leaders", {"boss": ["jxx", "jcb"]}).status_code == 200
    [boss] = [leader for leader in get(service, "leaders")["leaders"] if leader["username"] == "boss"]
    assert boss["oversees"] == ["jxx", "jcb"]
    assert service.context.store.accounts.user("boss")["oversees"] == ["jxx", "jcb"]  # type: ignore[index]
    [entry] = audit(service.settings, "setup.leaders")
    assert entry["detail"]["after"] == {"boss": ["jxx", "jcb"]}


def roles_with(service: Service, change: dict[str, Any], lead: str = DEPT) -> list[dict[str, Any]]:
    groups = get(service, "roles")
    return [*groups, {"lead": lead, "roles": [{**NEW_ROLE, **change}]}]


BAD = {
    "points not summing to 60": ("roles", lambda s: roles_with(s, {"targets": [{**NEW_ROLE["targets"][0], "分值": 59}]}),
                                 422, "setup_invalid", "targets"),
    "a department id already used": ("departments", lambda s: [*get(s, "departments"),
                                                               {"id": "jxx", "name": "另一个系", "kind": "系"}],
                                     422, "setup_invalid", "→ id"),
    "an unknown lead department": ("roles", lambda s: roles_with(s, {}, lead="nosuch"), 422, "setup_invalid", "lead"),
    "a deadline that is not a date": ("settings", lambda s: {"deadlines": {"contracts": "下周五"}},
                                      422, "setup_invalid", "deadlines.contracts"),
    "a setting the file does not hold": ("settings", lambda s: {"colour": "红"}, 422, "unknown_setting", "colour"),
    "another year": ("settings", lambda s: {"year": 2020}, 409, "year_change", "year"),
    "a department deleted": ("departments", lambda s: get(s, "departments")[1:], 422, "department_removed", "id"),
    "a leader given an unknown department": ("leaders", lambda s: {"boss": ["nosuch"]}, 422, "unknown_department",
                                             "boss"),
    "a department account in the leaders matrix": ("leaders", lambda s: {"clerk": [DEPT]}, 422, "unknown_leader",
                                                    "clerk"),
    "a registration form item it cannot fill": ("registration-form", lambda s: {
        **get(s, "registration-form"), "header": [{"label": "鞋码", "field": "shoe_size"}]},
        422, "setup_invalid", "header[0].field"),
    "a registration form title with another placeholder": ("registration-form", lambda s: {
        **get(s, "registration-form"), "title": "{name}的年度考核登记表"}, 422, "setup_invalid", "title"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_change_is_refused_and_nothing_is_saved(service: Service, name: str) -> None:
    part, value, status, code, field = BAD[name]
    service.bearer("boss")
    service.bearer("clerk")
    body = value(service)
    before = setup_files(service.settings)
    leaders_before = get(service, "leaders")
    response = put(service, part, body)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code and not answer["error"].isascii()
    assert field in answer["field"]
    assert setup_files(service.settings) == before
    assert get(service, "leaders") == leaders_before
    assert audit(service.settings, "setup.change") == [] and audit(service.settings, "setup.leaders") == []


def test_a_template_sum_names_the_field_in_chinese(service: Service) -> None:
    response = put(service, "roles", BAD["points not summing to 60"][1](service))
    assert "个性目标分值合计应为 60 分，实际为 59 分" in response.json()["error"]
    assert service.client.get("/api/status").json()["deadline"] == "2019-04-26"


def test_only_hr_sets_up_the_college(service: Service) -> None:
    assert service.client.get("/api/setup/settings").status_code == 401
    for who in ("clerk", "boss"):
        headers = service.bearer(who)
        assert service.client.get("/api/setup/settings", headers=headers).status_code == 403
        assert service.client.put("/api/setup/settings", json={"settings": {}}, headers=headers).status_code == 403
    assert service.client.get("/api/setup/nothing", headers=service.bearer("hr")).status_code == 404


def test_the_pages_post_forms_with_the_csrf_token(service: Service) -> None:
    browser = service.hr_session()
    page = browser.get("/board/setup/departments")
    assert page.status_code == 200
    refused = browser.post("/board/setup/departments", data={"id": "x"})
    assert refused.status_code == 403
    rows = get(service, "departments")
    form: dict[str, Any] = {"csrf": csrf_from(page.text),
                            "id": [d["id"] for d in rows] + ["ai"], "name": [d["name"] for d in rows] + ["人工智能系"],
                            "kind": [d["kind"] for d in rows] + ["系"],
                            "order": [str(i + 1) for i in range(len(rows))] + ["0"]}
    saved = browser.post("/board/setup/departments", data=form)
    assert saved.status_code == 303, saved.text[:300]
    assert service.context.content.departments[0].id == "ai"
    shown = browser.get(saved.headers["location"]).text
    assert "已保存" in shown and "门户网站" in shown

    role_page = browser.get("/board/setup/roles?role=new")
    total = parse_html(role_page.text).find("span", data_points_total=True)
    assert total is not None and total.attrs["data-budget"] == "60"
    cells: dict[str, list[str]] = {f"row_{i}": [] for i in range(4)}
    for row in NEW_ROLE["targets"]:
        for i, value in enumerate(row.values()):
            cells[f"row_{i}"].append(str(value))
    wrong = {**cells, "row_1": ["35", "24"]}
    base = {"csrf": csrf_from(role_page.text), "original": "", "id": "lab-keeper", "name": "实验室管理员",
            "lead": DEPT, "duties": "管理实验室设备"}
    refused_sum = browser.post("/board/setup/roles", data={**base, **wrong})
    assert refused_sum.status_code == 422 and "实际为 59 分" in refused_sum.text
    assert service.context.content.role("lab-keeper") is None
    assert browser.post("/board/setup/roles", data={**base, **cells}).status_code == 303
    assert service.context.content.role("lab-keeper") is not None


def test_a_set_up_file_edited_by_hand_is_taken_at_the_next_request(service: Service) -> None:
    path: Path = service.settings.content_dir / "settings.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('contracts: "04-26"', 'contracts: "04-29"'),
                    encoding="utf-8")
    assert service.client.get("/api/status").json()["deadline"] == "2019-04-29"


def test_the_settings_page_names_each_setting_and_saves_only_what_changed(service: Service) -> None:
    browser = service.hr_session()
    page = browser.get("/board/setup/settings")
    tree = parse_html(page.text)
    label = tree.find("label", for_=tree.find("input", name="deadlines.contracts").attrs["id"])  # type: ignore[union-attr]
    assert label is not None and label.text == "签订责任状的截止日期"
    sanctions = tree.find("input", name="assessment.sanctions.记过.months")
    assert sanctions is not None and sanctions.attrs["value"] == "12"
    before = setup_files(service.settings)
    form = {"csrf": csrf_from(page.text), "deadlines.contracts": "4月30日", "monthly_due_day": "5"}
    refused = browser.post("/board/setup/settings", data=form)
    assert refused.status_code == 422
    assert "签订责任状的截止日期（deadlines.contracts）" in parse_html(refused.text).text
    assert setup_files(service.settings) == before
    saved = browser.post("/board/setup/settings", data={**form, "deadlines.contracts": "04-30"})
    assert saved.status_code == 303
    assert service.client.get("/api/status").json()["deadline"] == "2019-04-30"
    [entry] = audit(service.settings, "setup.change")
    assert entry["detail"]["after"] == {"deadlines.contracts": "04-30"}  # the due day was sent unchanged


def test_a_change_that_changes_nothing_leaves_the_file_and_its_comments(service: Service) -> None:
    before = setup_files(service.settings)
    assert put(service, "settings", {"monthly_due_day": 5}).status_code == 200
    assert put(service, "departments", get(service, "departments")).status_code == 200
    assert setup_files(service.settings) == before
    assert audit(service.settings, "setup.change") == []


def test_the_year_is_changed_only_by_starting_a_new_year(service: Service) -> None:
    refused = put(service, "settings", {"year": 2020})
    assert refused.status_code == 409 and refused.json()["code"] == "year_change"
    assert "/board/years" in refused.json()["error"] and "开始新的年度" in refused.json()["error"]
    page = parse_html(service.hr_session().get("/board/setup/settings").text)
    assert page.find("a", href="/board/years") is not None


def test_the_time_zone_and_a_raised_upload_limit_wait_for_a_restart(service: Service) -> None:
    hr = service.hr_session()
    note = parse_html(hr.get("/board/setup/settings").text).find(data_restart_note=True)
    assert note is not None and "时区" in note.text and "上传大小上限" in note.text and "重启服务后" in note.text

    at_once = put(service, "settings", {"uploads": {"max_mb": 10}, "college": "示例技师学院"})
    assert at_once.status_code == 200, at_once.text
    assert at_once.json()["restart"] == {"settings": [], "message": ""}  # a lowered limit works at once

    raised = put(service, "settings", {"uploads": {"max_mb": 30}, "timezone": "Asia/Urumqi"})
    assert raised.status_code == 200, raised.text
    waiting = raised.json()["restart"]
    assert waiting["settings"] == ["timezone", "uploads.max_mb"] and "重启服务后" in waiting["message"]
    unrelated = put(service, "settings", {"college": "另一个名称"})  # still waiting for the restart
    assert unrelated.json()["restart"]["settings"] == ["timezone", "uploads.max_mb"]

    form = parse_html(hr.get("/board/setup/settings").text).find("form", data_setup_settings=True)
    fields = {i.attrs["name"]: i.attrs.get("value", "") for i in form.find_all("input") if i.attrs.get("name")}
    saved = hr.post("/board/setup/settings", data={**fields, "uploads.bulk_limit_mb": "300"})
    assert saved.status_code == 303, saved.text
    notice = hr.get(saved.headers["location"]).text
    assert "其中时区、单个扫描件大小上限、批量上传总大小上限要在重启服务后才生效" in notice

    back = put(service, "settings", {"uploads": {"max_mb": 20, "bulk_limit_mb": 200}, "timezone": "Asia/Shanghai"})
    assert back.json()["restart"]["settings"] == []


def test_the_registration_forms_layout_is_edited_on_its_page(service: Service) -> None:
    browser = service.hr_session()
    page = browser.get("/board/setup/registration-form")
    assert page.status_code == 200, page.text
    form = parse_html(page.text).find("form", data_setup_registration_form=True)
    assert form is not None and "个人总结" in form.text
    before = get(service, "registration-form")
    sections = [*before["sections"][1:], before["sections"][0]]  # the summary moved last
    data: dict[str, Any] = {
        "csrf": csrf_from(page.text), "title": "{year}年度考核登记表（本省格式）",
        "header_label": ["姓名", "所在单位", ""], "header_field": ["name", "department", ""], "header_wide": ["", "1", ""],
        "section_label": [s["label"] for s in sections], "section_field": [s["field"] for s in sections],
        "section_sign": [s.get("sign", "") for s in sections], "section_lines": [str(s.get("lines", "")) for s in sections]}
    saved = browser.post("/board/setup/registration-form", data=data)
    assert saved.status_code == 303, saved.text
    after = get(service, "registration-form")
    assert after["title"] == "{year}年度考核登记表（本省格式）"
    assert after["header"] == [{"label": "姓名", "field": "name"}, {"label": "所在单位", "field": "department", "wide": True}]
    assert [s["field"] for s in after["sections"]] == [s["field"] for s in sections]
    [entry] = audit(service.settings, "setup.change")
    assert entry["detail"]["part"] == "registration-form" and entry["detail"]["file"] == "registration_form.yml"

    files = setup_files(service.settings)
    refused = browser.post("/board/setup/registration-form",
                           data={**data, "section_field": ["", *data["section_field"][1:]]})
    assert refused.status_code == 422
    problems = parse_html(refused.text).find(data_problems=True)
    assert problems is not None and "registration_form.yml" in problems.text and "sections[0].field" in problems.text
    assert setup_files(service.settings) == files and get(service, "registration-form") == after
