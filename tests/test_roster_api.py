"""`POST /api/roster`: HR's client sends the personnel export with its choices for the unknown 岗位
and 部门 values as form fields (`map:岗位:<value>`, `map:部门:<value>`, a new role with
`lead:岗位:<value>`); without `confirm` it answers what the import would change and writes
nothing, with `confirm=1` it imports; a refusal changes neither the set-up nor the roster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import DEPT, Service, running_service

from service.config import Settings
from service.content.roster_choices import NEW_ROLE
from service.workflows.roster import MAPPING_FILE

SET_UP_FILES = ("roster.yml", "roles.yml")
DRIVERS = (("990101", "孙师傅"), ("990102", "周师傅"))
FLEET = "车队"  # the personnel system's name for a department the set-up knows as DEPT


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings) as svc:
        yield svc


def export(service: Service) -> bytes:
    """The roster as the personnel system exports it, with two drivers of its 车队."""
    content = service.context.content
    lines = ["工号,姓名,部门,岗位,职务"]
    lines += [f"{m.staff_id},{m.name},{m.department},{m.role},{m.post}" for m in content.roster]
    lines += [f"{staff_id},{name},{FLEET},驾驶员,驾驶员" for staff_id, name in DRIVERS]
    return "\n".join(lines).encode("utf-8")


def post(service: Service, fields: dict[str, str], data: bytes | None = None, user: str = "hr") -> Any:
    files = {"file": ("人事系统导出.csv", data if data is not None else export(service), "text/csv")}
    return service.client.post("/api/roster", headers=service.bearer(user), data=fields, files=files)


def files_of(settings: Settings) -> dict[str, bytes | None]:
    names = (*SET_UP_FILES, MAPPING_FILE)
    return {n: (settings.content_dir / n).read_bytes() if (settings.content_dir / n).exists() else None for n in names}


def actions(settings: Settings) -> list[str]:
    """The audited changes of the set-up and the roster."""
    path = settings.data_dir / "audit.log"
    logged = [json.loads(line)["action"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [a for a in logged if a.startswith(("setup.", "roster."))]


def chosen(lead: str = DEPT) -> dict[str, str]:
    return {"map:岗位:驾驶员": NEW_ROLE, "lead:岗位:驾驶员": lead, f"map:部门:{FLEET}": DEPT}


def test_unknown_values_are_answered_once_each_with_every_choice(service: Service, settings: Settings) -> None:
    before = files_of(settings)
    answer = post(service, {"confirm": "1"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "roster_invalid"
    unknown = {(u["field"], u["value"]): u for u in body["unknown"]}
    assert set(unknown) == {("岗位", "驾驶员"), ("部门", FLEET)}
    content = service.context.content
    assert [c["name"] for c in unknown[("岗位", "驾驶员")]["choices"]] == [r.name for r in content.roles]
    assert [c["id"] for c in unknown[("部门", FLEET)]["choices"]] == [d.id for d in content.departments]
    assert len(unknown[("岗位", "驾驶员")]["rows"]) == len(DRIVERS)
    assert files_of(settings) == before


def test_without_confirm_the_answer_is_the_preview_and_nothing_is_written(service: Service,
                                                                          settings: Settings) -> None:
    before, logged = files_of(settings), actions(settings)
    answer = post(service, chosen())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["imported"] is False
    assert body["added"] == len(DRIVERS) and body["changed"] == body["removed"] == 0
    assert [(r["name"], r["lead"]) for r in body["new_roles"]] == [("驾驶员", DEPT)]
    assert {"field": "部门", "value": FLEET, "to": DEPT} in body["mapped"]
    assert any(line.startswith("将添加新岗位：驾驶员") for line in body["summary"])
    assert files_of(settings) == before
    assert actions(settings) == logged
    assert all(r.name != "驾驶员" for r in service.context.content.roles)


def test_with_confirm_the_role_is_added_the_people_imported_and_the_choices_kept(service: Service,
                                                                                 settings: Settings) -> None:
    data = export(service)
    answer = post(service, {**chosen(), "confirm": "1"}, data)
    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"] is True
    content = service.context.content
    driver = next(r for r in content.roles if r.name == "驾驶员")
    assert (driver.lead, driver.targets) == (DEPT, ())
    for staff_id, name in DRIVERS:
        member = content.staff(staff_id)
        assert member is not None and (member.name, member.department, member.role) == (name, DEPT, driver.id)
    staff = service.client.get(f"/api/departments/{DEPT}/staff", headers=service.bearer("hr")).json()["staff"]
    assert {s for s, _ in DRIVERS} <= {p["staff_id"] for p in staff}
    roles = service.client.get("/api/setup/roles", headers=service.bearer("hr")).json()["roles"]
    assert driver.id in {r["id"] for g in roles for r in g["roles"]}
    assert {"setup.change", "roster.import"} <= set(actions(settings))
    kept = (settings.content_dir / MAPPING_FILE).read_text(encoding="utf-8")
    assert f"{FLEET}: {DEPT}" in kept and f"驾驶员: {driver.id}" in kept

    again = post(service, {}, data)  # the same export again: nothing left to map, nothing changes
    assert again.status_code == 200, again.text
    assert (again.json()["added"], again.json()["new_roles"]) == (0, [])


@pytest.mark.parametrize(("fields", "status", "code"), [
    ({}, 422, "roster_invalid"),
    ({"map:岗位:驾驶员": NEW_ROLE, f"map:部门:{FLEET}": DEPT}, 422, "new_role_lead_missing"),
    ({**chosen("宇宙研究院")}, 422, "new_role_lead_unknown"),
    ({**chosen(), "map:岗位:理论课教师": NEW_ROLE, "lead:岗位:理论课教师": DEPT}, 422, "new_role_exists"),
    ({"map:岗位:驾驶员": "宇航员", f"map:部门:{FLEET}": DEPT}, 422, "invalid_mapping"),
    ({**chosen(), "map:岗位:飞行员": NEW_ROLE, "lead:岗位:飞行员": DEPT}, 422, "new_role_unused"),
    ({"map:岗位:驾驶员": "理论课教师", f"map:部门:{FLEET}": "nosuch"}, 422, "invalid_mapping"),
])
def test_a_refused_import_leaves_the_set_up_and_the_roster_unchanged(
        service: Service, settings: Settings, fields: dict[str, str], status: int, code: str) -> None:
    before, logged = files_of(settings), actions(settings)
    answer = post(service, {**fields, "confirm": "1"})
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert answer.json()["error"]  # a Chinese message says why
    assert files_of(settings) == before
    assert actions(settings) == logged


def test_only_hr_imports(service: Service, settings: Settings) -> None:
    before = files_of(settings)
    for user in ("clerk", "boss"):
        answer = post(service, {**chosen(), "confirm": "1"}, user=user)
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
    missing = service.client.post("/api/roster", headers=service.bearer("hr"), data={"confirm": "1"})
    assert (missing.status_code, missing.json()["code"]) == (400, "missing_file")
    assert files_of(settings) == before
