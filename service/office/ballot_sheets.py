"""The files of a 民主测评 round: the paper ballot sheet (Word, one table of candidates with a box
per choice, nothing that names the voter) and the tally workbook (counts per choice, 优秀率)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook

from service.office import docx_base, styles


def ballot_sheet(title: str, unit: str, candidates: Sequence[Mapping[str, str]], choices: Sequence[str],
                 window: str) -> bytes:
    """A4 sheet: the round's title, how to mark it, a row per candidate with a box per choice."""
    doc = docx_base.new_document()
    docx_base.add_title(doc, [title, "民主测评票"])
    docx_base.add_paragraph(doc, f"测评单位：{unit}　　投票时间：{window}", after=4)
    docx_base.add_paragraph(doc, "请在每位被测评人对应的测评等次栏内画“√”，每人只选一项；本票不记名，"
                            "请勿在票上书写姓名或作任何标记。", after=6)
    widths = [1.2, 3.0, 4.4] + [8.4 / max(len(choices), 1)] * len(choices)
    table = docx_base.new_table(doc, len(candidates) + 1, widths)
    for column, label in enumerate(["序号", "姓名", "岗位", *choices]):
        docx_base.write_cell(table.rows[0].cells[column], label, bold=True)
    for number, person in enumerate(candidates, start=1):
        cells = table.rows[number].cells
        docx_base.row_height(table.rows[number], 0.8)
        docx_base.write_cell(cells[0], str(number))
        docx_base.write_cell(cells[1], person.get("name", ""))
        docx_base.write_cell(cells[2], person.get("post", ""))
        for column in range(len(choices)):
            docx_base.write_cell(cells[3 + column], "□")
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def tally_workbook(data: Mapping[str, Any]) -> bytes:
    """The tally of a closed round, one row per candidate: counts per choice, ballots, 优秀率."""
    choices: list[str] = list(data["choices"])
    book = Workbook()
    sheet = book.active
    sheet.title = "计票结果"
    columns = ["工号", "姓名", "岗位", *choices, "有效票", "优秀率（%）"]
    sheet.append([data["title"]])
    sheet["A1"].font = styles.REPORT_TITLE_FONT
    sheet.append([f"测评单位：{data['unit_name']}；收回选票 {data['ballots']} 张，应投 {data['eligible']} 人；"
                  f"本单位优秀率 {_rate(data['unit_rate'])}"])
    sheet.append([])
    for column, label in enumerate(columns, start=1):
        styles.report_header(styles.report_value(sheet.cell(row=4, column=column), label))
    for offset, line in enumerate(data["lines"]):
        values = [line["staff_id"], line["name"], line["post"], *(line["counts"][c] for c in choices),
                  line["ballots"], line["excellent_rate"]]
        for column, value in enumerate(values, start=1):
            styles.report_value(sheet.cell(row=5 + offset, column=column), value, missing="—")
    styles.set_widths(sheet, [12, 10, 18, *([9] * len(choices)), 9, 11])
    styles.a4_one_page_wide(sheet)
    sheet.page_setup.orientation = "landscape"
    sheet.freeze_panes = "A5"
    sheet.print_title_rows = "4:4"
    book.properties.creator = styles.AUTHOR
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value}%"
