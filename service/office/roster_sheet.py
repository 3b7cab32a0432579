"""The personnel system's roster export as plain text rows: an .xlsx through the defensive
reader, a .csv in UTF-8 or GBK. What the rows mean is `content.roster`'s concern."""

from __future__ import annotations

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
    """The file's cells as text. .xlsx through the defensive reader, .csv as UTF-8 or GBK."""
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


def _read_csv(data: bytes) -> Table:
    if len(data) > MAX_BYTES:
        raise RosterImportError([f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）。"])
    if b"\x00" in data[:4096]:
        raise RosterImportError(["文件不是文本格式的 CSV（可能是 UTF-16 或二进制文件）。请另存为“CSV（逗号分隔）”后再导入。"])
    text, label = _decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(csv.reader(io.StringIO(text), dialect), 1):
        if number > MAX_ROWS + HEADER_SCAN:
            raise RosterImportError([f"文件超过 {MAX_ROWS} 行，请分批导入。"])
        rows.append((number, [c.strip() for c in cells[:MAX_COLS]]))
    return Table(rows=rows, source=f"CSV 文件（{label} 编码）")


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError as exc:
        raise RosterImportError(["无法识别文件编码，请另存为 UTF-8 编码的 CSV。"]) from exc
