"""Upgrades and rollbacks: a data directory of the format before FORMAT existed (made by that
release, tests/fixtures/data-v1) is upgraded by a real `portal serve` after an automatic
backup, in one audited step, with what it could not decide left to HR; a data directory of a
newer format than this release knows is refused with every file left as it was."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from serverproc import PORTAL, accounts, cli, portal_env, serving

from service.config import ROOT, Settings
from service.storage import data_format

FIXTURE = Path(__file__).parent / "fixtures" / "data-v1"
SCAN = "files/2019/jxx/0235942150fa4f8988ab52dbf531f71e.pdf"


@pytest.fixture
def old_data(settings: Settings) -> Settings:
    shutil.copytree(FIXTURE, settings.data_dir)
    for private in ("secret", "audit.log"):
        (settings.data_dir / private).chmod(0o600)
    return settings


def everything(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and directory under `root`: its bytes (b"" for a directory) and its mode."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else b"", p.stat().st_mode)
            for p in sorted(root.rglob("*"))}


def audit_entries(data_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]


def test_an_older_data_directory_is_upgraded_after_a_backup(old_data: Settings) -> None:
    data_dir = old_data.data_dir
    before = {name: data for name, (data, _) in everything(data_dir).items()}
    assert not (data_dir / data_format.FORMAT_FILE).exists()
    with serving(old_data) as server:
        headers = accounts(old_data)
        todos = server.client().get("/api/todos", headers=headers["hr"]).json()["todos"]
        scans = server.client().get("/api/departments/jxx/staff", headers=headers["clerk"]).json()["staff"]
    log = server.log()
    assert "从第 1 版格式升级到第 2 版" in log and "yuanzhang" in log, log
    assert (data_dir / data_format.FORMAT_FILE).read_text(encoding="ascii").strip() == str(data_format.CURRENT)

    backups = list((data_dir / "backups").iterdir())
    assert len(backups) == 1 and backups[0].name.startswith("before-format-2-"), backups
    checked = cli(old_data, "restore", "--check", str(backups[0]))
    assert checked.returncode == 0, checked.stderr
    assert "备份完好" in checked.stdout and "数据格式第 1 版" in checked.stdout  # taken before the upgrade

    upgrades = [e for e in audit_entries(data_dir) if e["action"] == "data.upgrade"]
    assert len(upgrades) == 1, upgrades
    detail = upgrades[0]
    assert detail["actor"] == "system"
    assert (detail["detail"]["from_format"], detail["detail"]["to_format"]) == (1, 2)  # type: ignore[index]
    assert detail["detail"]["leaders_without_departments"] == ["yuanzhang"]  # type: ignore[index]
    assert detail["detail"]["backup"] == f"backups/{backups[0].name}"  # type: ignore[index]

    leaders = [t for t in todos if t["kind"] == "leaders_unassigned"]
    assert leaders and leaders[0]["count"] == 1 and leaders[0]["link"] == "/board/accounts", todos

    # everything the older release stored is still there: the scan, its record, the accounts
    assert (data_dir / SCAN).read_bytes() == before[SCAN]
    assert any(len(p["versions"]) == 1 for p in scans)
    users = {u["username"] for u in json.loads((data_dir / "db" / "accounts.json").read_bytes())["users"].values()}
    assert {"hr", "yuanzhang", "clerk"} <= users
    verify = cli(old_data, "audit", "verify")
    assert verify.returncode == 0 and "校验通过" in verify.stdout, verify.stderr

    # a second start finds the current format: no second backup, no second audit entry
    with serving(old_data):
        pass
    assert len(list((data_dir / "backups").iterdir())) == 1
    assert len([e for e in audit_entries(data_dir) if e["action"] == "data.upgrade"]) == 1


@pytest.mark.parametrize("command", [("serve", "--host", "127.0.0.1", "--port", "0"), ("audit", "verify"),
                                     ("users", "list")])
def test_a_newer_format_is_refused_with_every_file_left_as_it_was(old_data: Settings, command: tuple[str, ...]) -> None:
    data_dir = old_data.data_dir
    (data_dir / data_format.FORMAT_FILE).write_text(f"{data_format.CURRENT + 1}\n", encoding="ascii")
    (data_dir / "db" / ".tmp-left-by-a-crash.json").write_bytes(b"{")  # a recovery would remove it
    inside = old_data.with_(content_dir=data_dir / "setup", sample_dir=ROOT / "content")  # would be seeded
    before = everything(data_dir)
    refused = subprocess.run([PORTAL, *command], env=portal_env(inside), capture_output=True, text=True,
                             timeout=120, check=False, stdin=subprocess.DEVNULL)
    assert refused.returncode != 0
    lines = [line for line in (refused.stdout + refused.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert f"第 {data_format.CURRENT + 1} 版" in lines[0] and "Traceback" not in lines[0]
    assert everything(data_dir) == before
