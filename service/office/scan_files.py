"""Uploaded scan files (PDF, JPEG, PNG) opened safely, and their pages as images.

Every file is checked before it is decoded: its type by its first bytes, its size, its page
count and each page's pixel count (from the PDF's page box or the image header), so a
decompression bomb is refused with a Chinese message before any memory is spent on it.
PDF pages are rendered with pdfium at `ScanSettings.dpi`; photos larger than `max_side`
are decoded reduced (JPEG straight from the DCT data). pdfium may not be entered from two
threads at once, so every call into it holds one lock. pdfium is loaded when the first PDF is
opened (see the package's docstring).
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from service.errors import ApiError

if TYPE_CHECKING:
    import pypdfium2 as pdfium

MB = 1024 * 1024
PDF, JPEG, PNG = "pdf", "jpeg", "png"
PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
A4_LONG_INCHES = 29.7 / 2.54
KINDS_TEXT = "PDF、JPEG 或 PNG"
_PDFIUM = threading.RLock()


@dataclass(frozen=True)
class ScanSettings:
    dpi: int = 150  # PDF pages are read at this resolution
    max_side: int = 3000  # photos are read reduced to this many pixels on their long side
    max_bytes: int = 100 * MB  # one uploaded file
    max_pages: int = 300  # pages in one file
    max_batch_pages: int = 600  # pages in one sort_scan call
    max_pixels: int = 50_000_000  # one page: an image's own size, a PDF page at `dpi`
    thumbnail_quality: int = 80
    pdf_image_quality: int = 90  # JPEG quality of an image turned into a PDF page


SETTINGS = ScanSettings()
OVER_LIMIT = ("scan_too_large", "scan_too_many_pages", "scan_too_many_pixels")  # refusals for what a file holds


class ScanRefused(Exception):
    """A file that cannot be read as a scan; `code` for machines, `message` in Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def as_api_error(self) -> ApiError:
        status = 413 if self.code == "scan_too_large" else 415 if self.code == "scan_type" else 422
        return ApiError(status, self.code, self.message)


# -- opening a file -------------------------------------------------------------------------


def kind_of(data: bytes) -> str:
    """PDF, JPEG or PNG, by the file's first bytes; ScanRefused for anything else."""
    if data.startswith(JPEG_MAGIC):
        return JPEG
    if data.startswith(PNG_MAGIC):
        return PNG
    if PDF_MAGIC in data[:1024]:
        return PDF
    raise ScanRefused("scan_type", f"不支持的文件类型：扫描件应为 {KINDS_TEXT} 文件。")


class ScanFile:
    """One uploaded file, opened, its pages rendered on demand; `open_scan` checks and closes it.

    The file is given as its bytes, or as the path of a copy on disk: a PDF is then read by
    pdfium from the file, only the parts of the pages rendered (how a pool's worker reads its
    pages of a large stack), an image read whole."""

    def __init__(self, data: bytes | Path, settings: ScanSettings) -> None:
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        if not size:
            raise ScanRefused("scan_empty", "上传的文件是空的。")
        if size > settings.max_bytes:
            raise ScanRefused("scan_too_large", f"文件过大（{size / MB:.1f} MB），扫描件不能超过 "
                              f"{settings.max_bytes // MB} MB。")
        self.kind = kind_of(_head(data))
        self.data = data.read_bytes() if isinstance(data, Path) and self.kind != PDF else data
        self.settings = settings
        self.pdf: pdfium.PdfDocument | None = None
        self.pages = 1
        if self.kind == PDF:
            with _PDFIUM:
                self.pdf = _open_pdf(data)
                self.pages = len(self.pdf)

    def check(self) -> None:
        """Refuse a file with no page, too many pages, or a page of too many pixels."""
        if self.pages == 0:
            raise ScanRefused("scan_empty", "PDF 文件中没有页面。")
        if self.pages > self.settings.max_pages:
            raise ScanRefused("scan_too_many_pages", f"文件共 {self.pages} 页，一个文件最多 "
                              f"{self.settings.max_pages} 页，请分成几个文件上传。")
        for index in range(self.pages):
            pixels = self.pixels(index)
            if pixels > self.settings.max_pixels:
                where = f"第 {index + 1} 页" if self.pdf is not None else "图片"
                raise ScanRefused("scan_too_many_pixels", f"{where}的尺寸过大（约 {pixels / 1e6:.0f} 百万像素，最多 "
                                  f"{self.settings.max_pixels / 1e6:.0f} 百万像素），请以 300 dpi 或更低分辨率重新扫描。")

    def close(self) -> None:
        if self.pdf is not None:
            with _PDFIUM:
                self.pdf.close()
            self.pdf = None

    def pixels(self, index: int) -> int:
        """Page `index`'s pixels: an image's own, a PDF page's at the reading resolution."""
        if self.pdf is None:
            assert isinstance(self.data, bytes)
            width, height = _image_size(self.data)
            return width * height
        with _PDFIUM:
            width, height = self.pdf.get_page_size(index)
        dpi = self.settings.dpi
        return round(width * dpi / 72) * round(height * dpi / 72)

    def image(self, index: int, *, side: int | None = None) -> Image.Image:
        """Page `index`: a PDF page at the reading resolution (or scaled so its long side is
        `side` pixels), an image upright (EXIF orientation applied), reduced to `side` or
        `max_side`."""
        if self.pdf is None:
            assert isinstance(self.data, bytes)
            return _decode_image(self.data, side or self.settings.max_side)
        import pypdfium2 as pdfium  # loaded already: the file is open

        with _PDFIUM:
            page = self.pdf[index]
            try:
                scale = side / max(page.get_size()) if side is not None else self.settings.dpi / 72
                return page.render(scale=scale, may_draw_forms=False).to_pil()
            except pdfium.PdfiumError:
                raise ScanRefused("scan_damaged", f"PDF 文件第 {index + 1} 页已损坏，无法读取。") from None
            finally:
                page.close()


@contextlib.contextmanager
def open_scan(data: bytes | Path, settings: ScanSettings = SETTINGS) -> Iterator[ScanFile]:
    """The file opened and checked (ScanRefused says what is wrong), closed on leaving."""
    source = ScanFile(data, settings)
    try:
        source.check()
        yield source
    finally:
        source.close()


def _head(data: bytes | Path) -> bytes:
    """The first bytes of a file, enough to tell its kind."""
    if isinstance(data, bytes):
        return data[:1024]
    with data.open("rb") as stream:
        return stream.read(1024)


def _open_pdf(data: bytes | Path) -> pdfium.PdfDocument:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ScanRefused("scan_encrypted", "PDF 文件设置了密码，无法读取。请取消密码后重新上传。") from None
        raise ScanRefused("scan_damaged", "PDF 文件已损坏，无法读取。") from None


def _open_image(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    except Image.DecompressionBombError:
        raise ScanRefused("scan_too_many_pixels", "图片尺寸过大，请以 300 dpi 或更低分辨率重新扫描。") from None
    except (OSError, SyntaxError, ValueError):
        raise ScanRefused("scan_damaged", "图片文件已损坏，无法读取。") from None


def _image_size(data: bytes) -> tuple[int, int]:
    with _open_image(data) as image:
        return image.size


def _decode_image(data: bytes, side: int | None) -> Image.Image:
    """The image upright, in L or RGB, reduced to at most `side` pixels on its long side."""
    try:
        with _open_image(data) as image:
            if side is not None and image.format == "JPEG" and max(image.size) > side:
                scale = side / max(image.size)
                image.draft(image.mode, (int(image.width * scale), int(image.height * scale)))
            upright = _plain(ImageOps.exif_transpose(image))
    except (OSError, SyntaxError, ValueError):
        raise ScanRefused("scan_damaged", "图片文件已损坏或不完整，无法读取。") from None
    if side is not None and max(upright.size) > side:
        upright.thumbnail((side, side), Image.Resampling.LANCZOS)
    return upright


def _plain(image: Image.Image) -> Image.Image:
    """L or RGB as the image looks: 16-bit grey scaled to 8 bits, transparency on white."""
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if image.mode in ("1", "L"):
        return image.convert("L")
    if "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image.convert("RGB")


def check_limits(data: bytes, settings: ScanSettings = SETTINGS) -> None:
    """Refuse (ScanRefused) a scan over the limits of size, pages or pixels a page, before a
    single upload is stored; a file that is not a scan, or cannot be read, passes (it is judged
    by its type)."""
    try:
        with open_scan(data, settings):
            pass
    except ScanRefused as exc:
        if exc.code in OVER_LIMIT:
            raise


def page_count(data: bytes, settings: ScanSettings = SETTINGS) -> int:
    """The number of pages of a scan file, once it has passed every check."""
    with open_scan(data, settings) as source:
        return source.pages


def pages_of(data: bytes, settings: ScanSettings = SETTINGS) -> Iterator[tuple[int, Image.Image]]:
    """(page index from 0, image) for every page of a PDF, JPEG or PNG file, one at a time.

    The whole file is checked (type, size, page count, every page's pixels) before the first
    page is rendered; ScanRefused says what is wrong.
    """
    with open_scan(data, settings) as source:
        for index in range(source.pages):
            yield index, source.image(index)


# -- a file as one PDF page, a page as a thumbnail ------------------------------------------


def image_pdf(data: bytes, settings: ScanSettings = SETTINGS) -> bytes:
    """A JPEG or PNG scan as a one-page PDF, upright, at the resolution the image states
    when that makes a page between A5 and A3, else scaled to an A4 page's length."""
    with open_scan(data, settings):  # checked: type, size, pixels
        image = _decode_image(data, None)
    dpi = _page_dpi(image)
    out = io.BytesIO()
    image.save(out, "PDF", resolution=dpi, quality=settings.pdf_image_quality)
    return out.getvalue()


def _page_dpi(image: Image.Image) -> float:
    stated = image.info.get("dpi")
    long_side = max(image.size)
    if stated:
        try:
            dpi = float(stated[0])
        except (TypeError, ValueError, IndexError):
            dpi = 0.0
        if dpi > 0 and 14.8 <= long_side / dpi * 2.54 <= 42.0:
            return dpi
    return long_side / A4_LONG_INCHES


def thumbnail(data: bytes, page_index: int = 0, *, px: int = 320, settings: ScanSettings = SETTINGS) -> bytes:
    """A small JPEG of one page, at most `px` pixels on its long side, for a preview."""
    with open_scan(data, settings) as source:
        if not 0 <= page_index < source.pages:
            raise ScanRefused("scan_no_page", f"文件没有第 {page_index + 1} 页。")
        image = source.image(page_index, side=px)
    return small_jpeg(image, px, settings.thumbnail_quality)


def small_jpeg(image: Image.Image, px: int, quality: int) -> bytes:
    """`image` as a JPEG at most `px` pixels on its long side."""
    if max(image.size) > px:
        image = image.copy()
        image.thumbnail((px, px), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("L" if image.mode == "L" else "RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()
