"""The HTTP interface, endpoint by endpoint, through a TestClient on a temporary app."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from helpers import (
    AFTER_DEADLINE,
    DEPT,
    JPEG,
    OTHER_DEPT,
    PASSWORD,
    PDF,
    PNG,
    Service,
    audit_actions,
    csrf_from,
    login,
    page_csrf,
    parse_html,
    running_service,
    scan_of,
    set_upload_limit,
    sha256,
    staff_of,
    stored_files,
    upload,
)

from service.config import Settings
from service.workflows import accounts, contracts

SMALL_DEPT = "xljy"  # 4 people


@pytest.fixture
def clerk(service: Service) -> dict[str, str]:
    """Bearer headers of the DEPT clerk."""
    return service.bearer("clerk")


@pytest.fixture
def hr(service: Service) -> dict[str, str]:
    return service.bearer("hr")


def members(service: Service, department: str) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def put_completion(service: Service, headers: dict[str, str], department: str,
                   entries: list[dict[str, str]]) -> Any:
    return service.client.put(f"/api/completion/{department}", json={"entries": entries}, headers=headers)


# -- healthz, login, logout ------------------------------------------------------------------------


def test_healthz(service: Service) -> None:
    response = service.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_login_page_is_a_form_with_a_csrf_field(service: Service) -> None:
    response = service.client.get("/login")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    form = parse_html(response.text).find("form", action="/login")
    assert form is not None and form.attrs["method"] == "post"
    names = {i.attrs.get("name"): i.attrs.get("type", "text") for i in form.find_all("input")}
    assert names["username"] == "text"
    assert names["password"] == "password"
    assert names["csrf"] == "hidden"
    assert csrf_from(response.text)


def test_login_gives_an_httponly_samesite_session(service: Service) -> None:
    client = service.new_client()
    response = login(client, "hr", service.hr_password)
    assert response.headers["location"] == "/board"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session="))
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() in ("samesite=strict", "samesite=lax")
    assert client.get("/board").status_code == 200
    assert staff_of(client, DEPT)
    assert "login" in audit_actions(service.settings)


def test_department_login_lands_on_its_own_department(service: Service) -> None:
    service.ensure_user("clerk")
    response = login(service.new_client(), "clerk", PASSWORD)
    assert response.headers["location"] == f"/board/{DEPT}"


def test_wrong_password_is_400_and_opens_no_session(service: Service) -> None:
    client = service.new_client()
    csrf = page_csrf(client)
    response = client.post("/login", data={"username": "hr", "password": "wrong-password", "csrf": csrf})
    assert response.status_code == 400
    alert = parse_html(response.text).find(role="alert")
    assert alert is not None and "用户名或密码不正确" in alert.text
    assert client.get(f"/api/departments/{DEPT}/staff").status_code == 401
    assert client.get("/board").status_code == 303
    assert audit_actions(service.settings)[-1] == "login.failed"


def test_unknown_user_is_refused_like_a_wrong_password(service: Service) -> None:
    client = service.new_client()
    response = client.post("/login", data={"username": "nobody", "password": PASSWORD, "csrf": page_csrf(client)})
    assert response.status_code == 400
    assert client.get(f"/api/departments/{DEPT}/staff").status_code == 401


def test_logout_ends_the_session(service: Service) -> None:
    client = service.session("clerk")
    assert client.get(f"/api/departments/{DEPT}/staff").status_code == 200
    csrf = page_csrf(client, f"/board/{DEPT}")
    response = client.post("/logout", data={"csrf": csrf})
    assert response.status_code == 303
    assert client.get(f"/api/departments/{DEPT}/staff").status_code == 401
    assert client.get(f"/board/{DEPT}").headers["location"].startswith("/login")


# -- uploads -------------------------------------------------------------------------------------


def test_upload_returns_the_stored_record(service: Service, clerk: dict[str, str]) -> None:
    staff_id = members(service, DEPT)[0]
    response = upload(service.client, staff_id, PDF, headers=clerk)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "staff_id", "version", "sha256", "size", "target_version", "match"}
    assert (body["target_version"], body["match"]) == (None, None)  # no code read, no approved set yet
    assert body["staff_id"] == staff_id
    assert body["version"] == 1
    assert body["sha256"] == sha256(PDF)
    assert body["size"] == len(PDF)
    person = staff_of(service.client, DEPT, clerk)[staff_id]
    assert person["status"] == "目标未审定"  # signed, counted as done, while the targets are not approved
    assert [(v["id"], v["version"], v["sha256"], v["ext"]) for v in person["versions"]] == [
        (body["id"], 1, sha256(PDF), "pdf")]
    assert person["versions"][0]["uploaded_by"] == "clerk"
    [stored] = stored_files(service.settings)
    assert stored.read_bytes() == PDF
    assert not str(stored).startswith(str(service.settings.site_dir))
    assert audit_actions(service.settings)[-1] == "contract.upload"


@pytest.mark.parametrize(("data", "filename", "ext"), [
    (PNG, "scan.pdf", "png"),  # the name says PDF, the bytes say PNG: stored as what it is
    (JPEG, "scan.bin", "jpg"),
    (PDF, "扫描件", "pdf"),
])
def test_file_type_is_taken_from_the_content(service: Service, clerk: dict[str, str],
                                             data: bytes, filename: str, ext: str) -> None:
    staff_id = members(service, DEPT)[1]
    response = upload(service.client, staff_id, data, filename, headers=clerk)
    assert response.status_code == 201, response.text
    [version] = staff_of(service.client, DEPT, clerk)[staff_id]["versions"]
    assert version["ext"] == ext
    [stored] = stored_files(service.settings)
    assert stored.suffix == f".{ext}"
    assert stored.read_bytes() == data


def _snapshot(service: Service) -> tuple[Any, list[Path], int]:
    """What a rejected upload must leave untouched: the people's versions, the files, the audit log."""
    people = {d: staff_of(service.client, d, service.bearer("hr")) for d in (DEPT, OTHER_DEPT)}
    uploads = audit_actions(service.settings).count("contract.upload")
    return people, stored_files(service.settings), uploads


def assert_nothing_stored(service: Service, before: tuple[Any, list[Path], int]) -> None:
    people, files, uploads = _snapshot(service)
    assert people == before[0]
    assert files == before[1]
    assert uploads == before[2]
    leftovers = [p for p in (service.settings.data_dir / "files").rglob("*")
                 if p.is_file()] if (service.settings.data_dir / "files").exists() else []
    assert leftovers == files  # no temp file either


REJECTIONS = {
    "missing staff_id": (400, "missing_staff_id", "clerk", {"data": {}, "files": {"file": ("a.pdf", PDF)}}),
    "missing file": (400, "missing_file", "clerk", {"data": {"staff_id": "$DEPT0"}}),
    "anonymous": (401, "login_required", None, {"data": {"staff_id": "$DEPT0"},
                                                 "files": {"file": ("a.pdf", PDF)}}),
    "another department": (403, "forbidden", "clerk", {"data": {"staff_id": "$OTHER0"},
                                                        "files": {"file": ("a.pdf", PDF)}}),
    "unknown staff": (404, "unknown_staff", "clerk", {"data": {"staff_id": "999999"},
                                                       "files": {"file": ("a.pdf", PDF)}}),
    "text named .pdf": (415, "unsupported_type", "clerk", {"data": {"staff_id": "$DEPT0"},
                                                           "files": {"file": ("a.pdf", b"just some text\n")}}),
    "html": (415, "unsupported_type", "clerk", {"data": {"staff_id": "$DEPT0"},
                                                "files": {"file": ("a.pdf", b"<html><script>x</script>")}}),
    "empty file": (400, "empty_file", "clerk", {"data": {"staff_id": "$DEPT0"}, "files": {"file": ("a.pdf", b"")}}),
}


@pytest.mark.parametrize("case", REJECTIONS)
def test_rejected_upload_stores_nothing(service: Service, case: str) -> None:
    status, code, who, request = REJECTIONS[case]
    ids = {"$DEPT0": members(service, DEPT)[0], "$OTHER0": members(service, OTHER_DEPT)[0]}
    data = {k: ids.get(v, v) for k, v in request["data"].items()}
    headers = service.bearer(who) if who else None
    upload(service.client, members(service, DEPT)[2], PDF, headers=service.bearer("hr"))  # something on file
    before = _snapshot(service)
    response = service.client.post("/api/contracts", data=data, files=request.get("files"), headers=headers)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["error"] and not body["error"].isascii()  # a Chinese explanation
    assert_nothing_stored(service, before)


@pytest.fixture
def small_limit(settings: Settings, content_dir: Path) -> Iterator[Service]:
    set_upload_limit(content_dir, 1)
    with running_service(settings) as svc:
        yield svc


@pytest.mark.parametrize("extra", [1, 512 * 1024])
def test_oversize_upload_is_413_and_stores_nothing(small_limit: Service, extra: int) -> None:
    service = small_limit
    clerk = service.bearer("clerk")
    staff_id = members(service, DEPT)[0]
    before = _snapshot(service)
    too_big = PDF + b"\0" * (1024 * 1024 + extra - len(PDF))
    response = upload(service.client, staff_id, too_big, headers=clerk)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "too_large"
    assert_nothing_stored(service, before)
    just_right = PDF + b"\0" * (1024 * 1024 - len(PDF))
    response = upload(service.client, staff_id, just_right, headers=clerk)
    assert response.status_code == 201, response.text
    assert response.json()["size"] == 1024 * 1024


def test_oversize_form_upload_shows_an_error_page(small_limit: Service) -> None:
    service = small_limit
    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    before = _snapshot(service)
    response = browser.post(f"/board/{DEPT}/contracts", headers={"accept": "text/html"},
                            data={"staff_id": members(service, DEPT)[0], "csrf": csrf},
                            files={"file": ("big.pdf", PDF + b"\0" * (2 * 1024 * 1024), "application/pdf")})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    alert = parse_html(response.text).find(role="alert")
    assert alert is not None and "大小限制" in alert.text
    assert_nothing_stored(service, before)


def test_reupload_is_a_new_version_and_every_version_downloads(service: Service, clerk: dict[str, str]) -> None:
    staff_id = members(service, DEPT)[3]
    first = upload(service.client, staff_id, PDF, "v1.pdf", headers=clerk).json()
    second = upload(service.client, staff_id, PNG, "v2.png", headers=clerk)
    assert second.status_code == 201
    second_body = second.json()
    assert (first["version"], second_body["version"]) == (1, 2)
    assert first["id"] != second_body["id"]
    versions = staff_of(service.client, DEPT, clerk)[staff_id]["versions"]
    assert [(v["version"], v["sha256"]) for v in versions] == [(1, sha256(PDF)), (2, sha256(PNG))]
    assert len(stored_files(service.settings)) == 2
    name = service.context.content.staff(staff_id).name  # type: ignore[union-attr]
    for body, data, ext, media in ((first, PDF, "pdf", "application/pdf"), (second_body, PNG, "png", "image/png")):
        response = service.client.get(f"/api/departments/{DEPT}/contracts/{body['id']}", headers=clerk)
        assert response.status_code == 200
        assert response.content == data
        assert response.headers["content-type"] == media
        assert response.headers["x-content-type-options"] == "nosniff"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert quote(f"{staff_id}-{name}-v{body['version']}.{ext}") in disposition
    assert audit_actions(service.settings).count("contract.download") == 2


def test_board_page_links_download_every_version(service: Service) -> None:
    staff_id = members(service, DEPT)[0]
    clerk = service.bearer("clerk")
    upload(service.client, staff_id, PDF, headers=clerk)
    upload(service.client, staff_id, JPEG, headers=clerk)
    browser = service.session("clerk")
    page = parse_html(browser.get(f"/board/{DEPT}").text)
    links = [a.attrs["href"] for a in page.find_all("a") if "/contracts/" in a.attrs.get("href", "")]
    assert len(links) == 2
    assert [browser.get(href).content for href in links] == [PDF, JPEG]


def test_unknown_contract_is_404(service: Service, clerk: dict[str, str]) -> None:
    response = service.client.get(f"/api/departments/{DEPT}/contracts/nope", headers=clerk)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_contract"


# -- completion (annex 5) --------------------------------------------------------------------------


def test_leave_statuses_are_set(service: Service, clerk: dict[str, str]) -> None:
    people = members(service, DEPT)
    entries = [{"staff_id": s, "status": w} for s, w in zip(people, ("产假", "病假", "长期事假"), strict=False)]
    response = put_completion(service, clerk, DEPT, entries)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["department"] == DEPT
    assert (body["staff"], body["completed"], body["exempt"], body["outstanding"]) == (len(people), 0, 3, len(people) - 3)
    staff = staff_of(service.client, DEPT, clerk)
    assert [staff[s]["status"] for s in people[:4]] == ["产假", "病假", "长期事假", "未完成"]
    # clearing a status puts the person back to 未完成
    response = put_completion(service, clerk, DEPT, [{"staff_id": people[0], "status": ""}])
    assert response.json()["exempt"] == 2
    assert staff_of(service.client, DEPT, clerk)[people[0]]["status"] == "未完成"
    assert "completion.update" in audit_actions(service.settings)


def test_done_needs_a_scan_on_file(service: Service, clerk: dict[str, str]) -> None:
    people = members(service, DEPT)
    put_completion(service, clerk, DEPT, [{"staff_id": people[0], "status": "病假"}])
    before = staff_of(service.client, DEPT, clerk)
    audit_before = audit_actions(service.settings)
    response = put_completion(service, clerk, DEPT, [{"staff_id": people[0], "status": "产假"},
                                                     {"staff_id": people[1], "status": "完成"}])
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "scan_required"
    name = service.context.content.staff(people[1]).name  # type: ignore[union-attr]
    assert name in body["error"] and people[1] in body["error"]
    assert staff_of(service.client, DEPT, clerk) == before  # all or nothing: 产假 not applied either
    assert audit_actions(service.settings) == audit_before
    upload(service.client, people[1], PDF, headers=clerk)
    response = put_completion(service, clerk, DEPT, [{"staff_id": people[1], "status": "完成"}])
    assert response.status_code == 200, response.text
    assert response.json()["completed"] == 1
    assert staff_of(service.client, DEPT, clerk)[people[1]]["status"] == "目标未审定"


def test_another_departments_person_is_refused_and_nothing_changes(service: Service, clerk: dict[str, str],
                                                                  hr: dict[str, str]) -> None:
    mine, theirs = members(service, DEPT)[0], members(service, OTHER_DEPT)[0]
    before = {d: staff_of(service.client, d, hr) for d in (DEPT, OTHER_DEPT)}
    response = put_completion(service, clerk, DEPT, [{"staff_id": mine, "status": "产假"},
                                                     {"staff_id": theirs, "status": "病假"}])
    assert response.status_code in (403, 422)
    assert theirs in response.json()["error"]
    response = put_completion(service, clerk, OTHER_DEPT, [{"staff_id": theirs, "status": "病假"}])
    assert response.status_code == 403
    assert {d: staff_of(service.client, d, hr) for d in (DEPT, OTHER_DEPT)} == before


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"entries": [{"staff_id": "$0", "status": "出差"}]}, 400, "invalid_status"),
    ({"entries": []}, 400, "invalid_entries"),
    ({"entries": "all"}, 400, "invalid_entries"),
    ({}, 400, "invalid_entries"),
    ({"entries": [{"staff_id": "999999", "status": "产假"}]}, 422, "unknown_staff"),
    ({"entries": [{"staff_id": "$0", "status": "产假"}, {"staff_id": "$0", "status": "病假"}]}, 422, "duplicate_staff"),
])
def test_invalid_completion_bodies(service: Service, clerk: dict[str, str], body: dict[str, Any],
                                   status: int, code: str) -> None:
    first = members(service, DEPT)[0]
    if isinstance(body.get("entries"), list):
        body = {"entries": [{**e, "staff_id": e["staff_id"].replace("$0", first)} for e in body["entries"]]}
    response = service.client.put(f"/api/completion/{DEPT}", json=body, headers=clerk)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert staff_of(service.client, DEPT, clerk)[first]["status"] == "未完成"


def test_completion_needs_json(service: Service, clerk: dict[str, str]) -> None:
    response = service.client.put(f"/api/completion/{DEPT}", content=b"entries=1", headers=clerk)
    assert response.status_code == 415
    response = service.client.put(f"/api/completion/{DEPT}", content=b"{not json",
                                  headers={**clerk, "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_unknown_department_is_404(service: Service, hr: dict[str, str]) -> None:
    assert service.client.get("/api/departments/nope/staff", headers=hr).status_code == 404
    response = put_completion(service, hr, "nope", [{"staff_id": members(service, DEPT)[0], "status": "产假"}])
    assert response.status_code == 404


def test_completion_web_form_saves_and_reports_the_scan_rule(service: Service) -> None:
    people = members(service, DEPT)
    browser = service.session("clerk")
    page = parse_html(browser.get(f"/board/{DEPT}").text)
    form = page.find("form", action=f"/board/{DEPT}/completion")
    assert form is not None
    selects = form.find_all("select")
    assert [s.attrs["name"] for s in selects] == [f"status:{s}" for s in people]  # pre-filled with the roster
    options = [o.attrs["value"] for o in selects[0].find_all("option")]
    assert options == ["", "完成", "产假", "病假", "长期事假"]
    fields = {s.attrs["name"]: "" for s in selects}
    csrf = csrf_from(browser.get(f"/board/{DEPT}").text)
    response = browser.post(f"/board/{DEPT}/completion",
                            data={**fields, f"status:{people[0]}": "产假", "csrf": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == f"/board/{DEPT}?notice=completion"
    assert staff_of(browser, DEPT)[people[0]]["status"] == "产假"
    response = browser.post(f"/board/{DEPT}/completion",
                            data={**fields, f"status:{people[1]}": "完成", "csrf": csrf})
    assert response.status_code == 422
    alert = parse_html(response.text).find(role="alert")
    name = service.context.content.staff(people[1]).name  # type: ignore[union-attr]
    assert alert is not None and name in alert.text
    assert staff_of(browser, DEPT)[people[0]]["status"] == "产假"  # the failed form changed nothing


def test_upload_web_form_stores_a_version(service: Service) -> None:
    staff_id = members(service, DEPT)[5]
    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    response = browser.post(f"/board/{DEPT}/contracts", data={"staff_id": staff_id, "csrf": csrf},
                            files={"file": ("扫描.pdf", PDF, "application/pdf")})
    assert response.status_code == 200, response.text
    assert sha256(PDF) in parse_html(response.text).text
    assert staff_of(browser, DEPT)[staff_id]["versions"][0]["sha256"] == sha256(PDF)
    response = browser.post(f"/board/{DEPT}/contracts", data={"staff_id": staff_id, "csrf": csrf},
                            files={"file": ("扫描.pdf", b"plain text", "application/pdf")})
    assert response.status_code == 415
    assert len(staff_of(browser, DEPT)[staff_id]["versions"]) == 1


# -- status and staff --------------------------------------------------------------------------------

STATUS_KEYS = {"year", "updated_at", "totals", "departments"}
COUNT_KEYS = {"staff", "completed", "exempt", "outstanding"}
DEPARTMENT_KEYS = {"id", "name", *COUNT_KEYS, "overdue"}


def test_status_shape_and_counts(service: Service, clerk: dict[str, str], hr: dict[str, str]) -> None:
    response = service.client.get("/api/status")
    assert response.status_code == 200
    status = response.json()
    assert set(status) >= STATUS_KEYS
    assert status["year"] == 2019
    assert status["updated_at"] is None
    assert set(status["totals"]) >= COUNT_KEYS
    content = service.context.content
    assert [d["id"] for d in status["departments"]] == [d.id for d in content.departments]
    assert [d["name"] for d in status["departments"]] == [d.name for d in content.departments]
    assert status["totals"]["staff"] == len(content.roster)
    assert status["totals"]["outstanding"] == len(content.roster)

    people = members(service, DEPT)
    upload(service.client, people[0], PDF, headers=clerk)
    upload(service.client, people[0], PNG, headers=clerk)  # a second version is still one person
    upload(service.client, people[1], scan_of(people[1]), headers=clerk)
    put_completion(service, clerk, DEPT, [{"staff_id": people[2], "status": "产假"},
                                          {"staff_id": people[3], "status": "病假"},
                                          {"staff_id": people[4], "status": "长期事假"}])
    other = members(service, OTHER_DEPT)
    upload(service.client, other[0], JPEG, headers=hr)
    status = service.client.get("/api/status").json()
    rows = {d["id"]: d for d in status["departments"]}
    for row in status["departments"]:
        assert set(row) >= DEPARTMENT_KEYS
        assert row["staff"] == row["completed"] + row["exempt"] + row["outstanding"]
        assert isinstance(row["overdue"], bool)
    assert {k: rows[DEPT][k] for k in COUNT_KEYS} == {
        "staff": len(people), "completed": 2, "exempt": 3, "outstanding": len(people) - 5}
    assert {k: rows[OTHER_DEPT][k] for k in COUNT_KEYS} == {
        "staff": len(other), "completed": 1, "exempt": 0, "outstanding": len(other) - 1}
    for key in COUNT_KEYS:
        assert status["totals"][key] == sum(r[key] for r in status["departments"])
    assert status["totals"]["completed"] == 3
    assert status["updated_at"] == service.clock.now().isoformat(timespec="seconds")


def test_overdue_only_after_the_deadline_with_people_outstanding(service: Service, hr: dict[str, str]) -> None:
    small = members(service, SMALL_DEPT)
    upload(service.client, small[0], PDF, headers=hr)
    put_completion(service, hr, SMALL_DEPT, [{"staff_id": s, "status": "病假"} for s in small[1:]])

    def overdue() -> dict[str, bool]:
        return {d["id"]: d["overdue"] for d in service.client.get("/api/status").json()["departments"]}

    assert not any(overdue().values())
    service.clock.set(dt.datetime(2019, 4, 26, 23, 59))  # the deadline day itself is still in time
    assert not any(overdue().values())
    service.clock.set(dt.datetime(2019, 4, 27, 0, 0))
    late = overdue()
    assert late[SMALL_DEPT] is False  # nobody outstanding
    assert all(late[d] for d in late if d != SMALL_DEPT)
    service.clock.set(AFTER_DEADLINE)
    assert overdue() == late


def test_department_staff_shape(service: Service, clerk: dict[str, str]) -> None:
    response = service.client.get(f"/api/departments/{DEPT}/staff", headers=clerk)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"department", "staff"}
    assert body["department"] == DEPT
    roster = service.context.content.members(DEPT)
    assert [p["staff_id"] for p in body["staff"]] == [m.staff_id for m in roster]
    for person, member in zip(body["staff"], roster, strict=True):
        assert {"staff_id", "name", "post", "status", "versions"} <= set(person)
        assert (person["name"], person["post"], person["status"], person["versions"]) == (
            member.name, member.post, "未完成", [])


# -- HR exports ------------------------------------------------------------------------------------


def _fill(service: Service, hr: dict[str, str]) -> dict[str, Any]:
    """Two versions for one person, a scan for another, one on leave, in two departments."""
    people, other = members(service, DEPT), members(service, OTHER_DEPT)
    upload(service.client, people[0], PDF, headers=hr)
    latest = upload(service.client, people[0], JPEG, "new.jpg", headers=hr).json()
    upload(service.client, other[1], PNG, headers=hr)
    put_completion(service, hr, DEPT, [{"staff_id": people[1], "status": "产假"}])
    return {"people": people, "other": other, "latest": latest}


def test_completion_workbook(service: Service, hr: dict[str, str]) -> None:
    filled = _fill(service, hr)
    browser = service.hr_session()
    response = browser.get("/hr/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    content = service.context.content
    assert workbook.sheetnames == ["汇总", *[d.name for d in content.departments]]

    summary = list(workbook["汇总"].iter_rows(values_only=True))
    by_name = {row[0]: row for row in summary[2:]}
    jxx = by_name["机械工程系"]
    assert jxx[2:6] == (len(filled["people"]), 1, 1, len(filled["people"]) - 2)
    assert by_name["全院合计"][2:4] == (len(content.roster), 2)

    rows = list(workbook["机械工程系"].iter_rows(values_only=True))
    header = [str(h) for h in rows[1]]
    annex5 = ["序号", "姓名", "岗位、职务", "完成情况"]
    assert [h for h in header if h in annex5] == annex5
    col = {h: header.index(h) for h in header}
    people = {row[col["工号"]]: row for row in rows[2:]}
    assert list(people) == filled["people"]
    assert [people[s][col["完成情况"]] for s in filled["people"][:3]] == ["目标未审定", "产假", "未完成"]
    assert [r[col["序号"]] for r in rows[2:5]] == [1, 2, 3]
    other_rows = list(workbook["电气工程系"].iter_rows(values_only=True))[2:]
    assert [r[col["完成情况"]] for r in other_rows[:2]] == ["未完成", "目标未审定"]
    assert "export.completion" in audit_actions(service.settings)


def test_contracts_zip_holds_current_versions_only(service: Service, hr: dict[str, str]) -> None:
    filled = _fill(service, hr)
    response = service.hr_session().get("/hr/contracts.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    content = service.context.content
    first, second = filled["people"][0], filled["other"][1]
    expected = {
        f"机械工程系/{first}-{content.staff(first).name}-v2.jpg": JPEG,  # type: ignore[union-attr]
        f"电气工程系/{second}-{content.staff(second).name}-v1.png": PNG,  # type: ignore[union-attr]
    }
    assert sorted(archive.namelist()) == sorted(expected)
    for name, data in expected.items():
        assert archive.read(name) == data
    assert "export.contracts" in audit_actions(service.settings)


def test_exports_are_hr_only(service: Service) -> None:
    for who in ("clerk", "boss"):
        headers = service.bearer(who)
        for path in ("/hr/export.xlsx", "/hr/contracts.zip"):
            response = service.client.get(path, headers=headers)
            assert response.status_code == 403, (who, path)
            assert response.json()["code"] == "forbidden"
    for path in ("/hr/export.xlsx", "/hr/contracts.zip"):
        assert service.client.get(path).status_code == 401
    assert "export.completion" not in audit_actions(service.settings)


def test_concurrent_uploads_for_one_person_get_distinct_versions(service: Service) -> None:
    staff_id = members(service, DEPT)[6]
    service.ensure_user("clerk")
    user = accounts.user_named(service.context, "clerk")
    assert user is not None
    versions: list[int] = []

    def send(i: int) -> None:
        record, _ = contracts.upload(service.context, user, staff_id, contracts.Upload(io.BytesIO(PDF + bytes([i])), "a.pdf"))
        versions.append(record["version"])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(versions) == list(range(1, 9))
    listed = staff_of(service.client, DEPT, service.bearer("clerk"))[staff_id]["versions"]
    assert [v["version"] for v in listed] == list(range(1, 9))
    assert len({v["sha256"] for v in listed}) == 8


def test_a_retried_upload_with_the_same_idempotency_key_is_stored_once(service: Service,
                                                                       clerk: dict[str, str]) -> None:
    staff_id = members(service, DEPT)[7]
    headers = {**clerk, "Idempotency-Key": "scan-42"}
    first = upload(service.client, staff_id, PDF, headers=headers)
    again = upload(service.client, staff_id, PDF, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(stored_files(service.settings)) == 1
    assert len(staff_of(service.client, DEPT, clerk)[staff_id]["versions"]) == 1


def test_errors_are_json_with_a_chinese_message(service: Service, clerk: dict[str, str]) -> None:
    for method, path, statuses in (("GET", "/api/contracts", (404, 405)), ("GET", "/api/nothing-here", (404,)),
                                   ("DELETE", f"/api/completion/{DEPT}", (405,))):
        response = service.client.request(method, path, headers=clerk)
        assert response.status_code in statuses, path
        body = response.json()
        assert set(body) >= {"error", "code"}
        assert not body["error"].isascii()


# -- the HR board ----------------------------------------------------------------------------------


def test_hr_board_lists_departments_in_content_order_and_overdue_first_on_request(service: Service,
                                                                                  hr: dict[str, str]) -> None:
    small = members(service, SMALL_DEPT)
    for staff_id in small:
        upload(service.client, staff_id, scan_of(staff_id), headers=hr)
    upload(service.client, members(service, DEPT)[0], PDF, headers=hr)
    service.clock.set(AFTER_DEADLINE)
    browser = service.hr_session()
    listed = parse_html(browser.get("/board").text).find("table", data_board_table=True)
    assert listed is not None
    assert [row[0] for row in listed.rows()] == [d.name for d in service.context.content.departments]
    page = parse_html(browser.get("/board?sort=overdue").text)
    table = page.find("table", data_board_table=True)
    assert table is not None
    rows = [row for row in table.find_all("tr") if row.find("td") is not None]
    overdue = [("overdue-row" in row.attrs.get("class", "")) for row in rows]
    assert overdue == sorted(overdue, reverse=True)  # every overdue row before the others
    names = [row.find("td").text for row in rows]  # type: ignore[union-attr]
    assert names[-1] == "学历教育指导中心"  # the only department with nobody outstanding
    progress = [row.find(role="progressbar") for row in rows]
    assert all(p is not None for p in progress)
    assert progress[-1].attrs["aria-valuenow"] == "100.0"  # type: ignore[union-attr]


def test_department_drill_down_shows_status_versions_and_who_uploaded_when(service: Service) -> None:
    people = members(service, DEPT)
    clerk = service.bearer("clerk")
    upload(service.client, people[0], PDF, headers=clerk)
    upload(service.client, people[0], PNG, headers=clerk)
    service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                       json={"entries": [{"staff_id": people[1], "status": "长期事假"}]})
    for browser in (service.hr_session(), service.session("clerk")):
        page = parse_html(browser.get(f"/board/{DEPT}").text)
        table = page.find("table", class_="portal-table")
        assert table is not None
        rows = {row[0]: row for row in table.rows()}
        assert "第1版" in rows[people[0]][4] and "第2版" in rows[people[0]][4]
        assert "clerk" in rows[people[0]][4] and "2019年4月20日 10:00" in rows[people[0]][4]  # the clock's now
        selected = {s.attrs["name"]: next((o.attrs["value"] for o in s.find_all("option") if "selected" in o.attrs), None)
                    for s in table.find_all("select")}
        assert selected[f"status:{people[0]}"] == "完成"
        assert selected[f"status:{people[1]}"] == "长期事假"
        assert selected[f"status:{people[2]}"] == ""


def test_pages_show_times_as_people_read_them_and_the_api_keeps_iso(service: Service) -> None:
    people = members(service, DEPT)
    stamp = service.clock.now().isoformat(timespec="seconds")  # 2019-04-20T10:00:00+08:00
    readable = "2019年4月20日 10:00"
    browser = service.session("clerk")
    uploaded = browser.post(f"/board/{DEPT}/contracts", data={"staff_id": people[0],
                            "csrf": page_csrf(browser, f"/board/{DEPT}")},
                            files={"file": ("scan.pdf", PDF, "application/pdf")})
    assert uploaded.status_code == 200, uploaded.text
    pages = {"confirmation": uploaded.text, "department": browser.get(f"/board/{DEPT}").text,
             "board": service.hr_session().get("/board").text}
    service.settle()
    pages["status page"] = service.status_page.read_text(encoding="utf-8")
    for name, html in pages.items():
        text = parse_html(html).find("article").text  # type: ignore[union-attr]
        assert readable in text, f"{name}: {text[:300]}"
        assert stamp[:16] not in text and stamp[:16].replace("T", " ") not in text, name
    monthly = parse_html(browser.get(f"/board/{DEPT}/monthly/3").text).find("article")
    assert monthly is not None and "截止：2019年4月5日" in monthly.text, monthly.text[:300]
    assert service.client.get("/api/status").json()["updated_at"] == stamp
    assert staff_of(service.client, DEPT, service.bearer("clerk"))[people[0]]["versions"][0]["uploaded_at"] == stamp


def test_the_audit_log_records_who_did_what_in_a_chain(service: Service) -> None:
    people = members(service, DEPT)
    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    record = browser.post("/api/contracts", data={"staff_id": people[0], "csrf": csrf},
                          files={"file": ("a.pdf", PDF, "application/pdf")}).json()
    browser.put(f"/api/completion/{DEPT}", headers={"x-csrf-token": csrf},
                json={"entries": [{"staff_id": people[1], "status": "病假"}]})
    service.hr_session().get("/hr/export.xlsx")
    entries = [json.loads(line) for line in
               (service.settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert all(later["prev"] == earlier["hash"] for earlier, later in itertools.pairwise(entries))
    by_action = {e["action"]: e for e in entries}
    assert [e["actor"] for e in entries if e["action"] == "login"] == ["clerk", "hr"]
    upload_entry = by_action["contract.upload"]
    assert upload_entry["actor"] == "clerk"
    assert {k: upload_entry["detail"][k] for k in ("staff_id", "version", "sha256", "id")} == {
        "staff_id": people[0], "version": 1, "sha256": sha256(PDF), "id": record["id"]}
    assert by_action["completion.update"]["detail"] == {"department": DEPT, "changes": {people[1]: "病假"}}
    assert by_action["export.completion"]["actor"] == "hr"
    assert all(dt.datetime.fromisoformat(e["at"]).tzinfo is not None for e in entries)
