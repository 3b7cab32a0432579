"""The defensive .xlsx reader: every kind of hostile or broken upload gets its own code."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable

import openpyxl
import pytest

from service.content.models import Content
from service.office import annex2, catalog
from service.office.safe_reader import (
    LIMITS,
    Limits,
    WorkbookRejected,
    check_package,
    locate,
    open_workbook,
    read_rows,
)

SHEET_XML = "xl/worksheets/sheet1.xml"


def simple_workbook(rows: int = 5, *, sheet: str = "名册") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(["工号", "姓名"])
    for i in range(rows):
        ws.append([f"A{i}", f"人{i}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, *, edit: Callable[[str, bytes], bytes | None] | None = None,
          add: dict[str, bytes] | None = None) -> bytes:
    """Copy a package, optionally rewriting (or dropping, with None) entries and adding new ones."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body: bytes | None = source.read(info)
            if edit is not None:
                body = edit(info.filename, body)
            if body is not None:
                target.writestr(info.filename, body)
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def with_doctype(body: bytes, doctype: str) -> str:
    """The XML text with `doctype` placed before its root element."""
    text = body.decode()
    if text.startswith("<?xml"):
        head, _, rest = text.partition("?>")
        return head + "?>" + doctype + rest
    return doctype + text


def rejected(data: bytes, limits: Limits = LIMITS) -> WorkbookRejected:
    with pytest.raises(WorkbookRejected) as caught, open_workbook(data, limits) as book:
        for name in book.sheetnames:
            read_rows(book, name, first_row=1, last_row=None, max_col=10, limits=limits)
    return caught.value


def test_a_plain_workbook_is_read() -> None:
    with open_workbook(simple_workbook(3)) as book:
        rows = read_rows(book, "名册", first_row=1, last_row=None, max_col=3)
    assert rows == [(1, ["工号", "姓名", None]), (2, ["A0", "人0", None]), (3, ["A1", "人1", None]),
                    (4, ["A2", "人2", None])]


def test_every_generated_form_passes_the_package_check(shipped_content: Content) -> None:
    for path, data in catalog.site_files(shipped_content).items():
        if path.endswith(".xlsx"):
            check_package(data)


def test_empty_and_not_a_zip() -> None:
    assert rejected(b"").code == "xlsx_empty"
    assert rejected(b"name,id\n1,2\n").code == "xlsx_not_zip"
    assert rejected(b"PK\x03\x04 truncated").code == "xlsx_not_zip"


def test_renamed_xls_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096)
    error = rejected(ole)
    assert error.code == "xlsx_ole"
    assert ".xls" in error.message and "另存为" in error.message


def test_word_file_is_not_a_workbook(shipped_content: Content) -> None:
    error = rejected(annex2.common_docx(shipped_content))
    assert error.code == "xlsx_not_workbook"
    assert "Word" in error.message


def test_upload_too_large() -> None:
    assert rejected(simple_workbook(), Limits(max_bytes=1000)).code == "xlsx_too_large"


def test_zip_bomb_by_total_size() -> None:
    bomb = rezip(simple_workbook(), add={"xl/media/pad.bin": bytes(60 * 1024 * 1024)})
    assert len(bomb) < 200_000
    started = time.monotonic()
    error = rejected(bomb)
    assert error.code == "xlsx_too_large"
    assert time.monotonic() - started < 2  # refused from the headers, nothing inflated


def test_zip_bomb_by_ratio() -> None:
    bomb = rezip(simple_workbook(), add={"xl/media/pad.bin": bytes(8 * 1024 * 1024)})
    error = rejected(bomb)
    assert error.code == "xlsx_ratio"
    assert "压缩比" in error.message


def test_too_many_entries() -> None:
    crowded = rezip(simple_workbook(), add={f"xl/media/{i}.txt": b"x" for i in range(250)})
    assert rejected(crowded).code == "xlsx_too_many_entries"


def test_macro_workbook_by_vba_project() -> None:
    assert rejected(rezip(simple_workbook(), add={"xl/vbaProject.bin": b"\x00" * 100})).code == "xlsx_macro"


def test_macro_workbook_by_content_type() -> None:
    def macro_type(name: str, body: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return body.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
        return body

    error = rejected(rezip(simple_workbook(), edit=macro_type))
    assert error.code == "xlsx_macro"
    assert "宏" in error.message


def test_xxe_doctype_in_a_sheet_is_refused() -> None:
    def with_entity(name: str, body: bytes) -> bytes:
        if name == SHEET_XML:
            text = with_doctype(body, '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
            return text.replace("</sheetData>", '<row r="99"><c r="A99" t="inlineStr"><is><t>&xxe;</t>'
                                "</is></c></row></sheetData>").encode()
        return body

    error = rejected(rezip(simple_workbook(), edit=with_entity))
    assert error.code == "xlsx_dtd"
    assert "DOCTYPE" in error.message and SHEET_XML in error.message


def test_defusedxml_is_the_second_net(monkeypatch: pytest.MonkeyPatch) -> None:
    import service.office.safe_reader as workbooks

    monkeypatch.setattr(workbooks, "_check_xml", lambda archive, entry, measured: None)
    entity = '<!DOCTYPE r [<!ENTITY e "boom">]>'

    def with_entity(name: str, body: bytes) -> bytes:
        if name == SHEET_XML:
            return with_doctype(body, entity).encode()
        return body

    assert rejected(rezip(simple_workbook(), edit=with_entity)).code == "xlsx_dtd"


def test_doctype_in_utf16_is_refused_too() -> None:
    def utf16(name: str, body: bytes) -> bytes:
        if name == "xl/workbook.xml":
            text = with_doctype(body, '<!DOCTYPE w [<!ENTITY a "b">]>')
            return ("\ufeff" + text.replace('encoding="UTF-8"', 'encoding="UTF-16"')).encode("utf-16-le")
        return body

    assert rejected(rezip(simple_workbook(), edit=utf16)).code == "xlsx_dtd"


def test_corrupt_xml_part() -> None:
    def broken(name: str, body: bytes) -> bytes:
        return b"<worksheet><sheetData><row" if name == SHEET_XML else body

    assert rejected(rezip(simple_workbook(), edit=broken)).code == "xlsx_corrupt"


def test_formula_is_refused_with_its_place() -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "附件5"
    ws["A1"] = "序号"
    ws["D7"] = "=IF(1,\"完成\",\"\")"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(WorkbookRejected) as caught, open_workbook(buffer.getvalue()) as opened:
        read_rows(opened, "附件5", first_row=1, last_row=10, max_col=5, labels={4: "完成情况"})
    error = caught.value
    assert error.code == "xlsx_formula"
    assert error.message.startswith("工作表“附件5”第 7 行 D 列（完成情况）：")
    assert (error.sheet, error.row, error.column) == ("附件5", 7, "D")


def test_rows_are_capped() -> None:
    data = simple_workbook(30)
    limits = Limits(max_rows=10)
    assert rejected(data, limits).code == "xlsx_too_many_rows"
    with open_workbook(data, limits) as book:  # an explicit range inside the cap is fine
        assert len(read_rows(book, "名册", first_row=1, last_row=10, max_col=2, limits=limits)) == 10


def test_the_sheet_dimension_is_not_trusted() -> None:
    def lying(name: str, body: bytes) -> bytes:
        if name == SHEET_XML:
            return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', body)
        return body

    with open_workbook(rezip(simple_workbook(20), edit=lying)) as book:
        rows = read_rows(book, "名册", first_row=1, last_row=None, max_col=2)
    assert len(rows) == 21


def test_a_far_away_row_does_not_make_a_million_empty_ones() -> None:
    def far(name: str, body: bytes) -> bytes:
        if name == SHEET_XML:
            return body.replace(b"</sheetData>", b'<row r="1000000"><c r="A1000000" t="inlineStr">'
                                b"<is><t>x</t></is></c></row></sheetData>")
        return body

    data = rezip(simple_workbook(2), edit=far)
    started = time.monotonic()
    with open_workbook(data) as book:
        rows = read_rows(book, "名册", first_row=1, last_row=None, max_col=2)
    assert time.monotonic() - started < 2
    assert [number for number, _ in rows] == [1, 2, 3]  # nothing past the row cap is read


def test_missing_sheet() -> None:
    with pytest.raises(WorkbookRejected) as caught, open_workbook(simple_workbook()) as book:
        read_rows(book, "附件5", first_row=1, last_row=2, max_col=2)
    assert caught.value.code == "xlsx_no_sheet"


def test_locate_names_sheet_row_and_column() -> None:
    assert locate("附件5", 7, 4, "完成情况") == "工作表“附件5”第 7 行 D 列（完成情况）"
    assert locate("附件3", 5) == "工作表“附件3”第 5 行"
    assert locate("附件3") == "工作表“附件3”"


def test_several_problems_make_one_error() -> None:
    from service.office.safe_reader import problem

    problems = [problem("status_unknown", "附件5", r, 4, "完成情况", "无效") for r in (5, 6, 7)]
    error = WorkbookRejected.of(problems)
    assert error.code == "status_unknown"
    assert error.message.startswith("表格中有 3 处问题：")
    assert error.as_dict()["problems"][2]["row"] == 7
