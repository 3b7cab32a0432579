"""The portal mounted under a path: PORTAL_ROOT_PATH, or X-Forwarded-Prefix from a trusted proxy only.

Every link, form, asset, redirect and cookie of the service's pages and of the built portal is
under the path; without it (or from a sender that is not a trusted proxy) nothing changes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
from typing import Any

import pytest
from docx import Document
from helpers import DEPT, PASSWORD, csrf_from, login, page_csrf, parse_html, running_service
from starlette.testclient import TestClient

from service.config import SettingInvalid, Settings, from_env

PROXY = "testclient"  # the peer address Starlette's TestClient connects from
LINK_ATTRIBUTES = ("href", "src", "action", "formaction")


def root_links(html: str) -> list[str]:
    """Every link of a page written from the site's root ("/..."), scripts' and forms' included."""
    found = []
    for element in parse_html(html).iter():
        for name in LINK_ATTRIBUTES:
            value = element.attrs.get(name)
            if value and value.startswith("/"):
                found.append(value)
    return found


def assert_all_under(html: str, root: str) -> None:
    links = root_links(html)
    assert links, "the page has no links from the root"
    outside = [link for link in links if not link.startswith(root + "/")]
    assert outside == [], f"links outside {root}: {outside[:10]}"


def script_hashes_allowed(html: str, policy: str) -> None:
    """Every inline script of the page is allowed by the page's Content-Security-Policy."""
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S):
        if "src=" in attributes or "application/json" in attributes:
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def sign_in(client: Any, root: str, username: str, password: str) -> Any:
    page = client.get(f"{root}/login")
    assert page.status_code == 200, page.text
    return client.post(f"{root}/login", data={"username": username, "password": password,
                                              "csrf": csrf_from(page.text)})


def test_a_root_path_puts_pages_forms_assets_redirects_and_cookies_under_it(settings: Settings) -> None:
    with running_service(settings.with_(root_path="/mubiao"), full_site=True) as service:
        service.ensure_user("clerk")
        client = service.new_client()
        login_page = client.get("/mubiao/login")
        assert login_page.status_code == 200
        assert_all_under(login_page.text, "/mubiao")
        assert parse_html(login_page.text).find("form", action="/mubiao/login") is not None
        assert '"base": "/mubiao/"' in login_page.text
        script_hashes_allowed(login_page.text, login_page.headers["content-security-policy"])
        csrf_cookie = login_page.headers["set-cookie"]
        assert "Path=/mubiao;" in csrf_cookie or csrf_cookie.endswith("Path=/mubiao")

        signed_in = sign_in(client, "/mubiao", "clerk", PASSWORD)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == f"/mubiao/board/{DEPT}"
        cookies = signed_in.headers.get_list("set-cookie")
        assert cookies and all(re.search(r"[Pp]ath=/mubiao(;|$)", c) for c in cookies), cookies

        board = client.get(f"/mubiao/board/{DEPT}")
        assert board.status_code == 200, board.text
        assert_all_under(board.text, "/mubiao")
        download = next(link for link in root_links(board.text) if link.endswith(".xlsx"))
        workbook = client.get(download)
        assert workbook.status_code == 200 and workbook.content[:2] == b"PK"

        anonymous = service.new_client()
        assert anonymous.get(f"/mubiao/board/{DEPT}").headers["location"].startswith("/mubiao/login?next=")


def test_the_built_portal_under_a_root_path(settings: Settings) -> None:
    with running_service(settings.with_(root_path="/mubiao"), full_site=True) as service:
        home = service.client.get("/mubiao/")
        assert home.status_code == 200
        assert_all_under(home.text, "/mubiao")
        assert parse_html(home.text).find("a", href="/mubiao/login") is not None
        script_hashes_allowed(home.text, home.headers["content-security-policy"])
        moved = service.client.get("/mubiao/status")  # the directory's "/": still under the path
        assert moved.status_code in (301, 307) and moved.headers["location"] == "/mubiao/status/"
        assert service.client.get("/mubiao/status/").status_code == 200
        assert service.client.get("/mubiao/search/search_index.json").status_code == 200
        served_bare = service.client.get("/login")  # a proxy that takes the path off: the same page
        assert served_bare.status_code == 200
        assert_all_under(served_bare.text, "/mubiao")


def test_a_trusted_proxys_forwarded_prefix_mounts_the_portal(settings: Settings) -> None:
    with running_service(settings.with_(trusted_proxies=(PROXY,)), full_site=True) as service:
        service.ensure_user("clerk")
        forwarded = {"X-Forwarded-Prefix": "/intranet/mubiao/"}
        page = service.client.get("/login", headers=forwarded)
        assert page.status_code == 200
        assert_all_under(page.text, "/intranet/mubiao")
        cookie = page.headers["set-cookie"].split(";")[0]  # the proxy takes the path off: sent by hand
        signed_in = service.client.post("/login", headers={**forwarded, "Cookie": cookie}, data={
            "username": "clerk", "password": PASSWORD, "csrf": csrf_from(page.text)})
        assert signed_in.headers["location"] == f"/intranet/mubiao/board/{DEPT}"
        assert all("Path=/intranet/mubiao" in c for c in signed_in.headers.get_list("set-cookie"))
        home = service.client.get("/", headers=forwarded)
        assert_all_under(home.text, "/intranet/mubiao")


@pytest.mark.parametrize("prefix", ["/../etc", "//evil.example", "/mubiao?x=1", "mubiao", "/a b"])
def test_a_forwarded_prefix_that_is_no_path_is_ignored(settings: Settings, prefix: str) -> None:
    with running_service(settings.with_(trusted_proxies=(PROXY,))) as service:
        page = service.client.get("/login", headers={"X-Forwarded-Prefix": prefix})
        assert page.status_code == 200
        assert "/login" in root_links(page.text)
        assert '"base": "/"' in page.text


def test_an_untrusted_sender_cannot_move_the_portal(settings: Settings) -> None:
    with running_service(settings, full_site=True) as service:
        service.ensure_user("clerk")
        forwarded = {"X-Forwarded-Prefix": "/elsewhere"}
        page = service.client.get("/login", headers=forwarded)
        assert not any(link.startswith("/elsewhere") for link in root_links(page.text))
        assert "/login" in root_links(page.text)
        signed_in = service.client.post("/login", headers=forwarded, data={
            "username": "clerk", "password": PASSWORD, "csrf": csrf_from(page.text)})
        assert signed_in.headers["location"] == f"/board/{DEPT}"
        assert all(re.search(r"Path=/(;|$)", c) for c in signed_in.headers.get_list("set-cookie"))
        home = service.client.get("/", headers=forwarded)
        assert "/elsewhere" not in home.text


def test_root_path_setting_is_read_and_checked(tmp_path: Any) -> None:
    base = {"PORTAL_DATA": str(tmp_path)}
    assert from_env(base).root_path == ""
    assert from_env({**base, "PORTAL_ROOT_PATH": "/mubiao/"}).root_path == "/mubiao"
    assert from_env({**base, "PORTAL_ROOT_PATH": "/intranet/mubiao"}).root_path == "/intranet/mubiao"
    for bad in ("mubiao", "/mu biao", "/../x", "//host", "/x?y"):
        with pytest.raises(SettingInvalid, match="PORTAL_ROOT_PATH"):
            from_env({**base, "PORTAL_ROOT_PATH": bad})
    mounted = {**base, "PORTAL_ROOT_PATH": "/mubiao"}
    # the reminders' links: a host alone gets the path; an address with a path is taken as written
    assert from_env({**mounted, "PORTAL_PUBLIC_URL": "https://intranet.example.edu.cn/"}
                    ).outbound.public_url == "https://intranet.example.edu.cn/mubiao"
    assert from_env({**mounted, "PORTAL_PUBLIC_URL": "https://intranet.example.edu.cn/mubiao"}
                    ).outbound.public_url == "https://intranet.example.edu.cn/mubiao"


def test_password_slips_name_the_login_page_under_the_path(settings: Settings) -> None:
    with running_service(settings.with_(root_path="/mubiao")) as service:
        hr = TestClient(service.app, base_url="http://testserver/mubiao", follow_redirects=False)
        try:
            assert login(hr, "hr", service.hr_password).headers["location"].startswith("/mubiao/")
            csrf = page_csrf(hr, f"/board/{DEPT}/staff-accounts")
            printed = hr.post(f"/board/{DEPT}/staff-accounts/slips",
                              data={"csrf": csrf, "format": "docx", "confirm": "on"})
            assert printed.status_code == 200, printed.text
        finally:
            hr.close()
        doc = Document(io.BytesIO(printed.content))
        text = "\n".join([p.text for p in doc.paragraphs]
                         + [c.text for t in doc.tables for r in t.rows for c in r.cells])
        assert "http://testserver/mubiao/login" in text


def test_links_in_json_answers_are_under_the_path(settings: Settings) -> None:
    with running_service(settings.with_(root_path="/mubiao"), now=dt.datetime(2019, 4, 27, 9)) as service:
        hr = service.bearer("hr")
        todos = service.client.get("/mubiao/api/todos", headers=hr).json()["todos"]
        chase = service.client.get("/mubiao/api/chase", headers=hr).json()["outstanding"]
        checks = service.client.get("/mubiao/api/setup/checks", headers=hr).json()["checks"]
        links = [r["link"] for r in [*todos, *chase, *checks]]
        assert todos and chase and checks and all(links), (todos, chase, checks)
        assert all(link.startswith("/mubiao/") for link in links), links
        signed_in = service.new_client()
        assert sign_in(signed_in, "/mubiao", "hr", service.hr_password).status_code == 303
        for link in dict.fromkeys(links):  # each leads to a page of the portal, as a browser asks for it
            shown = signed_in.get(link)
            assert shown.status_code == 200, (link, shown.status_code)

