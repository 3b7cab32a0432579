"""Row 18: 60 staff members cast their 民主测评 ballots into one round at the same moment.

HR opens a round of the college (5 candidates, 60 voters picked at random among the staff
accounts issued for row 12) with its token. Each voter signs in through the login form and sets
their own password (untimed); then all 60 wait at a barrier and POST their ballot together, each
timed. HR closes the round and reads the tally: every ballot must be counted (60 per candidate),
and the p95 of the 60 latencies is the figure.

`python -m bench.ballots` prints the row alone, on a fresh synthetic college of 300.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import re
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench import logins, measure, report, servers, synthetic
from bench.client import percentile
from bench.measure import College, Row, ms

KEY = "18"
VOTERS = 60
CANDIDATES = 5
TARGET = 0.300
STANDALONE = 300  # the college of `python -m bench.ballots`
CHOICES = ("优秀", "合格", "基本合格", "不合格")
NEW_PASSWORD = "Bench-ballot-2019-mima"
NOTE = (f"Row {KEY}: HR opens a round of the college (token) with {CANDIDATES} candidates and {VOTERS} voters "
        "chosen at random among row 12's staff accounts; each voter signs in and sets a password (untimed); "
        f"then the {VOTERS} wait at a barrier and POST their ballot at once, one connection each; p95 of the "
        f"{VOTERS} POSTs. Passes only if the tally after closing counts every ballot for every candidate.")


class Browser:
    """One keep-alive connection with its cookies, as a voter's browser."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(servers.HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def reconnect(self) -> None:
        """A fresh connection, open now (the server drops idle keep-alive ones)."""
        self.conn.close()
        self.conn = http.client.HTTPConnection(servers.HOST, self.port, timeout=60)
        self.conn.connect()

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers={"Accept": "text/html", **({"Cookie": cookie} if cookie
                                                                                    else {}), **(headers or {})})
        answer = self.conn.getresponse()
        text = answer.read().decode("utf-8", errors="replace")
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, text

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
        return self.send("POST", path, urllib.parse.urlencode(fields).encode(),
                         {"Content-Type": "application/x-www-form-urlencoded"})

    def csrf(self, path: str) -> str:
        status, _, page = self.send("GET", path)
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        if status != 200 or not found:
            raise RuntimeError(f"{path}: HTTP {status}, no csrf field")
        return found[1]


def _signed_in(port: int, staff_id: str, password: str) -> tuple[Browser, str]:
    """A browser of the voter, signed in with their own password; its CSRF token."""
    browser = Browser(port)
    status, headers, _ = browser.form("/login", {"username": staff_id, "password": password,
                                                 "csrf": browser.csrf("/login")})
    if status != 303:
        raise RuntimeError(f"sign-in of {staff_id}: HTTP {status}")
    if headers.get("location") == "/account":
        status, _, text = browser.form("/account", {"csrf": browser.csrf("/account"), "action": "password",
                                                    "current": password, "new": NEW_PASSWORD,
                                                    "repeat": NEW_PASSWORD})
        if status != 303:
            raise RuntimeError(f"password of {staff_id}: HTTP {status} {text[:200]}")
    return browser, browser.csrf("/me/ballots")


def _hr(port: int, token: str, method: str, path: str, body: object = None) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection(servers.HOST, port, timeout=60)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body).encode(),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"{}")
    finally:
        conn.close()


def cast_at_once(college: College, passwords: dict[str, str], seed: int = 11) -> tuple[list[float], dict[str, int]]:
    """The 60 latencies, and per candidate the ballots the tally counted."""
    assert college.server is not None
    port = college.server.port
    rng = random.Random(seed)
    people = rng.sample(sorted(passwords), VOTERS + CANDIDATES)
    candidates, voters = people[:CANDIDATES], people[CANDIDATES:]
    now = dt.datetime.now(dt.UTC)
    status, opened = _hr(port, college.token, "POST", "/api/appraisal/rounds", {
        "unit": "college", "candidates": candidates, "voters": voters,
        "opens": (now - dt.timedelta(hours=1)).isoformat(), "closes": (now + dt.timedelta(hours=2)).isoformat()})
    if status != 201:
        raise RuntimeError(f"opening the round: HTTP {status} {opened}")
    round_id = opened["id"]
    browsers = [_signed_in(port, sid, passwords[sid]) for sid in voters]
    barrier = threading.Barrier(VOTERS)
    took: list[float] = []
    failures: list[str] = []

    def vote(browser: Browser, csrf: str) -> None:
        marks = dict(zip(candidates, random.choices(CHOICES, k=CANDIDATES), strict=True))
        body = json.dumps({"marks": marks}).encode()
        try:
            browser.reconnect()
            barrier.wait()
            began = time.perf_counter()
            status, _, text = browser.send("POST", f"/api/appraisal/rounds/{round_id}/ballot", body,
                                           {"Content-Type": "application/json", "X-CSRF-Token": csrf})
            took.append(time.perf_counter() - began)
            if status != 201:
                failures.append(f"{status} {text[:200]}")
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            failures.append(repr(exc))
            barrier.abort()

    threads = [threading.Thread(target=vote, args=browser) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for browser, _ in browsers:
        browser.conn.close()
    if failures:
        raise RuntimeError(f"{len(failures)} ballots refused: {failures[:3]}")
    if _hr(port, college.token, "POST", f"/api/appraisal/rounds/{round_id}/close")[0] != 200:
        raise RuntimeError("closing the round failed")
    status, tally = _hr(port, college.token, "GET", f"/api/appraisal/rounds/{round_id}/tally")
    lines: list[dict[str, Any]] = tally["lines"]  # type: ignore[assignment]
    counted = {line["staff_id"]: sum(line["counts"].values()) for line in lines}
    return took, counted


def rows(n: int, took: list[float], counted: dict[str, int]) -> list[Row]:
    p95 = percentile(took, 95)
    complete = len(counted) == CANDIDATES and all(v == VOTERS for v in counted.values())
    return [Row(KEY, f"{VOTERS} staff cast 民主测评 ballots into one round at once (N={n:,}), p95; every ballot counted",
                f"{ms(p95)} (p50 {ms(percentile(took, 50))}, max {ms(max(took))}); counted "
                f"{min(counted.values(), default=0)}–{max(counted.values(), default=0)} of {VOTERS} per candidate",
                f"p95 < {TARGET * 1000:.0f} ms, all counted", p95 < TARGET and complete)]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-ballots-") as work:
        base = Path(work)
        content_dir, content = synthetic.college(base, STANDALONE)
        college = College(STANDALONE, content_dir, base / "site", base / "data", content)
        synthetic.populate(college.data_dir, content, extras=False)
        measure.build_once(college)
        passwords, _ = logins.open_accounts(college)
        env = servers.service_env(college.data_dir, college.content_dir, college.site_dir)
        college.token = servers.new_token(env, synthetic.BENCH_USER)
        college.server = servers.start_service("ballots", env, base / "ballots.log")
        try:
            print(report.table(rows(college.n, *cast_at_once(college, passwords))))
        finally:
            college.server.stop()


if __name__ == "__main__":
    main()
