"""Filled forms for the reader tests: a generated workbook edited as a clerk's spreadsheet
program would, and the refusal a reader gives.

Import from a test module as `from sheets import ...` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from service.office.safe_reader import WorkbookRejected


def edit(data: bytes, sheet: str, cells: dict[str, object] | Callable[[Worksheet], Any]) -> bytes:
    """Open a form, set cells (or let `cells` change the sheet), save."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    if callable(cells):
        cells(book[sheet])
    else:
        for ref, value in cells.items():
            book[sheet][ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(call: object, *args: object, **kwargs: object) -> WorkbookRejected:
    with pytest.raises(WorkbookRejected) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value


def completion_with(downloaded: bytes, statuses: dict[str, str]) -> bytes:
    """An annex 5 as downloaded, with the 完成情况 of some people (staff_id → status) chosen in it."""
    def choose(sheet: Worksheet) -> None:
        for row in range(5, sheet.max_row + 1):
            staff_id = str(sheet.cell(row, 5).value or "")
            if staff_id in statuses:
                sheet.cell(row, 4).value = statuses[staff_id]
    return edit(downloaded, "附件5", choose)


def merged(ref: str, value: object) -> Callable[[Worksheet], None]:
    """Type `value` into every cell of `ref`, then merge them, as a clerk tidying a sheet does."""
    def change(sheet: Worksheet) -> None:
        for row in sheet[ref]:
            for cell in row:
                cell.value = value
        sheet.merge_cells(ref)
    return change
