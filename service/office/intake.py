"""Reading filled forms back: annex 5 (completion statuses), annex 3 (a person's targets) and
annex 4 (a department's monthly summary).

Pure: bytes and content in, values out; nothing is written. The caller records the result
exactly as if it came from the web form. Every refusal is a `WorkbookRejected` whose message
names the sheet, row and column in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from openpyxl.workbook.workbook import Workbook

from service.content import forms_text
from service.content.formats import num
from service.content.forms_text import ANNEX_TITLES
from service.content.models import (
    COL_CONTENT,
    COL_DEADLINE,
    COL_EVIDENCE,
    COL_POINTS,
    COMPLETION_STATUSES,
    Content,
    Department,
    StaffMember,
    TargetRow,
)
from service.office import xlsx_completion, xlsx_monthly, xlsx_targets
from service.office.identity import FormIdentity
from service.office.reading import read_identity
from service.office.roster import UnknownDepartment
from service.office.safe_reader import (
    Problem,
    Value,
    WorkbookRejected,
    locate,
    open_workbook,
    problem,
    read_rows,
)

MAX_TEXT = 500  # characters in one target cell


@dataclass(frozen=True)
class _Form:
    book: Workbook
    identity: FormIdentity
    department: Department


def read_completion(content: Content, department_id: str, data: bytes) -> list[tuple[str, str]]:
    """The (staff_id, status) pairs of a filled annex 5 of `department_id`, in sheet order.

    Rows without a status are skipped; every other problem refuses the whole file.
    """
    sheet = xlsx_completion.SHEET
    with _open_form(content, department_id, data, 5) as form:
        first, last = form.identity.first_row, form.identity.last_row
        _check_header(form.book, sheet, xlsx_completion.HEADER_ROW, xlsx_completion.COLUMNS)
        rows = read_rows(form.book, sheet, first_row=first, last_row=last,
                         max_col=len(xlsx_completion.COLUMNS), labels=_labels(xlsx_completion.COLUMNS))
        _check_footer(form.book, sheet, last + 2, forms_text.completion_note()[:2])
    status_col = xlsx_completion.COLUMNS.index(forms_text.STATUS_HEADER) + 1
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    result: list[tuple[str, str]] = []
    for number, values in rows:
        _serial, name, _post, status_value, staff_value = values[:5]
        staff_id = _text(staff_value)
        status = _text(status_value)
        if not staff_id:
            if status or _text(name):
                problems.append(problem("person_unknown", sheet, number, None, None,
                                        "无法确定这一行是哪位教职工（系统隐藏的工号为空）。请使用系统下载的表格，"
                                        "不要自行增加行。"))
            continue
        member = content.staff(staff_id)
        if member is None or member.department != department_id:
            who = f"工号 {staff_id}" + (f"（{_text(name)}）" if _text(name) else "")
            problems.append(problem("person_foreign", sheet, number, None, None,
                                    f"{who}不是{form.department.name}的教职工。"))
            continue
        if staff_id in seen:
            problems.append(problem("person_duplicate", sheet, number, None, None,
                                    f"{member.name}（工号 {staff_id}）与第 {seen[staff_id]} 行重复。"))
            continue
        seen[staff_id] = number
        if not status:
            continue
        if status not in COMPLETION_STATUSES:
            problems.append(problem("status_unknown", sheet, number, status_col, forms_text.STATUS_HEADER,
                                    f"“{status}”不是有效的完成情况，应为{'、'.join(COMPLETION_STATUSES)}之一。"))
            continue
        result.append((staff_id, status))
    if problems:
        raise WorkbookRejected.of(problems)
    return result


def read_targets(content: Content, department_id: str, data: bytes) -> tuple[str, list[TargetRow]]:
    """The staff_id and target rows of a filled annex 3 of one member of `department_id`.

    Blank rows are skipped; 备注 is not kept. The points must add up to the individual budget.
    """
    sheet = xlsx_targets.SHEET
    budget = content.settings.individual_points
    with _open_form(content, department_id, data, 3) as form:
        member = _member(content, form, sheet)
        first, last = form.identity.first_row, form.identity.last_row
        _check_header(form.book, sheet, xlsx_targets.HEADER_ROW, xlsx_targets.header_titles(content))
        columns = xlsx_targets.COLUMNS
        rows = read_rows(form.book, sheet, first_row=first, last_row=last, max_col=len(columns),
                         labels=_labels(columns))
        _check_footer(form.book, sheet, last + 1, forms_text.TOTAL)
    fields = (COL_CONTENT, COL_POINTS, COL_EVIDENCE, COL_DEADLINE)
    index = {name: columns.index(name) for name in fields}
    problems: list[Problem] = []
    targets: list[TargetRow] = []
    for number, values in rows:
        cells = {name: values[index[name]] for name in fields}
        remark = values[columns.index(forms_text.REMARK)]
        if all(_text(v) == "" for v in (*cells.values(), remark)):
            continue
        row_problems: list[Problem] = []
        texts_read: dict[str, str] = {}
        for name in (COL_CONTENT, COL_EVIDENCE, COL_DEADLINE):
            text = _text(cells[name])
            col = index[name] + 1
            if not text:
                row_problems.append(problem("value_missing", sheet, number, col, name, f"{name}不能为空。"))
            elif len(text) > MAX_TEXT:
                row_problems.append(problem("value_too_long", sheet, number, col, name,
                                            f"内容过长（{len(text)} 字，上限 {MAX_TEXT} 字）。"))
            texts_read[name] = text
        points = _number(cells[COL_POINTS])
        col = index[COL_POINTS] + 1
        if cells[COL_POINTS] in (None, "") or (isinstance(cells[COL_POINTS], str) and not cells[COL_POINTS].strip()):
            row_problems.append(problem("value_missing", sheet, number, col, COL_POINTS, "分值不能为空。"))
        elif points is None or not 0 < points <= budget:
            row_problems.append(problem("value_invalid", sheet, number, col, COL_POINTS,
                                        f"分值应为大于 0、不超过 {budget} 的数字，实际为“{_text(cells[COL_POINTS])}”。"))
        if row_problems:
            problems.extend(row_problems)
            continue
        targets.append(TargetRow(content=texts_read[COL_CONTENT], points=float(points or 0),
                                 evidence=texts_read[COL_EVIDENCE], deadline=texts_read[COL_DEADLINE]))
    if problems:
        raise WorkbookRejected.of(problems)
    if not targets:
        raise WorkbookRejected("targets_empty", f"{locate(sheet)}：没有填写任何目标。")
    total = sum(t.points for t in targets)
    if abs(total - budget) > 1e-9:
        raise WorkbookRejected("targets_total", f"{locate(sheet)}：{member.name}的个性目标分值合计应为 {budget} 分，"
                               f"实际为 {num(total)} 分。", sheet=sheet)
    return member.staff_id, targets


def read_monthly(content: Content, department_id: str, data: bytes) -> tuple[int, list[dict[str, Value]]]:
    """The month and the rows of a filled annex 4 of `department_id`, keyed 工号 and by the
    annex-4 column names, ready for `scoring.parse_monthly_rows` (which judges the values)."""
    sheet = xlsx_monthly.SHEET
    columns = xlsx_monthly.COLUMNS
    with _open_form(content, department_id, data, 4) as form:
        month = form.identity.month
        if not 1 <= month <= 12:
            raise WorkbookRejected("form_unknown", "表格没有记录报送月份，请重新下载指定月份的附件4。")
        _check_header(form.book, sheet, xlsx_monthly.HEADER_ROW, _monthly_header())
        rows = read_rows(form.book, sheet, first_row=form.identity.first_row, last_row=form.identity.last_row,
                         max_col=len(columns), labels=_labels(columns))
        _check_footer(form.book, sheet, form.identity.last_row + 2, forms_text.monthly_note(content)[:4])
    result: list[dict[str, Value]] = []
    for number, values in rows:
        staff_id = _text(values[-1])
        if not staff_id:
            raise WorkbookRejected.of([problem("person_unknown", sheet, number, None, None,
                                               "无法确定这一行是哪位教职工（系统隐藏的工号为空）。请使用系统下载的表格，"
                                               "不要自行增加行。")])
        row: dict[str, Value] = {forms_text.STAFF_ID: staff_id}
        for index, name in enumerate(columns[2:-1], 2):
            value = values[index]
            row[name] = value.strip() if isinstance(value, str) else value
        result.append(row)
    return month, result


def _monthly_header() -> tuple[str, ...]:
    """Row 5 of annex 4: the serial, name, business and 工号 cells are merged from row 4 (blank here)."""
    columns = xlsx_monthly.COLUMNS
    return ("", "", *columns[2:-2], "", "")


# -- the form and its identity --------------------------------------------------------


@contextmanager
def _open_form(content: Content, department_id: str, data: bytes, annex: int) -> Iterator[_Form]:
    department = content.department(department_id)
    if department is None:
        raise UnknownDepartment(f"未知部门：{department_id}")
    with open_workbook(data) as book:
        identity = read_identity(book)
        _check_identity(content, department, identity, annex)
        assert identity is not None
        yield _Form(book=book, identity=identity, department=department)


def expected_version(annex: int) -> str:
    return {3: xlsx_targets.VERSION, 4: xlsx_monthly.VERSION, 5: xlsx_completion.VERSION}[annex]


def _check_identity(content: Content, department: Department, identity: FormIdentity | None,
                    annex: int) -> None:
    wanted = f"附件{annex}（{ANNEX_TITLES[annex]}）"
    if identity is None:
        raise WorkbookRejected("form_unknown", f"无法识别此表格：它不是从本系统下载的表格，或识别信息已丢失。请登录后下载"
                               f"本部门的{wanted}，填写后再上传。")
    if identity.annex != annex:
        got = f"附件{identity.annex}（{ANNEX_TITLES.get(identity.annex, '未知表格')}）"
        raise WorkbookRejected("form_wrong_annex", f"上传的是{got}，这里需要{wanted}。")
    year = content.settings.year
    if identity.year != year:
        raise WorkbookRejected("form_wrong_year", f"这是 {identity.year} 年度的表格，当前为 {year} 年度。"
                               "请重新下载本年度的表格填写。")
    if identity.version != expected_version(annex):
        raise WorkbookRejected("form_outdated", f"表格格式已更新，上传的是旧版表格（版本 {identity.version}，"
                               f"当前版本 {expected_version(annex)}）。请重新下载最新的{wanted}，把内容填入新表后再上传。")
    if not identity.department:
        raise WorkbookRejected("form_blank", "这是门户网站上的空白表格，无法确定所属部门和人员。请登录后下载本部门预先"
                               "填好名册的表格填写。")
    if identity.department != department.id:
        other = content.department(identity.department)
        name = other.name if other else identity.department
        raise WorkbookRejected("form_wrong_department", f"这是{name}的表格，不能作为{department.name}的表格上传。")
    if identity.first_row < 1 or identity.last_row < identity.first_row:
        raise WorkbookRejected("form_unknown", "表格识别信息不完整，请重新下载表格。")


def _member(content: Content, form: _Form, sheet: str) -> StaffMember:
    staff_id = form.identity.staff_id
    if not staff_id:
        raise WorkbookRejected("form_blank", "这是空白表格，无法确定责任人。请登录后下载该教职工预先填好的附件3。")
    member = content.staff(staff_id)
    if member is None or member.department != form.department.id:
        raise WorkbookRejected("person_foreign", f"{locate(sheet)}：工号 {staff_id} 不是{form.department.name}"
                               "的教职工（可能已调离），请重新下载表格。", sheet=sheet)
    return member


def _check_header(book: Workbook, sheet: str, row: int, titles: tuple[str, ...]) -> None:
    [(_, values)] = read_rows(book, sheet, first_row=row, last_row=row, max_col=len(titles))
    for column, (want, got) in enumerate(zip(titles, values, strict=True), 1):
        if _squash(want) != _squash(_text(got)):
            raise WorkbookRejected.of([problem(
                "form_layout", sheet, row, column, None,
                f"表头应为“{_squash(want)}”，实际为“{_text(got)}”。表格的行列被改动过，请重新下载表格填写，"
                "不要插入、删除或移动行列。")])


def _check_footer(book: Workbook, sheet: str, row: int, starts: str) -> None:
    found = read_rows(book, sheet, first_row=row, last_row=row, max_col=1)
    text = _text(found[0][1][0]) if found else ""
    if not text.startswith(starts):
        raise WorkbookRejected.of([problem(
            "form_layout", sheet, row, 1, None,
            "表格的行数被改动过（表尾位置不对）。请重新下载表格填写，不要插入或删除行。")])


def _labels(columns: tuple[str, ...]) -> dict[int, str]:
    return {i: _squash(name) for i, name in enumerate(columns, 1)}


def _squash(text: str) -> str:
    return "".join(text.split())


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None
