"""Uploaded annex 3, 4 and 5 workbooks store exactly what the sheet shows, or nothing.

Every workbook here is a download from the running service, edited with openpyxl as a clerk's
spreadsheet program would (some re-saved through LibreOffice) and sent back over HTTP; after
each refusal the records are read back over HTTP and are unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from helpers import DEPT, Service, page_csrf, parse_html, running_service
from openpyxl.worksheet.worksheet import Worksheet
from sheets import edit, merged
from test_bad_inputs import rezip

from service.config import Settings
from service.office.cells import display_value

NOW = dt.datetime(2019, 4, 3, 9, 0)  # March's summary is due; February's is on record in some tests
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CN_DATE = 'yyyy"年"m"月"d"日"'


@pytest.fixture
def service(settings: Settings) -> Any:
    with running_service(settings, now=NOW) as running:
        yield running


def download(service: Service, path: str) -> bytes:
    got = service.client.get(path, headers=service.bearer("clerk"))
    assert got.status_code == 200, got.text
    return got.content


def send(service: Service, path: str, data: bytes, **fields: str) -> Any:
    return service.client.post(path, headers=service.bearer("clerk"), data=fields,
                               files={"file": ("表格.xlsx", data, XLSX)})


def monthly(service: Service, month: int) -> dict[str, Any]:
    got = service.client.get(f"/api/monthly/{DEPT}/{month}", headers=service.bearer("hr"))
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def statuses(service: Service) -> dict[str, str]:
    got = service.client.get(f"/api/departments/{DEPT}/staff", headers=service.bearer("hr"))
    assert got.status_code == 200, got.text
    return {p["staff_id"]: p["status"] for p in got.json()["staff"]}


def filled_monthly(service: Service, month: int, attendance: Callable[[int], float] = lambda i: 22) -> bytes:
    """The department's annex 4 for `month` as downloaded, every row filled."""
    people = len(service.context.content.members(DEPT))

    def fill(sheet: Worksheet) -> None:
        for index in range(people):
            row = 6 + index
            for column in range(3, 11):
                sheet.cell(row, column).value = 0
            sheet.cell(row, 3).value = attendance(index)
            sheet.cell(row, 11).value = 50
    return edit(download(service, f"/board/{DEPT}/forms/annex4.xlsx?month={month}"), "附件4", fill)


def resaved(data: bytes, tmp_path: Path) -> bytes:
    """The workbook opened and saved again by LibreOffice (its own profile, so tests never share one)."""
    source = tmp_path / "in" / "form.xlsx"
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "out"), str(source)],
                   check=True, capture_output=True, timeout=180)
    return (tmp_path / "out" / "form.xlsx").read_bytes()


needs_soffice = pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")


# -- merged cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["openpyxl", pytest.param("libreoffice", marks=needs_soffice)])
def test_merged_attendance_cells_in_annex_4_are_refused(service: Service, tmp_path: Path, program: str) -> None:
    members = service.context.content.members(DEPT)
    data = edit(filled_monthly(service, 3), "附件4", merged("C6:C7", 22))
    if program == "libreoffice":
        data = resaved(data, tmp_path)
    before = monthly(service, 3)
    answer = send(service, f"/api/monthly/{DEPT}/xlsx", data)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "cells_merged"
    assert "附件4" in body["error"] and "C6:C7" in body["error"]
    assert members[0].name in body["error"] and members[1].name in body["error"]
    assert monthly(service, 3) == before and before["submitted_at"] is None


def test_merged_status_cells_in_annex_5_are_refused(service: Service) -> None:
    members = service.context.content.members(DEPT)
    data = edit(download(service, f"/board/{DEPT}/forms/annex5.xlsx"), "附件5", merged("D6:D7", "病假"))
    before = statuses(service)
    answer = send(service, f"/api/completion/{DEPT}/xlsx", data)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "cells_merged"
    assert "D6:D7" in answer.json()["error"] and members[2].name in answer.json()["error"]
    assert statuses(service) == before
    assert before[members[2].staff_id] == "未完成"


# -- cells read as shown ---------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["openpyxl", pytest.param("libreoffice", marks=needs_soffice)])
def test_a_date_typed_into_annex_3_is_stored_as_the_cell_shows_it(service: Service, tmp_path: Path,
                                                                    program: str) -> None:
    member = service.context.content.members(DEPT)[0]

    def date(sheet: Worksheet) -> None:
        sheet["E5"] = dt.datetime(2019, 12, 31)
        sheet["E5"].number_format = CN_DATE
        sheet["E6"] = dt.datetime(2019, 6, 30)
        sheet["E6"].number_format = "yyyy/m/d"
    data = edit(download(service, f"/board/{DEPT}/forms/{member.staff_id}/annex3.xlsx"), "附件3", date)
    if program == "libreoffice":
        data = resaved(data, tmp_path)
    answer = send(service, f"/api/departments/{DEPT}/targets.xlsx", data)
    assert answer.status_code == 200, answer.text
    rows = service.client.get(f"/api/targets/{member.staff_id}", headers=service.bearer("hr")).json()["rows"]
    assert [rows[0]["完成时限"], rows[1]["完成时限"]] == ["2019年12月31日", "2019/6/30"]
    contract = download(service, f"/board/{DEPT}/forms/{member.staff_id}/annex1.docx")
    with zipfile.ZipFile(io.BytesIO(contract)) as archive:
        text = archive.read("word/document.xml").decode("utf-8")
    assert "2019年12月31日" in text and "00:00:00" not in text


def test_a_date_in_a_built_in_chinese_format_is_read_as_a_date(service: Service) -> None:
    """A zh-CN Excel may store 2019年12月31日 as built-in format 31 with no format code in the file."""
    member = service.context.content.members(DEPT)[0]

    def date(sheet: Worksheet) -> None:
        sheet["E5"] = 43830  # the serial of 2019-12-31
        sheet["E5"].number_format = CN_DATE

    def built_in(name: str, body: bytes) -> bytes:
        if name != "xl/styles.xml":
            return body
        text = body.decode("utf-8")
        found = re.search(r'<numFmt numFmtId="(\d+)" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>', text)
        assert found is not None, text[:500]
        text = text.replace(found.group(0), "").replace(f'numFmtId="{found.group(1)}"', 'numFmtId="31"')
        return text.encode("utf-8")
    data = rezip(edit(download(service, f"/board/{DEPT}/forms/{member.staff_id}/annex3.xlsx"), "附件3", date),
                 edit=built_in)
    answer = send(service, f"/api/departments/{DEPT}/targets.xlsx", data)
    assert answer.status_code == 200, answer.text
    rows = service.client.get(f"/api/targets/{member.staff_id}", headers=service.bearer("hr")).json()["rows"]
    assert rows[0]["完成时限"] == "2019年12月31日"


def test_a_number_is_stored_as_its_format_shows_it(service: Service) -> None:
    def rounded(sheet: Worksheet) -> None:
        sheet["K6"] = 49.96
        sheet["K6"].number_format = "0.0"
        sheet["C7"] = 21.5
        sheet["C7"].number_format = "0"
    answer = send(service, f"/api/monthly/{DEPT}/xlsx", edit(filled_monthly(service, 3), "附件4", rounded))
    assert answer.status_code == 200, answer.text
    first, second = monthly(service, 3)["rows"][:2]
    assert first["business"] == 50 and second["attendance"] == 22


@pytest.mark.parametrize(("value", "number_format", "shown"), [
    (dt.datetime(2019, 12, 31), CN_DATE, "2019年12月31日"),
    (dt.datetime(2019, 12, 31), "mm-dd-yy", "2019/12/31"),  # built-in 14: as a zh-CN Excel shows it
    (dt.datetime(2019, 12, 31), '[$-804]yyyy"年"m"月"d"日" aaaa;@', "2019年12月31日 星期二"),
    (dt.datetime(2019, 12, 31, 8, 5), "yyyy-mm-dd hh:mm", "2019-12-31 08:05"),
    (dt.date(2019, 1, 2), "m月d日", "1月2日"),
    (1.25, "0.0", 1.3), (2.5, "0", 3), (0.125, "0.0%", "12.5%"), (42, "000000", "000042"),
    (1234.5, "#,##0.00", 1234.5), (22, '0"天"', 22), (3.75, "General", 3.75), ("10月底", "@", "10月底"),
])
def test_display_value(value: object, number_format: str, shown: object) -> None:
    book = openpyxl.Workbook()
    cell = book.active["A1"]  # type: ignore[index]
    cell.value = value
    cell.number_format = number_format
    assert display_value(cell) == shown


# -- annex 4: the month it was made for, and a month on record -------------------------------------


def test_annex_4_for_another_month_is_refused_naming_both(service: Service) -> None:
    february = filled_monthly(service, 2)
    before = (monthly(service, 2), monthly(service, 3))
    answer = send(service, f"/api/monthly/{DEPT}/xlsx", february, month="3")
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "form_wrong_month"
    assert "2019年2月" in answer.json()["error"] and "2019年3月" in answer.json()["error"]
    assert (monthly(service, 2), monthly(service, 3)) == before


def test_a_month_on_record_is_replaced_only_when_confirmed(service: Service) -> None:
    members = service.context.content.members(DEPT)
    first = send(service, f"/api/monthly/{DEPT}/xlsx", filled_monthly(service, 2), month="2")
    assert first.status_code == 200, first.text
    on_record = monthly(service, 2)
    again = filled_monthly(service, 2, lambda i: 20 if i == 0 else 22)  # last month's form, this month's numbers
    answer = send(service, f"/api/monthly/{DEPT}/xlsx", again)
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == "already_reported" and body["submitted_at"] == on_record["submitted_at"]
    assert "2019年4月3日 09:00" in body["error"]
    assert body["changes"] == [{"staff_id": members[0].staff_id, "name": members[0].name, "column": "出勤",
                                "before": 22, "after": 20}]
    assert monthly(service, 2) == on_record
    confirmed = send(service, f"/api/monthly/{DEPT}/xlsx", again, replace="1")
    assert confirmed.status_code == 200, confirmed.text
    now = monthly(service, 2)
    assert now["rows"][0]["attendance"] == 20 and len(now["history"]) == 1


def test_the_web_page_shows_what_changes_and_replaces_on_confirm(service: Service) -> None:
    members = service.context.content.members(DEPT)
    assert send(service, f"/api/monthly/{DEPT}/xlsx", filled_monthly(service, 2), month="2").status_code == 200
    on_record = monthly(service, 2)
    browser = service.session("clerk")
    page = f"/board/{DEPT}/monthly"
    csrf = page_csrf(browser, page)
    again = filled_monthly(service, 2, lambda i: 19 if i == 1 else 22)
    answer = browser.post(f"{page}/xlsx", headers={"Accept": "text/html"}, data={"csrf": csrf, "month": "2"},
                          files={"file": ("二月.xlsx", again, XLSX)})
    assert answer.status_code == 409
    html = parse_html(answer.text)
    assert html.find(data_error="already_reported") is not None
    change = html.find("tr", data_staff=members[1].staff_id)
    assert change is not None and [td.text for td in change.find_all("td")] == [members[1].name, "出勤", "22", "19"]
    assert monthly(service, 2) == on_record
    confirm = html.find("form", data_confirm_replace=True)
    assert confirm is not None
    fields = {i.attrs["name"]: i.attrs.get("value", "") for i in confirm.find_all("input")}
    assert fields["replace"] == "1" and fields["month"] == "2" and fields["held"]
    done = browser.post(f"{page}/xlsx", headers={"Accept": "text/html"}, data=fields)
    assert done.status_code == 303 and done.headers["location"] == f"/board/{DEPT}/monthly/2?notice=submit"
    assert monthly(service, 2)["rows"][1]["attendance"] == 19


def test_a_refused_annex_4_from_the_web_page_comes_back_to_it(service: Service) -> None:
    browser = service.session("clerk")
    page = f"/board/{DEPT}/monthly"
    csrf = page_csrf(browser, page)
    data = edit(filled_monthly(service, 3), "附件4", merged("C6:C7", 22))
    before = monthly(service, 3)
    answer = browser.post(f"{page}/xlsx", headers={"Accept": "text/html"},
                          data={"csrf": csrf, "month": "3", "partial": "1"}, files={"file": ("三月.xlsx", data, XLSX)})
    assert answer.status_code == 422
    html = parse_html(answer.text)
    error = html.find(data_error="cells_merged")
    assert error is not None and "C6:C7" in error.text
    form = html.find("form", action=f"{page}/xlsx")
    assert form is not None  # the upload form again, as it was filled
    chosen = form.find("option", selected=True)
    assert chosen is not None and chosen.attrs["value"] == "3"
    assert form.find("input", name="partial", checked=True) is not None
    assert monthly(service, 3) == before


# -- annex 5: what changed since the download ------------------------------------------------------


def test_an_annex_5_downloaded_before_a_change_does_not_revert_it(service: Service) -> None:
    members = service.context.content.members(DEPT)
    old = download(service, f"/board/{DEPT}/forms/annex5.xlsx")
    set_leave = service.client.put(f"/api/completion/{DEPT}", headers=service.bearer("hr"),
                                   json={"entries": [{"staff_id": members[1].staff_id, "status": "产假"}]})
    assert set_leave.status_code == 200, set_leave.text
    before = statuses(service)
    mine = {"D9": "病假"}  # the clerk's own change, members[4]; members[1] (row 6) still blank as downloaded
    answer = send(service, f"/api/completion/{DEPT}/xlsx", edit(old, "附件5", mine))
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == "stale_workbook"
    assert [(p["staff_id"], p["status"]) for p in body["people"]] == [(members[1].staff_id, "产假")]
    assert members[1].name in body["error"] and "产假" in body["error"]
    assert statuses(service) == before

    browser = service.session("clerk")
    csrf = page_csrf(browser, f"/board/{DEPT}")
    page = browser.post(f"/board/{DEPT}/completion/xlsx", headers={"Accept": "text/html"}, data={"csrf": csrf},
                        files={"file": ("附件5.xlsx", edit(old, "附件5", mine), XLSX)})
    assert page.status_code == 409
    assert parse_html(page.text).find(data_error="stale_workbook") is not None
    assert statuses(service) == before

    fresh = send(service, f"/api/completion/{DEPT}/xlsx",
                 edit(download(service, f"/board/{DEPT}/forms/annex5.xlsx"), "附件5", mine))
    assert fresh.status_code == 200, fresh.text
    after = statuses(service)
    assert after[members[1].staff_id] == "产假" and after[members[4].staff_id] == "病假"
