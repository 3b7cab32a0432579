"""`portal serve` as a real uvicorn process on 127.0.0.1: the README's first-run walk-through."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
from helpers import DEPT, PASSWORD, PDF, copy_site, csrf_from, parse_html, set_upload_limit, sha256, wait_for
from serverproc import terminate

from service.config import ROOT, Settings

PORTAL = str(Path(sys.executable).with_name("portal"))
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    env: dict[str, str]
    output: list[str] = field(default_factory=list)

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([PORTAL, *args], input=stdin, env=self.env, capture_output=True, text=True,
                              timeout=30, check=False)

    def hr_password(self) -> str:
        wait_for(lambda: any("密码：" in line for line in self.output), START_TIMEOUT,
                 f"portal serve 没有打印初始密码：{self.output}")
        line = next(line for line in self.output if "密码：" in line)
        return line.split("密码：", 1)[1].strip()


@pytest.fixture
def server(settings: Settings, content_dir: Path) -> Iterator[Server]:
    set_upload_limit(content_dir, 1)
    copy_site(settings.site_dir)
    port = free_port()
    env = {**os.environ, "PORTAL_DATA": str(settings.data_dir), "PORTAL_SITE": str(settings.site_dir),
           "PORTAL_CONTENT": str(settings.content_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("PORTAL_TODAY", None)
    process = subprocess.Popen([PORTAL, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = Server(process, f"http://127.0.0.1:{port}", env)
    reader = threading.Thread(target=lambda: server.output.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    try:
        wait_for(lambda: _healthy(server) or process.poll() is not None, START_TIMEOUT,
                 "portal serve 没有在限定时间内响应 /healthz")
        assert process.poll() is None, "".join(server.output)
        yield server
    finally:
        terminate(process)
        reader.join(timeout=5)


def _healthy(server: Server) -> bool:
    try:
        response = httpx2.get(f"{server.url}/healthz", timeout=1.0)
    except httpx2.HTTPError:
        time.sleep(0.05)
        return False
    return response.status_code == 200 and response.json() == {"ok": True}


def department_row(client: httpx2.Client, department: str) -> dict[str, object]:
    status = client.get("/api/status").json()
    return next(d for d in status["departments"] if d["id"] == department)


def page_completed(client: httpx2.Client, name: str) -> str:
    board = parse_html(client.get("/status/").text).find("div", data_status_board=True)
    assert board is not None
    rows = {row[0]: row for row in board.find("table").rows()}  # type: ignore[union-attr]
    return rows[name][2]


def readme_token(server: Server) -> str:
    """Run the README's `TOKEN=$(…)` line in a shell, as a reader would copy it."""
    lines = [line.strip() for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if line.strip().startswith("TOKEN=$(")]
    assert len(lines) == 1, "the README should show one TOKEN=$(…) recipe"
    recipe = lines[0].replace(".venv/bin/portal", shlex.quote(PORTAL))
    shell = subprocess.run(["sh", "-c", f'{recipe} && printf "%s" "$TOKEN"'], env=server.env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert shell.returncode == 0, shell.stderr
    token = shell.stdout
    assert re.fullmatch(r"pt_[A-Za-z0-9_-]+", token), f"the recipe gave {token!r}, not one token"
    return token


def test_first_run_walkthrough(server: Server) -> None:
    password = server.hr_password()
    with httpx2.Client(base_url=server.url, timeout=10.0, follow_redirects=False) as browser:
        # HR logs in with the one-time password: a real signed session cookie
        login_page = browser.get("/login")
        assert login_page.status_code == 200
        response = browser.post("/login", data={"username": "hr", "password": password,
                                                "csrf": csrf_from(login_page.text)})
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        board = browser.get("/board")
        assert board.status_code == 200
        assert parse_html(board.text).find("table", data_board_table=True) is not None

        # HR creates a department account and a token with the CLI while the service runs
        added = server.cli("users", "add", "jxx-clerk", "--role", "department", "--department", DEPT,
                           stdin=f"{PASSWORD}\n{PASSWORD}\n")
        assert added.returncode == 0, added.stderr
        token = readme_token(server)

        # the department uploads a PDF with curl-like multipart and its token
        before = department_row(browser, DEPT)
        assert before["completed"] == 0
        name = str(before["name"])
        assert page_completed(browser, name) == "0"
        content = browser.get(f"/api/departments/{DEPT}/staff").json()
        staff_id = content["staff"][0]["staff_id"]
        with httpx2.Client(base_url=server.url, timeout=10.0) as script:
            response = script.post("/api/contracts", headers={"Authorization": f"Bearer {token}"},
                                   data={"staff_id": staff_id}, files={"file": ("合同.pdf", PDF, "application/pdf")})
            assert response.status_code == 201, response.text
            assert response.json()["sha256"] == sha256(PDF)
            # an over-long body is refused in JSON, before it is read
            big = script.post("/api/contracts", headers={"Authorization": f"Bearer {token}"},
                              data={"staff_id": staff_id},
                              files={"file": ("big.pdf", PDF + b"\0" * (1536 * 1024), "application/pdf")})
            assert big.status_code == 413
            assert big.json()["code"] == "too_large"

        # /api/status and the public page /status/ show it
        assert department_row(browser, DEPT)["completed"] == 1
        wait_for(lambda: page_completed(browser, name) == "1", 60.0, "/status/ 没有显示新的完成人数")
        staff = browser.get(f"/api/departments/{DEPT}/staff").json()["staff"]
        assert [len(p["versions"]) for p in staff if p["staff_id"] == staff_id] == [1]
    assert not [line for line in server.output if re.search(r"Traceback|ERROR", line)], "".join(server.output)
