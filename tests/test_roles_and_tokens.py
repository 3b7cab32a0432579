"""Role boundaries (hr / department / leader / anonymous), CSRF on session writes, API tokens."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import (
    DEPT,
    OTHER_DEPT,
    PDF,
    Service,
    audit_actions,
    page_csrf,
    parse_html,
    scan_of,
    staff_of,
    stored_files,
    upload,
)

HTML = {"accept": "text/html,application/xhtml+xml"}


def first(service: Service, department: str, index: int = 0) -> str:
    return service.context.content.members(department)[index].staff_id


def everything(service: Service) -> Any:
    """Every department's people as HR sees them, plus the stored files: what a refused write must not change."""
    hr = service.bearer("hr")
    return ({d: staff_of(service.client, d, hr) for d in (DEPT, OTHER_DEPT)}, stored_files(service.settings))


# -- departments stay in their lane -----------------------------------------------------------------


def test_department_cannot_read_another_departments_people(service: Service) -> None:
    headers = service.bearer("clerk")
    assert service.client.get(f"/api/departments/{DEPT}/staff", headers=headers).status_code == 200
    response = service.client.get(f"/api/departments/{OTHER_DEPT}/staff", headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    browser = service.session("clerk")
    assert browser.get(f"/board/{DEPT}").status_code == 200
    response = browser.get(f"/board/{OTHER_DEPT}", headers=HTML)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    names = [m.name for m in service.context.content.members(OTHER_DEPT)]
    assert not [n for n in names if n in response.text]
    # the overview is HR's: a department is sent to its own page
    response = browser.get("/board")
    assert response.status_code == 303
    assert response.headers["location"] == f"/board/{DEPT}"


def test_department_cannot_download_another_departments_scans(service: Service) -> None:
    theirs = upload(service.client, first(service, OTHER_DEPT), PDF, headers=service.bearer("other")).json()
    headers = service.bearer("clerk")
    for path in (f"/api/departments/{OTHER_DEPT}/contracts/{theirs['id']}",
                 f"/board/{OTHER_DEPT}/contracts/{theirs['id']}"):
        assert service.client.get(path, headers=headers).status_code == 403
    # asking through its own department's URL finds nothing
    response = service.client.get(f"/api/departments/{DEPT}/contracts/{theirs['id']}", headers=headers)
    assert response.status_code == 404
    assert service.client.get(f"/api/departments/{OTHER_DEPT}/contracts/{theirs['id']}").status_code == 401


def test_department_cannot_write_another_departments_people(service: Service) -> None:
    before = everything(service)
    headers = service.bearer("clerk")
    theirs = first(service, OTHER_DEPT)
    assert upload(service.client, theirs, PDF, headers=headers).status_code == 403
    response = service.client.put(f"/api/completion/{OTHER_DEPT}", headers=headers,
                                  json={"entries": [{"staff_id": theirs, "status": "产假"}]})
    assert response.status_code == 403
    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    response = browser.post(f"/board/{OTHER_DEPT}/completion", data={f"status:{theirs}": "产假", "csrf": csrf})
    assert response.status_code == 403
    response = browser.post(f"/board/{OTHER_DEPT}/contracts", data={"staff_id": theirs, "csrf": csrf},
                            files={"file": ("a.pdf", PDF, "application/pdf")})
    assert response.status_code == 403
    # its own upload form cannot smuggle in another department's person either
    response = browser.post(f"/board/{DEPT}/contracts", data={"staff_id": theirs, "csrf": csrf},
                            files={"file": ("a.pdf", PDF, "application/pdf")})
    assert response.status_code == 403
    assert everything(service) == before


def test_anonymous_cannot_upload_read_staff_or_see_the_board(service: Service) -> None:
    before = everything(service)
    client = service.new_client()
    response = upload(client, first(service, DEPT), PDF)
    assert response.status_code == 401
    assert response.json()["code"] == "login_required"
    assert client.get(f"/api/departments/{DEPT}/staff").status_code == 401
    response = client.put(f"/api/completion/{DEPT}", json={"entries": [{"staff_id": first(service, DEPT),
                                                                        "status": "产假"}]})
    assert response.status_code == 401
    for path in ("/board", f"/board/{DEPT}"):
        response = client.get(path, headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    assert client.get("/api/status").status_code == 200  # the public counts need no login
    assert everything(service) == before


def test_leader_reads_but_never_writes(service: Service) -> None:
    before = everything(service)
    headers = service.bearer("boss")
    browser = service.session("boss")
    board = browser.get("/board")
    assert board.status_code == 200
    assert parse_html(board.text).find("table", data_board_table=True) is not None
    assert upload(service.client, first(service, DEPT), PDF, headers=headers).status_code == 403
    response = service.client.put(f"/api/completion/{DEPT}", headers=headers,
                                  json={"entries": [{"staff_id": first(service, DEPT), "status": "产假"}]})
    assert response.status_code == 403
    csrf = page_csrf(browser, "/board")
    response = browser.post(f"/board/{DEPT}/completion", data={f"status:{first(service, DEPT)}": "产假", "csrf": csrf})
    assert response.status_code == 403
    for path in ("/hr/export.xlsx", "/hr/contracts.zip"):
        assert service.client.get(path, headers=headers).status_code == 403
    assert everything(service) == before


def test_hr_reads_and_writes_every_department(service: Service) -> None:
    headers = service.bearer("hr")
    for department in (DEPT, OTHER_DEPT):
        someone = first(service, department)
        assert upload(service.client, someone, scan_of(someone), headers=headers).status_code == 201
        response = service.client.put(f"/api/completion/{department}", headers=headers,
                                      json={"entries": [{"staff_id": first(service, department, 1), "status": "病假"}]})
        assert response.status_code == 200
    browser = service.hr_session()
    page = parse_html(browser.get("/board").text)
    links = {a.attrs["href"] for a in page.find_all("a")}
    assert {f"/board/{d.id}" for d in service.context.content.departments} <= links
    assert browser.get(f"/board/{OTHER_DEPT}").status_code == 200


# -- CSRF ------------------------------------------------------------------------------------------


def _csrf_cases(service: Service) -> list[tuple[str, str, dict[str, Any]]]:
    mine = first(service, DEPT)
    return [
        ("POST", f"/board/{DEPT}/completion", {"data": {f"status:{mine}": "产假"}}),
        ("POST", f"/board/{DEPT}/contracts", {"data": {"staff_id": mine},
                                              "files": {"file": ("a.pdf", PDF, "application/pdf")}}),
        ("POST", "/api/contracts", {"data": {"staff_id": mine}, "files": {"file": ("a.pdf", PDF, "application/pdf")}}),
        ("PUT", f"/api/completion/{DEPT}", {"json": {"entries": [{"staff_id": mine, "status": "产假"}]}}),
    ]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_session_writes_without_the_csrf_token_are_refused(service: Service, token: str | None) -> None:
    browser = service.session("clerk")
    page_csrf(browser, f"/board/{DEPT}")  # the session has a token; the requests below do not echo it
    before = everything(service)
    audit_before = audit_actions(service.settings)
    for method, path, kwargs in _csrf_cases(service):
        if token is not None:
            if "data" in kwargs:
                kwargs = {**kwargs, "data": {**kwargs["data"], "csrf": token}}
            else:
                kwargs = {**kwargs, "headers": {"x-csrf-token": token}}
        response = browser.request(method, path, **kwargs)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "csrf_failed"
    assert everything(service) == before
    assert audit_actions(service.settings) == audit_before


def test_session_writes_with_the_csrf_token_succeed(service: Service) -> None:
    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    mine = first(service, DEPT)
    response = browser.post("/api/contracts", data={"staff_id": mine, "csrf": csrf},
                            files={"file": ("a.pdf", PDF, "application/pdf")})
    assert response.status_code == 201
    response = browser.put(f"/api/completion/{DEPT}", headers={"x-csrf-token": csrf},
                           json={"entries": [{"staff_id": first(service, DEPT, 1), "status": "产假"}]})
    assert response.status_code == 200
    assert response.json()["exempt"] == 1


def test_logout_and_login_need_the_csrf_token(service: Service) -> None:
    browser = service.session("clerk")
    page_csrf(browser, f"/board/{DEPT}")
    response = browser.post("/logout", data={"csrf": "nope"})
    assert response.status_code == 403
    assert browser.get(f"/api/departments/{DEPT}/staff").status_code == 200  # still logged in
    stranger = service.new_client()
    response = stranger.post("/login", data={"username": "hr", "password": service.hr_password})
    assert response.status_code == 403
    assert stranger.get(f"/api/departments/{DEPT}/staff").status_code == 401


def test_the_csrf_token_is_bound_to_the_session(service: Service) -> None:
    mine = first(service, DEPT)
    clerk_browser = service.session("clerk")
    other_browser = service.session("clerk")
    stolen = page_csrf(other_browser, f"/board/{DEPT}")
    page_csrf(clerk_browser, f"/board/{DEPT}")
    response = clerk_browser.post(f"/board/{DEPT}/completion", data={f"status:{mine}": "产假", "csrf": stolen})
    assert response.status_code == 403


# -- API tokens ------------------------------------------------------------------------------------


def test_bearer_token_requests_need_no_csrf(service: Service) -> None:
    client = service.new_client()
    headers = service.bearer("clerk")
    assert upload(client, first(service, DEPT), PDF, headers=headers).status_code == 201
    response = client.put(f"/api/completion/{DEPT}", headers=headers,
                          json={"entries": [{"staff_id": first(service, DEPT, 1), "status": "长期事假"}]})
    assert response.status_code == 200


@pytest.mark.parametrize("header", ["Bearer pt_not-a-real-token", "Bearer ", "bearer x"])
def test_an_invalid_token_is_401(service: Service, header: str) -> None:
    before = everything(service)
    response = upload(service.client, first(service, DEPT), PDF, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] in ("invalid_token", "login_required")
    response = service.client.get(f"/api/departments/{DEPT}/staff", headers={"Authorization": header})
    assert response.status_code == 401
    assert everything(service) == before


def test_a_token_acts_with_its_own_accounts_rights(service: Service) -> None:
    other = service.bearer("other")
    assert service.client.get(f"/api/departments/{OTHER_DEPT}/staff", headers=other).status_code == 200
    assert service.client.get(f"/api/departments/{DEPT}/staff", headers=other).status_code == 403
    # a session of one account and a token of another: the token decides
    browser = service.hr_session()
    assert browser.get(f"/api/departments/{DEPT}/staff", headers=other).status_code == 403
