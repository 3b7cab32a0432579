"""HR exports: the college-wide completion workbook and the zip of current scans."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from service.content.codes import EMPTY_LABEL
from service.content.models import Content
from service.office import report_book
from service.rules.board import Board

STAFF_COLUMNS = ("序号", "工号", "姓名", "岗位、职务", "完成情况", "扫描件版本数", "最近上传时间")
SUMMARY_COLUMNS = ("部门、系", "类别", "应签人数", "完成", "请假（免签）", "未完成", "完成率(%)", "逾期",
                   "未完成中需重签", "完成中目标未审定")
_UNSAFE_PATH = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\u202a-\u202e]')


def completion_workbook(content: Content, board: Board,
                        staff: Callable[[str], Iterable[Sequence[Any]]], out: IO[bytes]) -> None:
    """Annex-5 columns per department (one sheet each) plus a summary sheet first. `staff(id)`
    gives a department's people as (工号, 姓名, 岗位、职务, 完成情况, 扫描件版本数, 最近上传时间)."""
    year = content.settings.year
    layouts = [_layout("汇总", SUMMARY_COLUMNS, f"{year}年度责任状签订完成情况汇总")]
    layouts += [_layout(_sheet_title(d.name), STAFF_COLUMNS, f"{d.name} 教职工岗位工作目标责任状签订完成情况统计表")
                for d in content.departments]
    report_book.write(layouts, _rows(content, board, staff), out)


def _rows(content: Content, board: Board,
          staff: Callable[[str], Iterable[Sequence[Any]]]) -> Iterator[tuple[int, Sequence[Any]]]:
    for row in board.departments:
        c = row.counts
        yield 0, (row.name, row.kind, c.staff, c.completed, c.exempt, c.outstanding,
                  EMPTY_LABEL if c.empty else c.percent, "是" if row.overdue else EMPTY_LABEL if c.empty else "否",
                  c.resign, c.unapproved)
    t = board.totals
    yield 0, ("全院合计", "", t.staff, t.completed, t.exempt, t.outstanding, t.percent, "", t.resign, t.unapproved)
    for sheet, department in enumerate(content.departments, 1):
        for number, person in enumerate(staff(department.id), 1):
            yield sheet, (number, *person)


def _layout(title: str, columns: Sequence[str], heading: str) -> report_book.Layout:
    return report_book.Layout(title, heading, columns, [8] * len(columns), landscape=True, key_columns=3)


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
