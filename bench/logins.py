"""Row 12: a staff member's sign-in at 10,000 staff accounts ÷ at 100 (p95).

Before its server starts, every roster member of each college gets a staff account with a
one-time password, department by department, through the use case HR's slips page runs
(`workflows.staff.issue_slips`). One client then signs random members in through the login
form — GET /login for the CSRF cookie (untimed), POST /login timed, answered 303 — in blocks
alternating between the two colleges, so the machine's drift hits both alike.

`python -m bench.logins` prints the rows alone, on fresh synthetic colleges of 100 and 10,000.
"""

from __future__ import annotations

import datetime as dt
import http.client
import random
import re
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench import report, servers, synthetic
from bench.client import percentile
from bench.measure import College, Row, ms
from service.rules.access import User
from service.workflows import staff
from service.workflows.context import Context

KEY = "12"
TARGET = 1.5
NOTE = ("Row 12: every roster member of the college has a staff account (one-time passwords issued department by "
        "department through `workflows.staff.issue_slips`, as HR's slips page does, before the server starts); one "
        "client signs random members in through the login form, GET /login untimed, POST /login timed (303), "
        "in alternating blocks per size; p95 of the POSTs. \"12 (slips)\": issuing every department's "
        "passwords, for information.")


def open_accounts(college: College) -> tuple[dict[str, str], float]:
    """staff_id → one-time password for everyone of the college, and how long issuing took."""
    settings = synthetic.bench_settings(college.data_dir, college.content_dir, college.site_dir)
    college.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context.open(settings, college.content, lambda: dt.datetime.now(dt.UTC))
    hr = User(synthetic.BENCH_USER, "hr")
    passwords: dict[str, str] = {}
    began = time.perf_counter()
    with synthetic.no_fsync():
        for department in college.content.departments:
            issued = staff.issue_slips(ctx, hr, department.id)
            passwords.update({slip.staff_id: slip.password for slip in issued.slips})
    return passwords, time.perf_counter() - began


def sign_in(port: int, staff_id: str, password: str) -> float:
    """One sign-in through the form; the POST's latency."""
    conn = http.client.HTTPConnection(servers.HOST, port, timeout=30)
    try:
        conn.request("GET", "/login", headers={"Accept": "text/html"})
        response = conn.getresponse()
        page = response.read().decode("utf-8")
        cookie = (response.getheader("set-cookie") or "").split(";", 1)[0]
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        if not match or not cookie:
            raise RuntimeError("login page has no CSRF token or cookie")
        form = urllib.parse.urlencode({"username": staff_id, "password": password, "csrf": match[1]})
        began = time.perf_counter()
        conn.request("POST", "/login", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "text/html"})
        response = conn.getresponse()
        response.read()
        took = time.perf_counter() - began
        if response.status != 303:
            raise RuntimeError(f"sign-in of {staff_id} failed: HTTP {response.status}")
        return took
    finally:
        conn.close()


def measure(colleges: list[tuple[College, dict[str, str]]], blocks: int, per_block: int,
            seed: int = 5) -> dict[int, list[float]]:
    rng = random.Random(seed)
    found: dict[int, list[float]] = {college.n: [] for college, _ in colleges}
    for college, passwords in colleges:  # one untimed sign-in each: imports, indexes and caches warm
        assert college.server is not None
        person = next(iter(passwords))
        sign_in(college.server.port, person, passwords[person])
    for _ in range(blocks):
        for college, passwords in colleges:
            assert college.server is not None
            people = rng.sample(sorted(passwords), min(per_block, len(passwords)))
            found[college.n] += [sign_in(college.server.port, sid, passwords[sid]) for sid in people]
    return found


def rows(small: College, large: College, times: dict[int, list[float]], issued: dict[int, float]) -> list[Row]:
    few, many = percentile(times[small.n], 95), percentile(times[large.n], 95)
    return [
        Row(KEY, f"staff sign-in p95: {large.n:,} staff accounts ÷ {small.n:,}",
            f"{ms(many)} ÷ {ms(few)} = {many / few:.2f} (p50 {ms(percentile(times[large.n], 50))} / "
            f"{ms(percentile(times[small.n], 50))}; {len(times[large.n])} sign-ins each)", f"≤ {TARGET}",
            many / few <= TARGET),
        Row(f"{KEY} (slips)", f"one-time passwords for every department: N={large.n:,} (N={small.n:,})",
            f"{issued[large.n]:.1f} s ({issued[small.n]:.2f} s)", "—", None),
    ]


def run(small: College, large: College, work: Path, blocks: int = 6, per_block: int = 25) -> list[Row]:
    """Accounts for both colleges, their servers, the measurement; the servers are stopped after."""
    prepared = []
    issued = {}
    for college in (small, large):
        passwords, issued[college.n] = open_accounts(college)
        env = servers.service_env(college.data_dir, college.content_dir, college.site_dir)
        college.server = servers.start_service(f"sign-in N={college.n}", env, work / f"sign-in-{college.n}.log")
        prepared.append((college, passwords))
    try:
        return rows(small, large, measure(prepared, blocks, per_block), issued)
    finally:
        for college, _ in prepared:
            if college.server is not None:
                college.server.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-logins-") as work:
        base = Path(work)
        colleges = []
        for n in (100, 10_000):
            content_dir, content = synthetic.college(base, n)
            colleges.append(College(n, content_dir, base / f"site-{n}", base / f"data-{n}", content))
        print(report.table(run(colleges[0], colleges[1], base)))


if __name__ == "__main__":
    main()
