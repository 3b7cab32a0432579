"""HR's read paths at scale, service start-up, and a department that re-uploads many times.

- HR reads: `/board/scores`, `/api/scores?limit=100`, `/api/progress`, `/board/review`,
  `/hr/export.xlsx` and `/hr/scores.xlsx`, each a run of sequential requests from one client
  (the pages with an HR session, the API with HR's token); during the score sheet the
  service's peak RSS is read from /proc (VmHWM, reset before each request).
- One department's `/api/scores` at two sizes, in alternating blocks (their ratio).
- Start-up: the service stopped and started again over the same data directory, timed from
  the spawn to its first answer, then the first college-wide read.
- Re-uploads: 2,000 uploads into one department; its last 200 are sent in alternating
  blocks with the first 200 into another department, so the machine's noise cancels.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import client, servers
from bench.client import Request, Run, median
from bench.measure import College, Comparison, Row, ms
from bench.synthetic import own_copy

DEPARTMENT = "d001"  # a synthetic department of about 60 people at every size
PAGES = {
    "scores": ("HR's score page `GET /board/scores` (first 100)", "/board/scores?per_page=100", True),
    "api scores": ("`GET /api/scores?limit=100` (college, first 100)", "/api/scores?limit=100", False),
    "progress": ("`GET /api/progress`", "/api/progress", False),
    "review": ("HR's review queue `GET /board/review`", "/board/review", True),
    "export": ("completion workbook `GET /hr/export.xlsx`", "/hr/export.xlsx", False),
    "sheet": ("score sheet `GET /hr/scores.xlsx`", "/hr/scores.xlsx", False),
}
LIMITS = {"scores": 0.150, "api scores": 0.150, "progress": 0.150, "review": 0.150, "export": 1.0, "sheet": 3.0}
SHEET_RSS_MB = 200
STARTUP_SECONDS = 3.0


@dataclass
class HrReads:
    runs: dict[str, Run] = field(default_factory=dict)
    sheet_peak_mb: float = 0.0


def request(college: College, path: str, cookie: str, page: bool) -> Request:
    if page:
        return Request("GET", path, None, {"Accept": "text/html", "Cookie": cookie})
    return Request("GET", path, None, {"Accept": "application/json", "Authorization": f"Bearer {college.token}"})


def reset_peak(server: servers.Server) -> bool:
    """Start VmHWM over from the current RSS (Linux: clear_refs 5); False when not allowed."""
    try:
        Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def hr_reads(college: College, cookie: str, count: int, sheets: int) -> HrReads:
    """`count` requests of each HR read (`sheets` of the score sheet), one client, one after another."""
    assert college.server is not None
    port = college.server.port
    found = HrReads()
    for key, (_, path, page) in PAGES.items():
        wanted = request(college, path, cookie, page)
        if key != "sheet":
            found.runs[key] = client.run(port, [wanted] * count, 1, expect=(200,))
            continue
        runs, peaks = [], []
        for _ in range(sheets):
            reset = reset_peak(college.server)
            runs.append(client.run(port, [wanted], 1, expect=(200,)))
            peaks.append(college.server.peak_rss_mb() if reset else float("nan"))
        # one peak that could not be measured (nan) makes the whole figure nan, and the row fails
        found.sheet_peak_mb = float("nan") if any(math.isnan(p) for p in peaks) else max(peaks, default=0.0)
        found.runs[key] = Comparison.pooled(runs)
    return found


def department_scores(colleges: list[College], count: int, blocks: int = 5) -> dict[int, Run]:
    """One department's first 100 scores at each size, `blocks` alternating blocks."""
    per_block = max(1, count // blocks)
    found: dict[int, list[Run]] = {c.n: [] for c in colleges}
    for _ in range(blocks):
        for college in colleges:
            assert college.server is not None
            wanted = request(college, f"/api/scores?department={DEPARTMENT}&limit=100", "", False)
            found[college.n].append(client.run(college.server.port, [wanted] * per_block, 1, expect=(200,)))
    return {n: Comparison.pooled(runs) for n, runs in found.items()}


@dataclass(frozen=True)
class Startup:
    seconds: list[float]
    first_read: list[float]  # the first `/board/scores` after each start


def restarts(college: College, start: Callable[[], servers.Server], cookie: str, times: int) -> Startup:
    """Stop the college's service and start it again `times` times: spawn → first answer, then
    the first college-wide read. Leaves the last one running in `college.server`."""
    seconds, first = [], []
    page = request(college, PAGES["scores"][1], cookie, True)
    for _ in range(times):
        assert college.server is not None
        college.server.stop()
        began = time.perf_counter()
        college.server = start()
        seconds.append(time.perf_counter() - began)
        first.append(client.run(college.server.port, [page], 1, expect=(200,)).latencies[0])
    return Startup(seconds, first)


@dataclass(frozen=True)
class Reuploads:
    fill: list[Run]  # the first 1,800 into the busy department, in blocks
    early: Run  # the first 200 into the quiet department
    late: Run  # uploads 1,801–2,000 into the busy department

    @property
    def ratio(self) -> float:
        return self.late.throughput / self.early.throughput


def reuploads(college: College, scan: bytes, concurrency: int, total: int = 2_000, window: int = 200,
              blocks: int = 4, busy: str = DEPARTMENT, settle: Callable[[], None] = lambda: None) -> Reuploads:
    """`total` uploads into `busy` (its people only); its last `window` alternate, `blocks` at a
    time, with the first `window` into the largest other department. Each pair of blocks runs in
    the other order from the pair before (neither side always follows the other), and `settle`
    runs before each block (the work a burst leaves behind lands in neither)."""
    assert college.server is not None
    port = college.server.port
    rng = random.Random(13)
    content = college.content
    quiet = max((d.id for d in content.departments if d.id != busy), key=lambda d: len(content.members(d)))

    def into(department: str, count: int) -> list[Request]:
        people = [m.staff_id for m in college.content.members(department)]
        return [client.upload_request("/api/contracts", rng.choice(people), own_copy(scan), college.token)
                for _ in range(count)]

    fill = [client.run(port, into(busy, window), concurrency) for _ in range((total - window) // window)]
    early: list[Run] = []
    late: list[Run] = []
    for block in range(blocks):
        pair = ((early, quiet), (late, busy))
        for runs, department in pair if block % 2 == 0 else reversed(pair):
            settle()
            runs.append(client.run(port, into(department, window // blocks), concurrency))
    return Reuploads(fill, Comparison.pooled(early), Comparison.pooled(late))


# -- rows -----------------------------------------------------------------------------------


def read_rows(n: int, reads: HrReads, department: dict[int, Run], small: int) -> list[Row]:
    rows = []
    for key, (label, _, _) in PAGES.items():
        got = reads.runs[key]
        limit = LIMITS[key]
        figure = f"{ms(got.p50)} / {ms(got.p95)} ({len(got.latencies)} requests)"
        target = f"p95 < {ms(limit)}" if limit < 1 else f"p95 < {limit:.0f} s"
        passed = got.p95 < limit
        if key == "sheet":
            figure += f"; peak RSS during it {reads.sheet_peak_mb:.0f} MB"
            target += f", RSS < {SHEET_RSS_MB} MB"
            passed = passed and reads.sheet_peak_mb < SHEET_RSS_MB
        rows.append(Row(f"8 ({key})", f"{label} at N={n:,}, p50 / p95", figure, target, passed))
    low, high = department[small], department[n]
    ratio = median(high.latencies) / median(low.latencies)
    rows.append(Row("9", f"one department's `/api/scores?department=…&limit=100`: N={n:,} ÷ N={small:,} (median)",
                    f"{ms(median(high.latencies))} ÷ {ms(median(low.latencies))} = {ratio:.2f} "
                    f"(p95 {ms(high.p95)} / {ms(low.p95)})", "≤ 1.5", ratio <= 1.5))
    return rows


def startup_rows(n: int, startup: Startup) -> list[Row]:
    took = median(startup.seconds)
    return [
        Row("10", f"service start-up at N={n:,}: spawn → first answer (median of {len(startup.seconds)})",
            f"{took:.2f} s (each: {', '.join(f'{s:.2f}' for s in startup.seconds)} s)",
            f"< {STARTUP_SECONDS:.0f} s", took < STARTUP_SECONDS),
        Row("10 (first read)", f"the first `/board/scores` after each start at N={n:,}",
            ", ".join(ms(s) for s in startup.first_read), "—", None),
    ]


def reupload_rows(n: int, found: Reuploads, concurrency: int) -> list[Row]:
    fill = ", ".join(f"{r.throughput:.0f}" for r in found.fill)
    window = len(found.late.latencies)
    total = window + sum(len(r.latencies) for r in found.fill)
    return [Row("11", f"re-uploads into one department (N={n:,}, {concurrency} clients): the last {window} of "
                f"{total:,} ÷ the first {window} into another department (alternating blocks)",
                f"{found.late.throughput:.0f}/s ÷ {found.early.throughput:.0f}/s = {found.ratio:.2f}; "
                f"the {total - window:,} before, per {window}: {fill}/s", "≥ 0.9", found.ratio >= 0.9)]
