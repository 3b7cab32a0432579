"""Annex 3 workbook: one person's individual targets, pre-filled from their role's template.

`targets_xlsx` writes it, `read_targets` reads a filled one back. The total under the 分值
column is a SUM formula; beside it a formula prints a warning and conditional formatting
turns the total red whenever it is not the individual budget (60).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from service.content import forms_text, target_rows
from service.content.formats import num
from service.content.models import COL_POINTS, Content, StaffMember, TargetRow
from service.content.target_rows import RowInput, text_of
from service.errors import quoted
from service.office import styles as x
from service.office.cells import cell_text
from service.office.form_checks import (
    STRAY_ROWS,
    Form,
    check_footer,
    check_header,
    check_outside,
    name_mismatch,
    names_differ,
    open_form,
)
from service.office.identity import FormIdentity, layout_version, stamp_workbook
from service.office.safe_reader import Problem, Value, WorkbookRejected, locate, problem, read_rows

ANNEX = 3
SHEET = "附件3"
PERSON_ROW = 3  # 部门 / 责任人 / 岗位及职务
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
_CELL_PROBLEMS = {  # a TargetProblem kind → the code and the words of a bad cell
    target_rows.MISSING: ("value_missing", "{name}不能为空。"),
    target_rows.TOO_LONG: ("value_too_long", "内容过长（{actual} 字，上限 {limit} 字）。"),
    target_rows.NOT_A_NUMBER: ("value_invalid", "分值应为大于 0、不超过 {budget} 的数字，实际为“{value}”。"),
    target_rows.NOT_POSITIVE: ("value_invalid", "分值应为大于 0、不超过 {budget} 的数字，实际为“{value}”。"),
}


def targets_xlsx(content: Content, member: StaffMember | None = None,
                 rows: Sequence[RowInput] | None = None, *, draft: bool = False) -> bytes:
    """Annex 3. Blank when `member` is None; otherwise pre-filled for that person with `rows`,
    or with their role's template when `rows` is None. At least 14 input rows. `draft` prints
    "草稿，未经审定" beside the title and at the top of every printed page."""
    s = content.settings
    budget = s.individual_points
    if rows is None and member is not None:
        role = content.role(member.role)
        rows = role.targets if role else ()
    lines = [row for row in (target_rows.normalise_row(r) for r in rows or ()) if not target_rows.is_blank(row)]
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    x.set_widths(sheet, WIDTHS)
    x.heading(sheet, forms_text.annex_label(ANNEX), forms_text.title_lines(content, ANNEX), len(COLUMNS))
    if draft:
        x.put(sheet, "F1", forms_text.DRAFT_MARK, font=WARNING_FONT, align=x.RIGHT)
        sheet.oddHeader.right.text = forms_text.DRAFT_MARK
        sheet.oddHeader.right.color = "C00000"
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

    count = max(BLANK_ROWS, len(lines) + 2)
    last = FIRST_ROW + count - 1
    for index in range(count):
        row = FIRST_ROW + index
        x.put(sheet, f"A{row}", index + 1, border=True)
        target = lines[index] if index < len(lines) else None
        values = _cells(target) if target else [None] * 5
        for col, value in zip(INPUT_COLS, values, strict=True):
            align = x.CENTER if col in "CE" else x.LEFT
            x.put(sheet, f"{col}{row}", value, border=True, unlocked=True, align=align)
        if target:
            x.fit_height(sheet, row, [(text, WIDTHS[i]) for i, text in ((1, values[0]), (3, values[2]), (4, values[3]))
                                      if isinstance(text, str)], minimum=30)
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


def _cells(row: Mapping[str, Any]) -> list[str | float | None]:
    """A target row as its input cells (目标内容, 分值, 佐证材料及分值, 完成时限, 备注); 分值 a number
    when it is one."""
    points = target_rows.parse_points(row.get(COL_POINTS))
    texts = [text_of(row.get(name)) or None for name in target_rows.COLUMNS]
    return [texts[0], points if points is not None else texts[1], texts[2], texts[3], texts[4]]


def header_titles(content: Content) -> tuple[str, ...]:
    """The header row as printed: the 分值 column shows the budget ("分值\n60分")."""
    titles = list(COLUMNS)
    titles[COLUMNS.index(COL_POINTS)] = forms_text.points_header(content.settings.individual_points)
    return tuple(titles)


def read_targets(content: Content, department_id: str, data: bytes) -> tuple[str, list[TargetRow]]:
    """The staff_id and target rows of a filled annex 3 of one member of `department_id`.

    Blank rows are skipped; 备注 is checked but not kept. The rows are judged by
    `target_rows.parse_target_rows`, the web form's check, so they must add up to the
    individual budget; its problems are named here by sheet, row and column.
    """
    budget = content.settings.individual_points
    with open_form(content, department_id, data, ANNEX, VERSION) as form:
        member = _member(content, form)
        _check_person(form, member)
        check_header(form.book, SHEET, HEADER_ROW, header_titles(content))
        rows = form.rows(SHEET, COLUMNS, person=member.name)
        total = form.identity.last_row + 1
        check_footer(form.book, SHEET, total, forms_text.TOTAL)
        check_outside(form.book, SHEET, [(total + 1, total + STRAY_ROWS)], COLUMNS)
    cells = [dict(zip(COLUMNS[1:], values[1:], strict=True)) for _, values in rows]  # all but 序号
    try:
        lines = target_rows.parse_target_rows(cells, budget)
    except target_rows.TargetRowsInvalid as exc:
        raise _rejection(exc.problems, [number for number, _ in rows], cells, member, budget) from None
    return member.staff_id, [line.target_row() for line in lines]


def _rejection(problems: list[target_rows.TargetProblem], numbers: list[int], cells: list[dict[str, Value]],
               member: StaffMember, budget: int) -> WorkbookRejected:
    """The validator's problems as the sheet's: every bad cell, else what is wrong with the set."""
    found: list[Problem] = []
    for p in problems:
        if p.row is None or p.field is None:
            continue
        value = cells[p.row - 1][p.field]
        code, what = _CELL_PROBLEMS[p.kind]
        found.append(problem(code, SHEET, numbers[p.row - 1], COLUMNS.index(p.field) + 1, p.field,
                             f"{member.name}的第 {p.row} 条目标：" + what.format(
                                 name=p.field, actual=num(p.actual or 0), limit=target_rows.MAX_TEXT,
                                 budget=budget, value=quoted(cell_text(value)))))
    if found:
        return WorkbookRejected.of(found)
    whole = problems[0]
    if whole.kind == target_rows.NO_ROWS:
        return WorkbookRejected("targets_empty", f"{locate(SHEET)}：{member.name}的附件3没有填写任何目标。")
    if whole.kind == target_rows.TOO_MANY_ROWS:
        return WorkbookRejected("targets_too_many", f"{locate(SHEET)}：个性目标最多 {target_rows.MAX_ROWS} 条，"
                                f"实际为 {num(whole.actual or 0)} 条。", sheet=SHEET)
    return WorkbookRejected("targets_total", f"{locate(SHEET, _total_row(numbers), 3, COL_POINTS)}："
                            f"{member.name}的个性目标分值合计应为 {budget} 分，实际为 {num(whole.actual or 0)} 分。",
                            sheet=SHEET)


def _total_row(numbers: list[int]) -> int:
    """The 合计 row: just below the form's last input row."""
    return numbers[-1] + 1 if numbers else FIRST_ROW


def _points_check(sheet: Worksheet, ref: str, budget: int) -> None:
    validation = DataValidation(
        type="decimal", operator="between", formula1="0", formula2=str(budget), allow_blank=True,
        showErrorMessage=True, errorTitle=COL_POINTS, error=f"{COL_POINTS}应为 0–{budget} 之间的数字。",
    )
    validation.add(ref)
    sheet.add_data_validation(validation)


def _check_person(form: Form, member: StaffMember) -> None:
    """The 责任人 line must still name the person the form was made for."""
    [(_, values)] = read_rows(form.book, SHEET, first_row=PERSON_ROW, last_row=PERSON_ROW, max_col=3)
    typed = cell_text(values[2]).removeprefix(forms_text.FIELD_PERSON.rstrip("：")).lstrip("：:").strip()
    if names_differ(typed, member):
        raise WorkbookRejected.of([name_mismatch(SHEET, PERSON_ROW, 3, forms_text.FIELD_PERSON.rstrip("："), typed,
                                                 member)])


def _member(content: Content, form: Form) -> StaffMember:
    staff_id = form.identity.staff_id
    if not staff_id:
        raise WorkbookRejected("form_blank", "这是空白表格，无法确定责任人。请登录后下载该教职工预先填好的附件3。")
    member = content.staff(staff_id)
    if member is None or member.department != form.department.id:
        raise WorkbookRejected("person_foreign", f"{locate(SHEET)}：工号 {staff_id} 不是{form.department.name}"
                               "的教职工（可能已调离），请重新下载表格。", sheet=SHEET)
    return member

