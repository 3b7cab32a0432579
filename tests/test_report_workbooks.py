"""HR's report workbooks (office/report_book.py): rows streamed into the sheets openpyxl laid out
read back as they were given, in the report look, text never a formula; LibreOffice opens them."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from service.office import report_book, styles

LAYOUTS = [
    report_book.Layout("第一页", "标题一", ("名称", "数值", "说明"), (12, 8, 20), landscape=True, missing="—"),
    report_book.Layout("第二页", "标题二", ("工号", "月份"), (10, 10)),
]
HOSTILE = ("=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tTAB", "\r回车")


def rows() -> list[tuple[int, tuple[object, ...]]]:
    found: list[tuple[int, tuple[object, ...]]] = [(0, ("甲", 1, "普通")), (1, ("100001", "1月"))]
    found += [(0, (text, 2.5, "公式样")) for text in HOSTILE]
    found += [(1, ("100002", "2月")),
              (0, ("<b>&amp;</b>", float("nan"), None)),
              (0, ("  前后空格  ", True, "控制\x01\x02字符")),
              (0, ("乙", 1234567.25, ""))]
    return found


def workbook() -> bytes:
    out = io.BytesIO()
    report_book.write(LAYOUTS, rows(), out)
    return out.getvalue()


def test_rows_read_back_as_given_in_their_sheets() -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook()))
    assert book.sheetnames == ["第一页", "第二页"]
    first, second = book["第一页"], book["第二页"]
    assert [c.value for c in first[1]][:1] == ["标题一"] and [c.value for c in first[2]] == ["名称", "数值", "说明"]
    body = list(first.iter_rows(min_row=3, values_only=True))
    assert body[0] == ("甲", 1, "普通")
    assert [r[0] for r in body[1:7]] == list(HOSTILE)
    assert body[7] == ("<b>&amp;</b>", None, "—")  # not a number: empty; nothing: the sheet's mark for it
    assert body[8] == ("  前后空格  ", "True", "控制字符")
    assert body[9][1] == 1234567.25 and body[9][2] is None
    assert list(second.iter_rows(min_row=3, values_only=True)) == [("100001", "1月"), ("100002", "2月")]


def test_text_is_never_a_formula_and_keeps_the_report_look() -> None:
    data = workbook()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["第一页"]
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"
            assert cell.font.name == "宋体"
    assert [sheet.cell(r, 1).quotePrefix for r in range(3, 10)] == [False, True, True, True, True, True, True]
    assert sheet["A2"].font.b and sheet["A2"].fill.fgColor.rgb.endswith("DDE3F0")
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:C1"]
    assert (sheet.freeze_panes, sheet.print_title_rows) == ("A3", "$2:$2")
    assert (sheet.page_setup.orientation, book["第二页"].page_setup.orientation) == ("landscape", None)
    widths = [sheet.column_dimensions[c].width for c in "ABC"]
    assert widths[2] == 20  # the least width, wider than the column's values
    assert widths[1] >= len("1234567.25") + 2  # the longest number fits
    assert widths[0] >= round(styles.text_width("=HYPERLINK(\"http://x\")") + 2, 1)  # the longest name fits
    header, body = sheet["A2"], sheet["B3"]
    assert all(side.style == "thin" for cell in (header, body)
               for side in (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom))
    assert header.alignment.wrap_text and body.alignment.wrap_text
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        xml = b"".join(package.read(n) for n in package.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_reads_the_streamed_rows(tmp_path: Path) -> None:
    source = tmp_path / "report.xlsx"
    source.write_bytes(workbook())
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    with open(tmp_path / "report.csv", encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    assert lines[1] == ["名称", "数值", "说明"]
    assert lines[2] == ["甲", "1", "普通"]
    assert [line[0] for line in lines[3:9]] == list(HOSTILE)
    assert lines[9][0] == "<b>&amp;</b>" and lines[10][2] == "控制字符"


def test_many_rows_interleaved_over_sheets_come_back_in_each_sheets_order() -> None:
    layouts = [report_book.Layout(f"第{i}页", f"标题{i}", ("姓名", "序号", "状态"), (8, 8, 8), missing="—")
               for i in range(3)]
    given: list[tuple[int, tuple[object, ...]]] = [
        (n % 3, (f"教职工{n:05d}", n, None if n % 7 == 0 else ("完成", "未完成")[n % 2])) for n in range(9_000)]
    out = io.BytesIO()
    report_book.write(layouts, given, out)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    for index, layout in enumerate(layouts):
        expected = [(name, n, "—" if status is None else status) for i, (name, n, status) in given if i == index]
        assert list(book[layout.title].iter_rows(min_row=3, values_only=True)) == expected
