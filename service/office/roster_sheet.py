"""The personnel system's roster export as plain text rows: an .xlsx through the defensive
reader, a .csv (RFC 4180) in UTF-8, UTF-16 with its byte order mark, or GB18030. What the rows
mean is `content.roster`'s concern."""

from __future__ import annotations

import codecs
import csv
import io

from service.content.roster import HEADER_SCAN, RosterImportError, Table
from service.office.cells import cell_text
from service.office.safe_reader import (
    OLE_MAGIC,
    ZIP_MAGIC,
    Limits,
    WorkbookRejected,
    open_workbook,
    read_rows,
)

MAX_ROWS = 20_000
MAX_COLS = 100
MAX_BYTES = 10 * 1024 * 1024
IMPORT_LIMITS = Limits(max_rows=MAX_ROWS, max_cols=MAX_COLS, max_cells=MAX_ROWS * 20, max_xml_rows=MAX_ROWS * 2,
                       max_shared_strings=MAX_ROWS * 10)


def read_table(data: bytes, filename: str) -> Table:
    """The file's cells as text. .xlsx through the defensive reader, .csv as `_read_csv` reads it."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if data.startswith(ZIP_MAGIC) or suffix in ("xlsx", "xlsm", "xltx"):
        return _read_xlsx(data)
    if data.startswith(OLE_MAGIC[:4]) or suffix == "xls":
        raise RosterImportError(["这是旧版 Excel（.xls）文件，无法读取。请在 Excel 或 WPS 中“另存为”.xlsx 或 .csv 后再导入。"])
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Table:
    try:
        with open_workbook(data, IMPORT_LIMITS) as book:
            sheet = next((name for name in book.sheetnames if not name.startswith("_")), book.sheetnames[0])
            rows = read_rows(book, sheet, first_row=1, last_row=None, max_col=MAX_COLS, limits=IMPORT_LIMITS)
    except WorkbookRejected as exc:
        raise RosterImportError([exc.message]) from exc
    return Table(rows=[(number, [cell_text(v) for v in values]) for number, values in rows],
                 source=f"Excel 工作表“{sheet}”")


DELIMITERS = (",", ";", "\t")  # in this order when a header line has as many of each
BOMS = ((codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"))


def _read_csv(data: bytes) -> Table:
    """RFC 4180 CSV: fields quoted with '"' (a quote inside doubled) may hold the delimiter, a
    quote or a line break; the delimiter is read from the header line, never guessed from the data."""
    if len(data) > MAX_BYTES:
        raise RosterImportError([f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）。"])
    text, label = _decode(data)
    if "\x00" in text:
        raise RosterImportError(["文件不是文本格式的 CSV（可能是二进制文件）。请另存为“CSV（逗号分隔）”后再导入。"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), quotechar='"',
                        doublequote=True, quoting=csv.QUOTE_MINIMAL)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, 1):
            if number > MAX_ROWS + HEADER_SCAN:
                raise RosterImportError([f"文件超过 {MAX_ROWS} 行，请分批导入。"])
            rows.append((number, [c.strip() for c in cells[:MAX_COLS]]))
    except csv.Error as exc:
        raise RosterImportError([f"第 {reader.line_num} 行：CSV 格式有误（{exc}），请在 Excel 或 WPS 中"
                                 "“另存为”CSV 后再导入。"]) from exc
    return Table(rows=rows, source=f"CSV 文件（{label} 编码）")


def delimiter_of(text: str) -> str:
    """The delimiter of the first line (of the first HEADER_SCAN) that has one outside quotes:
    the most frequent of comma, semicolon and tab there; a comma when no line has any."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = closed = False  # inside a quoted field; just after its closing quote
    start = True  # at the start of a field, where a quote opens one
    lines = 0
    for char in text:
        if quoted:
            quoted, closed = char != '"', char == '"'
            continue
        if char == '"' and (start or closed):  # a field opens, or a doubled quote inside one
            quoted = True
            start = closed = False
            continue
        closed = False
        start = char in counts or char == "\n"
        if char in counts:
            counts[char] += 1
        elif char == "\n":
            lines += 1
            if any(counts.values()) or lines >= HEADER_SCAN:
                break
    best = max(DELIMITERS, key=lambda d: counts[d])  # the first of equals
    return best if counts[best] else ","


def _decode(data: bytes) -> tuple[str, str]:
    """By its byte order mark (UTF-8, UTF-16), else UTF-8, else GB18030 as Chinese Excel writes
    it (labelled GBK, the name Excel and WPS show)."""
    for bom, codec, label in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), label
            except UnicodeDecodeError as exc:
                raise RosterImportError([f"文件以 {label} 标记开头，但内容不是 {label} 编码，请重新另存为 CSV。"]) from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError as exc:
        raise RosterImportError(["无法识别文件编码，请另存为 UTF-8 编码的 CSV。"]) from exc
