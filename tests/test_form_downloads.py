"""Pre-filled annex downloads and the filled annex 5 round trip, through HTTP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import docx
import openpyxl
import pytest
from helpers import DEPT, OTHER_DEPT, Service, audit_actions, running_service, staff_of, upload

from service.config import Settings


@pytest.fixture
def svc(settings: Settings) -> Iterator[Service]:
    with running_service(settings) as service:
        yield service


def fill(data: bytes, cells: dict[str, object]) -> bytes:
    """Set cells of sheet 附件5 as a clerk's spreadsheet program would, and save."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for ref, value in cells.items():
        book["附件5"][ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(svc: Service, department: str, data: bytes, user: str = "clerk", name: str = "附件5.xlsx"):  # type: ignore[no-untyped-def]
    return svc.client.post(f"/api/completion/{department}/xlsx", headers=svc.bearer(user),
                           files={"file": (name, data, "application/octet-stream")})


def test_annex5_round_trip_through_http(svc: Service) -> None:
    members = svc.context.content.members(DEPT)
    assert upload(svc.client, members[0].staff_id, headers=svc.bearer("clerk")).status_code == 201
    response = svc.client.get(f"/board/{DEPT}/forms/annex5.xlsx", headers=svc.bearer("clerk"))
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["附件5"]
    names = [sheet[f"B{5 + i}"].value for i in range(len(members))]
    assert names == [m.name for m in members]
    assert sheet["D5"].value == "完成"  # the scan on file is pre-filled

    filled = fill(response.content, {"D6": "产假", "D7": "病假"})
    answer = send(svc, DEPT, filled)
    assert answer.status_code == 200, answer.text
    assert answer.json()["completed"] == 1 and answer.json()["exempt"] == 2

    people = staff_of(svc.client, DEPT, headers=svc.bearer("clerk"))
    assert people[members[0].staff_id]["status"] == "目标未审定"  # signed before the targets were approved
    assert people[members[1].staff_id]["status"] == "产假"
    assert people[members[2].staff_id]["status"] == "病假"
    svc.settle()
    board = svc.client.get("/api/status").json()
    row = next(d for d in board["departments"] if d["id"] == DEPT)
    assert (row["completed"], row["exempt"]) == (1, 2)
    assert "completion.update" in audit_actions(svc.settings)


def test_annex5_done_without_scan_is_refused_and_nothing_changes(svc: Service) -> None:
    data = svc.client.get(f"/board/{DEPT}/forms/annex5.xlsx", headers=svc.bearer("clerk")).content
    before = staff_of(svc.client, DEPT, headers=svc.bearer("clerk"))
    answer = send(svc, DEPT, fill(data, {"D5": "完成", "D6": "产假"}))
    assert answer.status_code == 422
    assert answer.json()["code"] == "scan_required"
    assert staff_of(svc.client, DEPT, headers=svc.bearer("clerk")) == before


@pytest.mark.parametrize("case", ["other_department", "formula", "renamed_xls", "macro", "not_a_workbook"])
def test_bad_annex5_uploads_are_refused_with_nothing_stored(svc: Service, case: str) -> None:
    own = svc.client.get(f"/board/{DEPT}/forms/annex5.xlsx", headers=svc.bearer("clerk")).content
    if case == "other_department":
        data = svc.client.get(f"/board/{OTHER_DEPT}/forms/annex5.xlsx", headers=svc.bearer("other")).content
        expected = (422, "form_wrong_department")
    elif case == "formula":
        data = fill(own, {"D6": '=HYPERLINK("http://x","产假")'})
        expected = (422, "xlsx_formula")
    elif case == "renamed_xls":
        data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
        expected = (415, "xlsx_ole")
    elif case == "macro":
        buffer = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(own)) as source, zipfile.ZipFile(buffer, "w") as target:
            for item in source.infolist():
                target.writestr(item, source.read(item))
            target.writestr("xl/vbaProject.bin", b"macro")
        data = buffer.getvalue()
        expected = (415, "xlsx_macro")
    else:
        data = b"%PDF-1.4 not a workbook"
        expected = (415, "xlsx_not_zip")
    before = staff_of(svc.client, DEPT, headers=svc.bearer("clerk"))
    log_before = audit_actions(svc.settings)
    answer = send(svc, DEPT, data)
    assert (answer.status_code, answer.json()["code"]) == expected, answer.text
    assert answer.json()["error"]  # a Chinese message for the clerk
    assert staff_of(svc.client, DEPT, headers=svc.bearer("clerk")) == before
    # the only write is the refusal kept for HR's list of workbooks with errors
    assert [a for a in audit_actions(svc.settings) if a != "contract.download"] == [*log_before, "workbook.refused"]
    latest = max(svc.context.store.records(DEPT, "workbook_errors"), key=lambda r: r["at"] + r["id"])
    assert (latest["annex"], latest["code"], latest["file"]) == (5, expected[1], "附件5.xlsx")


def test_person_forms_are_prefilled_for_own_department_only(svc: Service) -> None:
    member = svc.context.content.members(DEPT)[3]
    role = svc.context.content.role(member.role)
    assert role is not None
    answer = svc.client.get(f"/board/{DEPT}/forms/{member.staff_id}/annex1.docx", headers=svc.bearer("clerk"))
    assert answer.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(answer.content)).paragraphs)
    tables = "\n".join(c.text for t in docx.Document(io.BytesIO(answer.content)).tables
                       for row in t.rows for c in row.cells)
    assert member.name in text + tables
    assert role.targets[0].content in tables

    answer = svc.client.get(f"/board/{DEPT}/forms/{member.staff_id}/annex3.xlsx", headers=svc.bearer("clerk"))
    assert answer.status_code == 200
    values = [c.value for row in openpyxl.load_workbook(io.BytesIO(answer.content))["附件3"].iter_rows()
              for c in row]
    assert role.targets[0].content in values

    assert svc.client.get(f"/board/{DEPT}/forms/{member.staff_id}/annex1.docx",
                          headers=svc.bearer("other")).status_code == 403
    assert svc.client.get(f"/board/{DEPT}/forms/{member.staff_id}/annex1.docx").status_code == 401
    assert svc.client.get(f"/board/{DEPT}/forms/{member.staff_id}/annex9.xlsx",
                          headers=svc.bearer("clerk")).status_code == 404


def test_monthly_form_prefilled_with_roster(svc: Service) -> None:
    answer = svc.client.get(f"/board/{DEPT}/forms/annex4.xlsx?month=3", headers=svc.bearer("clerk"))
    assert answer.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    values = {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert {m.name for m in svc.context.content.members(DEPT)} <= values
    bad = svc.client.get(f"/board/{DEPT}/forms/annex4.xlsx?month=13", headers=svc.bearer("clerk"))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_month"


def test_monthly_workbook_round_trip_replaces_the_month(settings: Settings) -> None:
    import datetime as dt

    with running_service(settings, now=dt.datetime(2019, 4, 3, 9, 0)) as svc:
        members = svc.context.content.members(DEPT)
        data = svc.client.get(f"/board/{DEPT}/forms/annex4.xlsx?month=3", headers=svc.bearer("clerk")).content
        book = openpyxl.load_workbook(io.BytesIO(data))
        sheet = book["附件4"]
        for row in range(6, 6 + len(members)):
            sheet[f"C{row}"], sheet[f"K{row}"] = 22, 50
        sheet["C6"], sheet["F6"], sheet["K6"] = 21, 2, 55  # 出勤, 迟到, 业务工作目标 of the first person
        out = io.BytesIO()
        book.save(out)
        answer = svc.client.post(f"/api/monthly/{DEPT}/xlsx", headers=svc.bearer("clerk"),
                                 files={"file": ("附件4.xlsx", out.getvalue(), "application/octet-stream")})
        assert answer.status_code == 200, answer.text
        stored = svc.client.get(f"/api/monthly/{DEPT}/3", headers=svc.bearer("clerk")).json()
        first = next(r for r in stored["rows"] if r["staff_id"] == members[0].staff_id)
        assert (first["attendance"], first["late"], first["business"]) == (21, 2, 55)
        assert stored["state"] == "on_time"

        sheet["K6"] = 75  # over the 60 individual points: refused, the month is unchanged
        out = io.BytesIO()
        book.save(out)
        refused = svc.client.post(f"/api/monthly/{DEPT}/xlsx", headers=svc.bearer("clerk"),
                                  files={"file": ("附件4.xlsx", out.getvalue(), "application/octet-stream")})
        assert refused.status_code == 422
        assert svc.client.get(f"/api/monthly/{DEPT}/3", headers=svc.bearer("clerk")).json() == stored
