"""Row 7: reading the contract marks of a scanned contract, per page.

A real annex 1 for one person (three copies, one a page) is marked with `office.qr`, printed
to PDF by LibreOffice, rasterised at 150 dpi, and made to look scanned (tilted 2°, salt and
pepper noise, JPEG quality 70) into a 3-page PDF, as an office scanner returns it. The
figure is `sort_scan` on that PDF (each page rendered at 150 dpi and read), per page.

`python -m bench.scans` prints the row alone.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium
from docx import Document
from PIL import Image

from bench import report
from bench.client import median
from bench.measure import Row, ms
from service.config import ROOT
from service.content.loader import load_content
from service.office import annex1, qr, scan_files, scans
from service.rules import contract_mark
from service.rules.contract_mark import ContractMark

DPI = 150
REPEATS = 21
TARGET_SECONDS = 0.300
KEY = "7"
MEASURE = "QR reading of a 3-page 150-dpi scan (`sort_scan`), median per page"
NOTE = (f"Row 7: one person's annex 1 (three copies) marked with `office.qr`, printed by LibreOffice, "
        f"rasterised at {DPI} dpi, tilted 2°, salted with noise and saved as JPEG quality 70 into a 3-page PDF; "
        f"`scans.sort_scan` of that PDF timed {REPEATS} times (after one untimed run), the median divided by "
        "the pages. \"zxing alone\": `read_marks` on one page already decoded.")


def scanned_contract(work: Path, *, dpi: int = DPI, marked: bool = True, copies: int = 1) -> bytes:
    """The 3-page scan of a contract (with its mark, or as a draft without one), as a PDF of JPEG
    pages; `copies` times over, each copy with noise of its own (a department's stack)."""
    content = load_content(ROOT / "content")
    member = content.roster[0]
    role = content.role(member.role)
    rows = list(role.targets) if role else []
    year = content.settings.year
    mark = ContractMark(year, member.staff_id, 1, contract_mark.tag_for(b"bench-secret", year, member.staff_id, rows))
    doc = Document(io.BytesIO(annex1.contract_docx(content, member)))
    if marked:
        qr.mark_document(doc, mark)
    source = work / "contract.docx"
    doc.save(str(source))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(work), str(source)],
                   check=True, capture_output=True, timeout=180)
    document = pdfium.PdfDocument((work / "contract.pdf").read_bytes())
    try:
        printed = [page.render(scale=dpi / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()
    pages = [_degrade(page, seed) for seed, page in enumerate(printed * copies)]
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def _degrade(image: Image.Image, seed: int) -> Image.Image:
    tilted = image.rotate(2, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    rng = random.Random(seed)
    pixels = tilted.load()
    assert pixels is not None
    for _ in range(tilted.width * tilted.height // 200):
        pixels[rng.randrange(tilted.width), rng.randrange(tilted.height)] = rng.choice((0, 255))
    out = io.BytesIO()
    tilted.save(out, "JPEG", quality=70)
    return Image.open(io.BytesIO(out.getvalue()))


def row(work: Path) -> Row:
    if shutil.which("soffice") is None:
        return Row(KEY, MEASURE, "not measured: LibreOffice (soffice) is not installed", "< 300 ms", None)
    scan = scanned_contract(work)
    found = scans.sort_scan([scan])  # untimed: imports and pdfium warmed
    pages = len(found.pages)
    read = [len(group.pages) for group in found.groups]
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        scans.sort_scan([scan])
        times.append((time.perf_counter() - began) / pages)
    _, image = next(scan_files.pages_of(scan))
    alone = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        scans.read_marks(image)
        alone.append(time.perf_counter() - began)
    per_page = median(times)
    figure = (f"{ms(per_page)} per page ({pages} pages, {sum(read)} read, {len(found.unreadable)} unreadable); "
              f"zxing alone {ms(median(alone))}")
    return Row(KEY, MEASURE, figure, "< 300 ms", per_page < TARGET_SECONDS and sum(read) == pages)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-scans-") as work:
        measured = row(Path(work))
    print(report.table([measured]))


if __name__ == "__main__":
    main()
