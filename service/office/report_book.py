"""HR's report workbooks, written at the speed of their rows.

openpyxl (write-only) lays out every sheet in the report look of styles.py and registers the
styles of its title, its header and the body of each column (the plain one and the
quote-prefixed one for text that starts like a formula). The body rows, which run to 130,000 at
10,000 staff, are then written as SpreadsheetML straight into each sheet of the saved package
in those styles, the width of each column's longest value kept on the way; the column widths,
the wrapped header's height and the print setup (one page wide, or split between columns with
the row's identity repeated) follow from those widths, and the title and header rows go first: openpyxl's cell objects cost about
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
from service.office.cells import FORMULA_PREFIXES, clean_text

FIRST_BODY_ROW = 3
_SPOOL = 4 * 1024 * 1024  # a sheet's rows in memory up to this size, then in a temp file
_ESCAPES = {"\r": "&#13;"}
_BATCH = 1000  # rows waiting as text, of all sheets, before they are written to their sheets' buffers
_TEXTS_KEPT = 4096  # text values whose XML is kept for the rows after (of any sheet)
_LEVEL = 1  # deflate level of the package: the fastest, the file about a sixth larger than at 6
TITLE_HEIGHT = 28


@dataclass(frozen=True)
class Layout:
    """One sheet: its tab, the title over it, its columns and their least widths."""

    title: str
    heading: str
    columns: Sequence[str]
    widths: Sequence[float]
    landscape: bool = False
    missing: str = ""  # what an empty value shows
    key_columns: int = 1  # who a row is: repeated on each page when the columns need several


@dataclass(frozen=True)
class _Styles:
    letters: tuple[str, ...]
    plain: tuple[int, ...]  # per column: the body style
    quoted: tuple[int, ...]  # per column: the body style of text that starts like a formula
    title: int
    header: int


def write(layouts: Sequence[Layout], rows: Iterable[tuple[int, Sequence[Any]]], out: IO[bytes]) -> None:
    """A workbook of `layouts`; `rows` gives (sheet index, values) in each sheet's row order (the
    sheets' rows may come interleaved)."""
    wb = Workbook(write_only=True)
    sheets = [wb.create_sheet(layout.title) for layout in layouts]
    found = [_styles(ws, len(layout.columns)) for ws, layout in zip(sheets, layouts, strict=True)]
    widths = [[0.0] * len(layout.columns) for layout in layouts]
    bodies = [tempfile.SpooledTemporaryFile(_SPOOL) for _ in layouts]  # noqa: SIM115 - closed below
    try:
        numbers = [FIRST_BODY_ROW] * len(layouts)
        texts: dict[Any, tuple[bool, str, float]] = {}
        pending: list[list[str]] = [[] for _ in layouts]
        waiting = 0
        for index, values in rows:
            if len(texts) > _TEXTS_KEPT:  # names: thousands, each met once or a few times in a row
                texts.clear()
            pending[index].append(_row(numbers[index], values, found[index], layouts[index].missing, texts,
                                       widths[index]))
            numbers[index] += 1
            waiting += 1
            if waiting == _BATCH:
                _flush(bodies, pending)
                waiting = 0
        _flush(bodies, pending)
        heads = [_layout(ws, layout, longest, styles_) for ws, layout, longest, styles_
                 in zip(sheets, layouts, widths, found, strict=True)]
        skeleton = tempfile.SpooledTemporaryFile(_SPOOL)  # noqa: SIM115 - closed below
        with skeleton:
            wb.save(skeleton)
            members = {ws.path.lstrip("/"): (head, body) for ws, head, body in zip(sheets, heads, bodies, strict=True)}
            skeleton.seek(0)
            _fill(skeleton, members, out)
    finally:
        for body in bodies:
            body.close()


def _flush(bodies: Sequence[IO[bytes]], pending: Sequence[list[str]]) -> None:
    """The rows waiting, each sheet's written to its buffer."""
    for body, waiting in zip(bodies, pending, strict=True):
        if waiting:
            body.write("".join(waiting).encode("utf-8"))
            waiting.clear()


def _layout(ws: Any, layout: Layout, longest: Sequence[float], found: _Styles) -> str:
    """Widths and print setup of a sheet whose body is written; the XML of its title and header rows."""
    widths = [styles.fitted_width(name, width, minimum)
              for name, width, minimum in zip(layout.columns, longest, layout.widths, strict=True)]
    for letter, width in zip(found.letters, widths, strict=True):
        ws.column_dimensions[letter].width = round(width, 1)
    styles.report_setup(ws, landscape=layout.landscape)
    first_page = styles.print_columns(ws, widths, layout.key_columns, landscape=layout.landscape)
    ws.merged_cells.add(f"A1:{found.letters[first_page - 1]}1")  # the title over the first page's columns
    lines = max(styles.lines_needed(name, width) for name, width in zip(layout.columns, widths, strict=True))
    header = "".join(f'<c r="{letter}2" s="{found.header}"{_text(name)[1]}'
                     for letter, name in zip(found.letters, layout.columns, strict=True))
    return (f'<row r="1" ht="{TITLE_HEIGHT}" customHeight="1"><c r="A1" s="{found.title}"{_text(layout.heading)[1]}'
            f'</row><row r="2" ht="{lines * styles.LINE_HEIGHT + 8:g}" customHeight="1">{header}</row>')


def _styles(ws: Any, count: int) -> _Styles:
    """The style ids openpyxl gives the title, the header and a body cell of each column
    (registered with the workbook)."""
    plain = tuple(styles.report_value(WriteOnlyCell(ws), 0).style_id for _ in range(count))
    quoted = tuple(styles.report_value(WriteOnlyCell(ws), FORMULA_PREFIXES[0]).style_id for _ in range(count))
    title = WriteOnlyCell(ws)
    title.font = styles.REPORT_TITLE_FONT
    title.alignment = styles.CENTER
    header = styles.report_header(WriteOnlyCell(ws))
    return _Styles(tuple(get_column_letter(c) for c in range(1, count + 1)), plain, quoted, title.style_id,
                   header.style_id)


def _row(number: int, values: Sequence[Any], found: _Styles, missing: str,
         texts: dict[Any, tuple[bool, str, float]], widths: list[float]) -> str:
    """One row's XML; `texts` keeps each text value's XML and width once worked out (names,
    departments and months repeat over thousands of rows); `widths` keeps each column's widest."""
    n = str(number)
    cells = [f'<row r="{n}">']
    for column, (letter, plain, quoted, value) in enumerate(zip(found.letters, found.plain, found.quoted, values,
                                                               strict=False)):
        kind = type(value)
        if (kind is float or kind is int) and math.isfinite(value):
            shown = f"{value:.16g}"
            widths[column] = max(widths[column], len(shown) * 1.1)
            cells.append(f'<c r="{letter}{n}" s="{plain}"><v>{shown}</v></c>')
            continue
        if value is None:
            value = missing
        text = texts.get(value)
        if text is None:
            text = texts[value] = _text(value)
        if text[2] > widths[column]:
            widths[column] = text[2]
        cells.append(f'<c r="{letter}{n}" s="{quoted if text[0] else plain}"{text[1]}')
    cells.append("</row>")
    return "".join(cells)


def _text(value: Any) -> tuple[bool, str, float]:
    """(starts like a formula, the rest of the cell's XML after its style, its width) of a value
    written as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return False, "><v></v></c>", 0.0  # a number that is not finite: an empty number, as openpyxl writes it
    text = clean_text(value)
    if not text:
        return False, ' t="inlineStr"/>', 0.0
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return (text.startswith(FORMULA_PREFIXES), f' t="inlineStr"><is><t{space}>{escape(text, _ESCAPES)}</t></is></c>',
            styles.text_width(text))


def _fill(skeleton: IO[bytes], sheets: dict[str, tuple[str, IO[bytes]]], out: IO[bytes]) -> None:
    """The saved package again, each sheet's title and header rows, then its body rows, put in
    its (empty) sheetData."""
    with zipfile.ZipFile(skeleton) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=_LEVEL) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            found = sheets.get(info.filename)
            if found is None:
                target.writestr(info, data)
                continue
            head, body = found
            before, end, tail = data.rpartition(b"</sheetData>")
            if not end:
                raise ValueError(f"{info.filename}: no sheetData in the sheet openpyxl wrote")
            with target.open(info.filename, "w", force_zip64=True) as member:
                member.write(before)
                member.write(head.encode("utf-8"))
                body.seek(0)
                shutil.copyfileobj(body, member, 1024 * 1024)
                member.write(end + tail)
