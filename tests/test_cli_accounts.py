"""`portal users add|token|list` and `portal audit verify`, run as real processes on a temp data dir."""

from __future__ import annotations

import json

import pytest
from helpers import DEPT, JPEG, OTHER_DEPT, PASSWORD, PDF, portal, running_service, scan_of, staff_of, upload
from starlette.testclient import TestClient

from service.config import Settings
from service.web.app import create_app


def test_users_add_reads_two_password_lines_and_the_account_logs_in(settings: Settings) -> None:
    result = portal(settings, "users", "add", "jxxclerk", "--role", "department", "--department", DEPT,
                    stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.returncode == 0, result.stderr
    assert "jxxclerk" in result.stdout
    listed = portal(settings, "users", "list")
    assert listed.returncode == 0
    rows = [line.split("\t")[:3] for line in listed.stdout.splitlines()]
    assert ["jxxclerk", "department", DEPT] in rows
    with running_service(settings, users=False) as service:
        browser = service.session("jxxclerk", PASSWORD)
        assert staff_of(browser, DEPT)
        assert browser.get(f"/api/departments/{OTHER_DEPT}/staff").status_code == 403


@pytest.mark.parametrize(("args", "stdin"), [
    (("--role", "department", "--department", DEPT), f"{PASSWORD}\nsomething-else\n"),  # mismatched lines
    (("--role", "department", "--department", DEPT), f"{PASSWORD}\n"),  # only one line
    (("--role", "department", "--department", "nope"), f"{PASSWORD}\n{PASSWORD}\n"),  # unknown department
    (("--role", "department"), f"{PASSWORD}\n{PASSWORD}\n"),  # a department account needs its department
    (("--role", "leader"), "short\nshort\n"),  # too short a password
])
def test_users_add_refuses_bad_input(settings: Settings, args: tuple[str, ...], stdin: str) -> None:
    result = portal(settings, "users", "add", "someone", *args, stdin=stdin)
    assert result.returncode != 0
    assert result.stderr.strip().startswith("错误")
    assert "someone" not in portal(settings, "users", "list").stdout


def test_users_token_prints_a_token_that_works_as_bearer(settings: Settings) -> None:
    assert portal(settings, "users", "add", "jxxclerk", "--role", "department", "--department", DEPT,
                  stdin=f"{PASSWORD}\n{PASSWORD}\n").returncode == 0
    result = portal(settings, "users", "token", "jxxclerk")
    assert result.returncode == 0, result.stderr
    token = result.stdout.split()[-1]
    with running_service(settings, users=False) as service:
        headers = {"Authorization": f"Bearer {token}"}
        staff_id = service.context.content.members(DEPT)[0].staff_id
        response = upload(service.client, staff_id, PDF, headers=headers)
        assert response.status_code == 201, response.text
        assert staff_of(service.client, DEPT, headers)[staff_id]["versions"][0]["uploaded_by"] == "jxxclerk"
    assert portal(settings, "users", "token", "nobody").returncode != 0


def test_the_cli_and_a_running_service_share_the_data(settings: Settings) -> None:
    with running_service(settings) as service:
        upload(service.client, service.context.content.members(DEPT)[0].staff_id, PDF,
               headers=service.bearer("clerk"))
        # while the service runs, the CLI adds an account and a token; the service sees both at once
        assert portal(settings, "users", "add", "late", "--role", "department", "--department", OTHER_DEPT,
                      stdin=f"{PASSWORD}\n{PASSWORD}\n").returncode == 0
        token = portal(settings, "users", "token", "late").stdout.split()[-1]
        headers = {"Authorization": f"Bearer {token}"}
        staff_id = service.context.content.members(OTHER_DEPT)[0].staff_id
        assert upload(service.client, staff_id, JPEG, headers=headers).status_code == 201
        assert service.session("late").get(f"/board/{OTHER_DEPT}").status_code == 200
        second = service.context.content.members(DEPT)[1].staff_id
        assert upload(service.client, second, scan_of(second), headers=service.bearer("clerk")).status_code == 201
    verify = portal(settings, "audit", "verify")
    assert verify.returncode == 0, verify.stderr
    assert "已存文件 3 个" in verify.stdout


# -- audit verify ----------------------------------------------------------------------------------


def test_audit_verify_passes_on_a_clean_data_dir(used_data: Settings) -> None:
    result = portal(used_data, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert "已存文件 2 个" in result.stdout
    assert "校验通过" in result.stdout


def test_audit_verify_names_a_tampered_log_line(used_data: Settings) -> None:
    log = used_data.data_dir / "audit.log"
    lines = log.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if json.loads(line)["action"] == "completion.update")
    entry = json.loads(lines[number - 1])
    entry["detail"]["changes"] = {k: "病假" for k in entry["detail"]["changes"]}  # hash left as it was
    lines[number - 1] = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = portal(used_data, "audit", "verify")
    assert result.returncode == 1
    assert f"审计日志第 {number} 行" in result.stderr
    assert "校验失败" in result.stderr


def test_audit_verify_names_a_deleted_log_line(used_data: Settings) -> None:
    log = used_data.data_dir / "audit.log"
    lines = log.read_text(encoding="utf-8").splitlines()
    del lines[2]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = portal(used_data, "audit", "verify")
    assert result.returncode == 1
    assert "审计日志第 3 行" in result.stderr


def test_audit_verify_names_a_tampered_file(used_data: Settings) -> None:
    stored = sorted((used_data.data_dir / "files").rglob("*.pdf"))
    assert len(stored) == 1
    data = bytearray(stored[0].read_bytes())
    data[-2] ^= 0x01
    stored[0].write_bytes(bytes(data))
    result = portal(used_data, "audit", "verify")
    assert result.returncode == 1
    relative = str(stored[0].relative_to(used_data.data_dir))
    assert relative in result.stderr
    assert "SHA-256" in result.stderr
    assert "审计日志" not in result.stderr  # the log itself is fine


def test_the_verified_data_still_serves(used_data: Settings) -> None:
    """verify only reads: afterwards the same data directory starts and answers as before."""
    assert portal(used_data, "audit", "verify").returncode == 0
    app = create_app(used_data)
    with TestClient(app) as client:
        status = client.get("/api/status").json()
    assert next(d for d in status["departments"] if d["id"] == DEPT)["completed"] == 1
    assert sorted(p.name for p in (used_data.data_dir / "db").iterdir()) == ["2019", "accounts.json", "audit_head.json", "sessions.json"]
