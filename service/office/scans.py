"""Contract scans sorted: the marks on each page, the pages grouped per person and version,
and one PDF per person made from the original pages."""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import zxingcpp
from PIL import Image

from service.office.scan_files import (
    PDF,
    SETTINGS,
    ScanFile,
    ScanRefused,
    ScanSettings,
    image_pdf,
    kind_of,
    open_scan,
    small_jpeg,
)
from service.rules import contract_mark
from service.rules.contract_mark import ContractMark
from service.storage import files as storage_files

UPSCALE_MAX_PIXELS = 16_000_000  # a page is read enlarged only up to this size (A4 at 300 dpi: 8.7 M)
LARGE_WIDTH = 1200  # a page nobody's code is on is also kept at least this wide, for a clerk to read
LARGE_MAX_SIDE = 2400


# -- the codes on a page --------------------------------------------------------------------


def read_marks(image: Image.Image) -> list[str]:
    """The text of every QR code on the page, each once, in reading order.

    A page where none is found is read once more enlarged twice (bicubic), which recovers
    small codes in noisy low-resolution scans, unless it would exceed UPSCALE_MAX_PIXELS.
    """
    return [text for text, _ in read_codes(image)]


def read_codes(image: Image.Image) -> list[tuple[str, int]]:
    """(text, orientation in degrees as zxing reports it) of every QR code on the page, each once."""
    gray = image if image.mode == "L" else image.convert("L")
    found = _qr_codes(gray)
    if not found and 4 * gray.width * gray.height <= UPSCALE_MAX_PIXELS:
        found = _qr_codes(gray.resize((2 * gray.width, 2 * gray.height), Image.Resampling.BICUBIC))
    return found


def _qr_codes(gray: Image.Image) -> list[tuple[str, int]]:
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode,
                                   try_rotate=True, try_downscale=True)
    return list({barcode.text: (barcode.text, barcode.orientation) for barcode in found if barcode.valid}.values())


def upright_turn(orientation: int) -> int:
    """The clockwise quarter turn (0, 90, 180 or 270) that sets a page upright whose code zxing
    read at `orientation` degrees (a scan tilted a few degrees still counts as upright)."""
    return -round(orientation / 90) * 90 % 360


def marks_on(texts: Sequence[str]) -> tuple[tuple[ContractMark, ...], int]:
    """The distinct contract marks among QR texts, and how many texts were foreign codes."""
    marks = [contract_mark.decode(text) for text in texts]
    ours = tuple(dict.fromkeys(mark for mark in marks if mark is not None))
    return ours, sum(1 for mark in marks if mark is None)


@dataclass(frozen=True)
class ScanPage:
    file: int  # index of the file in the upload, from 0
    page: int  # index of the page in the file, from 0
    marks: tuple[ContractMark, ...]  # distinct marks found, in reading order
    foreign: int = 0  # QR codes that are not contract marks
    thumbnail: bytes = field(default=b"", compare=False, repr=False)  # a small JPEG, when asked for
    turn: int = 0  # clockwise degrees that set the page upright, read off its code's orientation
    digest: str = field(default="", compare=False)  # SHA-256 of the page's pixels as read
    large: bytes = field(default=b"", compare=False, repr=False)  # a page without one mark, full size

    @property
    def mark(self) -> ContractMark | None:
        """The page's one mark; None when it has none or several."""
        return self.marks[0] if len(self.marks) == 1 else None

    @property
    def where(self) -> str:
        return f"第 {self.file + 1} 个文件第 {self.page + 1} 页"


@dataclass(frozen=True)
class ScanGroup:
    mark: ContractMark
    pages: tuple[ScanPage, ...]  # in upload order


@dataclass(frozen=True)
class FileRefused:
    file: int
    code: str
    message: str


@dataclass(frozen=True)
class ScanSort:
    pages: tuple[ScanPage, ...]  # every page read, in upload order
    groups: tuple[ScanGroup, ...] = ()  # one per mark, in order of first appearance
    refused: tuple[FileRefused, ...] = ()  # files that could not be read at all

    @property
    def unreadable(self) -> tuple[ScanPage, ...]:
        """Pages without any contract mark (blank, smudged, or only a foreign code)."""
        return tuple(page for page in self.pages if not page.marks)

    @property
    def conflicting(self) -> tuple[ScanPage, ...]:
        """Pages that carry two or more different marks: left out of every group."""
        return tuple(page for page in self.pages if len(page.marks) > 1)


def sort_scan(files: Sequence[bytes], settings: ScanSettings = SETTINGS, *,
              thumbnail_px: int | None = None, executor: Executor | None = None) -> ScanSort:
    """Read every page of every file and group the pages by the mark they carry.

    A file that cannot be read is listed in `refused` and the others are still sorted; so
    is every file once the batch has reached `max_batch_pages`. With `thumbnail_px` each
    page also gets a JPEG thumbnail that size on its long side, made from the page read, and
    a page without exactly one mark a large JPEG as well. With `executor` (a process pool)
    the pages are read there, in runs of pages spread over its workers.
    """
    refused: list[FileRefused] = []
    runs: list[tuple[int, int, int]] = []  # (file, first page, end)
    counted = 0
    for number, data in enumerate(files):
        try:
            with open_scan(data, settings) as source:
                if counted + source.pages > settings.max_batch_pages:
                    raise ScanRefused("scan_batch_too_large", f"一次最多识别 {settings.max_batch_pages} 页，"
                                      "此文件未识别，请稍后单独上传。")
                counted += source.pages
                runs.append((number, 0, source.pages))
        except ScanRefused as exc:
            refused.append(FileRefused(number, exc.code, f"第 {number + 1} 个文件：{exc.message}"))
    pages: list[ScanPage] = []
    if executor is None:
        for number, first, end in runs:
            pages += read_pages(files[number], settings, number, first, end, thumbnail_px)
    else:
        with _handed_over(files) as sources:
            parts = [(sources[n], settings, n, a, b, thumbnail_px) for n, a, b in _split(runs, counted)]
            for found in executor.map(read_pages, *zip(*parts, strict=True)):
                pages += found
    groups: dict[ContractMark, list[ScanPage]] = {}
    for page in pages:
        if page.mark is not None:
            groups.setdefault(page.mark, []).append(page)
    return ScanSort(tuple(pages), tuple(ScanGroup(mark, tuple(found)) for mark, found in groups.items()),
                    tuple(refused))


PARTS = 8  # a batch is read in this many runs of pages: every worker busy, few copies of a file handed over
HAND_OVER_BYTES = 4 * 1024 * 1024  # a larger file reaches the workers as a scratch file, not through a pipe


def _split(runs: Sequence[tuple[int, int, int]], pages: int) -> list[tuple[int, int, int]]:
    size = max(1, math.ceil(pages / PARTS))
    return [(number, start, min(start + size, end)) for number, first, end in runs for start in range(first, end, size)]


@contextlib.contextmanager
def _handed_over(files: Sequence[bytes]) -> Iterator[list[bytes | str]]:
    """Each file as the workers get it: its bytes, or (when large) the path of a scratch copy
    that every run reads from the page cache, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="portal-scan-") as scratch:
        sources: list[bytes | str] = []
        for number, data in enumerate(files):
            if len(data) <= HAND_OVER_BYTES:
                sources.append(data)
                continue
            path = Path(scratch) / f"{number}.scan"
            storage_files.atomic_write(path, data, durable=False)
            sources.append(str(path))
        yield sources


def read_pages(data: bytes | str, settings: ScanSettings, file: int, first: int, end: int,
               thumbnail_px: int | None) -> list[ScanPage]:
    """Pages `first` to `end` (exclusive) of one file (its bytes, or the path of a scratch copy),
    read; run in a pool's worker process too."""
    if isinstance(data, str):
        data = Path(data).read_bytes()
    with open_scan(data, settings) as source:
        return [_read_page(source, file, index, thumbnail_px) for index in range(first, end)]


def _read_page(source: ScanFile, file: int, index: int, thumbnail_px: int | None) -> ScanPage:
    image = source.image(index)
    codes = read_codes(image)
    marks, foreign = marks_on([text for text, _ in codes])
    turns = {upright_turn(angle) for text, angle in codes if contract_mark.decode(text) is not None}
    turn = turns.pop() if len(turns) == 1 else 0
    digest = hashlib.sha256(image.tobytes()).hexdigest()
    small = large = b""
    if thumbnail_px:
        small = small_jpeg(_turned(image, turn), thumbnail_px, source.settings.thumbnail_quality)
        if len(marks) != 1:
            large = _large_jpeg(image, source.settings.thumbnail_quality)
    return ScanPage(file, index, marks, foreign, small, turn, digest, large)


def _turned(image: Image.Image, turn: int) -> Image.Image:
    return image.rotate(-turn, expand=True) if turn else image  # PIL turns counter-clockwise


def _large_jpeg(image: Image.Image, quality: int) -> bytes:
    """The page at least LARGE_WIDTH pixels wide (enlarged when scanned smaller), at most LARGE_MAX_SIDE long."""
    scale = min(max(1.0, LARGE_WIDTH / image.width), LARGE_MAX_SIDE / max(image.size))
    if scale != 1.0:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    return small_jpeg(image, max(image.size), quality)


# -- one PDF per person -------------------------------------------------------------------


def assemble_pdf(pages: Sequence[tuple[bytes, int]], settings: ScanSettings = SETTINGS,
                 turns: Sequence[int] = ()) -> bytes:
    """One PDF of the given (file bytes, page index) pages, in order. PDF pages are copied as
    they are (no re-rendering); an image becomes one page of its own size. `turns` (clockwise
    degrees, one a page) set pages upright through the page's /Rotate, the image untouched."""
    from pypdf import PdfReader, PdfWriter  # 7 MB, for the bulk upload only
    from pypdf.errors import PyPdfError

    writer = PdfWriter()
    readers: dict[int, PdfReader] = {}
    try:
        for number, (data, index) in enumerate(pages):
            if kind_of(data) != PDF:
                if index != 0:
                    raise ScanRefused("scan_no_page", f"图片文件只有一页，没有第 {index + 1} 页。")
                writer.append(PdfReader(io.BytesIO(image_pdf(data, settings))))
            else:
                reader = readers.get(id(data))
                if reader is None:
                    reader = readers[id(data)] = PdfReader(io.BytesIO(data))
                writer.add_page(reader.pages[index])
            turn = turns[number] if number < len(turns) else 0
            if turn:
                writer.pages[-1].rotate(turn)
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, KeyError, IndexError) as exc:
        raise ScanRefused("scan_damaged", f"无法从上传的文件中取出页面（{type(exc).__name__}）。") from None
    return out.getvalue()


