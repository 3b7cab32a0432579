"""Credentials that end: an HR reset (the account page and `portal users reset`) revokes the
account's API tokens; changing one's own password revokes them unless its owner keeps them (the
page's box, the API's `revoke_tokens`); weak and full-width passwords through the real forms."""

from __future__ import annotations

from typing import Any

from helpers import DEPT, PASSWORD, Service, login, page_csrf, parse_html, portal
from starlette.testclient import TestClient

NEW_PASSWORD = "huanle-xinmima-42"


def works(service: Service, token: str) -> int:
    return service.client.get(f"/api/departments/{DEPT}/staff", headers={"Authorization": f"Bearer {token}"}).status_code


def hr_post(hr: TestClient, path: str, **fields: Any) -> Any:
    return hr.post(path, data={"csrf": page_csrf(hr, "/board/accounts"), **fields})


def own_change(browser: TestClient, current: str, new: str, **fields: str | list[str]) -> Any:
    return browser.post("/account", data={"csrf": page_csrf(browser, "/account"), "action": "password",
                                          "current": current, "new": new, "repeat": new, **fields})


def test_an_hr_reset_on_the_account_page_revokes_the_accounts_tokens(service: Service) -> None:
    token, other = service.token("clerk"), service.token("clerk")
    assert works(service, token) == 200 and works(service, other) == 200
    hr = service.hr_session()
    page = parse_html(hr.get("/board/accounts/clerk").text)
    assert "API 令牌全部停用" in page.text  # said before
    done = hr_post(hr, "/board/accounts/clerk", action="reset", confirm="on")
    assert done.status_code == 200
    said = parse_html(done.text).find(data_tokens_revoked=True)
    assert said is not None and said.attrs["data-tokens-revoked"] == "2" and "2 个 API 令牌已停用" in said.text
    assert works(service, token) == 401 and works(service, other) == 401
    listed = parse_html(hr.get("/board/accounts/clerk").text).text
    assert listed.count("已停用") >= 2


def test_the_cli_reset_revokes_the_tokens_and_says_so(service: Service) -> None:
    token = service.token("clerk")
    assert works(service, token) == 200
    reset = portal(service.settings, "users", "reset", "clerk")
    assert reset.returncode == 0 and "1 个 API 令牌已停用" in reset.stdout
    assert works(service, token) == 401
    assert login(service.new_client(), "clerk", reset.stdout.split()[-1]).headers["location"] == "/account"


def test_changing_ones_password_revokes_ones_tokens_unless_the_box_is_unticked(service: Service) -> None:
    token = service.token("clerk")
    browser = service.session("clerk")
    form = parse_html(browser.get("/account").text).find("input", data_revoke_tokens=True)
    assert form is not None and "checked" in form.attrs  # ticked unless the owner unticks it
    kept = own_change(browser, PASSWORD, NEW_PASSWORD, revoke_tokens="no")  # only the hidden field: unticked
    assert kept.status_code == 303 and kept.headers["location"] == "/account?notice=password"
    assert works(service, token) == 200
    revoked = own_change(browser, NEW_PASSWORD, "qiuye-luodi-77", revoke_tokens=["no", "yes"])  # as a browser sends it
    assert revoked.headers["location"] == "/account?notice=password_tokens"
    assert works(service, token) == 401
    assert "API 令牌已全部停用" in browser.get(revoked.headers["location"]).text


def test_the_api_revokes_the_tokens_by_default(service: Service) -> None:
    token = service.token("clerk")
    headers = {"Authorization": f"Bearer {token}"}
    kept = service.client.post("/api/account/password", headers=headers,
                               json={"current": PASSWORD, "new": NEW_PASSWORD, "revoke_tokens": False})
    assert kept.status_code == 200 and kept.json() == {"changed": True, "tokens_revoked": 0}
    assert works(service, token) == 200
    changed = service.client.post("/api/account/password", headers=headers,
                                  json={"current": NEW_PASSWORD, "new": "qiuye-luodi-77"})
    assert changed.status_code == 200 and changed.json() == {"changed": True, "tokens_revoked": 1}
    assert works(service, token) == 401
    login(service.new_client(), "clerk", "qiuye-luodi-77")


def test_the_cli_passwd_revokes_unless_told_to_keep_them(service: Service) -> None:
    token = service.token("clerk")
    kept = portal(service.settings, "users", "passwd", "clerk", "--keep-tokens",
                  stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert kept.returncode == 0 and works(service, token) == 200
    revoked = portal(service.settings, "users", "passwd", "clerk", stdin=f"{NEW_PASSWORD}\nqiuye-luodi-77\nqiuye-luodi-77\n")
    assert revoked.returncode == 0 and "1 个 API 令牌已停用" in revoked.stdout
    assert works(service, token) == 401


def test_weak_passwords_are_refused_through_the_api_and_nothing_changes(service: Service) -> None:
    token = service.token("clerk")
    headers = {"Authorization": f"Bearer {token}"}
    for weak in ("ＰＡＳＳＷＯＲＤ１２３", "１２３４５６７８９０", "Password1!", "iloveyou12345", "woaini131452"):
        answer = service.client.post("/api/account/password", headers=headers, json={"current": PASSWORD, "new": weak})
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_password", weak
        assert "常见" in answer.json()["error"]
    assert works(service, token) == 200
    login(service.new_client(), "clerk", PASSWORD)


def test_the_one_time_password_cannot_be_kept(service: Service) -> None:
    hr = service.hr_session()
    service.ensure_user("clerk")
    done = hr_post(hr, "/board/accounts/clerk", action="reset", confirm="on")
    one_time = parse_html(done.text).find("code", data_secret=True).text  # type: ignore[union-attr]
    browser = service.new_client()
    login(browser, "clerk", one_time)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in one_time)  # ＡＢＣ…: the same once normalised
    for new in (one_time, full_width):
        same = own_change(browser, one_time, new)
        assert same.status_code == 400 and "不能与人事处给的一次性密码相同" in same.text
    assert own_change(browser, one_time, NEW_PASSWORD).status_code == 303


def test_a_full_width_password_is_the_one_it_looks_like(service: Service) -> None:
    browser = service.session("clerk")
    assert own_change(browser, PASSWORD, "Ｑｉｕｙｅ－ｌｕｏｄｉ－７７").status_code == 303
    login(service.new_client(), "clerk", "Qiuye-luodi-77")
    login(service.new_client(), "clerk", "Ｑｉｕｙｅ－ｌｕｏｄｉ－７７")
