"""HR's exports as LibreOffice prints them: export.xlsx, scores.xlsx and the filing table, downloaded
over HTTP and converted to PDF by soffice; every department's full name and every header is in the
printed text, no two words of a page overlap, a wide sheet is split across pages between columns
with who each row is repeated, and the filing table's note is printed whole."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from grade_helpers import give_scores, grade_everyone
from helpers import Service

from service.office import exports, grade_filing, score_sheet

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                                reason="LibreOffice / poppler-utils not installed")
XHTML = "{http://www.w3.org/1999/xhtml}"


def printed(service: Service, path: str, work: Path) -> Path:
    response = service.client.get(path, headers=service.bearer("hr"))
    assert response.status_code == 200, response.text
    source = work / Path(path).name
    source.write_bytes(response.content)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(source)], check=True, capture_output=True, timeout=300)
    return source.with_suffix(".pdf")


def pages(pdf: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes (xMin, yMin, xMax, yMax), as pdftotext places them."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    root = ElementTree.fromstring(xml)
    return [[(w.text or "", *(float(w.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax")))
             for w in page.iter(f"{XHTML}word")] for page in root.iter(f"{XHTML}page")]


def text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    """The pages' text in the order it was drawn and in layout order (a wrapped header reads whole
    only in the first), without whitespace."""
    span = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return "\n".join("".join(subprocess.run(["pdftotext", *mode, *span, str(pdf), "-"], check=True,
                                            capture_output=True, text=True).stdout.split())
                     for mode in (["-raw"], ["-layout"]))


def overlapping(words: list[tuple[str, float, float, float, float]]) -> list[tuple[str, str]]:
    found = []
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(words):
        for b, bx0, by0, bx1, by1 in words[i + 1:]:
            if min(ax1, bx1) - max(ax0, bx0) > 1.0 and min(ay1, by1) - max(ay0, by0) > 1.0:
                found.append((a, b))
    return found


def test_the_completion_export_prints_every_department_whole(service: Service, tmp_path: Path) -> None:
    pdf = printed(service, "/hr/export.xlsx", tmp_path)
    summary = text(pdf, 1, 1)  # the summary sheet first
    for department in service.context.content.departments:
        assert "".join(department.name.split()) in summary, department.name
    for name in exports.SUMMARY_COLUMNS:
        assert name in summary, name
    printed_pages = pages(pdf)
    for number, words in enumerate(printed_pages, 1):
        assert overlapping(words) == [], f"第 {number} 页有重叠的文字"
    staff = text(pdf)
    for name in exports.STAFF_COLUMNS:
        assert name in staff, name
    member = service.context.content.members(service.context.content.departments[0].id)[0]
    assert "".join(member.post.split()) in staff  # a post printed whole beside its 完成情况


def test_the_score_sheet_splits_its_columns_across_pages_with_each_row_named(service: Service,
                                                                            tmp_path: Path) -> None:
    give_scores(service)
    pdf = printed(service, "/hr/scores.xlsx", tmp_path)
    columns = score_sheet.columns(service.context.content)
    words = pages(pdf)
    for number, page in enumerate(words, 1):
        assert overlapping(page) == [], f"第 {number} 页有重叠的文字"
    everything = text(pdf)
    for name in columns:
        assert "".join(name.split()) in everything, name
    first = service.context.content.members("jxx")[0]
    holding_total = [n for n in range(1, len(words) + 1) if columns[-2] in text(pdf, n, n)]
    assert holding_total, "总分一栏没有打印"
    for number in (1, holding_total[0]):  # the first columns' page and a later one both name the person
        page = text(pdf, number, number)
        assert first.name in page and "姓名" in page, number
    assert holding_total[0] > 1  # not squeezed onto one page width


def test_the_filing_table_prints_its_headers_clear_of_the_data_and_its_note(service: Service,
                                                                            tmp_path: Path) -> None:
    grade_everyone(service)
    pdf = printed(service, "/hr/grades/filing.xlsx", tmp_path)
    for number, words in enumerate(pages(pdf), 1):
        assert overlapping(words) == [], f"第 {number} 页有重叠的文字"
    printed_text = text(pdf)
    assert "".join(grade_filing.NOTE.split()) in printed_text
    for name in grade_filing.COLUMNS:
        assert "".join(name.split()) in printed_text, name
    for department in service.context.content.departments:
        assert "".join(department.name.split()) in printed_text, department.name
