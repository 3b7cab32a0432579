"""Annex 5 workbook: who has signed (完成) or is exempt (产假 / 病假 / 长期事假), per department.

`completion_xlsx` writes it, `read_completion` reads a filled one back. Column E holds each
person's 工号, hidden, so the reader matches people even when names repeat; a row whose
name is not that person's is refused, and so is anything typed outside the table. The form
carries the statuses it was printed with, so an upload cannot silently undo a change made on
record after the download (workflows/completion.py refuses it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from service.content import forms_text, text_forms
from service.content.codes import COMPLETION_STATUSES
from service.content.models import Content
from service.errors import quoted
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
from service.office.identity import (
    FormIdentity,
    decode_statuses,
    department_of,
    encode_statuses,
    layout_version,
    stamp_workbook,
)
from service.office.safe_reader import Problem, WorkbookRejected, problem

ANNEX = 5
SHEET = "附件5"
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
COLUMNS = (*forms_text.COMPLETION_COLUMNS, forms_text.STAFF_ID)
NAME = forms_text.COMPLETION_COLUMNS[1]
STATUS_COL = "D"
STAFF_COL = "E"
WIDTHS = (8, 18, 38, 22, 12)
BLANK_ROWS = 18
VERSION = layout_version(ANNEX, SHEET, HEADER_ROW, COLUMNS)


def completion_xlsx(content: Content, department: str | None = None,
                    statuses: Mapping[str, str] | None = None) -> bytes:
    """Annex 5. Blank (18 empty rows) when `department` is None, else one row per member of
    that department (roster order) with `statuses` (staff_id → status) already chosen."""
    dept = department_of(content, department)
    members = content.members(dept.id) if dept else ()
    statuses = statuses or {}
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    x.set_widths(sheet, WIDTHS)
    x.heading(sheet, forms_text.annex_label(ANNEX), forms_text.title_lines(content, ANNEX), 4)
    x.merge(sheet, "A3:B3", f"{forms_text.COMPLETION_DEPARTMENT}{dept.name if dept else ''}",
            align=x.LEFT, unlocked=dept is None)
    year = content.settings.year if dept else None
    x.merge(sheet, "C3:D3", forms_text.date_line(year), align=x.RIGHT, unlocked=True)
    sheet.row_dimensions[3].height = 24

    for col, title in enumerate(COLUMNS, 1):
        x.put(sheet, f"{chr(64 + col)}{HEADER_ROW}", title, font=x.FONT_HEAD, border=True)
    sheet.row_dimensions[HEADER_ROW].height = 24

    count = len(members) if dept else BLANK_ROWS
    last = FIRST_ROW + count - 1
    for index in range(count):
        row = FIRST_ROW + index
        x.put(sheet, f"A{row}", index + 1, border=True)
        if dept:
            member = members[index]
            x.put(sheet, f"B{row}", member.name, border=True)
            x.put(sheet, f"C{row}", member.post, border=True)
            status = statuses.get(member.staff_id)
            x.put(sheet, f"D{row}", status if status in COMPLETION_STATUSES else None, border=True,
                  unlocked=True)
            x.put(sheet, f"E{row}", member.staff_id, border=True)
            x.fit_height(sheet, row, [(member.post, WIDTHS[2])], minimum=22)
        else:
            for col in "BCD":
                x.put(sheet, f"{col}{row}", None, border=True, unlocked=True)
            sheet.row_dimensions[row].height = 30
    sheet.column_dimensions[STAFF_COL].hidden = True
    _status_list(sheet, f"{STATUS_COL}{FIRST_ROW}:{STATUS_COL}{last}")

    note = last + 2
    x.merge(sheet, f"A{note}:D{note}", forms_text.completion_note(), align=x.LEFT)
    sign_head, sign_clerk, sign_phone = forms_text.COMPLETION_SIGNATURES
    x.merge(sheet, f"A{note + 1}:B{note + 1}", sign_head, align=x.LEFT, unlocked=True)  # signed by typing
    x.merge(sheet, f"C{note + 1}:D{note + 1}", sign_clerk, align=x.LEFT, unlocked=True)
    x.merge(sheet, f"C{note + 2}:D{note + 2}", sign_phone, align=x.LEFT, unlocked=True)
    for row in range(note, note + 3):
        sheet.row_dimensions[row].height = 26

    x.page_setup(sheet, landscape=False, title_rows=f"{HEADER_ROW}:{HEADER_ROW}", last_col=4,
                 last_row=note + 2)
    x.protect(sheet)
    sheet.freeze_panes = f"A{FIRST_ROW}"
    printed = {m.staff_id: statuses[m.staff_id] for m in members if statuses.get(m.staff_id) in COMPLETION_STATUSES}
    stamp_workbook(book, FormIdentity(annex=ANNEX, year=content.settings.year, version=VERSION,
                                      department=dept.id if dept else "", first_row=FIRST_ROW,
                                      last_row=last, statuses=encode_statuses(printed) if dept else ""))
    return x.finish(book)


def _status_list(sheet: Worksheet, ref: str) -> None:
    choices = ",".join(COMPLETION_STATUSES)
    validation = DataValidation(
        type="list", formula1=f'"{choices}"', allow_blank=True, showDropDown=False,
        showErrorMessage=True, errorStyle="stop", errorTitle=forms_text.STATUS_HEADER,
        error=f"请从下拉列表中选择：{'、'.join(COMPLETION_STATUSES)}。",
        showInputMessage=True, promptTitle=forms_text.STATUS_HEADER, prompt=f"请选择：{'、'.join(COMPLETION_STATUSES)}",
    )
    validation.add(ref)
    sheet.add_data_validation(validation)


@dataclass(frozen=True)
class FilledCompletion:
    """A filled annex 5: the (staff_id, status) pairs in sheet order (a blank status is None: it
    clears what was recorded), and the statuses the form was downloaded with (staff_id → status)."""

    entries: list[tuple[str, str | None]]
    downloaded: dict[str, str]


def read_completion(content: Content, department_id: str, data: bytes) -> FilledCompletion:
    """A filled annex 5 of `department_id`.

    Every problem refuses the whole file, each named by sheet, row, column and person; so does
    a form older than the statuses it was downloaded with.
    """
    with open_form(content, department_id, data, ANNEX, VERSION) as form:
        downloaded = decode_statuses(form.identity.statuses)
        if downloaded is None:
            raise WorkbookRejected("form_outdated", "这是旧版附件5：表格中没有记录下载时各人的完成情况，无法判断哪些是您改动的，"
                                   "哪些已被他人更新。请重新下载本部门的附件5，把内容填入新表后再上传。")
        check_header(form.book, SHEET, HEADER_ROW, COLUMNS)
        rows = form.rows(SHEET, COLUMNS, name_column=COLUMNS.index(NAME) + 1)
        last = form.identity.last_row
        check_footer(form.book, SHEET, last + 2, forms_text.completion_note()[:2])
        check_outside(form.book, SHEET, [(last + 1, last + 1), (last + 5, last + 4 + STRAY_ROWS)], COLUMNS[:-1])
    name_col, status_col, staff_col = (COLUMNS.index(c) + 1 for c in (NAME, forms_text.STATUS_HEADER,
                                                                      forms_text.STAFF_ID))
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    result: list[tuple[str, str | None]] = []
    for number, values in rows:
        _serial, name, _post, status, staff_id = (cell_text(value) for value in values[:5])
        staff_id = text_forms.staff_id(staff_id)
        if not staff_id:
            if status or name:
                problems.append(person_unknown(SHEET, number, staff_col, forms_text.STAFF_ID, name))
            continue
        member = content.staff(staff_id)
        if member is None or member.department != department_id:
            who = f"工号 {staff_id}" + (f"（{name}）" if name else "")
            problems.append(problem("person_foreign", SHEET, number, staff_col, forms_text.STAFF_ID,
                                    f"{who}不是{form.department.name}的教职工。"))
            continue
        if names_differ(name, member):
            problems.append(name_mismatch(SHEET, number, name_col, NAME, name, member))
            continue
        if staff_id in seen:
            problems.append(problem("person_duplicate", SHEET, number, staff_col, forms_text.STAFF_ID,
                                    f"{member.name}（工号 {staff_id}）与第 {seen[staff_id]} 行重复。"))
            continue
        seen[staff_id] = number
        if status and status not in COMPLETION_STATUSES:
            problems.append(problem("status_unknown", SHEET, number, status_col, forms_text.STATUS_HEADER,
                                    f"{member.name}的完成情况“{quoted(status)}”无效，应为{'、'.join(COMPLETION_STATUSES)}之一"
                                    "（或留空）。"))
            continue
        result.append((staff_id, status or None))
    if problems:
        raise WorkbookRejected.of(problems)
    return FilledCompletion(result, downloaded)
