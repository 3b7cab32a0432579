"""Annex 2, as a workbook and as a Word file: the common targets every member shares, their
points and deduction rules. Blank forms only; nothing reads annex 2 back."""

from __future__ import annotations

from collections.abc import Sequence

from docx.table import _Cell
from openpyxl import Workbook

from service.content import forms_text
from service.content.formats import num
from service.content.models import COL_CONTENT, COL_POINTS, CommonTarget, Content
from service.office import docx_base as w
from service.office import styles as x
from service.office.identity import FormIdentity, layout_version, stamp_workbook

ANNEX = 2
SHEET = "附件2"
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
COLUMNS = (COL_CONTENT, COL_POINTS, forms_text.RULES_HEADER)
WIDTHS = (44, 9, 46)
VERSION = layout_version(ANNEX, SHEET, HEADER_ROW, COLUMNS)
DOCX_WIDTHS = [7.2, 1.8, 8.0]  # content, points, rules (cm)
DOCX_VERSION = layout_version(ANNEX, "docx", 1, (COL_CONTENT, forms_text.RULES_HEADER))


def common_xlsx(content: Content) -> bytes:
    """Annex 2: the 7 common targets with points and numbered deduction rules, total 40."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    x.set_widths(sheet, WIDTHS)
    x.heading(sheet, forms_text.annex_label(ANNEX), forms_text.title_lines(content, ANNEX), len(COLUMNS))
    headers = (COL_CONTENT, forms_text.points_header(content.settings.common_points), forms_text.RULES_HEADER)
    for col, title in enumerate(headers, 1):
        x.put(sheet, f"{chr(64 + col)}{HEADER_ROW}", title, font=x.FONT_HEAD, border=True)
    sheet.row_dimensions[HEADER_ROW].height = 32
    row = FIRST_ROW
    for target in content.common_targets:
        rules = forms_text.rules_text(tuple(rule.text for rule in target.rules))
        x.put(sheet, f"A{row}", target.content, border=True, align=x.LEFT)
        x.put(sheet, f"B{row}", float(num(target.points)), border=True)
        x.put(sheet, f"C{row}", rules, border=True, align=x.LEFT)
        x.fit_height(sheet, row, [(target.content, WIDTHS[0]), (rules, WIDTHS[2])], minimum=36)
        row += 1
    x.put(sheet, f"A{row}", forms_text.TOTAL, font=x.FONT_HEAD, border=True)
    x.put(sheet, f"B{row}", sum(t.points for t in content.common_targets), font=x.FONT_HEAD, border=True)
    x.put(sheet, f"C{row}", None, border=True)
    sheet.row_dimensions[row].height = 26
    x.page_setup(sheet, landscape=False, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", last_col=len(COLUMNS),
                 last_row=row)
    x.protect(sheet)
    stamp_workbook(book, FormIdentity(annex=ANNEX, year=content.settings.year, version=VERSION,
                                      first_row=FIRST_ROW, last_row=row - 1))
    return x.finish(book)


def common_docx(content: Content) -> bytes:
    """Annex 2: the common targets, their points and deduction rules, total 40."""
    doc = w.new_document()
    w.add_paragraph(doc, forms_text.annex_label(ANNEX), font=x.TITLE_FONT, size=w.LABEL_PT)
    w.add_title(doc, forms_text.title_lines(content, ANNEX))
    commons = content.common_targets
    table = w.new_table(doc, len(commons) + 2, DOCX_WIDTHS)
    head = table.rows[0]
    w.repeat_header(head)
    for cell, text in zip(head.cells, (COL_CONTENT, forms_text.points_header(content.settings.common_points),
                                       forms_text.RULES_HEADER), strict=True):
        w.write_cell(cell, text, bold=True, size=w.BODY_PT)
    for row, target in zip(table.rows[1:], commons, strict=False):
        w.keep_row_whole(row)
        w.row_height(row, 1.6)
        common_row(row.cells, target, size=w.BODY_PT)
    total = table.rows[-1]
    w.write_cell(total.cells[0], forms_text.TOTAL, bold=True, size=w.BODY_PT)
    w.write_cell(total.cells[1], num(sum(t.points for t in commons)), bold=True, size=w.BODY_PT)
    w.write_cell(total.cells[2], "", size=w.BODY_PT)
    w.add_paragraph(doc)
    identity = FormIdentity(annex=ANNEX, year=content.settings.year, version=DOCX_VERSION)
    w.stamp(doc, identity, forms_text.annex_heading(ANNEX))
    return w.to_bytes(doc)


def common_row(cells: Sequence[_Cell], target: CommonTarget, *, size: float) -> None:
    """A common target's content, points and rules in the last three cells of a Word table row."""
    content_cell, points_cell, rules_cell = cells[-3:]
    w.write_cell(content_cell, target.content, align=w.JUSTIFY, size=size)
    w.write_cell(points_cell, num(target.points), size=size)
    rules = forms_text.rules_text(tuple(rule.text for rule in target.rules))
    w.write_cell(rules_cell, rules, align=w.JUSTIFY, size=size)
