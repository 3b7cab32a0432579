"""A roster import that fits what HR has: each 岗位 or 部门 of the personnel export that the set-up
does not know is listed once with every choice, mapped in the form (`map:岗位:<value>` fields),
remembered in the set-up for the next import, and a mapping to nothing that exists is refused."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import openpyxl
import pytest
from helpers import DEPT, Service, page_csrf, parse_html, portal, running_service

from service.config import Settings
from service.content.roster_choices import NEW_ROLE
from service.workflows.roster import MAPPING_FILE

# the personnel system's own names for posts, and one for a department
EXPORT_POSTS = ("系主任", "班主任", "一体化教师", "干事", "驾驶员")
EXPORT_DEPARTMENT = "机械系（含实训）"


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings) as svc:
        yield svc


def export(service: Service, people: int = 45) -> bytes:
    """The first `people` of the roster as the personnel system names their posts, and
    DEPT under the export's own name of it."""
    content = service.context.content
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["人员编号", "姓名", "所在部门", "岗位", "职务"])
    for n, m in enumerate(content.roster):
        post = EXPORT_POSTS[n % len(EXPORT_POSTS)] if n < people else content.role(m.role).name  # type: ignore[union-attr]
        department = EXPORT_DEPARTMENT if m.department == DEPT else content.department(m.department).name  # type: ignore[union-attr]
        sheet.append([m.staff_id, m.name, department, post, m.post])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(browser: object, data: bytes | None = None, **fields: str) -> object:
    csrf = page_csrf(browser, "/board/roster")  # type: ignore[arg-type]
    files = {"file": ("人事系统导出.xlsx", data, "application/octet-stream")} if data is not None else None
    return browser.post("/board/roster", data={"csrf": csrf, **fields}, files=files)  # type: ignore[attr-defined]


def test_unknown_values_are_listed_once_mapped_and_remembered(service: Service, settings: Settings) -> None:
    content = service.context.content
    roster = (settings.content_dir / "roster.yml").read_bytes()
    hr = service.hr_session()
    refused = send(hr, export(service))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = parse_html(refused.text)  # type: ignore[attr-defined]
    form = page.find("form", data_roster_mapping=True)
    assert form is not None
    selects = {s.attrs["data-map"]: s for s in form.find_all("select", data_map=True)}
    assert set(selects) == {f"岗位:{p}" for p in EXPORT_POSTS} | {f"部门:{EXPORT_DEPARTMENT}"}  # each once
    role_choices = [o.text for o in selects["岗位:班主任"].find_all("option") if o.attrs.get("value")]
    # the full list, not one example, and the value as a role of its own
    assert role_choices == [*(r.name for r in content.roles), f"{NEW_ROLE}“班主任”"]
    errors = page.find("ol", data_roster_errors=True)
    assert errors is not None and len(errors.find_all("li")) == len(selects)
    assert (settings.content_dir / "roster.yml").read_bytes() == roster

    pending = form.find("input", name="pending").attrs["value"]  # type: ignore[union-attr]
    teacher, officer = content.roles[0], content.roles[-1]
    chosen = {f"map:岗位:{p}": (teacher.id if i % 2 else officer.name) for i, p in enumerate(EXPORT_POSTS)}
    chosen[f"map:部门:{EXPORT_DEPARTMENT}"] = DEPT
    preview = send(hr, pending=pending, **chosen)  # the file is not sent again
    assert preview.status_code == 200, preview.text  # type: ignore[attr-defined]
    summary = parse_html(preview.text).find("pre", data_roster_summary=True)  # type: ignore[attr-defined]
    assert summary is not None and "按对应关系：岗位“班主任”" in summary.text
    confirm = parse_html(preview.text).find("form", data_roster_confirm=True)  # type: ignore[attr-defined]
    preview_id = confirm.find("input", name="preview").attrs["value"]  # type: ignore[union-attr]
    done = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id,
                                                  "confirm": "on"})
    assert done.status_code == 303
    first = service.context.content.roster[1]  # EXPORT_POSTS[1] = 班主任 → teacher
    assert first.role == teacher.id
    assert service.context.content.roster[0].role == officer.id
    assert (settings.content_dir / MAPPING_FILE).exists()

    # the next export, the same names: mapped without asking, shown as mapped
    again = send(hr, export(service))
    assert again.status_code == 200, again.text  # type: ignore[attr-defined]
    text = parse_html(again.text).find("pre", data_roster_summary=True).text  # type: ignore[union-attr]
    assert f"部门“{EXPORT_DEPARTMENT}”" in text and "未变" in text


@pytest.mark.parametrize(("field", "target", "words"), [
    ("map:岗位:班主任", "宇航员", "不在岗位列表中"),
    ("map:部门:机械系（含实训）", "nosuch", "不在部门列表中"),
    ("map:职称:讲师", "teacher", "岗位:人事系统中的名称"),
])
def test_a_mapping_to_nothing_that_exists_is_refused(service: Service, settings: Settings, field: str,
                                                     target: str, words: str) -> None:
    roster = (settings.content_dir / "roster.yml").read_bytes()
    answer = send(service.hr_session(), export(service), **{field: target})
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert 'data-error="invalid_mapping"' in answer.text and words in answer.text  # type: ignore[attr-defined]
    assert (settings.content_dir / "roster.yml").read_bytes() == roster
    assert not (settings.content_dir / MAPPING_FILE).exists()


def test_the_cli_takes_mappings_and_remembers_them(settings: Settings, tmp_path: object) -> None:
    with running_service(settings) as service:
        data = export(service)
        role = service.context.content.roles[0]
    path = tmp_path / "人事系统导出.xlsx"  # type: ignore[operator]
    path.write_bytes(data)
    refused = portal(settings, "import-roster", str(path))
    assert refused.returncode != 0 and "岗位“班主任”" in refused.stderr and role.name in refused.stderr
    maps = [a for p in EXPORT_POSTS for a in ("--map", f"岗位:{p}={role.name}")]
    done = portal(settings, "import-roster", str(path), *maps, "--map", f"部门:{EXPORT_DEPARTMENT}={DEPT}")
    assert done.returncode == 0, done.stderr
    assert "名册已更新" in done.stdout
    again = portal(settings, "import-roster", str(path), "--dry-run")  # remembered: no --map needed
    assert again.returncode == 0, again.stderr
    assert "名册没有变化" in again.stdout


def audit(settings: Settings) -> list[dict[str, object]]:
    path = settings.data_dir / "audit.log"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line] if path.exists() else []


def test_a_post_added_as_a_new_role_joins_the_set_up_with_an_empty_template(service: Service,
                                                                           settings: Settings) -> None:
    content = service.context.content
    kept = {name: (settings.content_dir / name).read_bytes() for name in ("roster.yml", "roles.yml")}
    lead = next(d for d in content.departments if d.id != DEPT)
    hr = service.hr_session()
    form = parse_html(send(hr, export(service)).text).find("form", data_roster_mapping=True)  # type: ignore[attr-defined]
    assert form is not None and form.find("select", name="lead:岗位:驾驶员") is not None
    pending = form.find("input", name="pending").attrs["value"]  # type: ignore[union-attr]
    chosen = {f"map:岗位:{p}": content.roles[0].id for p in EXPORT_POSTS if p != "驾驶员"}
    chosen |= {"map:岗位:驾驶员": NEW_ROLE, f"map:部门:{EXPORT_DEPARTMENT}": DEPT}

    no_lead = send(hr, pending=pending, **chosen)
    assert no_lead.status_code == 422  # type: ignore[attr-defined]
    page = parse_html(no_lead.text)  # type: ignore[attr-defined]
    assert page.find(data_error="new_role_lead_missing") is not None
    again = page.find("form", data_roster_mapping=True)  # the form again, HR's choices kept
    assert again is not None
    picked = again.find("select", name="map:岗位:驾驶员").find("option", selected=True)  # type: ignore[union-attr]
    assert picked is not None and picked.attrs["value"] == NEW_ROLE
    assert again.find("input", name="pending").attrs["value"] == pending  # type: ignore[union-attr]

    preview = send(hr, pending=pending, **{"lead:岗位:驾驶员": lead.name})  # the other choices were kept
    assert preview.status_code == 200, preview.text  # type: ignore[attr-defined]
    page = parse_html(preview.text)  # type: ignore[attr-defined]
    summary = page.find("pre", data_roster_summary=True).text  # type: ignore[union-attr]
    assert "将添加新岗位：驾驶员" in summary and lead.name in summary
    assert {name: (settings.content_dir / name).read_bytes() for name in kept} == kept  # a preview writes nothing
    assert not (settings.content_dir / MAPPING_FILE).exists()
    assert all(r.name != "驾驶员" for r in service.context.content.roles)

    preview_id = page.find("form", data_roster_confirm=True).find("input", name="preview").attrs["value"]  # type: ignore[union-attr]
    done = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"), "preview": preview_id,
                                                  "confirm": "on"})
    assert done.status_code == 303
    now = service.context.content
    driver = next(r for r in now.roles if r.name == "驾驶员")
    assert (driver.lead, driver.duties, driver.targets) == (lead.id, (), ())
    drivers = [m for n, m in enumerate(content.roster[:45]) if EXPORT_POSTS[n % len(EXPORT_POSTS)] == "驾驶员"]
    assert drivers and all(now.staff(m.staff_id).role == driver.id for m in drivers)  # type: ignore[union-attr]
    setup_roles = service.client.get("/api/setup/roles", headers=service.bearer("hr")).json()
    listed = [r for g in setup_roles["roles"] if g["lead"] == lead.id for r in g["roles"] if r["name"] == "驾驶员"]
    assert listed == [{"id": driver.id, "name": "驾驶员", "duties": [], "targets": []}]
    assert "驾驶员" in hr.get("/board/setup/roles").text  # HR fills its template in there
    [change] = [e for e in audit(settings) if e["action"] == "setup.change"]
    assert change["actor"] == "hr" and change["detail"]["part"] == "roles"  # type: ignore[index]
    assert change["detail"]["before"][driver.id] is None  # type: ignore[index]
    assert change["detail"]["after"][driver.id]["name"] == "驾驶员"  # type: ignore[index]
    assert f"驾驶员: {driver.id}" in (settings.content_dir / MAPPING_FILE).read_text(encoding="utf-8")

    # the next export: 驾驶员 is a role now, nothing to map
    assert send(hr, export(service)).status_code == 200  # type: ignore[attr-defined]


@pytest.mark.parametrize(("fields", "code"), [
    ({"map:岗位:驾驶员": NEW_ROLE}, "new_role_lead_missing"),
    ({"map:岗位:驾驶员": NEW_ROLE, "lead:岗位:驾驶员": "宇宙研究院"}, "new_role_lead_unknown"),
    ({"map:岗位:理论课教师": NEW_ROLE, "lead:岗位:理论课教师": DEPT}, "new_role_exists"),
    ({"map:岗位:驾驶员": NEW_ROLE, "lead:岗位:驾驶员": DEPT, "map:岗位:驾 驶员": NEW_ROLE,
      "lead:岗位:驾 驶员": DEPT}, "new_role_exists"),  # two new roles of one name
])
def test_a_new_role_that_cannot_be_added_is_refused_and_nothing_changes(
        service: Service, settings: Settings, fields: dict[str, str], code: str) -> None:
    kept = {name: (settings.content_dir / name).read_bytes() for name in ("roster.yml", "roles.yml")}
    answer = send(service.hr_session(), export(service), **fields)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert f'data-error="{code}"' in answer.text  # type: ignore[attr-defined]
    assert {name: (settings.content_dir / name).read_bytes() for name in kept} == kept
    assert not (settings.content_dir / MAPPING_FILE).exists()
    assert "setup.change" not in [e["action"] for e in audit(settings)]
