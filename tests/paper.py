"""Paper for the scan tests: pages as an office scanner returns them, and LibreOffice's prints.

Import from a test module as `from paper import ...` (pytest puts tests/ on sys.path).

- `print_pdfs(docx files, work dir)` converts Word files with LibreOffice (one call, bounded).
- `rasterised(pdf)` renders each page at 150 dpi; `scanned(image, seed)` tilts it 2°, salts it
  with noise and saves it as JPEG quality 70; `pdf_of(images)` makes the scanner's PDF.
- `with_code(payloads)` is a white A4 page at 150 dpi with QR codes on it.
- `png_declaring(width, height)` is a PNG of a few hundred bytes whose header declares that size.
- `contract_copies(pdf, names)` splits a department's printed contracts into each person's copies.
"""

from __future__ import annotations

import io
import random
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader

from service.content.forms_text import CONTRACT_PERSON, COPY_LABELS
from service.office import qr

A4_150 = (1240, 1754)
needs_office = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


def print_pdfs(sources: list[Path], work: Path, timeout: float = 300) -> dict[str, bytes]:
    """Each Word file as LibreOffice prints it to PDF: {file stem: PDF bytes}."""
    subprocess.run(["soffice", f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), *map(str, sources)],
                   check=True, capture_output=True, timeout=timeout)
    return {source.stem: (work / f"{source.stem}.pdf").read_bytes() for source in sources}


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def rasterised(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()


def scanned(image: Image.Image, seed: int) -> Image.Image:
    """As a office scanner returns a page: tilted 2°, salt-and-pepper noise, JPEG quality 70."""
    tilted = image.rotate(2, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    rng = random.Random(seed)
    pixels = tilted.load()
    assert pixels is not None
    for _ in range(tilted.width * tilted.height // 200):
        pixels[rng.randrange(tilted.width), rng.randrange(tilted.height)] = rng.choice((0, 255))
    out = io.BytesIO()
    tilted.save(out, "JPEG", quality=70)
    return Image.open(io.BytesIO(out.getvalue()))


def with_code(payloads: list[str]) -> Image.Image:
    page = Image.new("L", A4_150, 255)
    for number, payload in enumerate(payloads):
        code = Image.open(io.BytesIO(qr.qr_png(payload, px=140)))
        page.paste(code, (100 + 500 * number, 100))
    return page


def jpeg_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, dpi=(150, 150))
    return out.getvalue()


def pdf_of(images: list[Image.Image]) -> bytes:
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height one-bit grey pixels, with only its first rows'
    data: a few hundred bytes that would decode to a huge image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(bytes(10 * (1 + (width + 7) // 8)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def contract_copies(pdf: bytes, names: list[str]) -> list[list[range]]:
    """The pages of each person's three copies in a department's print job of contracts, people in
    `names`' order. A copy begins on the page carrying its label (部门存档, 人事处存档, 职工本人存留)
    and runs to the next one (a long copy takes two pages); asserted: every page belongs to a copy,
    each person has three copies in a row, each naming them, all three of the same length."""
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    starts = [i for i, text in enumerate(texts) if any(f"（{label}）" in text for label in COPY_LABELS)]
    assert starts and starts[0] == 0, starts
    copies = [range(a, b) for a, b in zip(starts, [*starts[1:], len(texts)], strict=True)]
    assert len(copies) == 3 * len(names), (len(copies), len(names))
    people = [copies[3 * n:3 * n + 3] for n in range(len(names))]
    for name, own in zip(names, people, strict=True):
        assert all(f"{CONTRACT_PERSON}：{name}" in texts[copy.start] for copy in own), name
        assert len({len(copy) for copy in own}) == 1, (name, own)
    return people
