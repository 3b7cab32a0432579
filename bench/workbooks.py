"""Row 13: `GET /api/status` while 44 clerks upload heavy annex 5 workbooks at once.

Each workbook is the department's real annex 5 with its rows padded with empty styled cells:
"padded" (about 440 KB, far over the cell limit: refused from its XML before openpyxl parses
it) and "under the limit" (just below it, so every one is parsed in full, one at a time). A
44-thread burst of each is sent to `/api/completion/{dept}/xlsx` while one more client reads
the anonymous `/api/status` in a loop; the row is that client's p95.

`python -m bench.workbooks` prints the rows alone, on a fresh synthetic college of 1,000 staff.
"""

from __future__ import annotations

import http.client
import io
import re
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from bench import client, report, servers
from bench.client import percentile
from bench.measure import College, Row, ms
from service.content.models import Content
from service.office.annex5 import completion_xlsx
from service.office.safe_reader import LIMITS

KEY = "13"
CLERKS = 44
TARGET = 0.200
SHEET = "xl/worksheets/sheet1.xml"
NOTE = (f"Row 13: {CLERKS} threads each POST one annex 5 workbook of the department (its rows padded with "
        "empty styled cells) to `/api/completion/{dept}/xlsx` with a token, all at once, while one more client "
        "reads `/api/status` back to back; p50/p95 of those reads. \"padded\": about 440 KB, over the cell limit "
        f"({LIMITS.max_cells:,}), refused from its XML; \"under the limit\": just below it, parsed in full, one "
        "workbook at a time.")


def padded(content: Content, department: str, cells: int) -> bytes:
    """The department's annex 5 with about `cells` empty styled cells spread over its rows."""
    data = completion_xlsx(content, department)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == SHEET:
                text = body.decode("utf-8")
                per_row = cells // max(1, len(re.findall(r"<row ", text)))
                body = re.sub(r'<row r="(\d+)"[^>]*>.*?</row>', lambda m, n=per_row: _pad(m, n), text,
                              flags=re.S).encode("utf-8")
            target.writestr(info, body)
    return out.getvalue()


def _pad(row: re.Match[str], cells: int) -> str:
    extra = "".join(f'<c r="{_column(60 + i)}{row.group(1)}" s="1"/>' for i in range(cells))
    return row.group(0).replace("</row>", extra + "</row>")


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def burst(port: int, token: str, department: str, workbook: bytes) -> tuple[client.Run, int, float]:
    """CLERKS uploads at once and status reads meanwhile: (the reads, statuses seen, upload wall time)."""
    body, content_type = client.multipart({}, "annex5.xlsx", workbook)
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {token}"}
    done = threading.Event()
    reads: list[float] = []
    codes: list[int] = []
    gate = threading.Barrier(CLERKS + 1)

    def clerk() -> None:
        conn = http.client.HTTPConnection(servers.HOST, port, timeout=300)
        gate.wait()
        conn.request("POST", f"/api/completion/{department}/xlsx", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        codes.append(response.status)
        conn.close()

    def reader() -> None:
        conn = http.client.HTTPConnection(servers.HOST, port, timeout=60)
        while not done.is_set():
            began = time.perf_counter()
            conn.request("GET", "/api/status")
            conn.getresponse().read()
            reads.append(time.perf_counter() - began)
        conn.close()

    threads = [threading.Thread(target=clerk, daemon=True) for _ in range(CLERKS)]
    watcher = threading.Thread(target=reader, daemon=True)
    for thread in threads:
        thread.start()
    watcher.start()
    began = time.perf_counter()
    gate.wait()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    done.set()
    watcher.join()
    return client.Run(tuple(reads), took), len(set(codes)), took


def rows(college: College) -> list[Row]:
    assert college.server is not None and college.token is not None
    department = college.content.departments[0].id
    found = []
    for label, cells in (("padded", 180_000), ("under the limit", LIMITS.max_cells - 2_000)):
        workbook = padded(college.content, department, cells)
        run, _, took = burst(college.server.port, college.token, department, workbook)
        figure = (f"{ms(run.p50)} / {ms(percentile(run.latencies, 95))} ({len(run.latencies)} reads; "
                  f"{CLERKS} workbooks of {len(workbook) // 1024} KB answered in {took:.1f} s)")
        found.append(Row(f"{KEY} ({label})", f"`GET /api/status` p50 / p95 while {CLERKS} annex 5 workbooks "
                         f"({label}) are uploaded at once", figure, "p95 < 200 ms",
                         percentile(run.latencies, 95) < TARGET))
    return found


def main() -> None:
    from bench import measure

    with tempfile.TemporaryDirectory(prefix="bench-workbooks-") as work, \
            measure.served_college(Path(work), 1_000) as college:
        print(report.table(rows(college)))


if __name__ == "__main__":
    main()
