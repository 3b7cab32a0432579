"""The portal under https://…/mubiao/ behind a real nginx, in Chromium.

nginx (the Debian package) runs with a configuration of its own in a temp prefix: TLS with a
certificate made for the test, on 127.0.0.1, serving the `location` blocks of
deploy/nginx-subpath.conf as they are in front of a real `portal serve`. A clerk signs in, posts
a form, downloads a workbook, opens the portal's home and searches it; every request the browser
makes (pages, assets, the search worker and index, the status polling, downloads) is under
/mubiao/ and none is answered 404.

Without nginx or the openssl command the test skips (make installs nginx; CI fails instead)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from helpers import PASSWORD, copy_site, wait_for
from serverproc import terminate
from test_browser import (
    ACTION_MS,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PORTAL,
    chromium_or_skip,
    free_port,
    serving,
)

from service.config import ROOT
from service.content.loader import load_content

pytestmark = pytest.mark.browser

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE_CONF = ROOT / "deploy" / "nginx-subpath.conf"
UPSTREAM = "http://127.0.0.1:8000/"  # where deploy/nginx-subpath.conf expects the service
MOUNT = "/mubiao"
DEPT = "jxx"
START_TIMEOUT = 60.0


def tools_or_skip() -> None:
    missing = [name for name, path in (("nginx", NGINX), ("openssl", shutil.which("openssl") or ""))
               if not path or not os.path.exists(path)]
    if not missing:
        return
    message = f"挂在子路径下的测试需要 {'、'.join(missing)}（apt-get install nginx openssl；make 会自动安装）"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI 中不得跳过此测试：{message}")
    pytest.skip(message)


def deployed_locations(upstream: str) -> str:
    """The `location` blocks of the shipped sub-path site, the service's address replaced."""
    text = SITE_CONF.read_text(encoding="utf-8")
    blocks = re.findall(r"^ *location [^{]*\{.*?^ *\}", text, re.M | re.S)
    assert len(blocks) == 2 and UPSTREAM in text, f"{SITE_CONF} 的 location 块与测试不符"
    return "\n".join(blocks).replace(UPSTREAM, upstream)


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


@contextlib.contextmanager
def nginx(folder: Path, upstream: str) -> Iterator[str]:
    """nginx in the foreground with its own prefix `folder`: its https origin."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = certificate(folder)
    port = free_port()
    (folder / "logs").mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/logs/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name 127.0.0.1;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        client_header_timeout 10s;
{deployed_locations(upstream)}
    }}
}}
""", encoding="utf-8")
    process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(conf)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: _listening(port) or process.poll() is not None, START_TIMEOUT, "nginx 没有在规定时间内监听")
        assert process.poll() is None, f"nginx 没有启动：{process.stdout.read() if process.stdout else ''}"
        yield f"https://127.0.0.1:{port}"
    finally:
        terminate(process)


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def mounted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`portal serve` as deploy/mubiao-portal.service runs it, behind nginx: the origin and a staff id."""
    chromium_or_skip()
    tools_or_skip()
    root = tmp_path_factory.mktemp("mounted")
    content_dir = root / "content"
    shutil.copytree(ROOT / "content", content_dir)
    env = {**os.environ, "PORTAL_DATA": str(root / "var"), "PORTAL_SITE": str(copy_site(root / "site")),
           "PORTAL_CONTENT": str(content_dir), "PORTAL_TODAY": "2019-04-20", "PYTHONUNBUFFERED": "1",
           "PORTAL_TRUSTED_PROXIES": "127.0.0.1", "PORTAL_HTTPS": "1"}
    with serving(env) as (url, _, _output):
        subprocess.run([PORTAL, "users", "add", "clerk", "--role", "department", "--department", DEPT],
                       input=f"{PASSWORD}\n{PASSWORD}\n", env=env, capture_output=True, text=True, timeout=60,
                       check=True)
        member = next(iter(load_content(content_dir).members(DEPT)))
        with nginx(root / "nginx", url + "/") as origin:
            yield origin, member.staff_id


def test_a_clerk_works_through_nginx_under_a_path(mounted: tuple[str, str], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    origin, staff_id = mounted
    requested: list[str] = []
    answered: list[tuple[int, str]] = []
    problems: list[str] = []
    folder = ARTIFACTS / "mounted"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    expect.set_options(timeout=ACTION_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        try:
            context = chromium.new_context(ignore_https_errors=True, base_url=origin, locale="zh-CN",
                                           accept_downloads=True, viewport={"width": 1280, "height": 900})
            context.set_default_timeout(ACTION_MS)
            context.on("request", lambda request: requested.append(request.url))
            context.on("response", lambda response: answered.append((response.status, response.url)))
            page = context.new_page()
            page.on("pageerror", lambda error: problems.append(f"脚本错误：{error}"))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

            page.goto(MOUNT)  # nginx adds the "/"
            expect(page).to_have_url(f"{origin}{MOUNT}/")
            expect(page.locator("h1")).to_contain_text("2019年度教职工岗位工作目标责任状")
            page.locator("a[data-portal-login]").click()
            page.wait_for_url(re.compile(f"{MOUNT}/login"))
            page.get_by_label("用户名").fill("clerk")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{origin}{MOUNT}/board/{DEPT}")
            page.screenshot(path=folder / "01-department.png", full_page=True)

            page.locator(f"[id='status-{staff_id}']").select_option("产假")  # a form posted
            page.get_by_role("button", name="保存完成情况").click()
            expect(page.locator("[data-notice]")).to_contain_text("完成情况已保存")
            expect(page.locator(f"[id='status-{staff_id}']")).to_have_value("产假")
            assert page.url.startswith(f"{origin}{MOUNT}/board/{DEPT}")

            with page.expect_download() as download:  # a workbook
                page.get_by_role("link", name=re.compile("下载本部门完成情况统计表")).click()
            saved = tmp_path / "annex5.xlsx"
            download.value.save_as(saved)
            assert openpyxl.load_workbook(saved).sheetnames

            with page.expect_response(lambda r: r.url == f"{origin}{MOUNT}/api/status" and r.ok):
                page.goto(f"{MOUNT}/status/")  # the status page polls the service under the path
            page.screenshot(path=folder / "02-status.png", full_page=True)

            page.goto(f"{MOUNT}/?q=值班值宿")  # the portal's home, searched (Material reads q)
            result = page.locator('.md-search-result__link[href*="/common/"]').first
            expect(result).to_be_visible()
            page.screenshot(path=folder / "03-search.png")
            result.click()
            page.wait_for_url(re.compile(f"{MOUNT}/common/"))
            expect(page.locator("table.common")).to_contain_text("值班值宿")

            page.goto(f"{MOUNT}/board/{DEPT}?q=值班值宿")  # searched from a service page too
            expect(page.locator('.md-search-result__link[href*="/common/"]').first).to_be_visible()
            context.close()
        finally:
            chromium.close()

    web = [url for url in requested if url.startswith(("http:", "https:"))]
    assert web, "the browser made no request"
    outside = [url for url in web if not url.startswith(f"{origin}{MOUNT}")]
    assert outside == [], outside
    missing = [url for status, url in answered if status == 404]
    assert missing == [], missing
    assert any("/assets/javascripts/workers/search" in url for url in web)
    assert any(url.endswith("/search/search_index.json") for url in web)
    assert problems == [], problems


def test_the_shipped_subpath_site_proxies_the_service_without_rewriting_it() -> None:
    locations = deployed_locations("http://upstream/")
    assert "proxy_set_header X-Forwarded-Prefix /mubiao;" in locations
    assert "proxy_redirect off;" in locations
    assert re.search(r"location /mubiao/ \{", locations)
