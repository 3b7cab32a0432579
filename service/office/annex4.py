"""Annex 4 workbook: a department's monthly summary, one row per person.

`monthly_xlsx` writes it, `read_monthly` reads a filled one back. Two header rows as on the
paper form: 共性目标 spans the eight attendance and conduct columns. Column L holds each
person's 工号, hidden, so the reader knows whose row it is; a row whose name is not that
person's is refused. Every number cell is validated as Excel sees it (0–31 days, 0–100
times, the points), and every problem read back names the sheet, the Excel row, the column
letter and the person.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from service.content import forms_text, text_forms
from service.content.formats import num
from service.content.models import Content, StaffMember
from service.office import styles as x
from service.office.cells import cell_text
from service.office.form_checks import (
    STRAY_ROWS,
    check_footer,
    check_header,
    check_outside,
    name_mismatch,
    names_differ,
    open_form,
    person_unknown,
)
from service.office.identity import FormIdentity, department_of, layout_version, stamp_workbook
from service.office.safe_reader import Problem, Value, WorkbookRejected, locate, problem
from service.rules.monthly import COL_BUSINESS, COL_OTHER, DAY_COLUMNS, MAX_DAYS, MAX_TIMES, judge_submission

ANNEX = 4
SHEET = "附件4"
GROUP_ROW = 4
HEADER_ROW = 5
FIRST_ROW = HEADER_ROW + 1
COLUMNS = (forms_text.SERIAL, forms_text.NAME, *forms_text.MONTHLY_COLUMNS, forms_text.BUSINESS, forms_text.STAFF_ID)
LAST_PRINTED = len(COLUMNS) - 1  # 业务工作目标; the 工号 column is hidden
WIDTHS = (6, 12, *([8] * len(forms_text.MONTHLY_COLUMNS)), 18, 12)
BLANK_ROWS = 11
HEADERS = tuple(forms_text.monthly_header(c, "\n") for c in (*forms_text.MONTHLY_COLUMNS, forms_text.BUSINESS))
VERSION = layout_version(ANNEX, SHEET, HEADER_ROW, (*COLUMNS[:2], *HEADERS, COLUMNS[-1]))
NAME_COL = 2
NAME_LABEL = "姓名"


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
    x.merge(sheet, f"G3:{end}3", forms_text.date_line(year if dept else None), align=x.RIGHT, unlocked=True)
    sheet.row_dimensions[3].height = 24

    first_common = get_column_letter(3)
    last_common = get_column_letter(2 + len(forms_text.MONTHLY_COLUMNS))
    business = get_column_letter(LAST_PRINTED)
    x.merge(sheet, f"A{GROUP_ROW}:A{HEADER_ROW}", forms_text.SERIAL, font=x.FONT_HEAD, border=True)
    x.merge(sheet, f"B{GROUP_ROW}:B{HEADER_ROW}", forms_text.NAME, font=x.FONT_HEAD, border=True)
    x.merge(sheet, f"{first_common}{GROUP_ROW}:{last_common}{GROUP_ROW}", forms_text.COMMON_GROUP,
            font=x.FONT_HEAD, border=True)
    for offset, name in enumerate(HEADERS[:-1]):
        x.put(sheet, f"{get_column_letter(3 + offset)}{HEADER_ROW}", name, font=x.FONT_HEAD, border=True)
    x.merge(sheet, f"{business}{GROUP_ROW}:{business}{HEADER_ROW}", HEADERS[-1], font=x.FONT_HEAD,
            border=True)
    staff = get_column_letter(len(COLUMNS))
    x.merge(sheet, f"{staff}{GROUP_ROW}:{staff}{HEADER_ROW}", forms_text.STAFF_ID, font=x.FONT_HEAD, border=True)
    sheet.row_dimensions[GROUP_ROW].height = 24
    sheet.row_dimensions[HEADER_ROW].height = 36  # a name and its unit, on two lines

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
    if dept is not None and members:
        _number_checks(sheet, content, last)

    note = last + 2
    x.merge(sheet, f"A{note}:{end}{note}", forms_text.monthly_note(content), align=x.LEFT)
    x.fit_height(sheet, note, [(forms_text.monthly_note(content), sum(WIDTHS[:LAST_PRINTED]))])
    head, clerk, phone = forms_text.MONTHLY_SIGNATURES
    x.merge(sheet, f"A{note + 1}:E{note + 1}", head, align=x.LEFT, unlocked=True)  # signed by typing
    x.merge(sheet, f"G{note + 1}:{end}{note + 1}", clerk, align=x.LEFT, unlocked=True)
    x.merge(sheet, f"G{note + 2}:{end}{note + 2}", phone, align=x.LEFT, unlocked=True)
    sheet.row_dimensions[note + 1].height = sheet.row_dimensions[note + 2].height = 26

    x.page_setup(sheet, landscape=True, title_rows=f"{GROUP_ROW}:{HEADER_ROW}", last_col=LAST_PRINTED,
                 last_row=note + 2)
    x.protect(sheet)
    sheet.freeze_panes = f"C{FIRST_ROW}"
    stamp_workbook(book, FormIdentity(annex=ANNEX, year=year, version=VERSION,
                                      department=dept.id if dept else "", month=month or 0,
                                      first_row=FIRST_ROW, last_row=last))
    return x.finish(book)


def _number_checks(sheet: Worksheet, content: Content, last: int) -> None:
    """Excel refuses a typed value that is not a number in its column's range."""
    s = content.settings
    for index, name in enumerate(COLUMNS[2:-1], 3):
        limit = MAX_DAYS if name in DAY_COLUMNS else s.common_points if name == COL_OTHER else \
            s.individual_points if name == COL_BUSINESS else MAX_TIMES
        unit = "天数" if name in DAY_COLUMNS else "扣分" if name == COL_OTHER else "得分" if name == COL_BUSINESS else "次数"
        validation = DataValidation(type="decimal", operator="between", formula1="0", formula2=str(limit),
                                    allow_blank=True, showErrorMessage=True, errorStyle="stop", errorTitle=name,
                                    error=f"{name}应填 0–{num(limit)} 之间的数字（{unit}）。")
        letter = get_column_letter(index)
        validation.add(f"{letter}{FIRST_ROW}:{letter}{last}")
        sheet.add_data_validation(validation)


def read_monthly(content: Content, department_id: str, data: bytes, *, partial: bool = False,
                 month: int | None = None) -> tuple[int, list[dict[str, Value]]]:
    """The month and the rows of the people reported in a filled annex 4 of `department_id`,
    keyed 工号 and by the annex-4 column names, their values judged as the web form's are.

    A row left empty is a person not reported: refused unless the summary is sent as
    `partial`, and a form with every row empty is refused; so is a form made for another
    month than `month`, when one is given.
    """
    wanted = month
    with open_form(content, department_id, data, ANNEX, VERSION) as form:
        month = form.identity.month
        if not 1 <= month <= 12:
            raise WorkbookRejected("form_unknown", "表格没有记录报送月份，请重新下载指定月份的附件4。")
        if wanted is not None and wanted != month:
            raise WorkbookRejected("form_wrong_month", f"这是 {form.identity.year}年{month}月的月汇总表，"
                                   f"不能作为 {form.identity.year}年{wanted}月的报送。请下载{wanted}月的附件4 填写后再上传"
                                   f"（或报送{month}月时选择{month}月）。")
        check_header(form.book, SHEET, HEADER_ROW, _header_row())
        rows = form.rows(SHEET, COLUMNS, name_column=NAME_COL)
        last = form.identity.last_row
        check_footer(form.book, SHEET, last + 2, forms_text.monthly_note(content)[:4])
        check_outside(form.book, SHEET, [(last + 1, last + 1), (last + 5, last + 4 + STRAY_ROWS)], COLUMNS[:-1])
    problems: list[Problem] = []
    people: list[tuple[int, StaffMember]] = []
    result: list[dict[str, Value]] = []
    for number, values in rows:
        name, staff_id = cell_text(values[NAME_COL - 1]), text_forms.staff_id(cell_text(values[-1]))
        member = content.staff(staff_id) if staff_id else None
        if member is None or member.department != department_id:
            problems.append(person_unknown(SHEET, number, NAME_COL, NAME_LABEL, name) if not staff_id else
                            problem("person_foreign", SHEET, number, NAME_COL, NAME_LABEL,
                                    f"工号 {staff_id}（{name}）不是{form.department.name}的教职工。"))
            continue
        if names_differ(name, member):
            problems.append(name_mismatch(SHEET, number, NAME_COL, NAME_LABEL, name, member))
            continue
        row: dict[str, Value] = {forms_text.STAFF_ID: staff_id}
        for index, column in enumerate(COLUMNS[2:-1], 2):
            value = values[index]
            row[column] = value.strip() if isinstance(value, str) else value
        people.append((number, member))
        result.append(row)
    if problems:
        raise WorkbookRejected.of(problems)
    judged = judge_submission(result, content.members(department_id), content.settings.individual_points,
                              content.settings.common_points)
    for found in judged.problems:
        number, member = people[found.index]
        column = COLUMNS.index(found.column) + 1 if found.column in COLUMNS else NAME_COL
        problems.append(problem("value_invalid", SHEET, number, column, found.column, f"{member.name}的{found.what}。"))
    missing = set(judged.missing)
    if not judged.rows and not problems:
        raise WorkbookRejected("form_blank", f"{locate(SHEET)}：表格中没有填写任何人的数据（第 {FIRST_ROW}–{last} 行全部为空），"
                               "未报送。", sheet=SHEET, row=FIRST_ROW, column=get_column_letter(NAME_COL + 1))
    if not partial:
        problems += [problem("row_blank", SHEET, number, NAME_COL, NAME_LABEL,
                             f"{member.name}这一行没有填写。如本月只报送部分人员，请勾选“部分报送”后重新上传。")
                     for number, member in people if member.staff_id in missing]
    if problems:
        raise WorkbookRejected.of(problems)
    return month, [row for row, (_, member) in zip(result, people, strict=True) if member.staff_id not in missing]


def _header_row() -> tuple[str, ...]:
    """Row 5: each column with its unit; the serial, name, business and 工号 cells are merged
    from row 4 (blank here)."""
    return ("", "", *HEADERS[:-1], "", "")
