"""Signing in and what the service sends back: one scrypt run whatever the username, a throttle
that never locks an account out of every address, client addresses and HTTPS only from a
trusted proxy, Secure cookies over HTTPS, no-store on personal data, no dotfiles from site/."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from helpers import DEPT, PASSWORD, Service, copy_site, page_csrf, running_service
from starlette.testclient import TestClient

from service.config import Settings

PROXY = "testclient"  # the peer address Starlette's TestClient connects from


def attempt(client: Any, username: str, password: str, **headers: str) -> Any:
    return client.post("/login", data={"username": username, "password": password, "csrf": page_csrf(client)},
                       headers=headers)


def test_one_scrypt_run_whatever_the_username(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_service(settings) as service:
        service.ensure_user("clerk")
        service.add_user("gone", "department", DEPT)
        portal_cli_disable(service, "gone")
        runs: list[int] = []
        real = hashlib.scrypt

        def counted(*args: Any, **kwargs: Any) -> bytes:
            runs.append(1)
            return real(*args, **kwargs)

        monkeypatch.setattr(hashlib, "scrypt", counted)
        for username, password in (("clerk", "wrong-password-1"), ("nobody-here", "wrong-password-1"),
                                   ("gone", PASSWORD), ("clerk", PASSWORD)):
            runs.clear()
            attempt(service.new_client(), username, password)
            assert len(runs) == 1, (username, len(runs))


def portal_cli_disable(service: Service, username: str) -> None:
    from service.workflows import accounts

    accounts.set_active(service.context, username, False, "test")


def test_anonymous_failures_never_lock_hr_out_of_another_address(settings: Settings) -> None:
    trusted = settings.with_(trusted_proxies=(PROXY,))
    with running_service(trusted) as service:
        moment = [1000.0]
        service.app.state.throttle.clock = lambda: moment[0]
        attacker = service.new_client()
        waits = []
        for _ in range(8):  # each failure once the previous wait is over
            answer = attempt(attacker, "hr", "guessing-wrong", **{"X-Forwarded-For": "203.0.113.9"})
            if answer.status_code == 429:
                waits.append(int(answer.headers["retry-after"]))
                moment[0] += waits[-1]
                attempt(attacker, "hr", "guessing-wrong", **{"X-Forwarded-For": "203.0.113.9"})
        assert waits == [1, 2, 4]  # growing delays
        blocked = attempt(attacker, "hr", service.hr_password, **{"X-Forwarded-For": "203.0.113.9"})
        assert blocked.status_code == 429
        office = service.new_client()
        assert attempt(office, "hr", service.hr_password, **{"X-Forwarded-For": "198.51.100.7"}).status_code == 303


def test_an_address_spraying_unknown_names_is_slowed_but_not_an_account_signing_in(settings: Settings) -> None:
    trusted = settings.with_(trusted_proxies=(PROXY,))
    with running_service(trusted) as service:
        service.ensure_user("clerk")
        sprayer = service.new_client()
        for n in range(20):
            answer = attempt(sprayer, f"name{n}", "wrong-password", **{"X-Forwarded-For": "203.0.113.50"})
            assert answer.status_code == 400
        refused = attempt(sprayer, "name-next", "wrong-password", **{"X-Forwarded-For": "203.0.113.50"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        # the same campus NAT: an account with its right password is not held up
        colleague = service.new_client()
        assert attempt(colleague, "clerk", PASSWORD, **{"X-Forwarded-For": "203.0.113.50"}).status_code == 303
        elsewhere = service.new_client()  # another address: unknown names are not slowed there
        assert attempt(elsewhere, "name-next", "wrong-password", **{"X-Forwarded-For": "198.51.100.8"}).status_code == 400


def test_twenty_failures_of_one_account_never_hold_up_another_account_from_that_address(
        settings: Settings) -> None:
    trusted = settings.with_(trusted_proxies=(PROXY,))
    nat = {"X-Forwarded-For": "203.0.113.60"}
    with running_service(trusted) as service:
        service.ensure_user("clerk")
        moment = [1000.0]
        service.app.state.throttle.clock = lambda: moment[0]
        guesser = service.new_client()
        failures = 0
        while failures < 20:  # each one counted: the next is tried once its wait is over
            answer = attempt(guesser, "clerk", "guessing-wrong", **nat)
            if answer.status_code == 429:
                moment[0] += int(answer.headers["retry-after"])
                continue
            assert answer.status_code == 400
            failures += 1
        assert attempt(guesser, "clerk", PASSWORD, **nat).status_code == 429  # that account, there: held
        colleague = service.new_client()
        signed = attempt(colleague, "hr", service.hr_password, **nat)
        assert signed.status_code == 303 and "retry-after" not in signed.headers


def test_failures_against_hr_from_many_addresses_never_hold_up_hrs_own_browser(settings: Settings) -> None:
    trusted = settings.with_(trusted_proxies=(PROXY,))
    office = {"X-Forwarded-For": "198.51.100.7"}
    with running_service(trusted) as service:
        moment = [1000.0]
        service.app.state.throttle.clock = lambda: moment[0]
        own = service.new_client()
        assert attempt(own, "hr", service.hr_password, **office).status_code == 303
        assert "portal_device" in own.cookies
        own.post("/logout", data={"csrf": page_csrf(own, "/account")})
        attacker = service.new_client()
        for n in range(30):  # the office's own address among them
            address = "198.51.100.7" if n % 10 == 0 else f"203.0.113.{n}"
            answer = attempt(attacker, "hr", "guessing-wrong", **{"X-Forwarded-For": address})
            assert answer.status_code in (400, 429)
            moment[0] += 0.5
        assert attempt(own, "hr", service.hr_password, **office).status_code == 303
        # a browser HR never used is slowed by a couple of seconds at most, never locked out
        new_browser = service.new_client()
        held = attempt(new_browser, "hr", service.hr_password, **{"X-Forwarded-For": "198.51.100.99"})
        assert held.status_code == 429 and int(held.headers["retry-after"]) <= 2
        moment[0] += 2
        assert attempt(new_browser, "hr", service.hr_password, **{"X-Forwarded-For": "198.51.100.99"}).status_code == 303


def test_a_forged_or_another_accounts_device_cookie_is_no_known_browser(settings: Settings) -> None:
    with running_service(settings) as service:
        service.ensure_user("clerk")
        own = service.new_client()
        assert attempt(own, "clerk", PASSWORD).status_code == 303
        own.post("/logout", data={"csrf": page_csrf(own, "/account")})
        clerks = own.cookies["portal_device"]
        issued, nonce, _signature, _name = clerks.split(".", 3)
        stranger = service.new_client()
        for _ in range(5):
            assert attempt(stranger, "hr", "guessing-wrong").status_code == 400
        for forged in (f"{issued}.{nonce}.{'0' * 32}.hr", f"{issued}.{nonce}.{_signature}.hr", clerks, "garbage"):
            browser = service.new_client()
            browser.cookies.set("portal_device", forged)
            assert attempt(browser, "hr", service.hr_password).status_code == 429, forged
        for _ in range(5):  # a genuine cookie's browser is held by its own failures
            assert attempt(own, "clerk", "guessing-wrong").status_code == 400
        assert attempt(own, "clerk", PASSWORD).status_code == 429


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings: Settings) -> None:
    with running_service(settings) as service:  # no trusted proxies: the peer's own address counts
        service.ensure_user("clerk")
        client = service.new_client()
        for n in range(5):
            attempt(client, "clerk", "wrong-password", **{"X-Forwarded-For": f"203.0.113.{n}"})
        assert attempt(client, "clerk", PASSWORD, **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429


@pytest.mark.parametrize(("https", "proxies", "proto", "secure"), [
    (False, (), None, False),
    (True, (), None, True),  # PORTAL_HTTPS: served over HTTPS (directly or behind the proxy)
    (False, (PROXY,), "https", True),  # a trusted proxy says so
    (False, (), "https", False),  # anyone else saying so is not believed
])
def test_cookies_are_secure_over_https(settings: Settings, https: bool, proxies: tuple[str, ...], proto: str | None,
                                       secure: bool) -> None:
    with running_service(settings.with_(https=https, trusted_proxies=proxies)) as service:
        headers = {"X-Forwarded-Proto": proto} if proto else {}
        client = TestClient(service.app, base_url="https://testserver" if secure else "http://testserver",
                            follow_redirects=False)
        page = client.get("/login", headers=headers)
        answer = client.post("/login", headers=headers, data={"username": "hr", "password": service.hr_password,
                                                              "csrf": page_csrf(client)})
        assert answer.status_code == 303
        for cookie in (page.headers["set-cookie"], answer.headers["set-cookie"]):
            flags = [part.strip().lower() for part in cookie.split(";")]
            assert ("secure" in flags) == secure, cookie
            assert "httponly" in flags and "samesite=strict" in flags


def test_personal_data_is_never_cached(settings: Settings) -> None:
    with running_service(settings) as service:
        hr = service.bearer("hr")
        for path in (f"/api/departments/{DEPT}/staff", "/api/scores", f"/api/scores?department={DEPT}",
                     "/api/targets", f"/api/duties/{DEPT}", "/api/progress", f"/api/monthly/{DEPT}/3"):
            response = service.client.get(path, headers=hr)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-store", path


def test_nothing_whose_path_has_a_dot_part_is_served_from_the_site(settings: Settings) -> None:
    copy_site(settings.site_dir, full=True)
    (settings.site_dir / ".git").mkdir()
    (settings.site_dir / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    (settings.site_dir / "status" / ".index.html.swp").write_text("x", encoding="utf-8")
    (settings.site_dir / ".env").write_text("SECRET=1", encoding="utf-8")
    with running_service(settings, full_site=True) as service:
        for path in ("/.git/config", "/.git/", "/status/.index.html.swp", "/.env", "/%2egit/config",
                     "/status/../.git/config"):
            response = service.client.get(path)
            assert response.status_code == 404, path
            assert "[core]" not in response.text and "SECRET" not in response.text
        assert service.client.get("/status/").status_code == 200
        assert service.client.get("/").status_code == 200
        assert "cache-control" not in service.client.get("/status/").headers  # the public site may be cached


def test_error_messages_quote_at_most_100_characters_of_the_input(settings: Settings) -> None:
    long = "9" * 5000
    with running_service(settings) as service:
        clerk = service.bearer("clerk")
        answers = [
            service.client.get(f"/api/targets/{long}", headers=clerk),
            service.client.get(f"/api/departments/{long}/staff", headers=clerk),
            service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                               json={"entries": [{"staff_id": long, "status": "病假"}]}),
            service.client.put(f"/api/monthly/{DEPT}/3", headers=clerk, json={"rows": [{"工号": long}]}),
            service.client.get(f"/api/scores?month={long}", headers=service.bearer("hr")),
        ]
        for answer in answers:
            assert 400 <= answer.status_code < 500, answer.text[:200]
            message = answer.json()["error"]
            assert "9" * 100 not in message.replace("9" * 100, "", 1), message[:300]  # once at most
            assert "9" * 101 not in message, message[:300]
