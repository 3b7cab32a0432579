"""HR's report workbooks, written at the speed of their rows.

openpyxl (write-only) lays out every sheet: column widths, the print setup, the merged title
row and the header row in the report look of styles.py, and registers the body style of each
column (the plain one and the quote-prefixed one for text that starts like a formula). The
body rows, which run to 130,000 at 10,000 staff, are then written as SpreadsheetML straight
into each sheet of the saved package in those styles: openpyxl's cell objects cost about
5 µs a cell, which makes a college's score sheet tens of seconds; a row of text costs a
fraction of that. Text is cleaned like every other cell (`cells.clean_text`: no control
character, never a formula), numbers stay numbers.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from service.office import styles
from service.office.cells import FORMULA_PREFIXES, clean_text, put_text

FIRST_BODY_ROW = 3
_SPOOL = 4 * 1024 * 1024  # a sheet's rows in memory up to this size, then in a temp file
_ESCAPES = {"\r": "&#13;"}
_BATCH = 1000  # rows written to a sheet's buffer at once
_LEVEL = 1  # deflate level of the package: the fastest, the file about a sixth larger than at 6


@dataclass(frozen=True)
class Layout:
    """One sheet: its tab, the title over it, its columns and their widths."""

    title: str
    heading: str
    columns: Sequence[str]
    widths: Sequence[float]
    landscape: bool = False
    missing: str = ""  # what an empty value shows


@dataclass(frozen=True)
class _Styles:
    letters: tuple[str, ...]
    plain: tuple[int, ...]  # per column: the body style
    quoted: tuple[int, ...]  # per column: the body style of text that starts like a formula


def write(layouts: Sequence[Layout], rows: Iterable[tuple[int, Sequence[Any]]], out: IO[bytes]) -> None:
    """A workbook of `layouts`; `rows` gives (sheet index, values) in each sheet's row order (the
    sheets' rows may come interleaved)."""
    wb = Workbook(write_only=True)
    sheets = [_sheet(wb, layout) for layout in layouts]
    found = [_body_styles(ws, len(layout.columns)) for ws, layout in zip(sheets, layouts, strict=True)]
    bodies = [tempfile.SpooledTemporaryFile(_SPOOL) for _ in layouts]  # noqa: SIM115 - closed below
    try:
        numbers = [FIRST_BODY_ROW] * len(layouts)
        texts: list[dict[Any, tuple[bool, str]]] = [{} for _ in layouts]
        pending: list[list[str]] = [[] for _ in layouts]
        for index, values in rows:
            pending[index].append(_row(numbers[index], values, found[index], layouts[index].missing, texts[index]))
            numbers[index] += 1
            if len(pending[index]) == _BATCH:
                bodies[index].write("".join(pending[index]).encode("utf-8"))
                pending[index].clear()
        for body, rest in zip(bodies, pending, strict=True):
            body.write("".join(rest).encode("utf-8"))
        skeleton = tempfile.SpooledTemporaryFile(_SPOOL)  # noqa: SIM115 - closed below
        with skeleton:
            wb.save(skeleton)
            members = {ws.path.lstrip("/"): body for ws, body in zip(sheets, bodies, strict=True)}
            skeleton.seek(0)
            _fill(skeleton, members, out)
    finally:
        for body in bodies:
            body.close()


def _sheet(wb: Workbook, layout: Layout) -> Any:
    ws = wb.create_sheet(layout.title)
    for c, width in enumerate(layout.widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    styles.report_setup(ws, landscape=layout.landscape)
    ws.merged_cells.add(f"A1:{get_column_letter(len(layout.columns))}1")
    title = put_text(WriteOnlyCell(ws), layout.heading)
    title.font = styles.REPORT_TITLE_FONT
    ws.append([title])
    ws.append([styles.report_header(put_text(WriteOnlyCell(ws), name)) for name in layout.columns])
    return ws


def _body_styles(ws: Any, count: int) -> _Styles:
    """The style ids openpyxl gives a body cell of each column (registered with the workbook)."""
    plain = tuple(styles.report_value(WriteOnlyCell(ws), 0).style_id for _ in range(count))
    quoted = tuple(styles.report_value(WriteOnlyCell(ws), FORMULA_PREFIXES[0]).style_id for _ in range(count))
    return _Styles(tuple(get_column_letter(c) for c in range(1, count + 1)), plain, quoted)


def _row(number: int, values: Sequence[Any], found: _Styles, missing: str, texts: dict[Any, tuple[bool, str]]) -> str:
    """One row's XML; `texts` keeps each text value's XML once worked out (names, departments and
    months repeat over thousands of rows)."""
    n = str(number)
    cells = [f'<row r="{n}">']
    for letter, plain, quoted, value in zip(found.letters, found.plain, found.quoted, values, strict=False):
        kind = type(value)
        if (kind is float or kind is int) and math.isfinite(value):
            cells.append(f'<c r="{letter}{n}" s="{plain}"><v>{value:.16g}</v></c>')
            continue
        text = texts.get(value)
        if text is None:
            text = texts[value] = _text(missing if value is None else value)
        cells.append(f'<c r="{letter}{n}" s="{quoted if text[0] else plain}"{text[1]}')
    cells.append("</row>")
    return "".join(cells)


def _text(value: Any) -> tuple[bool, str]:
    """(starts like a formula, the rest of the cell's XML after its style) of a value written as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return False, "><v></v></c>"  # a number that is not finite: an empty number, as openpyxl writes it
    text = clean_text(value)
    if not text:
        return False, ' t="inlineStr"/>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return text.startswith(FORMULA_PREFIXES), f' t="inlineStr"><is><t{space}>{escape(text, _ESCAPES)}</t></is></c>'


def _fill(skeleton: IO[bytes], bodies: dict[str, IO[bytes]], out: IO[bytes]) -> None:
    """The saved package again, each sheet's body rows put at the end of its sheetData."""
    with zipfile.ZipFile(skeleton) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            body = bodies.get(info.filename)
            if body is None:
                target.writestr(info, data)
                continue
            head, end, tail = data.rpartition(b"</sheetData>")
            if not end:
                raise ValueError(f"{info.filename}: no sheetData in the sheet openpyxl wrote")
            with target.open(info.filename, "w", force_zip64=True) as member:
                member.write(head)
                body.seek(0)
                shutil.copyfileobj(body, member, 1024 * 1024)
                member.write(end + tail)
