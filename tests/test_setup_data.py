"""The college's set-up lives in the data directory (`<data>/setup`), seeded from the shipped
sample content/ on first use: HR's changes (a roster import, a new year) land there and never in
the code checkout, a backup holds them and a restore brings them back, and an installation whose
content/ was edited in place is carried over once, with an audit entry."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DEPT, audit_actions, page_csrf, parse_html, portal, running_service, staff_of
from serverproc import PORTAL, serving
from test_roster_web import NEW_ID, NEW_NAME, export, upload

from service.config import ROOT, SETUP_DIR, Settings, from_env
from service.content.loader import load_content

SHIPPED = ROOT / "content"
SAMPLE_DAY = "2019-04-20"  # a day of the sample's year: the set-up is seeded as the sample is


def tree_hash(root: Path) -> str:
    """One digest of every file's path and bytes under `root`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@pytest.fixture
def data_settings(tmp_path: Path) -> Settings:
    """A checkout's sample (a private copy of content/) and a fresh data directory whose set-up
    is the default `<data>/setup`, not there yet."""
    sample = tmp_path / "checkout" / "content"
    shutil.copytree(SHIPPED, sample)
    data = tmp_path / "var"
    return Settings(root=ROOT, content_dir=data / SETUP_DIR, site_dir=tmp_path / "site", data_dir=data,
                    mkdocs_file=ROOT / "mkdocs.yml", sample_dir=sample)


@pytest.fixture
def untouched(data_settings: Settings) -> Iterator[None]:
    """Fails the test when the sample copy or the checkout's own content/ changed under it."""
    before = tree_hash(data_settings.sample_dir), tree_hash(SHIPPED)
    yield
    assert (tree_hash(data_settings.sample_dir), tree_hash(SHIPPED)) == before, "the checkout's content/ was written"


def test_the_setup_defaults_to_the_data_directory_and_the_sample_to_the_checkout(tmp_path: Path) -> None:
    settings = from_env({"PORTAL_DATA": str(tmp_path / "data")})
    assert settings.content_dir == tmp_path / "data" / "setup"
    assert settings.sample_dir == SHIPPED
    assert settings.docs_dir == tmp_path / "data" / "setup" / "pages"
    chosen = from_env({"PORTAL_DATA": str(tmp_path / "data"), "PORTAL_CONTENT": str(tmp_path / "mine"),
                       "PORTAL_SAMPLE_CONTENT": str(tmp_path / "sample")})
    assert (chosen.content_dir, chosen.sample_dir) == (tmp_path / "mine", tmp_path / "sample")


def test_a_fresh_data_directory_is_seeded_once_and_the_site_is_built_from_it(
        data_settings: Settings, untouched: None) -> None:
    checked = portal(data_settings, "check", env={"PORTAL_TODAY": SAMPLE_DAY})  # in the sample's own year
    assert checked.returncode == 0, checked.stderr
    setup = data_settings.content_dir
    assert f"学院设置：{setup}（首次运行" in checked.stderr
    assert tree_hash(setup) == tree_hash(data_settings.sample_dir)
    assert not any(p.name.startswith(".tmp-") for p in data_settings.data_dir.iterdir())

    page = setup / "pages" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n本院的设置在数据目录中。\n", encoding="utf-8")
    built = portal(data_settings, "build")
    assert built.returncode == 0, built.stderr
    assert "学院设置" not in built.stderr  # placed once: the second command finds it there
    assert "本院的设置在数据目录中。" in (data_settings.site_dir / "index.html").read_text(encoding="utf-8")


def test_commands_started_together_place_the_setup_once(data_settings: Settings, untouched: None) -> None:
    env = {**os.environ, "PORTAL_DATA": str(data_settings.data_dir), "PORTAL_CONTENT": str(data_settings.content_dir),
           "PORTAL_SAMPLE_CONTENT": str(data_settings.sample_dir), "PORTAL_TODAY": SAMPLE_DAY}
    started = [subprocess.Popen([PORTAL, "check"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(4)]
    finished = [(process.wait(timeout=120), process.stderr.read()) for process in started]  # type: ignore[union-attr]
    assert [code for code, _ in finished] == [0] * 4, finished
    assert sum("首次运行" in err for _, err in finished) == 1
    assert tree_hash(data_settings.content_dir) == tree_hash(data_settings.sample_dir)
    assert [p.name for p in data_settings.data_dir.iterdir()] == [SETUP_DIR]


def test_a_web_roster_import_and_a_new_year_change_the_setup_not_the_checkout(
        data_settings: Settings, untouched: None) -> None:
    cut_short = data_settings.data_dir / ".tmp-setup.0badc0de"  # a copy a crash interrupted
    cut_short.mkdir(parents=True)
    (cut_short / "roster.yml").write_text("staff: []\n", encoding="utf-8")
    with running_service(data_settings) as service:
        assert service.app.state.setup_placed.target == data_settings.content_dir
        assert not cut_short.exists()
        hr = service.hr_session()
        form = parse_html(upload(hr, export(service)).text).find("input", name="preview")  # type: ignore[attr-defined]
        assert form is not None
        done = hr.post("/board/roster/confirm", data={"csrf": page_csrf(hr, "/board/roster"),
                                                      "preview": form.attrs["value"], "confirm": "on"})
        assert done.status_code == 303, done.text
        assert staff_of(service.client, DEPT, service.bearer("clerk"))[NEW_ID]["name"] == NEW_NAME
    assert NEW_NAME in (data_settings.content_dir / "roster.yml").read_text(encoding="utf-8")
    assert NEW_NAME not in (data_settings.sample_dir / "roster.yml").read_text(encoding="utf-8")

    year = load_content(data_settings.content_dir).settings.year
    moved = portal(data_settings, "new-year", str(year + 1))
    assert moved.returncode == 0, moved.stderr
    assert load_content(data_settings.content_dir).settings.year == year + 1
    archived = load_content(data_settings.content_dir / "years" / str(year))
    assert archived.settings.year == year and NEW_ID in {m.staff_id for m in archived.roster}
    assert load_content(data_settings.sample_dir).settings.year == year


def test_a_backup_holds_the_setup_and_a_restore_brings_it_back(
        data_settings: Settings, tmp_path: Path, untouched: None) -> None:
    with running_service(data_settings) as service:
        (tmp_path / "export.xlsx").write_bytes(export(service))
    imported = portal(data_settings, "import-roster", str(tmp_path / "export.xlsx"))
    assert imported.returncode == 0, imported.stderr
    roster = (data_settings.content_dir / "roster.yml").read_bytes()
    assert NEW_NAME.encode() in roster

    archive = tmp_path / "portal.tar.gz"
    made = portal(data_settings, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    count = sum(1 for p in data_settings.content_dir.rglob("*") if p.is_file())
    assert f"学院设置 {count} 个" in made.stdout
    with tarfile.open(archive) as packed:
        listed = json.loads(packed.extractfile("manifest.json").read())["files"]  # type: ignore[union-attr]
    assert listed["setup/roster.yml"]["sha256"] == hashlib.sha256(roster).hexdigest()
    assert "setup/pages/index.md" in listed

    shutil.rmtree(data_settings.data_dir)
    restored = portal(data_settings, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert (data_settings.content_dir / "roster.yml").read_bytes() == roster
    checked = portal(data_settings, "check")
    assert checked.returncode == 0 and "学院设置" not in checked.stderr  # restored, not seeded again


def old_installation(data_settings: Settings, tmp_path: Path) -> Settings:
    """What the code did before the set-up lived in the data directory: the service and the
    roster import worked on the checkout's content/ itself; the data directory had no set-up."""
    old = data_settings.with_(content_dir=data_settings.sample_dir)
    with running_service(old) as service:
        (tmp_path / "export.xlsx").write_bytes(export(service))
    imported = portal(old, "import-roster", str(tmp_path / "export.xlsx"))
    assert imported.returncode == 0, imported.stderr
    assert NEW_NAME in (data_settings.sample_dir / "roster.yml").read_text(encoding="utf-8")
    assert not data_settings.content_dir.exists()
    return old


def test_content_edited_in_place_is_moved_into_the_data_directory_once(
        data_settings: Settings, tmp_path: Path) -> None:
    old_installation(data_settings, tmp_path)
    edited = tree_hash(data_settings.sample_dir)
    setup = data_settings.content_dir
    with serving(data_settings) as server, server.client() as client:
        status = client.get("/api/status").json()
        staff = next(d for d in status["departments"] if d["id"] == DEPT)["staff"]
        assert staff == len(load_content(setup).members(DEPT))  # the moved roster, newcomer included
    assert f"学院设置已从代码目录 {data_settings.sample_dir} 移到数据目录：{setup}" in server.log()
    assert tree_hash(setup) == edited and tree_hash(data_settings.sample_dir) == edited
    assert audit_actions(data_settings).count("setup.move") == 1
    log = (data_settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()
    detail = next(json.loads(line)["detail"] for line in log if '"setup.move"' in line)
    assert detail["target"] == str(setup) and detail["source"] == str(data_settings.sample_dir)

    with serving(data_settings) as again:
        pass
    assert f"学院设置：{setup}\n" in again.log() and "移到数据目录" not in again.log()
    assert audit_actions(data_settings).count("setup.move") == 1
    verified = portal(data_settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


def test_the_first_command_after_the_update_moves_the_content_and_audits_it(
        data_settings: Settings, tmp_path: Path) -> None:
    old_installation(data_settings, tmp_path)
    checked = portal(data_settings, "check")
    assert checked.returncode == 0, checked.stderr
    assert "移到数据目录" in checked.stderr
    assert NEW_NAME in (data_settings.content_dir / "roster.yml").read_text(encoding="utf-8")
    assert audit_actions(data_settings).count("setup.move") == 1
    assert "移到数据目录" not in portal(data_settings, "check").stderr
    assert audit_actions(data_settings).count("setup.move") == 1


def test_without_a_set_up_or_a_sample_the_command_says_so_and_creates_nothing(
        data_settings: Settings, tmp_path: Path) -> None:
    missing = data_settings.with_(sample_dir=tmp_path / "no-such-content")
    checked = portal(missing, "check")
    assert checked.returncode == 1
    assert f"学院设置目录 {missing.content_dir} 不存在，样例目录 {missing.sample_dir} 也不存在" in checked.stderr
    assert not missing.data_dir.exists()
