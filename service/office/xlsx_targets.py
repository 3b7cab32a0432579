"""Annex 3 workbook: one person's individual targets, pre-filled from their role's template.

The total under the 分值 column is a SUM formula; beside it a formula prints a warning and
conditional formatting turns the total red whenever it is not the individual budget (60).
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from service.content import forms_text
from service.content.models import COL_POINTS, Content, StaffMember, TargetRow
from service.office import styles as x
from service.office.identity import FormIdentity, layout_version, stamp_workbook

ANNEX = 3
SHEET = "附件3"
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
COLUMNS = forms_text.TARGET_COLUMNS
INPUT_COLS = "BCDEF"
POINTS_COL = "C"
WIDTHS = (6, 42, 9, 50, 18, 12)
BLANK_ROWS = 14  # as on the paper form
VERSION = layout_version(ANNEX, SHEET, HEADER_ROW, COLUMNS)
WARNING_FILL = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
WARNING_FONT = Font(name=x.BODY_FONT, size=x.BODY_SIZE, bold=True, color="9C0006")


def targets_xlsx(content: Content, member: StaffMember | None = None,
                 rows: Sequence[TargetRow] | None = None) -> bytes:
    """Annex 3. Blank when `member` is None; otherwise pre-filled for that person with `rows`,
    or with their role's template when `rows` is None. At least 14 input rows."""
    s = content.settings
    budget = s.individual_points
    if rows is None and member is not None:
        role = content.role(member.role)
        rows = role.targets if role else ()
    rows = list(rows or ())
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    x.set_widths(sheet, WIDTHS)
    x.heading(sheet, forms_text.annex_label(ANNEX), forms_text.title_lines(content, ANNEX), len(COLUMNS))
    department = content.department(member.department) if member else None
    blank = member is None
    x.merge(sheet, "A3:B3", forms_text.FIELD_DEPARTMENT + (department.name if department else ""),
            align=x.LEFT, unlocked=blank)
    x.merge(sheet, "C3:D3", forms_text.FIELD_PERSON + (member.name if member else ""), align=x.LEFT,
            unlocked=blank)
    x.merge(sheet, "E3:F3", forms_text.FIELD_POST + (member.post if member else ""), align=x.LEFT,
            unlocked=blank)
    sheet.row_dimensions[3].height = 24

    for col, title in enumerate(header_titles(content), 1):
        x.put(sheet, f"{chr(64 + col)}{HEADER_ROW}", title, font=x.FONT_HEAD, border=True)
    sheet.row_dimensions[HEADER_ROW].height = 32

    count = max(BLANK_ROWS, len(rows) + 2)
    last = FIRST_ROW + count - 1
    for index in range(count):
        row = FIRST_ROW + index
        x.put(sheet, f"A{row}", index + 1, border=True)
        target = rows[index] if index < len(rows) else None
        values: list[str | float | None] = (
            [target.content, target.points, target.evidence, target.deadline, None] if target
            else [None] * 5
        )
        for col, value in zip(INPUT_COLS, values, strict=True):
            align = x.CENTER if col in "CE" else x.LEFT
            x.put(sheet, f"{col}{row}", value, border=True, unlocked=True, align=align)
        if target:
            x.fit_height(sheet, row, [(target.content, WIDTHS[1]), (target.evidence, WIDTHS[3]),
                                      (target.deadline, WIDTHS[4])], minimum=30)
        else:
            sheet.row_dimensions[row].height = 30

    points = f"{POINTS_COL}{FIRST_ROW}:{POINTS_COL}{last}"
    total = last + 1
    x.merge(sheet, f"A{total}:B{total}", forms_text.TOTAL, font=x.FONT_HEAD, border=True)
    x.formula(sheet, f"{POINTS_COL}{total}", f'=IF(COUNT({points})=0,"",SUM({points}))')
    x.merge(sheet, f"D{total}:F{total}", None, border=True, font=WARNING_FONT)
    x.formula(sheet, f"D{total}",
              f'=IF(AND(COUNT({points})>0,SUM({points})<>{budget}),'
              f'"分值合计应为{budget}分，当前为"&SUM({points})&"分","")', font=WARNING_FONT)
    sheet.row_dimensions[total].height = 26
    off = f"AND(COUNT(${POINTS_COL}${FIRST_ROW}:${POINTS_COL}${last})>0,${POINTS_COL}${total}<>{budget})"
    sheet.conditional_formatting.add(f"{POINTS_COL}{total}",
                                     FormulaRule(formula=[off], fill=WARNING_FILL, font=WARNING_FONT))
    _points_check(sheet, points, budget)

    x.page_setup(sheet, landscape=True, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", last_col=len(COLUMNS),
                 last_row=total)
    x.protect(sheet)
    sheet.freeze_panes = f"A{FIRST_ROW}"
    stamp_workbook(book, FormIdentity(
        annex=ANNEX, year=s.year, version=VERSION, department=member.department if member else "",
        staff_id=member.staff_id if member else "", first_row=FIRST_ROW, last_row=last,
    ))
    return x.finish(book)


def header_titles(content: Content) -> tuple[str, ...]:
    """The header row as printed: the 分值 column shows the budget ("分值\n60分")."""
    titles = list(COLUMNS)
    titles[COLUMNS.index(COL_POINTS)] = forms_text.points_header(content.settings.individual_points)
    return tuple(titles)


def _points_check(sheet: Worksheet, ref: str, budget: int) -> None:
    validation = DataValidation(
        type="decimal", operator="between", formula1="0", formula2=str(budget), allow_blank=True,
        showErrorMessage=True, errorTitle=COL_POINTS, error=f"{COL_POINTS}应为 0–{budget} 之间的数字。",
    )
    validation.add(ref)
    sheet.add_data_validation(validation)
