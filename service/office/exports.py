"""HR exports: the college-wide completion workbook and the zip of current scans."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from service.content.formats import cn_time
from service.content.models import Content
from service.office import styles
from service.office.cells import put_text
from service.rules.board import Board

STAFF_COLUMNS = ("序号", "工号", "姓名", "岗位、职务", "完成情况", "扫描件版本数", "最近上传时间")
SUMMARY_COLUMNS = ("部门、系", "类别", "应签人数", "完成", "请假（免签）", "未完成", "完成率(%)", "逾期",
                   "未完成中需重签", "完成中目标未审定")
_UNSAFE_PATH = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\u202a-\u202e]')


def completion_workbook(content: Content, board: Board,
                        staff: Mapping[str, Sequence[Mapping[str, Any]]], out: IO[bytes]) -> None:
    """Annex-5 columns per department (one sheet each) plus a summary sheet first."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "汇总"
    _header(summary, SUMMARY_COLUMNS, f"{content.settings.year}年度责任状签订完成情况汇总")
    for r, row in enumerate(board.departments, 3):
        c = row.counts
        values = (row.name, row.kind, c.staff, c.completed, c.exempt, c.outstanding, c.percent,
                  "是" if row.overdue else "否", c.resign, c.unapproved)
        _row(summary, r, values)
    t = board.totals
    _row(summary, len(board.departments) + 3, ("全院合计", "", t.staff, t.completed, t.exempt, t.outstanding,
                                                t.percent, "", t.resign, t.unapproved))
    for department in content.departments:
        ws = wb.create_sheet(_sheet_title(department.name))
        _header(ws, STAFF_COLUMNS, f"{department.name} 教职工岗位工作目标责任状签订完成情况统计表")
        for r, person in enumerate(staff.get(department.id, ()), 3):
            versions = person["versions"]
            _row(ws, r, (r - 2, person["staff_id"], person["name"], person["post"], person["status"],
                         len(versions), cn_time(versions[-1]["uploaded_at"]) if versions else ""))
    wb.save(out)


def safe_path_part(text: str) -> str:
    cleaned = _UNSAFE_PATH.sub("_", text).strip().strip(".")
    return cleaned[:80] or "_"


def contracts_zip(content: Content, latest: Sequence[Mapping[str, Any]], data_dir: Path, out: IO[bytes]) -> int:
    """Every person's current scan as 部门/工号-姓名-v版本.ext; returns the number of files."""
    names = {d.id: d.name for d in content.departments}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for record in latest:
            member = content.staff(record["staff_id"])
            person = member.name if member else ""
            folder = safe_path_part(names.get(record["department"], record["department"]))
            name = safe_path_part(f"{record['staff_id']}-{person}-v{record['version']}.{record['ext']}")
            archive.write(data_dir / record["file"], f"{folder}/{name}")
    return len(latest)


def _sheet_title(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def _header(ws: Worksheet, columns: Sequence[str], title: str) -> None:
    put_text(ws.cell(1, 1), title).font = styles.REPORT_TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    for c, name in enumerate(columns, 1):
        styles.report_header(put_text(ws.cell(2, c), name))
        ws.column_dimensions[get_column_letter(c)].width = max(10, len(name) * 2 + 4)
    styles.report_setup(ws)


def _row(ws: Worksheet, r: int, values: Sequence[Any]) -> None:
    for c, value in enumerate(values, 1):
        styles.report_value(ws.cell(r, c), value)
