"""Signing in through the campus directory: a real OpenLDAP server (slapd) started for the
module on 127.0.0.1 (tests/ldap_server.py), with two roster members, one person the roster
does not know and a service account. Both ways of finding a person's entry (the DN template,
and the search with the service account), the refusals in Chinese, a directory that is down
or hangs (local passwords still work when enabled), and the settings read from the environment."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DEPT, Service, audit_actions, copy_site, page_csrf, parse_html, running_service
from ldap_server import (
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    USER_DN,
    DirectoryServer,
    free_port,
    silent_server,
    start_directory,
)
from serverproc import serving
from staff_helpers import issue_slips

from service.config import SIGN_IN_BOTH, SIGN_IN_DIRECTORY, Directory, SettingInvalid, Settings, from_env
from service.content.codes import STAFF_DIRECTORY
from service.content.loader import load_content

CAMPUS = "campus-pass-1"
STRANGER = "999999"  # in the directory, not on the roster


@pytest.fixture(scope="module")
def people() -> list[str]:
    from service.config import ROOT

    return [m.staff_id for m in load_content(ROOT / "content").members(DEPT)[:2]]


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory, people: list[str]) -> Iterator[DirectoryServer]:
    entries = {sid: (sid, CAMPUS) for sid in people} | {STRANGER: (STRANGER, "campus-pass-9")}
    entries["zhang.wei"] = ("100002-x", "campus-pass-3")  # a uid that is not a 工号
    server = start_directory(tmp_path_factory.mktemp("slapd"), entries)
    try:
        yield server
    finally:
        server.stop()


def by_template(url: str, **extra: object) -> Directory:
    return Directory(url=url, user_dn=USER_DN, timeout=2.0, **extra)  # type: ignore[arg-type]


def by_search(url: str, password: str = SERVICE_PASSWORD) -> Directory:
    return Directory(url=url, search_base=PEOPLE, attribute="employeeNumber", bind_dn=SERVICE_DN,
                     bind_password=password, timeout=2.0)


def running(settings: Settings, found: Directory, sign_in: str = SIGN_IN_DIRECTORY) -> Iterator[Service]:
    with running_service(settings.with_(directory=found, staff_sign_in=sign_in)) as service:
        yield service


def sign_in(service: Service, username: str, password: str) -> tuple[int, str]:
    client = service.new_client()
    response = client.post("/login", data={"username": username, "password": password, "csrf": page_csrf(client)})
    if response.status_code == 303:
        return 303, response.headers["location"]
    return response.status_code, parse_html(response.text).find("div", role="alert").text  # type: ignore[union-attr]


def test_a_roster_member_binds_and_signs_in(settings: Settings, directory: DirectoryServer, people: list[str]) -> None:
    for service in running(settings, by_template(directory.url)):
        person = people[0]
        client = service.new_client()
        response = client.post("/login", data={"username": person, "password": CAMPUS, "csrf": page_csrf(client)})
        assert response.status_code == 303 and response.headers["location"] == "/me"
        page = client.get("/me")
        assert page.status_code == 200 and service.context.content.staff(person).name in page.text  # type: ignore[union-attr]
        record = service.context.store.accounts.user(person)
        assert record["source"] == STAFF_DIRECTORY and record["password_hash"] is None  # type: ignore[index]
        assert "统一身份认证" in client.get("/account").text  # no local password to change here
        assert sign_in(service, person, CAMPUS) == (303, "/me")  # the second time: the account is there
        assert audit_actions(service.settings).count("user.create") == 3  # hr, the leader, and this person once


def test_the_entry_found_by_a_search_with_the_service_account(settings: Settings, directory: DirectoryServer,
                                                               people: list[str]) -> None:
    for service in running(settings, by_search(directory.url)):
        assert sign_in(service, people[1], CAMPUS) == (303, "/me")
        assert sign_in(service, people[1], "wrong-pass-1")[0] == 400
        assert sign_in(service, "*", CAMPUS)[0] == 400  # a filter value, escaped: matches no one
        assert sign_in(service, f"{people[1]})(uid=*", CAMPUS)[0] == 400


def test_a_service_account_the_directory_refuses_is_reported(settings: Settings, directory: DirectoryServer,
                                                             people: list[str]) -> None:
    for service in running(settings, by_search(directory.url, "not-the-service-password")):
        status, message = sign_in(service, people[1], CAMPUS)
        assert status == 503 and "拒绝了本系统的查询账号" in message and "PORTAL_LDAP_BIND_DN" in message


def test_a_wrong_password_and_a_stranger_are_refused_in_chinese(settings: Settings, directory: DirectoryServer,
                                                               people: list[str]) -> None:
    for service in running(settings, by_template(directory.url)):
        assert sign_in(service, people[0], "wrong-pass-1") == (400, "登录失败 用户名或密码不正确")
        assert sign_in(service, people[0], "")[0] == 400  # never an unauthenticated bind
        status, message = sign_in(service, STRANGER, "campus-pass-9")
        assert status == 400 and f"工号“{STRANGER}”不在2019年度教职工名册中" in message
        assert service.context.store.accounts.user(STRANGER) is None
        assert sign_in(service, f"{people[0]},{PEOPLE}", CAMPUS)[0] == 400  # an RDN value, escaped
        throttle = service.app.state.throttle
        assert throttle.wait(STRANGER, "testclient") == 0  # a right password to a stranger is no guess


def test_an_unreachable_directory_is_reported_and_local_passwords_still_work(
        settings: Settings, people: list[str]) -> None:
    closed = f"ldap://127.0.0.1:{free_port()}"
    for service in running(settings, by_template(closed), SIGN_IN_BOTH):
        passwords = issue_slips(service)
        status, message = sign_in(service, people[0], CAMPUS)
        assert status == 503 and "统一身份认证暂时不可用" in message and "无法连接统一身份认证服务" in message
        assert "可以用本系统密码登录" in message
        assert sign_in(service, people[0], passwords[people[0]]) == (303, "/account")


def test_a_directory_that_hangs_is_given_up_within_its_timeout(settings: Settings, people: list[str]) -> None:
    with silent_server() as url:
        for service in running(settings, by_template(url)):
            began = time.monotonic()
            status, message = sign_in(service, people[0], CAMPUS)
            assert status == 503 and "统一身份认证暂时不可用" in message and "稍后再试" in message
            assert time.monotonic() - began < 8  # two seconds of timeout, with room for a loaded machine
            assert service.client.get("/healthz").status_code == 200


def test_directory_only_refuses_slip_passwords(settings: Settings, directory: DirectoryServer,
                                               people: list[str]) -> None:
    for service in running(settings, by_template(directory.url), SIGN_IN_DIRECTORY):
        passwords = issue_slips(service)
        assert sign_in(service, people[0], passwords[people[0]])[0] == 400
        assert sign_in(service, people[0], CAMPUS) == (303, "/me")  # no slip password to change
        assert "staff.slip_void" in audit_actions(service.settings)  # the unused slip stops working
        assert sign_in(service, "hr", service.hr_password)[0] == 303  # HR's own accounts sign in as before


def test_the_settings_come_from_the_environment(tmp_path: Path, directory: DirectoryServer,
                                               people: list[str]) -> None:
    env = {"PORTAL_LDAP_URL": directory.url, "PORTAL_LDAP_USER_DN": USER_DN, "PORTAL_LDAP_TIMEOUT": "3"}
    found = from_env(env)
    assert found.directory == Directory(url=directory.url, user_dn=USER_DN, timeout=3.0)
    assert found.staff_sign_in == SIGN_IN_BOTH and found.directory_sign_in and found.local_sign_in
    assert from_env({}).staff_sign_in == "local" and not from_env({}).directory_sign_in
    for wrong, words in (({"PORTAL_LDAP_URL": "http://x"}, "ldap://"),
                         ({"PORTAL_LDAP_URL": directory.url}, "二者选一"),
                         ({**env, "PORTAL_LDAP_SEARCH_BASE": PEOPLE}, "二者选一"),
                         ({**env, "PORTAL_LDAP_USER_DN": "uid=x," + PEOPLE}, "{staff_id}"),
                         ({**env, "PORTAL_LDAP_TIMEOUT": "0"}, "PORTAL_LDAP_TIMEOUT"),
                         ({**env, "PORTAL_LDAP_ATTRIBUTE": "uid)(x"}, "属性名"),
                         ({"PORTAL_STAFF_SIGN_IN": "ldap"}, "PORTAL_LDAP_URL"),
                         ({"PORTAL_STAFF_SIGN_IN": "sometimes"}, "PORTAL_STAFF_SIGN_IN")):
        with pytest.raises(SettingInvalid, match=words.replace("(", r"\(").replace(")", r"\)")):
            from_env(wrong)


def test_portal_serve_signs_staff_in_through_the_directory(settings: Settings, directory: DirectoryServer,
                                                           people: list[str]) -> None:
    env = {"PORTAL_LDAP_URL": directory.url, "PORTAL_LDAP_SEARCH_BASE": PEOPLE,
           "PORTAL_LDAP_ATTRIBUTE": "employeeNumber", "PORTAL_LDAP_BIND_DN": SERVICE_DN,
           "PORTAL_LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "PORTAL_STAFF_SIGN_IN": "ldap"}
    copy_site(settings.site_dir, full=False)
    with serving(settings, **env) as server, server.client() as client:
        page = client.get("/login")
        csrf = parse_html(page.text).find("input", name="csrf").attrs["value"]  # type: ignore[union-attr]
        response = client.post("/login", data={"username": people[0], "password": CAMPUS, "csrf": csrf})
        assert response.status_code == 303 and response.headers["location"] == "/me"
        assert client.get("/api/me").json()["staff_id"] == people[0]


def test_starttls_the_directory_does_not_offer_is_reported(settings: Settings, directory: DirectoryServer,
                                                           people: list[str]) -> None:
    """The test server has no certificate: asking for STARTTLS fails clearly, nothing is sent in the clear."""
    for service in running(settings, by_template(directory.url, starttls=True)):
        status, message = sign_in(service, people[0], CAMPUS)
        assert status == 503 and "没有建立 STARTTLS 加密连接" in message and "密码未发送" in message
