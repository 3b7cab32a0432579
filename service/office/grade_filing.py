"""The 备案 summary (.xlsx) filed with the supervising authority: per department the people
assessed, per grade, and the ungraded split by reason (试用期, 处分期, 其他), in HR's report look."""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from service.content.codes import GRADE_NONE, GRADE_PENDING, GRADES, UNGRADED_REASONS
from service.office import styles

COLUMNS = ["部门、系", "参加考核人数", *GRADES, f"{GRADE_NONE}合计", *(f"{GRADE_NONE}：{r}" for r in UNGRADED_REASONS),
           GRADE_PENDING, "优秀比例"]
NOTE = ("说明：不定档次按原因分列；试用期指初次就业不满半年，处分期指受处分影响期间，"
        "其他含病假、事假等累计超过半年等情形。")
KEYS = ["name", "people", *GRADES, GRADE_NONE, *UNGRADED_REASONS, GRADE_PENDING]


def filing_title(summary: Mapping[str, Any]) -> str:
    return f"{summary['college']}{summary['year']}年度工作人员考核结果备案表"


def filing_workbook(summary: Mapping[str, Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "考核结果汇总"
    last = get_column_letter(len(COLUMNS))
    styles.merge(sheet, f"A1:{last}1", filing_title(summary), font=styles.REPORT_TITLE_FONT)
    sheet.row_dimensions[1].height = 28
    for column, name in enumerate(COLUMNS, 1):
        styles.report_header(sheet.cell(row=2, column=column, value=name)).border = styles.BORDER
    rows = [*summary["rows"], summary["total"]]
    for offset, row in enumerate(rows, 3):
        values = [row[key] for key in KEYS]
        share = row[GRADES[0]] / row["people"] if row["people"] else 0
        for column, value in enumerate([*values, f"{share:.1%}"], 1):
            cell = styles.report_value(sheet.cell(row=offset, column=column), value)
            cell.border = styles.BORDER
            cell.alignment = styles.LEFT if column == 1 else styles.CENTER
            if row is summary["total"]:
                cell.font = styles.FONT_HEAD
    names = [str(row["name"]) for row in rows]
    widths = [styles.fitted_width(COLUMNS[0], max(map(styles.text_width, names), default=0.0), 12),
              *(styles.fitted_width(name, 0.0, 7) for name in COLUMNS[1:])]
    styles.set_widths(sheet, widths)
    sheet.row_dimensions[2].height = max(styles.lines_needed(name, width)
                                         for name, width in zip(COLUMNS, widths, strict=True)) * styles.LINE_HEIGHT + 8
    styles.report_setup(sheet, landscape=True)
    styles.print_columns(sheet, widths, key_columns=1)
    note_row = len(rows) + 4
    styles.merge(sheet, f"A{note_row}:{last}{note_row}", NOTE, font=styles.FONT_SMALL, align=styles.LEFT_TOP)
    styles.fit_height(sheet, note_row, [(NOTE, sum(widths))])
    sheet.print_area = f"A1:{last}{note_row}"
    book.properties.creator = styles.AUTHOR
    book.properties.title = filing_title(summary)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
