"""Contract scans sorted: the marks on each page, the pages grouped per person and version,
and one PDF per person made from the original pages."""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path

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
    import zxingcpp  # loaded when the first page is read (see the package's docstring)

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
    reason: str = ""  # the message without naming the file


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
            refused.append(FileRefused(number, exc.code, f"第 {number + 1} 个文件：{exc.message}", exc.message))
    pages: list[ScanPage] = []
    if executor is None or not runs:
        for number, first, end in runs:
            pages += read_pages(files[number], settings, number, first, end, thumbnail_px)
    else:
        with _handed_over(files, [number for number, _, _ in runs]) as sources:
            parts = [(sources[n], settings, n, a, b, thumbnail_px) for n, a, b in _split(runs, counted)]
            pages = _read_in_pool(executor, parts)
    groups: dict[ContractMark, list[ScanPage]] = {}
    for page in pages:
        if page.mark is not None:
            groups.setdefault(page.mark, []).append(page)
    return ScanSort(tuple(pages), tuple(ScanGroup(mark, tuple(found)) for mark, found in groups.items()),
                    tuple(refused))


PARTS = 8  # a file of few pages is read in up to this many runs: every worker busy, few copies handed over
RUN_PAGES = 4  # pages of a run at most: a large stack ends with every worker busy until its last few pages
IN_FLIGHT = 2 * (os.cpu_count() or 1)  # runs handed to the pool at once; the next one as each comes back
HAND_OVER_BYTES = 4 * 1024 * 1024  # a larger file reaches the workers as a scratch file, not through a pipe

Part = tuple[bytes | str, ScanSettings, int, int, int, int | None]  # read_pages' arguments


def _split(runs: Sequence[tuple[int, int, int]], pages: int) -> list[tuple[int, int, int]]:
    size = min(RUN_PAGES, max(1, math.ceil(pages / PARTS)))
    return [(number, start, min(start + size, end)) for number, first, end in runs for start in range(first, end, size)]


def _read_in_pool(executor: Executor, parts: Sequence[Part]) -> list[ScanPage]:
    """Every part read in the pool, IN_FLIGHT at a time (a stack never fills the pool's queue
    ahead of the single uploads read beside it); the pages in the parts' order."""
    waiting = iter(enumerate(parts))
    running: dict[Future[list[ScanPage]], int] = {}
    found: list[list[ScanPage]] = [[] for _ in parts]

    def hand_over(count: int) -> None:
        for index, part in itertools.islice(waiting, count):
            running[executor.submit(read_pages, *part)] = index

    hand_over(IN_FLIGHT)
    try:
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                found[running.pop(future)] = future.result()
            hand_over(len(done))
    finally:
        for future in running:
            future.cancel()
    return [page for part in found for page in part]


@contextlib.contextmanager
def _handed_over(files: Sequence[bytes], read: Iterable[int]) -> Iterator[dict[int, bytes | str]]:
    """Each file read (`read`: their numbers) as the workers get it: its bytes, or (when large)
    the path of a scratch copy that each run opens to read only its own pages, removed afterwards."""
    with contextlib.ExitStack() as stack:
        scratch: Path | None = None
        sources: dict[int, bytes | str] = {}
        for number in read:
            data = files[number]
            if len(data) <= HAND_OVER_BYTES:
                sources[number] = data
                continue
            if scratch is None:
                scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="portal-scan-")))
            path = scratch / f"{number}.scan"
            storage_files.atomic_write(path, data, durable=False)
            sources[number] = str(path)
        yield sources


def read_pages(data: bytes | str, settings: ScanSettings, file: int, first: int, end: int,
               thumbnail_px: int | None) -> list[ScanPage]:
    """Pages `first` to `end` (exclusive) of one file (its bytes, or the path of a scratch copy),
    read; run in a pool's worker process too."""
    with open_scan(Path(data) if isinstance(data, str) else data, settings) as source:
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


