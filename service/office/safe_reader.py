"""Reading uploaded .xlsx bytes defensively.

Before openpyxl sees a byte the package is checked: a zip (not an old OLE .xls or an
encrypted file), few enough entries, a bounded uncompressed size and compression ratio (the
zip module never inflates an entry past its declared size), no macros, no DOCTYPE or ENTITY
in any XML part, and few enough cells, rows and shared strings, counted in the XML as it is
inflated (a workbook padded with empty cells is refused in milliseconds instead of parsed
for seconds). openpyxl then parses through defusedxml, read-only, formulas kept as text so
they can be refused: forms carry values only. Rows are read up to an explicit bound, never up
to the sheet's own `max_row`, each cell as the sheet displays it (`cells.display_value`).

Every refusal is a `WorkbookRejected` with a machine code and a Chinese message that names
the sheet, row and column when there is one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.xml.functions import iterparse

from service.errors import ApiError, quoted
from service.office.cells import display_value

MB = 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
CONTENT_TYPES = "[Content_Types].xml"
SHEET_TYPES = ("spreadsheetml.sheet.main+xml", "spreadsheetml.template.main+xml")
MACRO_MARKERS = (b"macroenabled", b"vbaproject", b"ms-office.vbaproject")
FORBIDDEN_XML = (b"<!doctype", b"<!entity")
XML_SUFFIXES = (".xml", ".rels", ".vml")
CHUNK = 64 * 1024

Value = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None


NOT_XLSX = frozenset({"xlsx_ole", "xlsx_not_zip", "xlsx_not_workbook", "xlsx_macro"})  # not an .xlsx at all


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * MB  # the upload itself
    max_entries: int = 200  # files inside the zip
    max_uncompressed: int = 40 * MB  # all entries together, inflated
    max_ratio: float = 100.0  # inflated / compressed, per entry ...
    ratio_floor: int = MB  # ... for entries that inflate past this size
    max_rows: int = 5000  # rows read from one sheet
    max_cols: int = 40
    # measured in the XML before openpyxl parses a byte (parsing costs about 8 µs a cell)
    max_cells: int = 30_000  # <c> elements in all worksheets together (a department of 2,500 staff uses ~25,000)
    max_xml_rows: int = 50_000  # <row> elements in all worksheets together
    max_shared_strings: int = 50_000  # <si> elements (openpyxl reads them all on opening)


LIMITS = Limits()


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


class WorkbookRejected(Exception):
    """An uploaded workbook that is refused; `code` for machines, `message` in Chinese.

    `problems` lists every problem found when there are several (the first one gives `code`).
    """

    def __init__(self, code: str, message: str, *, sheet: str | None = None, row: int | None = None,
                 column: str | None = None, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.sheet = sheet
        self.row = row
        self.column = column
        self.problems = problems or (Problem(code, message, sheet, row, column),)

    @classmethod
    def of(cls, problems: list[Problem], *, limit: int = 20) -> WorkbookRejected:
        first = problems[0]
        if len(problems) == 1:
            message = first.message
        else:
            shown = "\n".join(p.message for p in problems[:limit])
            more = f"\n……另有 {len(problems) - limit} 处" if len(problems) > limit else ""
            message = f"表格中有 {len(problems)} 处问题：\n{shown}{more}"
        return cls(first.code, message, sheet=first.sheet, row=first.row, column=first.column,
                   problems=tuple(problems))

    def as_api_error(self) -> ApiError:
        """The HTTP answer: 413 too large, 415 not an .xlsx at all, 422 a readable form with problems."""
        status = 413 if self.code == "xlsx_too_large" else 415 if self.code in NOT_XLSX else 422
        return ApiError(status, self.code, self.message, problems=[p.__dict__ for p in self.problems])

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message,
                "problems": [p.__dict__ for p in self.problems]}


def locate(sheet: str, row: int | None = None, column: int | str | None = None,
           label: str | None = None) -> str:
    """工作表“附件5”第 7 行 D 列（完成情况）"""
    text = f"工作表“{quoted(sheet)}”"
    if row is not None:
        text += f"第 {row} 行"
    if column is not None:
        letter = get_column_letter(column) if isinstance(column, int) else column
        text += f" {letter} 列"
        if label:
            text += f"（{label}）"
    return text


def problem(code: str, sheet: str, row: int | None, column: int | None, label: str | None,
            what: str) -> Problem:
    letter = get_column_letter(column) if column else None
    return Problem(code, f"{locate(sheet, row, column, label)}：{what}", sheet, row, letter)


# -- the package -----------------------------------------------------------------------


def check_package(data: bytes, limits: Limits = LIMITS) -> None:
    """Refuse anything that is not a plain, reasonably sized, macro-free .xlsx package."""
    if not data:
        raise WorkbookRejected("xlsx_empty", "上传的文件是空的。")
    if len(data) > limits.max_bytes:
        raise WorkbookRejected("xlsx_too_large", f"文件过大（{_size(len(data))}），Excel 表格不能超过 "
                               f"{_size(limits.max_bytes)}。")
    if data.startswith(OLE_MAGIC[:4]):
        raise WorkbookRejected(
            "xlsx_ole", "这是旧版 Excel（.xls）文件或设置了打开密码的文件，无法读取。请在 Excel 或 WPS 中"
            "取消密码并“另存为”Excel 工作簿（.xlsx）后重新上传。")
    if not data.startswith(ZIP_MAGIC):
        raise WorkbookRejected("xlsx_not_zip", "文件不是 Excel 工作簿（.xlsx）。请上传从本系统下载并填写的 .xlsx 文件。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise WorkbookRejected("xlsx_not_zip", "文件已损坏或不是 Excel 工作簿（.xlsx），无法打开。") from exc
    with archive:
        entries = archive.infolist()
        _check_entries(entries, limits)
        names = {e.filename.lower() for e in entries}
        if CONTENT_TYPES.lower() not in names:
            raise WorkbookRejected("xlsx_not_workbook", "文件不是 Excel 工作簿（缺少内容类型清单）。")
        types = _read_entry(archive, archive.getinfo(_original(entries, CONTENT_TYPES))).lower()
        if any(name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in names) \
                or any(marker in types for marker in MACRO_MARKERS):
            raise WorkbookRejected("xlsx_macro", "文件含有宏（VBA），为安全起见不予接收。请在 Excel 或 WPS 中"
                                   "“另存为”不含宏的 Excel 工作簿（.xlsx）后重新上传。")
        if b"wordprocessingml" in types:
            raise WorkbookRejected("xlsx_not_workbook", "这是 Word 文档，不是 Excel 工作簿。请上传 .xlsx 表格。")
        if not any(kind.encode() in types for kind in SHEET_TYPES):
            raise WorkbookRejected("xlsx_not_workbook", "文件不是 Excel 工作簿（.xlsx）。")
        measured = Measure(limits)
        for entry in entries:
            if entry.filename.lower().endswith(XML_SUFFIXES) or entry.filename == CONTENT_TYPES:
                _check_xml(archive, entry, measured)


# Elements counted, with or without a namespace prefix (a split across two chunks is missed:
# at most one per 64 KB, well inside every limit's margin)
CELL_TAGS = (b"<c ", b"<c>", b"<c/", b":c ", b":c>", b":c/")
ROW_TAGS = (b"<row ", b"<row>", b"<row/", b":row ", b":row>", b":row/")
STRING_TAGS = (b"<si>", b"<si ", b"<si/", b":si>", b":si ", b":si/")


class Measure:
    """Cells, rows and shared strings of a package, counted while its XML is scanned."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.cells = self.rows = self.strings = 0

    def add(self, name: str, chunk: bytes) -> None:
        lowered = name.lower()
        limits = self.limits
        if lowered.startswith("xl/worksheets/"):
            self.cells += sum(chunk.count(tag) for tag in CELL_TAGS)
            self.rows += sum(chunk.count(tag) for tag in ROW_TAGS)
            if self.cells > limits.max_cells:
                raise WorkbookRejected("xlsx_too_many_cells", f"表格中的单元格过多（超过 {limits.max_cells:,} 个，"
                                       "常见原因是整行或整列设置了格式）。请只保留填写区域，复制到新工作簿后再上传。")
            if self.rows > limits.max_xml_rows:
                raise WorkbookRejected("xlsx_too_many_rows", f"表格中的行过多（超过 {limits.max_xml_rows:,} 行）。"
                                       "请删除多余的空行，或分成多个文件上传。")
        elif lowered.endswith("sharedstrings.xml"):
            self.strings += sum(chunk.count(tag) for tag in STRING_TAGS)
            if self.strings > limits.max_shared_strings:
                raise WorkbookRejected("xlsx_too_many_strings", f"表格中的文字条目过多（超过 "
                                       f"{limits.max_shared_strings:,} 条），已拒收。")


def _check_entries(entries: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(entries) > limits.max_entries:
        raise WorkbookRejected("xlsx_too_many_entries", f"文件结构异常：压缩包内有 {len(entries)} 个文件"
                               f"（上限 {limits.max_entries}），已拒收。")
    seen: set[str] = set()
    total = 0
    for entry in entries:
        name = entry.filename.lower()
        if name in seen:
            raise WorkbookRejected("xlsx_corrupt", f"文件结构异常：压缩包内有重名文件“{quoted(entry.filename)}”，已拒收。")
        seen.add(name)
        if entry.flag_bits & 0x1:
            raise WorkbookRejected("xlsx_ole", "文件已加密，无法读取。请取消密码后重新上传。")
        total += entry.file_size
        if total > limits.max_uncompressed:
            raise WorkbookRejected("xlsx_too_large", f"文件解压后过大（超过 {_size(limits.max_uncompressed)}），已拒收。")
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise WorkbookRejected(
                "xlsx_ratio", f"文件压缩比异常（“{quoted(entry.filename)}”解压后 {_size(entry.file_size)}，"
                f"压缩比约 {ratio:.0f}:1），疑似“压缩炸弹”，已拒收。")


def _check_xml(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, measured: Measure) -> None:
    """No DOCTYPE or ENTITY in any XML part (UTF-8 or UTF-16), found across chunk borders;
    cells, rows and shared strings counted on the way."""
    patterns = [p for word in FORBIDDEN_XML for p in (word, word.decode().encode("utf-16-le"),
                                                      word.decode().encode("utf-16-be"))]
    keep = max(len(p) for p in patterns)
    tail = b""
    try:
        with archive.open(entry) as handle:
            while chunk := handle.read(CHUNK):
                measured.add(entry.filename, chunk)
                window = (tail + chunk).lower()
                if any(p in window for p in patterns):
                    raise WorkbookRejected("xlsx_dtd", f"文件中的“{quoted(entry.filename)}”含有 XML 文档类型或实体声明"
                                           "（DOCTYPE / ENTITY），为安全起见不予接收。")
                tail = window[-keep:]
    except WorkbookRejected:
        raise
    except Exception as exc:  # a CRC error, an unsupported compression, …
        raise WorkbookRejected("xlsx_corrupt", "文件已损坏，无法读取。请用 Excel 或 WPS 打开检查、重新保存后再上传。") from exc


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(entry)
    except Exception as exc:
        raise WorkbookRejected("xlsx_corrupt", "文件已损坏，无法读取。请用 Excel 或 WPS 打开检查、重新保存后再上传。") from exc


def _original(entries: list[zipfile.ZipInfo], name: str) -> str:
    return next(e.filename for e in entries if e.filename.lower() == name.lower())


def _size(count: int) -> str:
    return f"{count / MB:.1f} MB" if count >= MB else f"{count / 1024:.0f} KB"


# -- the workbook ----------------------------------------------------------------------


@contextlib.contextmanager
def open_workbook(data: bytes, limits: Limits = LIMITS) -> Iterator[Workbook]:
    """Check the package, then open it read-only with formulas visible (to refuse them)."""
    check_package(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False,
                             keep_vba=False)
    except Exception as exc:
        raise _parse_failure(exc) from exc
    try:
        yield book
    finally:
        book.close()


def has_sheet(book: Workbook, name: str) -> bool:
    return name in book.sheetnames


def read_rows(book: Workbook, sheet: str, *, first_row: int, last_row: int | None, max_col: int,
              labels: Mapping[int, str] | None = None,
              limits: Limits = LIMITS) -> list[tuple[int, list[Value]]]:
    """Values of rows first_row..last_row (or until the row cap), columns 1..max_col.

    A formula anywhere in the range is refused. With `last_row=None` the empty tail is dropped
    and a sheet whose data runs on past `limits.max_rows` rows is refused; rows further away
    than that are never parsed into cells.
    """
    if max_col > limits.max_cols:
        raise ValueError(max_col)
    cap = first_row + limits.max_rows - 1
    stop = min(last_row, cap) if last_row is not None else cap + 1
    labels = labels or {}
    result: list[tuple[int, list[Value]]] = []
    try:
        worksheet = book[sheet]
        rows = worksheet.iter_rows(min_row=first_row, max_row=stop, max_col=max_col)
        for number, cells in enumerate(rows, first_row):
            values: list[Value] = []
            for column, cell in enumerate(cells, 1):
                values.append(_value(cell, sheet, number, column, labels.get(column)))
            values.extend([None] * (max_col - len(values)))
            if number > cap:
                if any(v not in (None, "") for v in values):
                    raise WorkbookRejected("xlsx_too_many_rows", f"{locate(sheet)}超过 {limits.max_rows} 行，"
                                           "请分成多个文件上传。", sheet=sheet, row=number)
                break
            result.append((number, values))
    except WorkbookRejected:
        raise
    except KeyError as exc:
        raise WorkbookRejected("xlsx_no_sheet", f"工作簿中没有名为“{quoted(sheet)}”的工作表。") from exc
    except Exception as exc:
        raise _parse_failure(exc) from exc
    if last_row is None:  # open-ended: drop the empty tail (openpyxl pads gaps up to the bound)
        while result and all(v in (None, "") for v in result[-1][1]):
            result.pop()
    return result


def merged_ranges(book: Workbook, sheet: str) -> list[str]:
    """The merged ranges of a sheet ("D5:D6"), read from its XML (a read-only sheet does not
    keep them); the package was checked before, and openpyxl's parser is defusedxml's."""
    ranges: list[str] = []
    try:
        with book[sheet]._get_source() as source:  # type: ignore[union-attr]
            for _, element in iterparse(source):
                if element.tag.endswith("}mergeCell") or element.tag == "mergeCell":
                    ranges.append(str(element.get("ref", "")).upper())
                elif element.tag.endswith("}row") or element.tag == "row":
                    element.clear()  # the cells are not needed here
    except KeyError as exc:
        raise WorkbookRejected("xlsx_no_sheet", f"工作簿中没有名为“{quoted(sheet)}”的工作表。") from exc
    except Exception as exc:
        raise _parse_failure(exc) from exc
    return [ref for ref in ranges if ref]


def _value(cell: Any, sheet: str, row: int, column: int, label: str | None) -> Value:
    value = getattr(cell, "value", None)
    kind = getattr(cell, "data_type", None)
    if kind == "f" or not isinstance(  # a text cell starting with "=" (a name may) is text, not a formula
            value, str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None):
        shown = str(value if not hasattr(value, "text") else value.text)[:40]
        where = locate(sheet, row, column, label)
        raise WorkbookRejected("xlsx_formula", f"{where}：单元格中是公式“{shown}”，表格只接收数值或文字。"
                               "请改为直接填写（或复制后“选择性粘贴 → 数值”）。", sheet=sheet, row=row,
                               column=get_column_letter(column))
    return cast(Value, display_value(cell))


def _parse_failure(exc: Exception) -> WorkbookRejected:
    causes: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(causes) < 10:  # openpyxl wraps parser errors in ValueError
        causes.append(current)
        current = current.__cause__ or current.__context__
    if any(type(cause).__module__.startswith("defusedxml") for cause in causes):
        return WorkbookRejected("xlsx_dtd", "文件中含有不允许的 XML 声明（DTD / 实体），为安全起见不予接收。")
    return WorkbookRejected("xlsx_corrupt", "文件已损坏或格式不受支持，无法读取。请用 Excel 或 WPS 打开检查、"
                            "重新保存为 .xlsx 后再上传。")
