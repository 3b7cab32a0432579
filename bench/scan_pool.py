"""Rows 19 and 20: scans read on every core, through the service's process pool.

Row 19: a department's 120-page stack scanned at 200 dpi, previewed (`office.scans.sort_scan`
with the bulk page's settings and thumbnails, as `web/scan_batch.py` calls it): in the service's
pool (`web/scan_pool.ScanPool`, one worker per core) against the same call in one process.

Row 20: 16 clients uploading scans one person at a time (`POST /api/contracts`): a realistic
3-page scan of a printed contract (LibreOffice, 150 dpi, tilted 2°, salt-and-pepper noise, JPEG
quality 70) and a 1-page PDF of the same kind, each without a code (read once more at double
size, the costliest case), alternating. The figure is the pages read a second by the service
against the limit: `bench/bare_scans.py`, the bare durable endpoint that also renders and reads
the same pages with pdfium and zxing in-process, one uvicorn worker per core; `/healthz` of the
service is sampled by one more client throughout its runs.

`python -m bench.scan_pool` prints both rows alone (a small synthetic college for row 20);
`--stack` row 19 alone.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from bench import client, report, servers, synthetic
from bench.client import Run, median
from bench.measure import College, Comparison, Row, ms, served_college
from bench.scans import scanned_contract
from service.office import scans
from service.web import scan_batch
from service.web.scan_pool import ScanPool, cores

STACK_PEOPLE = 40  # three pages each: 120 pages
STACK_DPI = 200
STACK_RATIO = 0.6
UPLOADS = 48  # per run, half 3-page scans, half 1-page
ROUNDS = 2
CONCURRENCY = 16
UPLOAD_RATIO = 0.6
HEALTH_P95 = 0.100
NOTE = (f"Rows 19 and 20 (`bench/scan_pool.py`): row 19 previews a {3 * STACK_PEOPLE}-page stack "
        f"({STACK_PEOPLE} copies of one marked annex 1 printed by LibreOffice, rasterised at {STACK_DPI} dpi, "
        "tilted, salted with noise, JPEG quality 70) with `sort_scan` as the bulk page does, in the service's "
        f"process pool (one worker per core) and in one process, alternating, {ROUNDS} runs each (median). "
        f"Row 20: {CONCURRENCY} clients, {ROUNDS} alternating runs of {UPLOADS} uploads each against the service "
        "and against `bench/bare_scans.py` (stores the file durably, then renders and reads every page in-process; "
        "uvicorn with one worker per core); half are a 3-page 150-dpi scan of a printed contract, half a 1-page "
        "one, neither carrying a code. Pages read per second, pooled over the runs.")


# -- 17: one stack, every core -------------------------------------------------------------


def stack_row(work: Path) -> Row:
    if shutil.which("soffice") is None:
        return Row("19", "stack preview", "not measured: LibreOffice (soffice) is not installed", "—", None)
    folder = work / "stack"
    folder.mkdir(parents=True, exist_ok=True)
    stack = scanned_contract(folder, dpi=STACK_DPI, copies=STACK_PEOPLE)
    pool = ScanPool()
    try:
        executor = pool.executor()

        def preview(in_pool: bool) -> float:
            began = time.perf_counter()
            found = scans.sort_scan([stack], scan_batch.SETTINGS, thumbnail_px=scan_batch.THUMBNAIL_PX,
                                    executor=executor if in_pool else None)
            took = time.perf_counter() - began
            assert len(found.pages) == 3 * STACK_PEOPLE, "every page read"
            return took

        preview(True)  # untimed: the workers started and warm
        alone, pooled = [], []
        for _ in range(ROUNDS):
            alone.append(preview(False))
            pooled.append(preview(True))
    finally:
        pool.shutdown()
    ratio = median(pooled) / median(alone)
    return Row("19", f"{3 * STACK_PEOPLE}-page {STACK_DPI}-dpi stack previewed: pool of {pool.workers} ÷ one process",
               f"{median(pooled):.1f} s ÷ {median(alone):.1f} s = {ratio:.2f}", f"≤ {STACK_RATIO}",
               ratio <= STACK_RATIO)


# -- 18: many people's scans, every core ---------------------------------------------------


def upload_files(work: Path) -> list[tuple[bytes, int]]:
    """(file, pages): the 3-page scan of a printed contract and its first page alone, no code on either."""
    folder = work / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    three = scanned_contract(folder, marked=False)
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(three)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return [(three, 3), (out.getvalue(), 1)]


def upload_rows(college: College, work: Path) -> list[Row]:
    assert college.server is not None
    if shutil.which("soffice") is None:
        return [Row("20", "scan uploads", "not measured: LibreOffice (soffice) is not installed", "—", None)]
    files = upload_files(work)
    bare = servers.start_bare("bare, reading scans", work / "bare-scans-files", work / "bare-scans.log",
                              app="bench.bare_scans:app", workers=cores())
    rng = random.Random(18)
    result = Comparison()
    health: list[Run] = []
    pages = 0
    try:
        for round_number in range(ROUNDS + 1):  # the first round untimed: pools and caches warm
            staff, chosen = [], []
            for index in range(UPLOADS):
                data, count = files[index % 2]
                chosen.append(count)
                staff.append(client.upload_request("/api/contracts", rng.choice(college.staff_ids),
                                                   synthetic.own_copy(data), college.token))
            plain = [client.Request(r.method, "/upload", r.body, {"Content-Type": r.headers["Content-Type"]})
                     for r in staff]
            bare_run = client.run(bare.port, plain, CONCURRENCY)
            service_run, sampled = _with_health(college.server.port, staff)
            if round_number == 0:
                continue
            result.bare.append(bare_run)
            result.service.append(service_run)
            health.append(sampled)
            pages += sum(chosen)
    finally:
        bare.stop()
    service, limit = result.pooled(result.service), result.pooled(result.bare)
    service_rate, limit_rate = pages / service.elapsed, pages / limit.elapsed
    ratio = service_rate / limit_rate
    probes = result.pooled(health)
    return [
        Row("20", f"scan uploads, {CONCURRENCY} clients: service ÷ bare endpoint reading the same pages "
            f"({cores()} workers)",
            f"{service_rate:.1f} pages/s ÷ {limit_rate:.1f} pages/s = {ratio:.2f}; p95 upload service "
            f"{ms(service.p95)}, bare {ms(limit.p95)}", f"≥ {UPLOAD_RATIO}", ratio >= UPLOAD_RATIO),
        Row("20 (healthz)", "`GET /healthz` while the service reads those scans, p95",
            f"{ms(probes.p95)} ({len(probes.latencies)} requests)", f"< {HEALTH_P95 * 1000:.0f} ms",
            probes.p95 < HEALTH_P95),
    ]


def _with_health(port: int, requests: list[client.Request]) -> tuple[Run, Run]:
    probe = client.Request("GET", "/healthz", None, {"Accept": "application/json"})
    done = threading.Event()
    runs: list[Run] = []

    def prober() -> None:
        while not done.is_set():
            runs.append(client.run(port, [probe] * 5, 1, expect=(200,)))

    thread = threading.Thread(target=prober, daemon=True)
    thread.start()
    try:
        uploads = client.run(port, requests, CONCURRENCY)
    finally:
        done.set()
        thread.join()
    return uploads, Comparison.pooled(runs)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scan_pool", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="store_true", help="row 19 alone (no college, no uploads)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-scan-pool-") as work:
        base = Path(work)
        rows = [stack_row(base)]
        if args.stack:
            print(report.table(rows))
            return
        with served_college(base, 100) as college:
            rows += upload_rows(college, base)
        print(report.table(rows))


if __name__ == "__main__":
    main()
