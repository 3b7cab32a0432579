"""Contract scans sorted: the marks on each page, the pages grouped per person and version,
and one PDF per person made from the original pages."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

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

UPSCALE_MAX_PIXELS = 16_000_000  # a page is read enlarged only up to this size (A4 at 300 dpi: 8.7 M)


# -- the codes on a page --------------------------------------------------------------------


def read_marks(image: Image.Image) -> list[str]:
    """The text of every QR code on the page, each once, in reading order.

    A page where none is found is read once more enlarged twice (bicubic), which recovers
    small codes in noisy low-resolution scans, unless it would exceed UPSCALE_MAX_PIXELS.
    """
    gray = image if image.mode == "L" else image.convert("L")
    texts = _qr_texts(gray)
    if not texts and 4 * gray.width * gray.height <= UPSCALE_MAX_PIXELS:
        texts = _qr_texts(gray.resize((2 * gray.width, 2 * gray.height), Image.Resampling.BICUBIC))
    return texts


def _qr_texts(gray: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode,
                                   try_rotate=True, try_downscale=True)
    return list(dict.fromkeys(barcode.text for barcode in found if barcode.valid))


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
              thumbnail_px: int | None = None) -> ScanSort:
    """Read every page of every file and group the pages by the mark they carry.

    A file that cannot be read is listed in `refused` and the others are still sorted; so
    is every file once the batch has reached `max_batch_pages`. With `thumbnail_px` each
    page also gets a JPEG thumbnail that size on its long side, made from the page read.
    """
    pages: list[ScanPage] = []
    refused: list[FileRefused] = []
    for number, data in enumerate(files):
        try:
            with open_scan(data, settings) as source:
                if len(pages) + source.pages > settings.max_batch_pages:
                    raise ScanRefused("scan_batch_too_large", f"一次最多识别 {settings.max_batch_pages} 页，"
                                      "此文件未识别，请稍后单独上传。")
                pages += [_read_page(source, number, index, thumbnail_px) for index in range(source.pages)]
        except ScanRefused as exc:
            refused.append(FileRefused(number, exc.code, f"第 {number + 1} 个文件：{exc.message}"))
    groups: dict[ContractMark, list[ScanPage]] = {}
    for page in pages:
        if page.mark is not None:
            groups.setdefault(page.mark, []).append(page)
    return ScanSort(tuple(pages), tuple(ScanGroup(mark, tuple(found)) for mark, found in groups.items()),
                    tuple(refused))


def _read_page(source: ScanFile, file: int, index: int, thumbnail_px: int | None) -> ScanPage:
    image = source.image(index)
    marks, foreign = marks_on(read_marks(image))
    small = small_jpeg(image, thumbnail_px, source.settings.thumbnail_quality) if thumbnail_px else b""
    return ScanPage(file, index, marks, foreign, small)


# -- one PDF per person -------------------------------------------------------------------


def assemble_pdf(pages: Sequence[tuple[bytes, int]], settings: ScanSettings = SETTINGS) -> bytes:
    """One PDF of the given (file bytes, page index) pages, in order. PDF pages are copied as
    they are (no re-rendering); an image becomes one page of its own size."""
    from pypdf import PdfReader, PdfWriter  # 7 MB, for the bulk upload only
    from pypdf.errors import PyPdfError

    writer = PdfWriter()
    readers: dict[int, PdfReader] = {}
    try:
        for data, index in pages:
            if kind_of(data) != PDF:
                if index != 0:
                    raise ScanRefused("scan_no_page", f"图片文件只有一页，没有第 {index + 1} 页。")
                writer.append(PdfReader(io.BytesIO(image_pdf(data, settings))))
                continue
            reader = readers.get(id(data))
            if reader is None:
                reader = readers[id(data)] = PdfReader(io.BytesIO(data))
            writer.add_page(reader.pages[index])
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, KeyError, IndexError) as exc:
        raise ScanRefused("scan_damaged", f"无法从上传的文件中取出页面（{type(exc).__name__}）。") from None
    return out.getvalue()


