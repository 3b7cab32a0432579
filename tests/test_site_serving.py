"""The built portal as the service serves it: every file with the Content-Security-Policy and
the security headers of the service's own pages, the policy allowing each page's inline
scripts and nothing else; Material's search working under it in Chromium; and nothing but
404 while the site is not built."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from helpers import copy_site, running_service
from serverproc import serving
from starlette.testclient import TestClient

from service.config import Settings
from service.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage

INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
SEARCHED = "责任状"  # a word on the home page, the notice and annex 1 (tests/test_site.py)
SHARED_HEADERS = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}


def directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


def script_hashes(html: str) -> set[str]:
    return {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in INLINE_SCRIPT.findall(html)}


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/status/", 200), ("/notice/", 200),
                                              ("/no/such/page/", 404)])
def test_site_pages_carry_the_policy_for_their_inline_scripts(settings: Settings, path: str, status: int) -> None:
    with running_service(settings, full_site=True) as service:
        answer = service.client.get(path)
        assert answer.status_code == status
        assert "md-header" in answer.text  # a page of the built site (the site's own 404 page too)
        policy = directives(answer.headers["content-security-policy"])
        scripts = script_hashes(answer.text)
        assert scripts, "Material's pages hold inline scripts"
        assert set(policy["script-src"]) == {"'self'", *scripts}
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert policy["default-src"] == ["'self'"]
        for name, value in SHARED_HEADERS.items():
            assert answer.headers[name] == value


def test_site_assets_carry_the_policy_without_inline_scripts(settings: Settings) -> None:
    with running_service(settings, full_site=True) as service:
        answer = service.client.get("/assets/portal.js")
        assert answer.status_code == 200
        assert directives(answer.headers["content-security-policy"])["script-src"] == ["'self'"]
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_page_changed_on_disk_gets_the_policy_of_its_new_scripts(settings: Settings) -> None:
    with running_service(settings, full_site=True) as service:
        before = service.client.get("/notice/").headers["content-security-policy"]
        page = settings.site_dir / "notice" / "index.html"
        page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<script>var changed=1</script></body>"),
                        encoding="utf-8")
        answer = service.client.get("/notice/")
        assert answer.headers["content-security-policy"] != before
        assert set(directives(answer.headers["content-security-policy"])["script-src"]) == {
            "'self'", *script_hashes(answer.text)}


@pytest.fixture
def unbuilt(settings: Settings) -> Iterator[TestClient]:
    """The service over a site directory that does not exist (the site never built)."""
    assert not settings.site_dir.exists()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), [("POST", "/nowhere"), ("GET", "/nowhere"), ("GET", "/"),
                                              ("PUT", "/status/"), ("DELETE", "/a/b/c"), ("POST", "/api/nowhere")])
def test_unknown_paths_are_404_while_the_site_is_not_built(unbuilt: TestClient, method: str, path: str) -> None:
    answer = unbuilt.request(method, path)
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_the_site_is_served_once_built_after_start(settings: Settings, unbuilt: TestClient) -> None:
    assert unbuilt.get("/").status_code == 404
    copy_site(settings.site_dir)
    assert unbuilt.get("/").status_code == 200
    assert unbuilt.post("/nowhere").status_code == 405


# -- in Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
def test_home_and_search_work_under_the_policy_in_chromium(settings: Settings) -> None:
    from test_browser import ACTION_MS, CHROMIUM, CHROMIUM_ARGS, chromium_or_skip

    chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    copy_site(settings.site_dir)
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    with serving(settings) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=ACTION_MS)
        try:
            page = browser.new_page(base_url=server.url)
            page.on("console", console)
            page.on("pageerror", lambda error: problems.append(f"脚本错误：{error}"))
            page.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                                 "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
            page.goto("/")
            expect(page.locator(".md-content h1").first).to_be_visible(timeout=ACTION_MS)
            page.goto(f"/?q={SEARCHED}")
            results = page.locator(".md-search-result__item")
            expect(results.first).to_be_visible(timeout=ACTION_MS)
            assert SEARCHED in page.locator(".md-search-result").inner_text()
        finally:
            browser.close()
    assert problems == []

