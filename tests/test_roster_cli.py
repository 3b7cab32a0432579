"""`portal import-roster FILE --map 岗位:<value>=添加为新岗位 --lead 岗位:<value>=<department>`: the
command line adds an export's 岗位 as a new role as the web and the API do (the set-up's roles part,
audited, the choice remembered), and each refusal names the value and the option and changes
nothing in the data directory or the set-up."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers import DEPT, OTHER_DEPT, portal, running_service
from test_roster_mapping import EXPORT_DEPARTMENT, EXPORT_POSTS, audit, export

from service.config import Settings
from service.content.loader import load_content
from service.content.models import SELF_LEAD
from service.content.roster_choices import NEW_ROLE, SELF_LEAD_NAME
from service.workflows.roster import MAPPING_FILE, remembered

DRIVER = "驾驶员"  # the post added as a new role


@pytest.fixture
def export_file(settings: Settings, tmp_path: Path) -> Path:
    """The personnel export (its posts unknown to the set-up), with the data directory made by a
    service that has stopped."""
    with running_service(settings) as service:
        data = export(service)
    path = tmp_path / "人事系统导出.xlsx"
    path.write_bytes(data)
    return path


def known_posts(settings: Settings) -> list[str]:
    """--map for every post but the driver's, and for the export's department."""
    role = load_content(settings.content_dir).roles[0]
    maps = [a for p in EXPORT_POSTS if p != DRIVER for a in ("--map", f"岗位:{p}={role.name}")]
    return [*maps, "--map", f"部门:{EXPORT_DEPARTMENT}={DEPT}"]


def snapshot(settings: Settings) -> dict[str, str]:
    """Every file of the data directory and of the set-up, by its bytes."""
    return {f"{root.name}/{path.relative_to(root)}": hashlib.sha256(path.read_bytes()).hexdigest()
            for root in (settings.data_dir, settings.content_dir) for path in sorted(root.rglob("*"))
            if path.is_file()}


def test_the_cli_adds_a_post_as_a_new_role_through_the_set_up(settings: Settings, export_file: Path) -> None:
    original = load_content(settings.content_dir)
    lead = original.department(OTHER_DEPT)
    assert lead is not None
    new_role = ["--map", f"岗位:{DRIVER}={NEW_ROLE}", "--lead", f"岗位:{DRIVER}={lead.name}"]
    before = snapshot(settings)
    dry = portal(settings, "import-roster", str(export_file), *known_posts(settings), *new_role, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"将添加新岗位：{DRIVER}" in dry.stdout and f"牵头拟定部门：{lead.name}" in dry.stdout
    assert "新岗位未加入学院设置" in dry.stdout
    assert snapshot(settings) == before  # a dry run writes nothing

    with running_service(settings, users=False) as service:
        done = portal(settings, "import-roster", str(export_file), *known_posts(settings), *new_role)
        assert done.returncode == 0, done.stderr
        content = load_content(settings.content_dir)
        driver = next(r for r in content.roles if r.name == DRIVER)
        assert f"已添加新岗位：{DRIVER}（代码 {driver.id}）" in done.stdout
        assert (driver.lead, driver.duties, driver.targets) == (OTHER_DEPT, (), ())
        # the running service has it at its next request, in the set-up console's roles part
        roles = service.client.get("/api/setup/roles", headers=service.bearer("hr")).json()["roles"]
        listed = [r for g in roles if g["lead"] == OTHER_DEPT for r in g["roles"] if r["name"] == DRIVER]
        assert listed == [{"id": driver.id, "name": DRIVER, "duties": [], "targets": []}]
        assert service.context.content.role(driver.id) is not None

    drivers = [m.staff_id for n, m in enumerate(original.roster[:45]) if EXPORT_POSTS[n % len(EXPORT_POSTS)] == DRIVER]
    assert drivers and all(content.staff(s).role == driver.id for s in drivers)  # type: ignore[union-attr]
    assert {m.staff_id for m in content.roster if m.role == driver.id} == set(drivers)

    logged = audit(settings)
    [change] = [e for e in logged if e["action"] == "setup.change"]
    assert change["actor"] == "cli" and change["detail"]["part"] == "roles"  # type: ignore[index]
    assert change["detail"]["before"][driver.id] is None  # type: ignore[index]
    assert change["detail"]["after"][driver.id]["name"] == DRIVER  # type: ignore[index]
    [imported] = [e for e in logged if e["action"] == "roster.import"]
    assert imported["actor"] == "cli" and imported["detail"]["new_roles"] == [driver.id]  # type: ignore[index]
    assert f"{DRIVER}: {driver.id}" in (settings.content_dir / MAPPING_FILE).read_text(encoding="utf-8")

    again = portal(settings, "import-roster", str(export_file), "--dry-run")  # remembered: nothing to map
    assert again.returncode == 0, again.stderr
    assert "名册没有变化" in again.stdout


def test_a_new_role_led_by_each_department_itself(settings: Settings, export_file: Path) -> None:
    done = portal(settings, "import-roster", str(export_file), *known_posts(settings),
                  "--map", f"岗位:{DRIVER}={NEW_ROLE}", "--lead", f"岗位:{DRIVER}={SELF_LEAD_NAME}")
    assert done.returncode == 0, done.stderr
    driver = next(r for r in load_content(settings.content_dir).roles if r.name == DRIVER)
    assert driver.lead == SELF_LEAD


@pytest.mark.parametrize(("extra", "words"), [
    pytest.param(["--map", f"岗位:{DRIVER}={NEW_ROLE}"], ["--lead", f"新岗位“{DRIVER}”", "牵头"], id="lead-missing"),
    pytest.param(["--map", f"岗位:{DRIVER}={NEW_ROLE}", "--lead", f"岗位:{DRIVER}=宇宙研究院"],
                 ["--lead", f"新岗位“{DRIVER}”", "“宇宙研究院”不在部门列表中"], id="lead-unknown"),
    pytest.param(["--map", f"岗位:{DRIVER}=理论课教师", "--map", f"岗位:理论课教师={NEW_ROLE}",
                  "--lead", f"岗位:理论课教师={DEPT}"], ["--map", "岗位“理论课教师”已经是本系统的岗位"], id="exists"),
    pytest.param(["--map", f"岗位:{DRIVER}=理论课教师", "--map", f"岗位:宇航员={NEW_ROLE}",
                  "--lead", f"岗位:宇航员={DEPT}"], ["--map", "没有岗位为“宇航员”的人员"], id="unused"),
    pytest.param(["--map", f"岗位:{DRIVER}=理论课教师", "--lead", f"岗位:{DRIVER}={DEPT}"],
                 [f"--lead 岗位:{DRIVER}", NEW_ROLE], id="lead-without-new-role"),
])
def test_a_new_role_the_cli_cannot_add_is_refused_and_nothing_changes(
        settings: Settings, export_file: Path, extra: list[str], words: list[str]) -> None:
    before = snapshot(settings)
    refused = portal(settings, "import-roster", str(export_file), *known_posts(settings), *extra)
    assert refused.returncode == 1, refused.stdout
    assert all(w in refused.stderr for w in words), refused.stderr
    assert "名册和学院设置均未改动" in refused.stderr
    assert snapshot(settings) == before


def test_a_new_role_is_added_only_to_the_set_up(settings: Settings, export_file: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "other-content"
    elsewhere.mkdir()
    for path in settings.content_dir.glob("*.yml"):
        (elsewhere / path.name).write_bytes(path.read_bytes())
    before = snapshot(settings)
    refused = portal(settings, "import-roster", str(export_file), "--content", str(elsewhere),
                     *known_posts(settings), "--map", f"岗位:{DRIVER}={NEW_ROLE}", "--lead", f"岗位:{DRIVER}={DEPT}")
    assert refused.returncode == 1 and "只能用于学院设置" in refused.stderr, refused.stderr
    assert snapshot(settings) == before
    assert not (elsewhere / MAPPING_FILE).exists()

    # mapped to a role it has, the other directory takes the export and remembers who chose it
    done = portal(settings, "import-roster", str(export_file), "--content", str(elsewhere),
                  *known_posts(settings), "--map", f"岗位:{DRIVER}=理论课教师")
    assert done.returncode == 0, done.stderr
    assert snapshot(settings) == before
    kept = {(m.field, m.value): m for m in remembered(elsewhere)}
    assert kept[("岗位", DRIVER)].target == "theory-teacher"
    assert kept[("岗位", DRIVER)].by == "cli" and kept[("岗位", DRIVER)].at
