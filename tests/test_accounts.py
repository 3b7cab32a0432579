"""HR runs the accounts from the browser, and sessions and tokens really end: every account
operation through HTTP (the pages HR and every account use), and the CLI's equivalents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpers import (
    DEPT,
    OTHER_DEPT,
    PASSWORD,
    Service,
    csrf_from,
    login,
    page_csrf,
    parse_html,
    portal,
    running_service,
)
from starlette.testclient import TestClient

from service.config import Settings
from service.content.codes import TARGET_SUBMITTED

NEW_PASSWORD = "huanle-xinmima-42"


def hr_post(service: Service, hr: TestClient, path: str, **fields: Any) -> Any:
    return hr.post(path, data={"csrf": page_csrf(hr, "/board/accounts"), **fields})


def secret_of(response: Any) -> str:
    assert response.status_code == 200, response.text
    found = parse_html(response.text).find("code", data_secret=True)
    assert found is not None, response.text
    return found.text


def staff_status(client: TestClient, **kwargs: Any) -> int:
    return client.get(f"/api/departments/{DEPT}/staff", **kwargs).status_code


# -- creating, first sign-in, own password -----------------------------------------------------------


def test_hr_creates_an_account_whose_one_time_password_must_be_changed(service: Service) -> None:
    hr = service.hr_session()
    created = hr_post(service, hr, "/board/accounts", username="jxx-zhang", role="department", department=DEPT,
                      display_name="机械工程系 张老师", email="zhang@example.edu.cn", phone="0451-8888 0001")
    password = secret_of(created)
    assert "只显示这一次" in created.text and created.headers["cache-control"] == "no-store"
    listing = parse_html(hr.get("/board/accounts", params={"q": "张老师"}).text)
    rows = listing.find("table", data_accounts_table=True).rows()  # type: ignore[union-attr]
    assert [r[0] for r in rows] == ["jxx-zhang"] and "待首次登录改密" in rows[0][-1]
    assert hr.get("/board/accounts", params={"role": "leader"}).text.count('data-account="jxx-zhang"') == 0

    browser = service.new_client()
    first = login(browser, "jxx-zhang", password)
    assert first.headers["location"] == "/account"
    assert browser.get(f"/board/{DEPT}", headers={"accept": "text/html"}).headers["location"] == "/account"
    refused = browser.get(f"/api/departments/{DEPT}/staff")
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    csrf = page_csrf(browser, "/account")
    for new, code in (("short-1", "invalid_password"), ("1234567890", "invalid_password"),
                      ("qwertyuiop", "invalid_password")):
        answer = browser.post("/account", data={"csrf": csrf, "action": "password", "current": password,
                                                "new": new, "repeat": new})
        assert answer.status_code == 400 and f'data-error="{code}"' in answer.text
    wrong = browser.post("/account", data={"csrf": csrf, "action": "password", "current": "not-it-at-all",
                                           "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert wrong.status_code == 403 and 'data-error="wrong_password"' in wrong.text
    changed = browser.post("/account", data={"csrf": csrf, "action": "password", "current": password,
                                             "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert changed.status_code == 303 and changed.headers["location"] == f"/board/{DEPT}"
    assert staff_status(browser) == 200  # this browser stays signed in with its new session
    assert service.new_client().post("/login", data={"username": "jxx-zhang", "password": password}).status_code != 303
    login(service.new_client(), "jxx-zhang", NEW_PASSWORD)


def test_a_password_change_ends_every_other_session(service: Service) -> None:
    phone, laptop = service.session("clerk"), service.session("clerk")
    csrf = page_csrf(laptop, "/account")
    changed = laptop.post("/account", data={"csrf": csrf, "action": "password", "current": PASSWORD,
                                            "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert changed.status_code == 303 and changed.headers["location"] == "/account?notice=password"
    assert staff_status(laptop) == 200
    assert staff_status(phone) == 401


# -- reset, disable, enable ------------------------------------------------------------------------


def test_a_reset_ends_the_accounts_sessions_and_gives_a_one_time_password(service: Service) -> None:
    clerk = service.session("clerk")
    hr = service.hr_session()
    no_tick = hr_post(service, hr, "/board/accounts/clerk", action="reset")
    assert no_tick.status_code == 400 and 'data-error="confirm_required"' in no_tick.text
    assert staff_status(clerk) == 200
    password = secret_of(hr_post(service, hr, "/board/accounts/clerk", action="reset", confirm="on"))
    assert staff_status(clerk) == 401  # the replayed cookie of the ended session
    assert login(service.new_client(), "clerk", password).headers["location"] == "/account"


def test_a_disabled_clerks_session_and_token_get_401_at_once(service: Service) -> None:
    token = service.bearer("clerk")
    browser = service.session("clerk")
    assert staff_status(browser) == 200 and staff_status(service.client, headers=token) == 200
    hr = service.hr_session()
    done = hr_post(service, hr, "/board/accounts/clerk", action="disable", confirm="on")
    assert done.status_code == 303 and done.headers["location"].endswith("notice=disabled")
    assert staff_status(browser) == 401
    refused = service.client.get(f"/api/departments/{DEPT}/staff", headers=token)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    assert service.new_client().post("/login", data={
        "username": "clerk", "password": PASSWORD, "csrf": page_csrf(service.new_client())}).status_code != 303
    hr_post(service, hr, "/board/accounts/clerk", action="enable")
    assert staff_status(service.client, headers=token) == 200  # the token is the account's again
    assert staff_status(browser) == 401  # the ended session stays ended


def test_hr_cannot_disable_itself_or_the_last_hr_account(service: Service) -> None:
    hr = service.hr_session()
    own = hr_post(service, hr, "/board/accounts/hr", action="disable", confirm="on")
    assert own.status_code == 409 and 'data-error="own_account"' in own.text
    result = portal(service.settings, "users", "disable", "hr")
    assert result.returncode == 1 and "最后一个启用的人事处账号" in result.stderr


def test_accounts_are_never_deleted_and_an_unknown_one_is_404(service: Service) -> None:
    service.ensure_user("clerk")
    hr = service.hr_session()
    assert hr.get("/board/accounts/nobody", headers={"accept": "text/html"}).status_code == 404
    assert hr_post(service, hr, "/board/accounts/clerk", action="delete").status_code == 400


# -- API tokens ------------------------------------------------------------------------------------


def test_tokens_are_listed_with_name_creation_and_last_use_and_revoked_at_once(service: Service) -> None:
    service.ensure_user("clerk")
    hr = service.hr_session()
    token = secret_of(hr_post(service, hr, "/board/accounts/clerk", action="token", token_name="报送脚本"))
    headers = {"Authorization": f"Bearer {token}"}
    assert staff_status(service.client, headers=headers) == 200
    page = parse_html(hr.get("/board/accounts/clerk").text)
    [row] = [r for r in page.find("table", data_tokens_table=True).rows() if "报送脚本" in r]  # type: ignore[union-attr]
    assert "2019年4月20日" in row[2] and "从未使用" not in row[3] and row[4] == "有效"
    token_id = row[0]
    revoked = hr_post(service, hr, "/board/accounts/clerk", action="revoke", token=token_id, confirm="on")
    assert revoked.status_code == 303
    refused = service.client.get(f"/api/departments/{DEPT}/staff", headers=headers)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    listed = portal(service.settings, "users", "tokens", "clerk")
    assert listed.returncode == 0 and token_id in listed.stdout and "已停用" in listed.stdout
    # an account sees and revokes its own tokens on its own page
    own = service.token("clerk")
    browser = service.session("clerk")
    mine = parse_html(browser.get("/account").text).find("table", data_tokens_table=True)
    assert mine is not None and len(mine.rows()) == 2  # the revoked one and the new one
    own_id = next(r[0] for r in mine.rows() if r[4] == "有效")
    done = browser.post("/account", data={"csrf": page_csrf(browser, "/account"), "action": "revoke",
                                          "token": own_id, "confirm": "on"})
    assert done.status_code == 303
    assert service.client.get("/api/status", headers={"Authorization": f"Bearer {own}"}).status_code == 401


def test_the_first_of_two_cli_tokens_is_revoked_and_the_second_still_works(service: Service) -> None:
    service.ensure_user("other")
    settings = service.settings
    first = portal(settings, "users", "token", "other").stdout.split()[-1]
    second = portal(settings, "users", "token", "other").stdout.split()[-1]
    listed = portal(settings, "users", "tokens", "other").stdout.splitlines()
    first_id = next(line.split("\t")[0] for line in listed if line.endswith("有效"))
    assert len(listed) == 2
    oldest = listed[-1].split("\t")[0]  # newest first
    assert portal(settings, "users", "revoke", "other", oldest).returncode == 0
    assert first_id in (oldest, listed[0].split("\t")[0])
    statuses = {t: service.client.get(f"/api/departments/{OTHER_DEPT}/staff",
                                      headers={"Authorization": f"Bearer {t}"}).status_code for t in (first, second)}
    assert sorted(statuses.values()) == [200, 401]
    again = portal(settings, "users", "revoke", "other", oldest)
    assert again.returncode == 1 and "已经停用" in again.stderr


# -- sessions ----------------------------------------------------------------------------------------


def test_a_cookie_replayed_after_logout_gets_401(service: Service) -> None:
    browser = service.session("clerk")
    elsewhere = service.session("clerk")
    cookie = browser.cookies.get("portal_session")
    assert cookie and staff_status(browser) == 200
    out = browser.post("/logout", data={"csrf": page_csrf(browser, f"/board/{DEPT}")})
    assert out.status_code == 303 and "portal_session=" in out.headers["set-cookie"]
    replay = service.new_client()
    replay.cookies.set("portal_session", cookie)
    answer = replay.get(f"/api/departments/{DEPT}/staff")
    assert answer.status_code == 401 and answer.json()["code"] == "login_required"
    assert staff_status(elsewhere) == 401  # signing out ends every session of the account


def test_only_a_hash_of_the_session_id_is_stored(service: Service) -> None:
    browser = service.session("clerk")
    cookie = browser.cookies.get("portal_session")
    stored = (service.settings.data_dir / "db" / "sessions.json").read_text(encoding="utf-8")
    assert cookie and cookie not in stored and '"id_hash"' in stored


def test_sessions_run_out_idle_and_absolute(settings: Settings) -> None:
    with running_service(settings) as service:
        browser = service.session("clerk")
        service.clock.advance(dt.timedelta(minutes=100))
        assert staff_status(browser) == 200  # used: idle time starts again
        service.clock.advance(dt.timedelta(minutes=100))
        assert staff_status(browser) == 200
        service.clock.advance(dt.timedelta(minutes=121))
        assert staff_status(browser) == 401  # idle longer than 120 minutes
        busy = service.session("clerk")
        for _ in range(11):  # used every hour, but 10 hours after signing in it ends
            service.clock.advance(dt.timedelta(hours=1))
            status = staff_status(busy)
        assert status == 401


def test_a_session_survives_a_restart(settings: Settings) -> None:
    with running_service(settings) as service:
        browser = service.session("clerk")
        cookie = browser.cookies.get("portal_session")
    with running_service(settings, users=False) as restarted:
        client = restarted.new_client()
        client.cookies.set("portal_session", cookie or "")
        assert staff_status(client) == 200


# -- leaders -----------------------------------------------------------------------------------------


def submitted(service: Service, department: str) -> str:
    """A person of `department` whose target set is submitted for approval."""
    member = service.context.content.members(department)[0]
    role = service.context.content.role(member.role)
    assert role is not None
    rows = [{"目标内容": r.content, "分值": r.points, "佐证材料及分值": r.evidence, "完成时限": r.deadline}
            for r in role.targets]
    clerk = "clerk" if department == DEPT else "other"
    answer = service.client.put(f"/api/targets/{member.staff_id}", headers=service.bearer(clerk),
                                json={"rows": rows, "submit": True})
    assert answer.status_code == 200 and answer.json()["state"] == TARGET_SUBMITTED, answer.text
    return member.staff_id


def test_a_leader_approves_only_the_departments_hr_assigned(service: Service) -> None:
    service.add_user("vp-li", "leader", oversees=(OTHER_DEPT,))
    ours, theirs = submitted(service, DEPT), submitted(service, OTHER_DEPT)
    leader = service.bearer("vp-li")
    refused = service.client.post(f"/api/targets/{ours}/approve", headers=leader, json={})
    assert refused.status_code == 403 and refused.json()["code"] == "not_overseen"
    assert service.client.get(f"/api/targets/{ours}", headers=leader).status_code == 403
    queue = service.client.get("/api/targets", params={"state": TARGET_SUBMITTED}, headers=leader).json()
    assert [p["staff_id"] for p in queue["people"]] == [theirs]
    assert service.client.post(f"/api/targets/{theirs}/approve", headers=leader, json={}).status_code == 200
    hr = service.hr_session()
    assigned = hr_post(service, hr, "/board/accounts/vp-li", action="update", display_name="李副院长",
                       oversees=[DEPT, OTHER_DEPT])
    assert assigned.status_code == 303
    approved = service.client.post(f"/api/targets/{ours}/approve", headers=leader, json={})
    assert approved.status_code == 200, approved.text
    history = parse_html(hr.get(f"/board/{DEPT}/targets/{ours}").text).find("ol", class_="history")
    assert history is not None and "李副院长" in history.text and "vp-li" not in history.text


def test_cli_adds_a_leader_with_the_departments_it_oversees(service: Service) -> None:
    settings = service.settings
    added = portal(settings, "users", "add", "vp-wang", "--role", "leader", "--oversees", f"{DEPT},{OTHER_DEPT}",
                   "--display-name", "王副院长", "--email", "wang@example.edu.cn", "--phone", "0451-1234",
                   stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    row = next(line.split("\t") for line in portal(settings, "users", "list").stdout.splitlines()
               if line.startswith("vp-wang\t"))
    assert row == ["vp-wang", "leader", f"{DEPT},{OTHER_DEPT}", "王副院长", "启用"]
    bad = portal(settings, "users", "add", "vp-x", "--role", "leader", "--oversees", "nope",
                 stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert bad.returncode == 1 and "nope" in bad.stderr
    clerk_oversees = portal(settings, "users", "add", "c-x", "--role", "department", "--department", DEPT,
                            "--oversees", DEPT, stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert clerk_oversees.returncode == 1 and "只有院领导" in clerk_oversees.stderr


def test_cli_reset_disable_enable_and_passwd(service: Service) -> None:
    settings = service.settings
    browser = service.session("clerk")
    reset = portal(settings, "users", "reset", "clerk")
    assert reset.returncode == 0
    one_time = reset.stdout.split()[-1]
    assert staff_status(browser) == 401
    assert portal(settings, "users", "passwd", "clerk", stdin=f"{one_time}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n").returncode == 0
    assert login(service.new_client(), "clerk", NEW_PASSWORD).headers["location"] == f"/board/{DEPT}"
    weak = portal(settings, "users", "passwd", "clerk", stdin=f"{NEW_PASSWORD}\nwoaini1314\nwoaini1314\n")
    assert weak.returncode == 1 and "常见" in weak.stderr
    browser = service.session("clerk", NEW_PASSWORD)
    assert portal(settings, "users", "disable", "clerk").returncode == 0
    assert staff_status(browser) == 401
    assert portal(settings, "users", "enable", "clerk").returncode == 0
    assert "clerk\tdepartment\tjxx\t\t启用" in portal(settings, "users", "list").stdout


def test_the_login_page_form_posts_with_its_csrf_cookie(service: Service) -> None:
    browser = service.new_client()
    page = browser.get("/login")
    assert "portal_csrf=" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    stranger = service.new_client()  # another browser replaying the form's token without the cookie
    answer = stranger.post("/login", data={"username": "hr", "password": service.hr_password,
                                           "csrf": csrf_from(page.text)})
    assert answer.status_code == 403
