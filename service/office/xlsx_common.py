"""Annex 2 workbook: the common targets every member shares, their points and rules."""

from __future__ import annotations

from openpyxl import Workbook

from service.content import forms_text
from service.content.formats import num
from service.content.models import COL_CONTENT, COL_POINTS, Content
from service.office import styles as x
from service.office.identity import FormIdentity, layout_version, stamp_workbook

ANNEX = 2
SHEET = "附件2"
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
COLUMNS = (COL_CONTENT, COL_POINTS, forms_text.RULES_HEADER)
WIDTHS = (44, 9, 46)
VERSION = layout_version(ANNEX, SHEET, HEADER_ROW, COLUMNS)


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
