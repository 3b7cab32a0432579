"""Annex 4 workbook: a department's monthly summary, one row per person.

`monthly_xlsx` writes it, `read_monthly` reads a filled one back. Two header rows as on the
paper form: 共性目标 spans the eight attendance and conduct columns. Column L holds each
person's 工号, hidden, so the reader knows whose row it is.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from service.content import forms_text
from service.content.models import Content
from service.office import styles as x
from service.office.cells import cell_text
from service.office.form_checks import check_footer, check_header, open_form, person_unknown
from service.office.identity import FormIdentity, department_of, layout_version, stamp_workbook
from service.office.safe_reader import Value, WorkbookRejected

ANNEX = 4
SHEET = "附件4"
GROUP_ROW = 4
HEADER_ROW = 5
FIRST_ROW = HEADER_ROW + 1
COLUMNS = (forms_text.SERIAL, forms_text.NAME, *forms_text.MONTHLY_COLUMNS, forms_text.BUSINESS, forms_text.STAFF_ID)
LAST_PRINTED = len(COLUMNS) - 1  # 业务工作目标; the 工号 column is hidden
WIDTHS = (6, 12, *([8] * len(forms_text.MONTHLY_COLUMNS)), 18, 12)
BLANK_ROWS = 11
VERSION = layout_version(ANNEX, SHEET, HEADER_ROW, COLUMNS)


def monthly_xlsx(content: Content, department: str | None = None, year: int | None = None,
                 month: int | None = None) -> bytes:
    """Annex 4. Blank when `department` is None, else one row per member. `year` (default: the
    cycle's) and `month` name the month reported, shown after the title."""
    dept = department_of(content, department)
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"月份应为 1–12，实际为 {month}")
    members = content.members(dept.id) if dept else ()
    year = year or content.settings.year
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    x.set_widths(sheet, WIDTHS)
    end = get_column_letter(LAST_PRINTED)
    title = forms_text.ANNEX_TITLES[ANNEX]
    if dept is not None:
        title += f"（{year}年{month or '　　'}月）"
    x.heading(sheet, forms_text.annex_label(ANNEX), [title], LAST_PRINTED)
    x.merge(sheet, "A3:E3", f"{forms_text.MONTHLY_DEPARTMENT}{dept.name if dept else ''}", align=x.LEFT,
            unlocked=dept is None)
    x.merge(sheet, f"G3:{end}3", forms_text.date_line(), align=x.RIGHT, unlocked=True)
    sheet.row_dimensions[3].height = 24

    first_common = get_column_letter(3)
    last_common = get_column_letter(2 + len(forms_text.MONTHLY_COLUMNS))
    business = get_column_letter(LAST_PRINTED)
    x.merge(sheet, f"A{GROUP_ROW}:A{HEADER_ROW}", forms_text.SERIAL, font=x.FONT_HEAD, border=True)
    x.merge(sheet, f"B{GROUP_ROW}:B{HEADER_ROW}", forms_text.NAME, font=x.FONT_HEAD, border=True)
    x.merge(sheet, f"{first_common}{GROUP_ROW}:{last_common}{GROUP_ROW}", forms_text.COMMON_GROUP,
            font=x.FONT_HEAD, border=True)
    for offset, name in enumerate(forms_text.MONTHLY_COLUMNS):
        x.put(sheet, f"{get_column_letter(3 + offset)}{HEADER_ROW}", name, font=x.FONT_HEAD, border=True)
    x.merge(sheet, f"{business}{GROUP_ROW}:{business}{HEADER_ROW}", forms_text.BUSINESS, font=x.FONT_HEAD,
            border=True)
    staff = get_column_letter(len(COLUMNS))
    x.merge(sheet, f"{staff}{GROUP_ROW}:{staff}{HEADER_ROW}", forms_text.STAFF_ID, font=x.FONT_HEAD, border=True)
    sheet.row_dimensions[GROUP_ROW].height = sheet.row_dimensions[HEADER_ROW].height = 24

    count = len(members) if dept else BLANK_ROWS
    last = FIRST_ROW + count - 1
    for index in range(count):
        row = FIRST_ROW + index
        member = members[index] if dept else None
        x.put(sheet, f"A{row}", index + 1, border=True)
        x.put(sheet, f"B{row}", member.name if member else None, border=True, unlocked=member is None)
        for col in range(3, LAST_PRINTED + 1):
            x.put(sheet, f"{get_column_letter(col)}{row}", None, border=True, unlocked=True)
        x.put(sheet, f"{staff}{row}", member.staff_id if member else None, border=True)
        sheet.row_dimensions[row].height = 24
    sheet.column_dimensions[staff].hidden = True

    note = last + 2
    x.merge(sheet, f"A{note}:{end}{note}", forms_text.monthly_note(content), align=x.LEFT)
    x.fit_height(sheet, note, [(forms_text.monthly_note(content), sum(WIDTHS[:LAST_PRINTED]))])
    head, clerk, phone = forms_text.MONTHLY_SIGNATURES
    x.merge(sheet, f"A{note + 1}:E{note + 1}", head, align=x.LEFT)
    x.merge(sheet, f"G{note + 1}:{end}{note + 1}", clerk, align=x.LEFT)
    x.merge(sheet, f"G{note + 2}:{end}{note + 2}", phone, align=x.LEFT)
    sheet.row_dimensions[note + 1].height = sheet.row_dimensions[note + 2].height = 26

    x.page_setup(sheet, landscape=True, title_rows=f"{GROUP_ROW}:{HEADER_ROW}", last_col=LAST_PRINTED,
                 last_row=note + 2)
    x.protect(sheet)
    sheet.freeze_panes = f"C{FIRST_ROW}"
    stamp_workbook(book, FormIdentity(annex=ANNEX, year=year, version=VERSION,
                                      department=dept.id if dept else "", month=month or 0,
                                      first_row=FIRST_ROW, last_row=last))
    return x.finish(book)


def read_monthly(content: Content, department_id: str, data: bytes) -> tuple[int, list[dict[str, Value]]]:
    """The month and the rows of a filled annex 4 of `department_id`, keyed 工号 and by the
    annex-4 column names, ready for `scoring.parse_monthly_rows` (which judges the values)."""
    with open_form(content, department_id, data, ANNEX, VERSION) as form:
        month = form.identity.month
        if not 1 <= month <= 12:
            raise WorkbookRejected("form_unknown", "表格没有记录报送月份，请重新下载指定月份的附件4。")
        check_header(form.book, SHEET, HEADER_ROW, _header_row())
        rows = form.rows(SHEET, COLUMNS)
        check_footer(form.book, SHEET, form.identity.last_row + 2, forms_text.monthly_note(content)[:4])
    result: list[dict[str, Value]] = []
    for number, values in rows:
        staff_id = cell_text(values[-1])
        if not staff_id:
            raise WorkbookRejected.of([person_unknown(SHEET, number)])
        row: dict[str, Value] = {forms_text.STAFF_ID: staff_id}
        for index, name in enumerate(COLUMNS[2:-1], 2):
            value = values[index]
            row[name] = value.strip() if isinstance(value, str) else value
        result.append(row)
    return month, result


def _header_row() -> tuple[str, ...]:
    """Row 5: the serial, name, business and 工号 cells are merged from row 4 (blank here)."""
    return ("", "", *COLUMNS[2:-2], "", "")
