"""The annual summary: written on the person's own page within the year's window, kept as a draft or
submitted, uploaded as Word or PDF (anything else refused, with nothing stored), changeable until
the department locks the round; the department and HR see who has submitted; nobody else sees it."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from helpers import (
    DEPT,
    OTHER_DEPT,
    PDF,
    PNG,
    Service,
    page_csrf,
    parse_html,
    running_service,
    set_upload_limit,
)
from staff_helpers import issue_slips, sign_in_again, staff_session
from starlette.testclient import TestClient

from service.config import Settings
from service.content.loader import load_content
from service.workflows import summaries

IN_WINDOW = dt.datetime(2019, 11, 20, 10, 0)  # the shipped window: 11-15 to 12-31
TEXT = "本年度认真履行岗位职责，完成了实训教学任务。"


@pytest.fixture
def service(settings: Settings) -> Iterator[Service]:
    set_upload_limit(settings.content_dir, 1)
    with running_service(settings, now=IN_WINDOW) as running:
        yield running


def people(service: Service, department: str = DEPT) -> list[str]:
    return [m.staff_id for m in service.context.content.members(department)]


def staff(service: Service, staff_id: str) -> TestClient:
    return staff_session(service, staff_id, issue_slips(service)[staff_id])


def docx_bytes(text: str) -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def stored(service: Service) -> tuple[list[dict[str, object]], list[Path]]:
    docs = [d for dep in (DEPT, OTHER_DEPT) for d in service.context.store.records(dep, summaries.TABLE)]
    folder = service.settings.data_dir / "files"
    return docs, sorted(p for p in folder.rglob("*") if p.is_file() and "summaries" in p.parts)


def put(client: TestClient, text: str, submit: bool) -> object:
    return client.put("/api/me/summary", json={"text": text, "submit": submit},
                      headers={"X-CSRF-Token": page_csrf(client, "/me/summary")})


def test_a_draft_then_a_submission(service: Service) -> None:
    sid = people(service)[0]
    me = staff(service, sid)
    draft = put(me, "草稿", False)
    assert draft.status_code == 200, draft.text  # type: ignore[attr-defined]
    assert draft.json()["state"] == "draft" and draft.json()["submitted_at"] is None  # type: ignore[attr-defined]
    clerk = service.session("clerk")
    row = parse_html(clerk.get(f"/board/{DEPT}/summaries").text).find("tr", data_staff=sid)
    assert row is not None and row.attrs["data-state"] == "draft"
    done = me.post("/me/summary", data={"csrf": page_csrf(me, "/me/summary"), "text": TEXT, "action": "submit"})
    assert done.status_code == 303 and done.headers["location"] == "/me/summary?notice=submitted"
    mine = me.get("/api/me/summary").json()
    assert mine["state"] == "submitted" and mine["text"] == TEXT and mine["submitted_at"]
    assert TEXT in me.get("/me/summary").text
    listing = service.client.get(f"/api/appraisal/departments/{DEPT}/summaries", headers=service.bearer("hr")).json()
    assert listing["counts"] == {"none": len(people(service)) - 1, "draft": 0, "submitted": 1}
    hr_row = parse_html(service.hr_session().get("/board/appraisal").text).find("tr", data_department=DEPT)
    assert hr_row is not None and hr_row.find("td", data_field="submitted").text == "1"  # type: ignore[union-attr]
    assert summaries.summaries_for(service.context, DEPT)[sid].text == TEXT


def test_outside_the_window_nothing_is_saved(service: Service) -> None:
    sid = people(service)[0]
    staff(service, sid)
    for when, word in ((dt.datetime(2019, 11, 14, 23, 0), "尚未开始"), (dt.datetime(2020, 1, 1, 8, 0), "已经截止")):
        service.clock.set(when)
        me = sign_in_again(service, sid)
        refused = put(me, TEXT, True)
        assert refused.status_code == 409, refused.text  # type: ignore[attr-defined]
        assert refused.json()["code"] == "summary_closed" and word in refused.json()["error"]  # type: ignore[attr-defined]
        upload = me.post("/api/me/summary/file", files={"file": ("总结.docx", docx_bytes(TEXT))},
                         headers={"X-CSRF-Token": page_csrf(me, "/me/summary")})
        assert upload.status_code == 409
    assert stored(service) == ([], [])
    service.clock.set(dt.datetime(2019, 12, 31, 23, 30))  # the last day is inside
    me = sign_in_again(service, sid)
    assert put(me, TEXT, True).status_code == 200  # type: ignore[attr-defined]


def test_the_lock_stops_changes_until_reopened(service: Service) -> None:
    sid = people(service)[0]
    me = staff(service, sid)
    assert put(me, TEXT, True).status_code == 200  # type: ignore[attr-defined]
    assert service.client.post(f"/api/appraisal/departments/{DEPT}/summaries/lock", json={"locked": True},
                               headers=service.bearer("other")).status_code == 403
    clerk = service.session("clerk")
    locked = clerk.post(f"/board/{DEPT}/summaries/lock",
                        data={"csrf": page_csrf(clerk, f"/board/{DEPT}/summaries"), "action": "lock"})
    assert locked.status_code == 303
    before = stored(service)
    refused = put(me, "改一改", True)
    assert refused.status_code == 409 and refused.json()["code"] == "summary_locked"  # type: ignore[attr-defined]
    assert stored(service) == before
    assert "本部门已锁定" in me.get("/me/summary").text
    reopened = service.client.post(f"/api/appraisal/departments/{DEPT}/summaries/lock", json={"locked": False},
                                   headers=service.bearer("hr"))
    assert reopened.status_code == 200 and reopened.json()["locked"] is False
    assert put(me, "改一改", True).status_code == 200  # type: ignore[attr-defined]


def test_uploads_take_word_and_pdf_only(service: Service) -> None:
    sid = people(service)[0]
    me = staff(service, sid)
    csrf = {"X-CSRF-Token": page_csrf(me, "/me/summary")}
    refusals = [(("总结.docx", PNG), 422, "not_a_document"),
                (("总结.docx", b"PK\x03\x04" + bytes(200)), 422, "not_a_document"),  # a zip that is no document
                (("总结.pdf", PDF + bytes(1024 * 1024)), 422, "too_large"),
                (("总结.pdf", b""), 400, "empty_file")]
    for file, status, code in refusals:
        refused = me.post("/api/me/summary/file", files={"file": file}, headers=csrf)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
    xlsx = io.BytesIO()
    openpyxl.Workbook().save(xlsx)
    refused = me.post("/api/me/summary/file", files={"file": ("总结.docx", xlsx.getvalue())}, headers=csrf)
    assert (refused.status_code, refused.json()["code"]) == (422, "not_a_document")
    assert stored(service) == ([], [])
    data = docx_bytes(TEXT)
    page = me.post("/me/summary/file", data={"csrf": csrf["X-CSRF-Token"]},
                   files={"file": ("我的总结.docx", data)})
    assert page.status_code == 303 and page.headers["location"] == "/me/summary?notice=uploaded"
    mine = me.get("/api/me/summary").json()
    assert mine["state"] == "submitted" and mine["file"]["name"] == "我的总结.docx" and mine["file"]["ext"] == "docx"
    assert me.get("/me/summary/file").content == data
    clerk = service.session("clerk")
    assert clerk.get(f"/board/{DEPT}/appraisal/{sid}/summary").content == data
    assert len(stored(service)[1]) == 1


def test_a_summary_too_long_is_refused(service: Service) -> None:
    me = staff(service, people(service)[0])
    refused = put(me, "很" * 3001, False)
    assert refused.status_code == 422 and refused.json()["code"] == "summary_too_long"  # type: ignore[attr-defined]
    page = me.post("/me/summary", data={"csrf": page_csrf(me, "/me/summary"), "text": "很" * 3001,
                                        "action": "draft"})
    assert page.status_code == 422 and "不能超过 3000 字" in page.text
    assert put(me, "", True).json()["code"] == "summary_empty"  # type: ignore[attr-defined]
    assert stored(service) == ([], [])


def test_who_sees_a_summary(service: Service) -> None:
    sid, colleague = people(service)[:2]
    me = staff(service, sid)
    assert put(me, TEXT, True).status_code == 200  # type: ignore[attr-defined]
    assert me.get(f"/api/appraisal/summaries/{sid}").json()["text"] == TEXT
    for path in (f"/api/appraisal/summaries/{colleague}", f"/board/{DEPT}/summaries",
                 f"/api/appraisal/departments/{DEPT}/summaries", f"/board/{DEPT}/appraisal/{sid}",
                 f"/api/appraisal/departments/{DEPT}"):
        assert me.get(path).status_code == 403, path
    assert service.client.get(f"/api/appraisal/summaries/{sid}", headers=service.bearer("other")).status_code == 403
    service.add_user("boss2", "leader", oversees=(OTHER_DEPT,))
    assert service.client.get(f"/api/appraisal/summaries/{sid}", headers=service.bearer("boss2")).status_code == 403
    assert service.client.get(f"/api/appraisal/summaries/{sid}", headers=service.bearer("boss")).json()["text"] == TEXT
    assert TEXT in service.session("clerk").get(f"/board/{DEPT}/appraisal/{sid}").text
    for public in ("/api/status", "/gongshi", "/"):
        assert TEXT not in service.client.get(public).text, public
    assert service.client.get("/api/me/summary").status_code == 401
    assert service.client.get("/api/me/summary", headers=service.bearer("clerk")).status_code == 403


def test_todos_and_the_chase_cover_missing_summaries(service: Service) -> None:
    sid = people(service)[0]
    me = staff(service, sid)
    kinds = {t["kind"]: t for t in me.get("/api/todos").json()["todos"]}
    assert kinds["my_summary"]["link"] == "/me/summary" and "12月31日" in kinds["my_summary"]["detail"]
    clerk = {t["kind"]: t for t in service.client.get("/api/todos", headers=service.bearer("clerk")).json()["todos"]}
    assert clerk["summaries"]["count"] == len(people(service))
    assert put(me, TEXT, True).status_code == 200  # type: ignore[attr-defined]
    assert "my_summary" not in {t["kind"] for t in me.get("/api/todos").json()["todos"]}
    clerk = {t["kind"]: t for t in service.client.get("/api/todos", headers=service.bearer("clerk")).json()["todos"]}
    assert clerk["summaries"]["count"] == len(people(service)) - 1
    chased = service.client.get("/api/chase", params={"step": "summary", "department": DEPT},
                                headers=service.bearer("hr")).json()["outstanding"]
    names = [m.name for m in service.context.content.members(DEPT)]
    assert len(chased) == 1 and chased[0]["people"] == names[1:] and chased[0]["deadline"] == "2019-12-31"
    service.client.post(f"/api/appraisal/departments/{DEPT}/summaries/lock", json={"locked": True},
                        headers=service.bearer("clerk"))
    assert service.client.get("/api/chase", params={"step": "summary", "department": DEPT},
                              headers=service.bearer("hr")).json()["outstanding"] == []
    service.clock.set(dt.datetime(2019, 11, 1, 9))  # before the window opens, nothing is owed
    assert service.client.get("/api/chase", params={"step": "summary"},
                              headers=service.bearer("hr")).json()["outstanding"] == []


def test_the_window_is_a_setting_of_the_year(service: Service) -> None:
    bad = service.client.put("/api/setup/settings", json={"settings": {"summary": {"closes": "11-01"}}},
                             headers=service.bearer("hr"))
    assert bad.status_code == 422 and "不能早于开始日期" in bad.json()["error"]
    bad = service.client.put("/api/setup/settings", json={"settings": {"summary": {"max_chars": 10}}},
                             headers=service.bearer("hr"))
    assert bad.status_code == 422 and bad.json()["field"] == "summary.max_chars"
    assert service.context.content.settings.summary.window(2019) == (dt.date(2019, 11, 15), dt.date(2019, 12, 31))
    moved = service.client.put("/api/setup/settings", json={"settings": {"summary": {"opens": "12-01"}}},
                               headers=service.bearer("hr"))
    assert moved.status_code == 200, moved.text
    me = staff(service, people(service)[0])
    assert me.get("/api/me/summary").json()["window"]["opens"] == "2019-12-01"
    assert put(me, TEXT, True).json()["code"] == "summary_closed"  # type: ignore[attr-defined]


def test_a_set_up_without_the_section_takes_december(settings: Settings) -> None:
    path = settings.content_dir / "settings.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("summary:")
    path.write_text("\n".join(lines[:start] + lines[start + 4:]) + "\n", encoding="utf-8")
    window = load_content(settings.content_dir).settings.summary.window(2019)
    assert window == (dt.date(2019, 12, 1), dt.date(2019, 12, 31))


def test_an_uploaded_summary_survives_the_start_up_clean_up(service: Service) -> None:
    from service.workflows import startup

    sid = people(service)[0]
    me = staff(service, sid)
    data = docx_bytes(TEXT)
    uploaded = me.post("/api/me/summary/file", files={"file": ("总结.docx", data)},
                       headers={"X-CSRF-Token": page_csrf(me, "/me/summary")})
    assert uploaded.status_code == 200, uploaded.text
    assert startup.recover(service.context) == []  # what a restart does first: the file is no orphan
    assert me.get("/me/summary/file").content == data
