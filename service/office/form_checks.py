"""What every annex reader checks of an uploaded form before it reads the rows.

The upload must be a form this portal generated (its identity) for the annex, year, template
version and department expected; its header row must read as generated and its footer sit
where it was generated, so inserted, deleted or moved rows and columns are noticed; merged
cells among its data rows are refused (only the first cell of a merge has a value). Every
refusal is a `WorkbookRejected` whose Chinese message names the sheet, row and column.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from openpyxl.utils import range_boundaries
from openpyxl.workbook.workbook import Workbook

from service.content.forms_text import ANNEX_TITLES
from service.content.models import Content, Department, StaffMember
from service.content.text_forms import compact_name
from service.errors import quoted
from service.office.cells import cell_text
from service.office.identity import FormIdentity, department_of, read_identity
from service.office.safe_reader import (
    Problem,
    Value,
    WorkbookRejected,
    merged_ranges,
    open_workbook,
    problem,
    read_rows,
)


@dataclass(frozen=True)
class Form:
    """An uploaded form whose identity matched: the open workbook, its identity, its department."""

    book: Workbook
    identity: FormIdentity
    department: Department

    def rows(self, sheet: str, columns: tuple[str, ...], *, name_column: int = 0,
             person: str = "") -> list[tuple[int, list[Value]]]:
        """The data rows the form was generated with, each cell named by its column if refused.
        Merged cells among them are refused, naming the people of their rows (the name in
        `name_column`, else `person`)."""
        first, last = self.identity.first_row, self.identity.last_row
        found = read_rows(self.book, sheet, first_row=first, last_row=last, max_col=len(columns),
                          labels={i: _squash(name) for i, name in enumerate(columns, 1)})
        names = {number: cell_text(values[name_column - 1]) for number, values in found} if name_column else {}
        check_merged(self.book, sheet, (first, last), len(columns), names, person)
        return found


@contextmanager
def open_form(content: Content, department_id: str, data: bytes, annex: int, version: str) -> Iterator[Form]:
    """Open an upload as annex `annex` of `department_id` in template `version`, or refuse it."""
    department = department_of(content, department_id)
    assert department is not None
    with open_workbook(data) as book:
        identity = read_identity(book)
        identity = _check_identity(content, department, identity, annex, version)
        yield Form(book=book, identity=identity, department=department)


def check_header(book: Workbook, sheet: str, row: int, titles: tuple[str, ...]) -> None:
    """Refuse a form whose header row differs from `titles` (white space aside)."""
    [(_, values)] = read_rows(book, sheet, first_row=row, last_row=row, max_col=len(titles))
    for column, (want, got) in enumerate(zip(titles, values, strict=True), 1):
        if _squash(want) != _squash(cell_text(got)):
            raise WorkbookRejected.of([problem(
                "form_layout", sheet, row, column, None,
                f"表头应为“{_squash(want)}”，实际为“{quoted(_squash(cell_text(got)))}”。表格的行列被改动过，请重新下载表格填写，"
                "不要插入、删除或移动行列。")])


def check_footer(book: Workbook, sheet: str, row: int, starts: str) -> None:
    """Refuse a form whose footer note (column A of `row`) does not start with `starts`."""
    found = read_rows(book, sheet, first_row=row, last_row=row, max_col=1)
    text = cell_text(found[0][1][0]) if found else ""
    if not text.startswith(starts):
        raise WorkbookRejected.of([problem(
            "form_layout", sheet, row, 1, None,
            "表格的行数被改动过（表尾位置不对）。请重新下载表格填写，不要插入或删除行。")])


STRAY_ROWS = 200  # rows below a form's last printed line that are checked for stray entries


def person_unknown(sheet: str, row: int, column: int, label: str, name: str = "") -> Problem:
    """A row whose hidden 工号 cell is empty: the reader cannot tell whose row it is."""
    who = f"“{name}”这一行" if name else "这一行"
    return problem("person_unknown", sheet, row, column, label,
                   f"无法确定{who}是哪位教职工（系统隐藏的工号为空）。请使用系统下载的表格，不要自行增加行。")


def names_differ(typed: str, member: StaffMember) -> bool:
    """The name typed in a row is not the member's, both in their one written form (spaces, as
    in 张　三, and invisible characters do not count)."""
    return compact_name(typed) != compact_name(member.name)


def name_mismatch(sheet: str, row: int, column: int, label: str, typed: str, member: StaffMember) -> Problem:
    """A row whose name is not the name of the person its hidden 工号 names."""
    return problem("person_mismatch", sheet, row, column, label,
                   f"姓名“{typed}”与本行隐藏的工号 {member.staff_id}（{member.name}）不符，已拒收，以免记到别人名下。"
                   "请不要改动姓名，也不要对行排序或移动；请重新下载表格填写。")


def check_merged(book: Workbook, sheet: str, rows: tuple[int, int], width: int, names: Mapping[int, str],
                 person: str = "") -> None:
    """Refuse merged cells in rows `rows` (first, last) of the first `width` columns: Excel and WPS
    keep only the first cell's value, so everyone else in the merge would silently be stored blank."""
    first, last = rows
    found: list[Problem] = []
    for ref in merged_ranges(book, sheet):
        try:
            min_col, min_row, _max_col, max_row = range_boundaries(ref)
        except (TypeError, ValueError):
            continue
        if min_col is None or min_row is None or max_row is None or max_row < first or min_row > last \
                or min_col > width:
            continue
        who = "、".join(dict.fromkeys(n for n in (names.get(r, "") for r in range(max(min_row, first),
                                                                             min(max_row, last) + 1)) if n))
        who = who or person
        found.append(problem(
            "cells_merged", sheet, min_row, min_col, None,
            f"单元格 {ref} 被合并了{f'（涉及{who}）' if who else ''}。合并后只保留第一个单元格的内容，其余的会被当作空白，"
            "已拒收，未保存任何内容。请取消合并，每人每格分别填写后重新上传。"))
    if found:
        raise WorkbookRejected.of(found)


def check_outside(book: Workbook, sheet: str, spans: Sequence[tuple[int, int]], columns: Sequence[str]) -> None:
    """Refuse anything typed in the rows of `spans` (below or between a form's parts): such a
    row belongs to nobody and would otherwise be dropped unnoticed."""
    found: list[Problem] = []
    labels = {i: _squash(name) for i, name in enumerate(columns, 1)}
    for first, last in spans:
        for number, values in read_rows(book, sheet, first_row=first, last_row=last, max_col=len(columns),
                                        labels=labels):
            filled = next(((i, cell_text(v)) for i, v in enumerate(values, 1) if cell_text(v)), None)
            if filled is not None:
                column, text = filled
                found.append(problem("row_outside_table", sheet, number, column, labels[column] or None,
                                     f"表格外填写了“{text[:40]}”：这一行不在系统生成的名册表格内，不会被记录，已拒收。"
                                     "请只在表格内填写；新增人员请联系人事处更新名册后重新下载表格。"))
    if found:
        raise WorkbookRejected.of(found)


def _check_identity(content: Content, department: Department, identity: FormIdentity | None,
                    annex: int, version: str) -> FormIdentity:
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
    if identity.version != version:
        raise WorkbookRejected("form_outdated", f"表格格式已更新，上传的是旧版表格（版本 {identity.version}，"
                               f"当前版本 {version}）。请重新下载最新的{wanted}，把内容填入新表后再上传。")
    if not identity.department:
        raise WorkbookRejected("form_blank", "这是门户网站上的空白表格，无法确定所属部门和人员。请登录后下载本部门预先"
                               "填好名册的表格填写。")
    if identity.department != department.id:
        other = content.department(identity.department)
        name = other.name if other else identity.department
        raise WorkbookRejected("form_wrong_department", f"这是{name}的表格，不能作为{department.name}的表格上传。")
    if identity.first_row < 1 or identity.last_row < identity.first_row:
        raise WorkbookRejected("form_unknown", "表格识别信息不完整，请重新下载表格。")
    return identity


def _squash(text: str) -> str:
    return "".join(text.split())
