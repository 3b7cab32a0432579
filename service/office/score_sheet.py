"""HR's score sheet (.xlsx): every person of the college, ranked, plus each month on its own.

The figures are the ones `workflows.scores.ranking` gives the board and the API, written as
numbers; every text cell goes through `cells.put_text` (never a formula).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter

from service.content.formats import num
from service.content.models import Content
from service.office import styles
from service.office.cells import put_text

RULE_NAMES = {"average": "各月平均", "latest": "最近一月", "minimum": "最低一月"}


def columns(content: Content) -> list[str]:
    s = content.settings
    items = [f"共性{i}（{num(t.points)}分）" for i, t in enumerate(content.common_targets, 1)]
    return ["全院名次", "部门内名次", "工号", "姓名", "部门、系", "岗位", *items, "其他项目扣分",
            f"共性目标得分（{s.common_points}分）", f"业务工作目标得分（{s.individual_points}分）",
            f"总分（{s.total_points}分）", "已报月数"]


def score_workbook(content: Content, head: Mapping[str, Any], people: Callable[[], Iterable[Mapping[str, Any]]],
                   out: IO[bytes]) -> None:
    """`head` says what the ranking covers; `people()` gives its people in order, once per sheet.

    Written row by row in openpyxl's write-only mode, each person made when written: at
    10,000 staff the monthly sheet has 120,000 rows, which a normal workbook, or a list of
    everyone's figures, would hold in memory all at once."""
    s = content.settings
    role_names = {r.id: r.name for r in content.roles}
    wb = Workbook(write_only=True)
    through = head.get("through_month")
    span = f"截至{through}月" if through else "全年累计"
    rule = RULE_NAMES.get(head["business_rule"], head["business_rule"])
    ws = _sheet(wb, "得分排名", columns(content),
                f"{s.year}年度教职工岗位工作目标考核得分（{span}，业务工作目标按{rule}）")
    for person in people():
        items = [person["common_by_item"].get(t.id) for t in content.common_targets]
        ws.append(_row(ws, [person["rank"], person["department_rank"], person["staff_id"], person["name"],
                            person["department_name"], role_names.get(person["role"], person["role"]), *items,
                            person["other"], person["common"], person["business"], person["total"],
                            person["months_reported"]]))
    month_heads = ["工号", "姓名", "部门、系", "月份", "共性目标得分", "业务工作目标得分", "当月合计"]
    monthly = _sheet(wb, "各月明细", month_heads, f"{s.year}年度各月考核得分")
    for person in people():
        for month in person["months"]:
            monthly.append(_row(monthly, [person["staff_id"], person["name"], person["department_name"],
                                          f"{month['month']}月", month["common"], month["business"], month["total"]]))
    wb.save(out)


def _sheet(wb: Workbook, title: str, names: Sequence[str], heading: str) -> Any:
    """A write-only sheet with its title row (merged across), header row and print setup."""
    ws = wb.create_sheet(title)
    for c, name in enumerate(names, 1):
        ws.column_dimensions[get_column_letter(c)].width = max(9, min(24, len(name) * 2 + 2))
    styles.report_setup(ws, landscape=True)
    ws.merged_cells.add(f"A1:{get_column_letter(len(names))}1")
    title = put_text(WriteOnlyCell(ws), heading)
    title.font = styles.REPORT_TITLE_FONT
    ws.append([title])
    ws.append([styles.report_header(put_text(WriteOnlyCell(ws), name)) for name in names])
    return ws


def _row(ws: Any, values: Sequence[Any]) -> list[Cell]:
    return [styles.report_value(WriteOnlyCell(ws), value, missing="—") for value in values]
