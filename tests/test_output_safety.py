"""Hostile names in the roster: escaped on every page, literal text in every export.

Names with HTML and attribute-breaking text must never become an element or an attribute;
names starting with = + - @ TAB CR must be text cells (never formulas) in every workbook the
service writes; control characters must not break a download.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from helpers import DEPT, PDF, Service, parse_html, running_service, scan_of, upload

from service.config import Settings
from service.content.roster_file import ROSTER_FILE, dump_roster, read_roster_entries

HTML_NAMES = ("<script>alert(1)</script>", '" onmouseover="x', "'><img src=x>")
FORMULA_NAMES = ('=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t制表", "\r回车")
CONTROL_NAME = "控制\x01字\x1b符\x7f"
NAMES = (*HTML_NAMES, *FORMULA_NAMES, CONTROL_NAME)
HTML_HEADERS = {"accept": "text/html"}


@pytest.fixture
def service(settings: Settings, content_dir: Path) -> Iterator[Service]:
    entries = read_roster_entries(content_dir)
    ours = [e for e in entries if e["department"] == DEPT]
    for entry, name in zip(ours, NAMES, strict=False):
        entry["name"] = name
        entry["post"] = f"岗位{name}"
    (content_dir / ROSTER_FILE).write_text(dump_roster(entries), encoding="utf-8")
    with running_service(settings) as svc:
        yield svc


def hostile_people(service: Service) -> list[Any]:
    return [m for m in service.context.content.members(DEPT) if m.name in NAMES or m.name == clean(CONTROL_NAME)]


def clean(name: str) -> str:
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", name)


def assert_nothing_injected(html: str, where: str) -> None:
    tree = parse_html(html)
    for element in tree.iter():
        assert not any(k.startswith("on") for k in element.attrs), (where, element.tag, element.attrs)
        assert not (element.tag == "img" and element.attrs.get("src") == "x"), where
        if element.tag == "script":
            assert "alert(1)" not in "".join(c for c in element.children if isinstance(c, str)), where


def test_the_roster_holds_the_hostile_names(service: Service) -> None:
    names = {m.name for m in service.context.content.members(DEPT)}
    assert set(HTML_NAMES) <= names and set(FORMULA_NAMES[:4]) <= names
    # the loader trims names: a leading TAB or CR never reaches a page or an export from the roster
    assert {"制表", "回车"} <= names


@pytest.mark.parametrize("text", ["\t=cmd|' /C calc'!A0", "\r=1+1", "=1+1", "+1", "-1", "@A1", "a\x00b\x1bc"])
def test_put_text_keeps_any_prefix_literal_through_a_save(text: str) -> None:
    from service.office.cells import put_text

    book = openpyxl.Workbook()
    put_text(book.active["A1"], text)  # type: ignore[index]
    out = io.BytesIO()
    book.save(out)
    cell = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active["A1"]  # type: ignore[index]
    assert cell.data_type == "s"
    assert cell.value == clean(text)


def test_every_page_shows_the_names_escaped(service: Service) -> None:
    people = hostile_people(service)
    clerk = service.bearer("clerk")
    upload(service.client, people[0].staff_id, PDF, headers=clerk)
    service.client.put(f"/api/completion/{DEPT}", headers=clerk,
                       json={"entries": [{"staff_id": people[1].staff_id, "status": "病假"}]})
    hr = service.hr_session()
    boss = service.session("boss")
    pages = {
        "/board": hr, f"/board/{DEPT}": hr, f"/board/{DEPT}/targets": hr, f"/board/{DEPT}/monthly": hr,
        f"/board/{DEPT}/monthly/3": hr, f"/board/{DEPT}/duties": hr, "/board/scores": hr,
        f"/board/scores?department={DEPT}": hr, "/board/progress": hr, "/board/review": boss,
        **{f"/board/{DEPT}/targets/{m.staff_id}": hr for m in people},
    }
    shown = set()
    for path, browser in pages.items():
        response = browser.get(path, headers=HTML_HEADERS)
        assert response.status_code == 200, path
        assert_nothing_injected(response.text, path)
        text = parse_html(response.text).text
        shown |= {name for name in HTML_NAMES if name in text}
    assert shown == set(HTML_NAMES)  # shown, as text
    service.settle()
    status = service.status_page.read_text(encoding="utf-8")
    assert_nothing_injected(status, "/status/")
    assert_nothing_injected(service.client.get("/status/").text, "/status/ (served)")


def workbook_cells(data: bytes) -> list[Any]:
    book = openpyxl.load_workbook(io.BytesIO(data))  # opens: nothing broke the file
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def assert_literal(data: bytes, where: str, expected: tuple[str, ...]) -> None:
    cells = workbook_cells(data)
    found = set()
    for cell in cells:
        value = str(cell.value)
        for name in expected:
            if name in value or name.strip() in value:
                assert cell.data_type == "s", (where, cell.coordinate, value, cell.data_type)
                found.add(name)
    assert found == set(expected), (where, set(expected) - found)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                xml = package.read(name).decode("utf-8")
                assert not re.search(r"<f>[^<]*(HYPERLINK|SUM\(A1)", xml), (where, name)


def test_every_export_has_the_names_as_literal_text(service: Service) -> None:
    people = hostile_people(service)
    hr = service.bearer("hr")
    formula_names = tuple(n for n in FORMULA_NAMES if any(m.name == n for m in people))
    assert len(formula_names) == 4
    everyone = (*formula_names, *HTML_NAMES)
    downloads = {"/hr/export.xlsx": everyone, "/hr/scores.xlsx": everyone,
                 f"/board/{DEPT}/forms/annex5.xlsx": everyone, f"/board/{DEPT}/forms/annex4.xlsx?month=3": everyone}
    for path, expected in downloads.items():
        response = service.client.get(path, headers=hr)
        assert response.status_code == 200, path
        assert_literal(response.content, path, expected)
        control = [str(c.value) for c in workbook_cells(response.content) if clean(CONTROL_NAME) in str(c.value)]
        assert control, f"{path}: the name with control characters is missing"
    for member in people:
        annex3 = service.client.get(f"/board/{DEPT}/forms/{member.staff_id}/annex3.xlsx", headers=hr)
        assert annex3.status_code == 200
        if member.name in FORMULA_NAMES:
            assert_literal(annex3.content, f"annex3 of {member.name!r}", (member.name,))
        else:
            workbook_cells(annex3.content)
        annex1 = service.client.get(f"/board/{DEPT}/forms/{member.staff_id}/annex1.docx", headers=hr)
        assert annex1.status_code == 200
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(annex1.content)).paragraphs)
        tables = "\n".join(cell.text for table in docx.Document(io.BytesIO(annex1.content)).tables
                           for row in table.rows for cell in row.cells)
        assert clean(member.name).strip() in text + tables, member.name


def test_the_zip_of_scans_names_files_safely(service: Service) -> None:
    people = hostile_people(service)
    for member in people:
        upload(service.client, member.staff_id, scan_of(member.staff_id), headers=service.bearer("clerk"))
    response = service.client.get("/hr/contracts.zip", headers=service.bearer("hr"))
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert len(names) == len(people)
    for name in names:
        assert not name.startswith("/") and ".." not in name.split("/")
        assert not re.search(r'[\x00-\x1f\x7f<>:"|?*\\]', name), name
