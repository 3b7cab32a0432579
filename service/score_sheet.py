"""HR's score sheet (.xlsx): every person of the college, ranked, plus each month on its own.

The figures are the ones `workflows.scores.report` gives the board and the API, written as
numbers; every text cell goes through `spreadsheet.put_text` (never a formula).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from service.models import Content
from service.pages import num
from service.spreadsheet import put_text

HEADER_FONT = Font(name="黑体", bold=True)
BODY_FONT = Font(name="宋体")
HEADER_FILL = PatternFill("solid", fgColor="DDE3F0")
RULE_NAMES = {"average": "各月平均", "latest": "最近一月", "minimum": "最低一月"}


def columns(content: Content) -> list[str]:
    s = content.settings
    items = [f"共性{i}（{num(t.points)}分）" for i, t in enumerate(content.common_targets, 1)]
    return ["全院名次", "部门内名次", "工号", "姓名", "部门、系", "岗位", *items, "其他项目扣分",
            f"共性目标得分（{s.common_points}分）", f"业务工作目标得分（{s.individual_points}分）",
            f"总分（{s.total_points}分）", "已报月数"]


def score_workbook(content: Content, report: Mapping[str, Any], out: IO[bytes]) -> None:
    s = content.settings
    role_names = {r.id: r.name for r in content.roles}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "得分排名"
    through = report.get("through_month")
    span = f"截至{through}月" if through else "全年累计"
    rule = RULE_NAMES.get(report["business_rule"], report["business_rule"])
    heads = columns(content)
    _header(ws, heads, f"{s.year}年度教职工岗位工作目标考核得分（{span}，业务工作目标按{rule}）")
    for r, person in enumerate(report["people"], 3):
        items = [person["common_by_item"].get(t.id) for t in content.common_targets]
        _row(ws, r, [person["rank"], person["department_rank"], person["staff_id"], person["name"],
                     person["department_name"], role_names.get(person["role"], person["role"]), *items,
                     person["other"], person["common"], person["business"], person["total"],
                     person["months_reported"]])
    monthly = wb.create_sheet("各月明细")
    month_heads = ["工号", "姓名", "部门、系", "月份", "共性目标得分", "业务工作目标得分", "当月合计"]
    _header(monthly, month_heads, f"{s.year}年度各月考核得分")
    r = 3
    for person in report["people"]:
        for month in person["months"]:
            _row(monthly, r, [person["staff_id"], person["name"], person["department_name"], f"{month['month']}月",
                              month["common"], month["business"], month["total"]])
            r += 1
    wb.save(out)


def _header(ws: Worksheet, names: Sequence[str], title: str) -> None:
    put_text(ws.cell(1, 1), title).font = Font(name="黑体", bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(names))
    for c, name in enumerate(names, 1):
        cell = put_text(ws.cell(2, c), name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = max(9, min(24, len(name) * 2 + 2))
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _row(ws: Worksheet, r: int, values: Sequence[Any]) -> None:
    for c, value in enumerate(values, 1):
        cell = ws.cell(r, c)
        if value is None:
            put_text(cell, "—")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            cell.value = value
        else:
            put_text(cell, value)
        cell.font = BODY_FONT
