"""Attachments of job duties (Word .docx or PDF): delivered with the text through the department's
form and the token API, listed for HR where the duties are shown, downloaded by HR and the
department only, refused by their content, kept through a restart, a backup and a past year."""

from __future__ import annotations

import datetime as dt
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import DEPT, PDF, Service, page_csrf, parse_html, running_service
from serverproc import cli
from test_summaries import docx_bytes

from service.config import Settings
from service.storage.files import sha256_of
from service.workflows import startup

ROLE = "department-head"  # one of the roles 机械工程系 delivers the duties of
TEXT = "主持系部全面工作\n组织教学与学生管理"


DOCX = docx_bytes("系主任岗位职责说明书")


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    with running_service(settings, now=dt.datetime(2019, 4, 10, 9, 0)) as svc:
        yield svc


def role_of(body: dict[str, Any], role_id: str = ROLE) -> dict[str, Any]:
    return next(r for o in body["obligations"] for r in o["roles"] if r["role_id"] == role_id)


def api_deliver(service: Service, files: list[tuple[str, bytes]], text: str = TEXT, role_id: str = ROLE) -> Any:
    return service.client.put(f"/api/duties/{DEPT}", headers=service.bearer("clerk"), data={f"duties:{role_id}": text},
                              files=[(f"files:{role_id}", (name, data)) for name, data in files])


def stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def audit(settings: Settings) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (settings.data_dir / "audit.log").read_text(encoding="utf-8").splitlines()]


def test_the_form_delivers_attachments_and_hr_sees_and_downloads_them(service: Service) -> None:
    browser = service.session("clerk")
    path = f"/board/{DEPT}/duties"
    form = parse_html(browser.get(path).text).find("form", data_duties_form=True)
    assert form is not None and form.attrs["enctype"] == "multipart/form-data"
    [picker] = [e for e in form.find_all("input") if e.attrs.get("name") == f"files:{ROLE}"]
    assert picker.attrs["type"] == "file" and "multiple" in picker.attrs
    assert picker.attrs["accept"] == ".docx,.pdf"
    sent = browser.post(path, data={"csrf": page_csrf(browser, path), f"duties:{ROLE}": TEXT,
                                    "duties:dept-general-office": ""},
                        files=[(f"files:{ROLE}", ("系主任职责说明.docx", DOCX)),
                               (f"files:{ROLE}", ("职责分工表.pdf", PDF)),
                               ("files:dept-general-office", ("", b""))])  # a file input left empty
    assert sent.status_code == 303, sent.text

    page = parse_html(service.hr_session().get(path).text)
    listed = page.find("ul", data_duty_files=ROLE)
    assert listed is not None
    items = listed.find_all("li")
    assert [li.find("a").text for li in items] == ["系主任职责说明.docx", "职责分工表.pdf"]
    assert "DOCX" in items[0].text and "PDF" in items[1].text
    assert f"{len(DOCX) / 1024:.1f} KB" in items[0].text and f"{len(PDF)} 字节" in items[1].text
    for li, data in zip(items, (DOCX, PDF), strict=True):
        href = li.find("a").attrs["href"]
        for who in ("hr", "clerk"):
            got = service.client.get(href, headers=service.bearer(who))
            assert got.status_code == 200 and got.content == data, (who, got.text[:200])
        assert "attachment" in got.headers["content-disposition"]
        assert service.client.get(href, headers=service.bearer("other")).status_code == 403
        assert service.client.get(href, headers=service.bearer("boss")).status_code == 403  # oversees jxx: no
        assert service.client.get(href).status_code == 401
    leader_page = parse_html(service.session("boss").get(path).text).find("ul", data_duty_files=ROLE)
    assert leader_page is not None and leader_page.find("a") is None  # the names only

    [entry] = [e for e in audit(service.settings) if e["action"] == "duties.submit"]
    shown = entry["detail"]["attachments"][ROLE]
    assert [(f["name"], f["size"], f["ext"]) for f in shown] == [("系主任职责说明.docx", len(DOCX), "docx"),
                                                               ("职责分工表.pdf", len(PDF), "pdf")]
    files = stored_files(service.settings)
    assert len(files) == 2 and all(p.parent == service.settings.data_dir / "files" / "2019" / DEPT / "duties"
                                   for p in files)
    assert sorted(f["sha256"] for f in shown) == sorted(sha256_of(p) for p in files)


def test_the_api_delivers_attachments_and_a_new_delivery_replaces_them(service: Service) -> None:
    first = api_deliver(service, [("说明.pdf", PDF)])
    assert first.status_code == 200, first.text
    [one] = role_of(first.json())["attachments"]
    assert one["name"] == "说明.pdf" and "file" not in one
    assert one["url"] == f"/board/{DEPT}/duties/{ROLE}/files/{one['id']}"

    same_text = api_deliver(service, [])  # the text alone again: the attachment stays
    assert same_text.status_code == 200 and role_of(same_text.json())["attachments"] == [one]

    second = api_deliver(service, [("说明（修订）.docx", DOCX)], text=TEXT + "\n负责系部安全工作")
    role = role_of(second.json())
    assert [f["name"] for f in role["attachments"]] == ["说明（修订）.docx"]
    assert [f["id"] for f in role["earlier_attachments"]] == [one["id"]]
    old = service.client.get(one["url"], headers=service.bearer("hr"))
    assert old.status_code == 200 and old.content == PDF  # the replaced version stays readable
    accepted = service.client.post(f"/api/duties/{DEPT}/{ROLE}/accept", headers=service.bearer("hr"))
    assert accepted.status_code == 200 and accepted.json()["accepted"]["attachments"] == [role["attachments"][0]["id"]]


@pytest.mark.parametrize(("files", "text", "status", "code"), [
    ([("说明.pdf", b"MZ\x90\x00" + bytes(100))], TEXT, 422, "not_a_document"),  # a renamed .exe
    ([("说明.txt", PDF)], TEXT, 422, "wrong_type"),
    ([("说明.docx", PDF)], TEXT, 422, "not_a_document"),  # the name says Word, the bytes PDF
    ([("说明.pdf", b"%PDF-1.4\n%%EOF\n")], TEXT, 422, "not_a_document"),  # starts like a PDF, does not open
    ([("说明.pdf", b"")], TEXT, 400, "empty_file"),
    ([("说明.pdf", PDF + bytes(10 * 1024 * 1024))], TEXT, 422, "too_large"),
    ([(f"说明{n}.pdf", PDF) for n in range(6)], TEXT, 422, "too_many_files"),
    ([("说明.pdf", PDF)], "", 422, "empty_duties"),  # files need the text
])
def test_a_refused_attachment_stores_nothing(service: Service, files: list[tuple[str, bytes]], text: str,
                                             status: int, code: str) -> None:
    good = ("好的.pdf", PDF)  # a good file beside the bad one is not stored either
    response = api_deliver(service, [good, *files] if len(files) < 5 else files, text=text)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and not response.json()["error"].isascii()
    assert stored_files(service.settings) == []
    assert not (service.settings.data_dir / "files").exists()
    assert [e for e in audit(service.settings) if e["action"] == "duties.submit"] == []
    assert role_of(service.client.get(f"/api/duties/{DEPT}", headers=service.bearer("clerk")).json())["state"] is None


def test_the_form_shows_a_refusal_with_the_text_kept(service: Service) -> None:
    browser = service.session("clerk")
    path = f"/board/{DEPT}/duties"
    refused = browser.post(path, data={"csrf": page_csrf(browser, path), f"duties:{ROLE}": TEXT},
                           files=[(f"files:{ROLE}", ("程序.pdf", b"MZ\x90\x00" + bytes(64)))])
    assert refused.status_code == 422 and "只接受 Word（.docx）或 PDF" in refused.text
    assert "主持系部全面工作" in parse_html(refused.text).find("textarea", id=f"duties-{ROLE}").text
    assert stored_files(service.settings) == []


def test_the_size_and_count_limits_are_settings(settings: Settings) -> None:
    path = settings.content_dir / "settings.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("duty_files_max_mb: 10", "duty_files_max_mb: 1")
                    .replace("duty_files_max_count: 5", "duty_files_max_count: 1"), encoding="utf-8")
    with running_service(settings, now=dt.datetime(2019, 4, 10, 9, 0)) as service:
        big = api_deliver(service, [("说明.pdf", PDF + bytes(1024 * 1024))])
        assert big.status_code == 422 and "1 MB" in big.json()["error"]
        two = api_deliver(service, [("一.pdf", PDF), ("二.pdf", PDF)])
        assert two.status_code == 422 and two.json()["code"] == "too_many_files"
        assert api_deliver(service, [("一.pdf", PDF)]).status_code == 200


def test_attachments_survive_a_restart_and_go_into_the_backup(settings: Settings, tmp_path: Path) -> None:
    with running_service(settings, now=dt.datetime(2019, 4, 10, 9, 0)) as service:
        assert api_deliver(service, [("说明.pdf", PDF)]).status_code == 200
        assert api_deliver(service, [("说明.docx", DOCX)], text=TEXT + "\n另一条").status_code == 200
        kept = stored_files(settings)
        assert len(kept) == 2
        assert startup.recover(service.context) == []  # the start-up's clean-up takes none of them
    with running_service(settings, now=dt.datetime(2019, 4, 11, 9, 0), users=False):
        assert stored_files(settings) == kept
    archive = tmp_path / "portal.tar.gz"
    made = cli(settings, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {str(p.relative_to(settings.data_dir)) for p in kept} <= names
    verified = cli(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    kept[0].write_bytes(kept[0].read_bytes() + b"%")  # changed behind the service's back
    tampered = cli(settings, "audit", "verify")
    assert tampered.returncode != 0 and f"岗位 {ROLE} 的岗位职责附件" in tampered.stdout + tampered.stderr


def test_a_past_year_lists_and_serves_its_attachments(service: Service) -> None:
    assert api_deliver(service, [("说明.pdf", PDF)]).status_code == 200
    hr = service.bearer("hr")
    service.clock.set(dt.datetime(2020, 1, 6, 9))
    started = service.client.post("/api/years", json={"year": 2020}, headers=hr)
    assert started.status_code == 201, started.text
    now = role_of(service.client.get(f"/api/duties/{DEPT}", headers=hr).json())
    assert now["attachments"] == []
    past = role_of(service.client.get(f"/api/duties/{DEPT}?year=2019", headers=hr).json())
    [one] = past["attachments"]
    assert one["url"].endswith("?year=2019")
    page = parse_html(service.hr_session().get(f"/board/{DEPT}/duties?year=2019").text)
    link = page.find("ul", data_duty_files=ROLE).find("a")  # type: ignore[union-attr]
    assert link.attrs["href"] == one["url"]
    got = service.client.get(one["url"], headers=hr)
    assert got.status_code == 200 and got.content == PDF
    assert service.client.get(one["url"].split("?")[0], headers=hr).status_code == 404  # not of 2020
    before = stored_files(service.settings)
    refused = service.client.put(f"/api/duties/{DEPT}?year=2019", headers=service.bearer("clerk"),
                                 data={f"duties:{ROLE}": TEXT + "\n补充一条"}, files=[(f"files:{ROLE}", ("新.pdf", PDF))])
    assert refused.status_code == 409 and refused.json()["code"] == "year_closed"
    assert stored_files(service.settings) == before
    assert not (service.settings.data_dir / "files" / "2020").exists()
