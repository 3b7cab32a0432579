"""The look of every workbook the service writes: fonts, fills, borders, A4 print setup, protection.

Fonts follow the paper forms: 宋体 for the body, 黑体 for titles. Every cell the annex
generators write goes through `put`, which writes text with `cells.put_text` (a literal
string, quote-prefixed when it starts like a formula, control characters dropped). HR's
report sheets (the completion export and the score sheet) have their own, plainer look:
a 黑体 title row, a shaded header row, 宋体 body cells.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from service.office.cells import put_text

AUTHOR = "教职工岗位工作目标责任状门户"  # the files' author (creator) property
BODY_FONT = "宋体"
TITLE_FONT = "黑体"
BODY_SIZE = 11
SMALL_SIZE = 10

FONT_BODY = Font(name=BODY_FONT, size=BODY_SIZE)
FONT_SMALL = Font(name=BODY_FONT, size=SMALL_SIZE)
FONT_HEAD = Font(name=BODY_FONT, size=BODY_SIZE, bold=True)
FONT_LABEL = Font(name=TITLE_FONT, size=12)  # "附件5："
FONT_TITLE = Font(name=TITLE_FONT, size=16)

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1)
RIGHT = Alignment(horizontal="right", vertical="center", wrap_text=False)
LEFT_TOP = Alignment(horizontal="left", vertical="top", wrap_text=True)

UNLOCKED = Protection(locked=False)

REPORT_TITLE_FONT = Font(name=TITLE_FONT, bold=True, size=14)
REPORT_HEADER_FONT = Font(name=TITLE_FONT, bold=True)
REPORT_BODY_FONT = Font(name=BODY_FONT)
REPORT_HEADER_FILL = PatternFill("solid", fgColor="DDE3F0")
REPORT_BODY_ALIGN = Alignment(vertical="center", wrap_text=True)

LINE_HEIGHT = 14.5  # points per line of 11 pt 宋体
_WIDE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def put(
    sheet: Worksheet,
    ref: str,
    value: str | float | None,
    *,
    font: Font = FONT_BODY,
    align: Alignment = CENTER,
    border: bool = False,
    unlocked: bool = False,
) -> Cell:
    cell = sheet[ref]
    if isinstance(value, str):
        put_text(cell, value)  # a literal string, never a formula
    else:
        cell.value = value
    cell.font = font
    cell.alignment = align
    if border:
        cell.border = BORDER
    if unlocked:
        cell.protection = UNLOCKED
    return cell


def merge(
    sheet: Worksheet,
    ref: str,
    value: str | float | None,
    *,
    font: Font = FONT_BODY,
    align: Alignment = CENTER,
    border: bool = False,
    unlocked: bool = False,
) -> Cell:
    """Merge a range, write its top-left cell and style every cell (borders need each one)."""
    sheet.merge_cells(ref)
    first = ref.partition(":")[0]
    cell = put(sheet, first, value, font=font, align=align, border=border, unlocked=unlocked)
    for row in sheet[ref]:
        for other in row:
            if other.coordinate != first:
                other.font = font
                other.alignment = align
                if border:
                    other.border = BORDER
    return cell


def formula(sheet: Worksheet, ref: str, text: str, *, font: Font = FONT_HEAD, border: bool = True) -> Cell:
    """A formula the generator itself writes (totals): the only formulas in a form."""
    cell = sheet[ref]
    cell.value = text
    cell.font = font
    cell.alignment = CENTER
    if border:
        cell.border = BORDER
    return cell


def heading(sheet: Worksheet, label: str, lines: Sequence[str], last_col: int) -> None:
    """Row 1 the annex label ("附件5："), row 2 the title centred over the table, as on paper."""
    put(sheet, "A1", label, font=FONT_LABEL, align=Alignment(horizontal="left", vertical="center"))
    sheet.row_dimensions[1].height = 20
    merge(sheet, f"A2:{get_column_letter(last_col)}2", "\n".join(lines), font=FONT_TITLE)
    sheet.row_dimensions[2].height = 26 * len(lines) + 6


def set_widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def text_width(text: str) -> float:
    """Width in spreadsheet character units: a Han character counts about two."""
    wide = len(_WIDE.findall(text))
    return wide * 2.0 + (len(text) - wide) * 1.1


def lines_needed(text: str, width: float) -> int:
    usable = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(text_width(part) / usable)) for part in (text or "").split("\n"))


def fit_height(sheet: Worksheet, row: int, cells: Iterable[tuple[str, float]], minimum: float = 24.0) -> None:
    """Set a row height that shows all wrapped text (Excel does not autofit on open)."""
    lines = max((lines_needed(text, width) for text, width in cells), default=1)
    sheet.row_dimensions[row].height = max(minimum, lines * LINE_HEIGHT + 6)


LANDSCAPE_PIXELS = 1000  # A4 landscape inside 0.5-inch margins, at 96 dpi
PORTRAIT_PIXELS = 700
SHRINK_AT_MOST = 1.25  # columns this much wider than the page are still scaled to fit it
MAX_COLUMN = 40.0  # a wider value wraps


def a4_one_page_wide(sheet: Any) -> None:
    """Print on A4, scaled to one page wide and as many pages long as it takes."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def page_setup(sheet: Worksheet, *, landscape: bool, title_rows: str | None, last_col: int,
               last_row: int) -> None:
    """A4, fit to one page wide, centred, with the header rows repeated on every page."""
    a4_one_page_wide(sheet)
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.center.font = BODY_FONT
    sheet.sheet_view.showGridLines = False


def report_setup(sheet: Any, *, landscape: bool = False) -> None:
    """A report sheet: rows 1 (title) and 2 (header) stay in view and row 2 repeats on every page.

    `sheet` may be a write-only sheet, which has the same print properties.
    """
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    if landscape:
        sheet.page_setup.orientation = "landscape"
    sheet.sheet_view.showGridLines = False
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.center.font = BODY_FONT


def column_pixels(width: float) -> int:
    """A column's printed width in pixels at 96 dpi (a width unit is a digit of the default font)."""
    return int(width * 7 + 5)


def print_columns(sheet: Any, widths: Sequence[float], key_columns: int, *, landscape: bool = True) -> int:
    """A4 at full size, landscape unless asked for portrait and the columns fit it: scaled to one
    page wide when the columns nearly fit; otherwise split across pages between columns, the
    first `key_columns` (who a row is) repeated on each. Returns how many columns the first
    page prints."""
    pixels = [column_pixels(w) for w in widths]
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    if landscape or sum(pixels) > PORTRAIT_PIXELS:
        sheet.page_setup.orientation = "landscape"
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    if sum(pixels) <= LANDSCAPE_PIXELS * SHRINK_AT_MOST:
        a4_one_page_wide(sheet)
        return len(widths)
    sheet.page_setup.scale = 100
    keys = max(1, min(key_columns, len(widths) - 1))
    sheet.print_title_cols = f"A:{get_column_letter(keys)}"
    room = LANDSCAPE_PIXELS - sum(pixels[:keys])
    used = 0
    for index in range(keys, len(pixels)):
        if used and used + pixels[index] > room:
            sheet.col_breaks.append(Break(id=index))  # a page ends after column `index` (1-based)
            used = 0
        used += pixels[index]
    return sheet.col_breaks.brk[0].id if sheet.col_breaks.brk else len(widths)


def fitted_width(header: str, longest: float, minimum: float) -> float:
    """A column wide enough for its longest value (up to MAX_COLUMN, then it wraps) and for its
    header on at most two lines."""
    return min(MAX_COLUMN, max(minimum, longest + 2, text_width(header) / 2 + 4))  # bold is wider


def report_header(cell: Cell) -> Cell:
    """A header cell of a report sheet: 黑体 bold on a light blue fill, centred, wrapped, bordered."""
    cell.font = REPORT_HEADER_FONT
    cell.fill = REPORT_HEADER_FILL
    cell.alignment = CENTER
    cell.border = BORDER
    return cell


def report_value(cell: Cell, value: Any, *, missing: str = "") -> Cell:
    """A body cell of a report sheet: a number stays a number, anything else is literal text."""
    if value is None:
        put_text(cell, missing)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cell.value = value
    else:
        put_text(cell, value)
    cell.font = REPORT_BODY_FONT
    cell.border = BORDER
    cell.alignment = REPORT_BODY_ALIGN
    return cell


def protect(sheet: Worksheet) -> None:
    """Lock every cell but the unlocked input cells; no password (it guards against slips)."""
    sheet.protection.sheet = True
    sheet.protection.selectLockedCells = False
    sheet.protection.selectUnlockedCells = False
    sheet.protection.formatColumns = False  # widening a column stays allowed
    sheet.protection.formatRows = False


def finish(book: Workbook) -> bytes:
    """Lock the workbook structure (sheets cannot be unhidden or added) and serialise it."""
    book.security = WorkbookProtection(lockStructure=True)
    book.properties.creator = AUTHOR
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
