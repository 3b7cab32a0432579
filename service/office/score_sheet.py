"""HR's score sheet (.xlsx): every person of the college, ranked, plus each month on its own.

The figures are the ones `workflows.scores.ranking` gives the board and the API, written as
numbers; text is written as literal text (never a formula). Each person's score is worked
out once, as the rows are written (office/report_book.py streams them): at 10,000 staff the
monthly sheet has 120,000 rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Any

from service.content.formats import num
from service.content.models import Content
from service.office import report_book
from service.workflows.scores import Ranking

RULE_NAMES = {"average": "各月平均", "latest": "最近一月", "minimum": "最低一月"}
RANKING, MONTHS = 0, 1  # the sheets
MONTH_COLUMNS = ("工号", "姓名", "部门、系", "月份", "共性目标得分", "业务工作目标得分", "当月合计")
RANKING_KEYS, MONTH_KEYS = 4, 2  # 全院名次 … 姓名, 工号 and 姓名: repeated on each page of a split sheet


def columns(content: Content) -> list[str]:
    s = content.settings
    items = [f"共性{i}（{num(t.points)}分）" for i, t in enumerate(content.common_targets, 1)]
    return ["全院名次", "部门内名次", "工号", "姓名", "部门、系", "岗位", *items, "其他项目扣分",
            f"共性目标得分（{s.common_points}分）", f"业务工作目标得分（{s.individual_points}分）",
            f"总分（{s.total_points}分）", "已报月数"]


def score_workbook(content: Content, ranking: Ranking, out: IO[bytes]) -> None:
    """The ranking the user may see, in ranking order, and each of its people's months."""
    s = content.settings
    through = ranking.head.get("through_month")
    span = f"截至{through}月" if through else "全年累计"
    rule = RULE_NAMES.get(ranking.head["business_rule"], ranking.head["business_rule"])
    layouts = [_layout("得分排名", f"{s.year}年度教职工岗位工作目标考核得分（{span}，业务工作目标按{rule}）",
                       columns(content), RANKING_KEYS),
               _layout("各月明细", f"{s.year}年度各月考核得分", MONTH_COLUMNS, MONTH_KEYS)]
    report_book.write(layouts, _rows(content, ranking), out)


def _layout(title: str, heading: str, names: Sequence[str], key_columns: int) -> report_book.Layout:
    return report_book.Layout(title, heading, names, [7] * len(names), landscape=True, missing="—",
                              key_columns=key_columns)


def _rows(content: Content, ranking: Ranking) -> Iterator[tuple[int, list[Any]]]:
    roles = {r.id: r.name for r in content.roles}
    item_ids = [t.id for t in content.common_targets]
    for ranked in ranking.shown:
        person = ranked.score
        department = ranking.names.get(person.department, person.department)
        items = {i.item_id: i.score for i in person.common_by_item}
        yield RANKING, [ranked.rank, ranking.in_department.get(person.staff_id), person.staff_id, person.name,
                        department, roles.get(person.role, person.role), *(items.get(i) for i in item_ids),
                        person.other, person.common, person.business, person.total, person.months_reported]
        for month in person.months:
            yield MONTHS, [person.staff_id, person.name, department, f"{month.month}月", month.common,
                           month.business, month.total]
