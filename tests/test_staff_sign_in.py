"""Staff members sign in with their 工号 and a one-time password from HR's slips (changed at the
first sign-in); accounts come from the roster, never typed one by one, and end with it.
The campus directory's sign-in is tested against a real slapd in test_staff_ldap.py."""

from __future__ import annotations

import json

import pytest
from helpers import DEPT, OTHER_DEPT, Service, audit_actions, login, page_csrf, parse_html
from staff_helpers import NEW_PASSWORD, issue_slips, print_slips, staff_session

from service.content.codes import ROLE_STAFF, STAFF_ONE_TIME, STAFF_OWN_PASSWORD
from service.storage.accounts import FILE, STAFF_DIR, staff_shard

HTML = {"accept": "text/html"}


def sign_in(service: Service, username: str, password: str) -> tuple[int, str]:
    client = service.new_client()
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf": page_csrf(client)})
    error = parse_html(response.text).find("div", role="alert") if response.status_code != 303 else None
    return response.status_code, error.text if error else response.headers.get("location", "")


def test_slips_open_accounts_from_the_roster_and_the_password_is_changed_first(service: Service) -> None:
    members = service.context.content.members(DEPT)
    passwords = issue_slips(service)
    assert sorted(passwords) == sorted(m.staff_id for m in members)
    assert len(set(passwords.values())) == len(passwords)
    person = members[0]
    client = service.new_client()
    assert login(client, person.staff_id, passwords[person.staff_id]).headers["location"] == "/account"
    assert client.get("/me", headers=HTML).headers["location"] == "/account"  # nothing before the change
    assert client.get("/api/me").json()["code"] == "password_change_required"
    changed = client.post("/account", data={"csrf": page_csrf(client, "/account"), "action": "password",
                                            "current": passwords[person.staff_id], "new": NEW_PASSWORD,
                                            "repeat": NEW_PASSWORD})
    assert changed.headers["location"] == "/me"
    page = client.get("/me")
    assert page.status_code == 200 and person.name in page.text
    assert sign_in(service, person.staff_id, passwords[person.staff_id])[0] == 400  # the slip is spent
    assert sign_in(service, person.staff_id, NEW_PASSWORD) == (303, "/me")

    data = service.settings.data_dir
    shard = json.loads((data / "db" / STAFF_DIR / f"{staff_shard(person.staff_id)}.json").read_text())
    (record,) = [u for u in shard["users"].values() if u["username"] == person.staff_id]
    assert record["role"] == ROLE_STAFF and record["password_hash"].startswith("scrypt$")
    assert person.staff_id not in (data / "db" / FILE).read_text()  # HR's accounts file stays small
    everything = (data / "audit.log").read_text() + "".join(p.read_text() for p in (data / "db").rglob("*.json"))
    assert not any(password in everything for password in passwords.values())  # slips are the only copy
    assert "staff.slips" in audit_actions(service.settings)


def test_printing_again_voids_old_slips_but_keeps_passwords_people_set(service: Service) -> None:
    first = issue_slips(service)
    kept, renewed = sorted(first)[:2]
    staff_session(service, kept, first[kept])
    second = issue_slips(service)
    assert kept not in second and renewed in second and second[renewed] != first[renewed]
    assert sign_in(service, renewed, first[renewed])[0] == 400
    assert sign_in(service, renewed, second[renewed]) == (303, "/account")
    assert sign_in(service, kept, NEW_PASSWORD) == (303, "/me")
    page = parse_html(service.hr_session().get(f"/board/{DEPT}/staff-accounts").text)
    states = {row.attrs["data-staff"]: row.attrs["data-state"] for row in page.find_all("tr") if "data-staff" in row.attrs}
    assert states[kept] == STAFF_OWN_PASSWORD and states[renewed] == STAFF_ONE_TIME

    browser = staff_session(service, renewed, second[renewed])
    everyone = print_slips(service, everyone=True)
    assert everyone.status_code == 200
    assert browser.get("/me", headers=HTML).status_code == 303  # the reprint ended the person's sessions
    assert sign_in(service, kept, NEW_PASSWORD)[0] == 400


def test_printing_needs_the_box_ticked_and_hr(service: Service) -> None:
    hr = service.hr_session()
    csrf = page_csrf(hr, f"/board/{DEPT}/staff-accounts")
    refused = hr.post(f"/board/{DEPT}/staff-accounts/slips", data={"csrf": csrf, "format": "docx"})
    assert refused.status_code == 400 and "勾选确认框" in refused.text
    assert service.context.store.accounts.staff_users() == []
    clerk = service.session("clerk")
    assert clerk.get(f"/board/{DEPT}/staff-accounts").status_code == 403
    assert clerk.post(f"/board/{DEPT}/staff-accounts/slips",
                      data={"csrf": page_csrf(clerk, f"/board/{DEPT}"), "format": "docx", "confirm": "on"}
                      ).status_code == 403
    assert hr.post(f"/board/{DEPT}/staff-accounts/slips", data={"csrf": csrf, "format": "txt", "confirm": "on"}
                   ).status_code == 400


def test_wrong_passwords_and_strangers_are_refused_alike(service: Service) -> None:
    passwords = issue_slips(service)
    person = next(iter(passwords))
    wrong = sign_in(service, person, "not-the-password")
    assert wrong == (400, "登录失败 用户名或密码不正确")
    assert sign_in(service, "999999", "not-the-password") == wrong  # not on the roster
    assert sign_in(service, person, "")[0] == 400
    assert audit_actions(service.settings).count("login.failed") == 3


def test_a_person_who_leaves_the_roster_can_no_longer_sign_in(service: Service) -> None:
    passwords = issue_slips(service)
    person = sorted(passwords)[0]
    browser = staff_session(service, person, passwords[person])
    roster = service.settings.content_dir / "roster.yml"
    lines = roster.read_text(encoding="utf-8").splitlines()
    roster.write_text("\n".join(line for line in lines if f"'{person}'" not in line) + "\n", encoding="utf-8")
    assert browser.get("/me", headers=HTML).status_code == 303  # the session names no one on the roster now
    assert sign_in(service, person, NEW_PASSWORD)[0] == 400


def test_hr_never_types_a_staff_account(service: Service) -> None:
    hr = service.hr_session()
    response = hr.post("/board/accounts", data={"csrf": page_csrf(hr, "/board/accounts"), "username": "100001",
                                                "role": ROLE_STAFF, "display_name": "某人"})
    assert response.status_code == 400 and "由名册生成" in response.text


def test_a_name_hr_gave_another_account_is_not_taken_over(service: Service) -> None:
    person = service.context.content.members(OTHER_DEPT)[0].staff_id
    service.add_user(person, "department", OTHER_DEPT)  # an unlucky clerk account named like a 工号
    response = print_slips(service, OTHER_DEPT)
    assert response.status_code == 200
    page = parse_html(service.hr_session().get(f"/board/{OTHER_DEPT}/staff-accounts").text)
    assert "该工号已被其他账号占用" in page.find("tr", data_staff=person).text
    assert service.context.store.accounts.user(person)["role"] == "department"


def test_staff_accounts_are_sharded_and_found_by_name(service: Service) -> None:
    store = service.context.store
    issue_slips(service)
    issue_slips(service, OTHER_DEPT)
    shards = list((service.settings.data_dir / "db" / STAFF_DIR).glob("*.json"))
    assert len(shards) > 10
    everyone = store.accounts.staff_users()
    assert len(everyone) == len(service.context.content.members(DEPT)) + len(service.context.content.members(OTHER_DEPT))
    for record in everyone[:20]:
        assert store.accounts.user(record["username"])["username"] == record["username"]
    with pytest.raises(KeyError):
        store.accounts.add_user({"username": everyone[0]["username"], "role": "department"})
