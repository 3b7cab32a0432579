"""The deployment files in deploy/: the systemd units say what the README promises and pass
`systemd-analyze verify`; the nginx sites pass `nginx -t` (each part skipped, saying so, when
the tool is not installed on this machine)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from service.config import ROOT, from_env
from service.web.server import SPARE_DESCRIPTORS

DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "mubiao-portal.service"
BACKUP_UNITS = (DEPLOY / "mubiao-portal-backup.service", DEPLOY / "mubiao-portal-backup.timer")
NGINX_SITES = (DEPLOY / "nginx-root.conf", DEPLOY / "nginx-subpath.conf")
INSTALLED = "/opt/mubiao-portal"


def directives(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, the values of a repeated key in order."""
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def environment(unit: dict[str, list[str]]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in unit["Environment"])


def test_the_service_unit_runs_portal_serve_hardened() -> None:
    unit = directives(UNIT)
    one = {key: values[-1] for key, values in unit.items()}
    assert one["User"] not in ("", "root") and one["WorkingDirectory"] == INSTALLED
    assert one["ExecStart"] == f"{INSTALLED}/.venv/bin/portal serve --host 127.0.0.1 --port 8000"
    assert one["Restart"] == "on-failure" and one["UMask"] == "0077"
    for key in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"):
        assert one[key] == "yes", key
    assert one["ProtectSystem"] == "strict"
    assert set(one["RestrictAddressFamilies"].split()) <= {"AF_UNIX", "AF_INET", "AF_INET6"}
    env = environment(unit)
    writable = one["ReadWritePaths"].split()
    assert env["PORTAL_DATA"] in writable and env["PORTAL_SITE"] in writable
    assert int(one["LimitNOFILE"]) >= from_env({}).max_connections + SPARE_DESCRIPTORS


def test_the_backup_timer_runs_portal_backup_daily() -> None:
    service, timer = (directives(path) for path in BACKUP_UNITS)
    start = service["ExecStart"][-1]
    assert f"{INSTALLED}/.venv/bin/portal backup" in start
    target = re.search(r'backup "([^"]+)/', start)
    assert target is not None and target.group(1) in service["ReadWritePaths"][-1].split()
    assert environment(service)["PORTAL_DATA"] == environment(directives(UNIT))["PORTAL_DATA"]
    assert timer["OnCalendar"][-1].startswith("*-*-* ") and timer["Persistent"][-1] == "true"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze 未安装，单元文件未经 systemd 校验")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for path in (UNIT, *BACKUP_UNITS):  # the checkout stands in for /opt/mubiao-portal
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8").replace(INSTALLED, str(ROOT)),
                                          encoding="utf-8")
    checked = subprocess.run(["systemd-analyze", "verify", *(str(tmp_path / p.name) for p in (UNIT, *BACKUP_UNITS))],
                             capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr


@pytest.mark.parametrize("site", NGINX_SITES, ids=lambda p: p.name)
def test_the_nginx_sites_proxy_with_limits_and_headers(site: Path) -> None:
    text = site.read_text(encoding="utf-8")
    for needed in ("listen 443 ssl", "ssl_certificate ", "ssl_certificate_key ", "client_max_body_size",
                   "client_header_timeout", "client_body_timeout", "proxy_pass http://127.0.0.1:8000",
                   "proxy_set_header X-Forwarded-For $remote_addr", "proxy_set_header X-Forwarded-Proto $scheme",
                   "proxy_set_header X-Forwarded-Prefix"):
        assert needed in text, needed


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx 未安装，配置未经 nginx -t 校验")
@pytest.mark.parametrize("site", NGINX_SITES, ids=lambda p: p.name)
def test_the_nginx_sites_pass_nginx_t(site: Path, tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    cert, key = tmp_path / "site.crt", tmp_path / "site.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(key), "-out", str(cert)], capture_output=True, check=True, timeout=120)
    text = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site.read_text(encoding="utf-8"))
    text = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", text)
    (tmp_path / "site.conf").write_text(text, encoding="utf-8")
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n", encoding="utf-8")
    checked = subprocess.run([nginx, "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
