"""A college with three years of data against the same college with one, side by side.

The three-year college is filled year by year through the service's own use cases: a year's
data (`synthetic.populate`), then the next year started by the real new-year path
(`workflows.years.start`: the set-up archived, its dates moved), three times; the oldest year is
then archived (归档) through `POST /api/years/{year}/close`. The one-year college has the same
set-up and the same current-year data, and nothing else. Both services run at once; each read
is taken in alternating blocks on the two, so the machine's noise falls on both alike. Past
years are read with `?year=` on the three-year college and held to the current-year targets.
"""

from __future__ import annotations

import http.client
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import client, servers, synthetic, views
from bench.client import Run, median
from bench.measure import College, Comparison, Row, build_once, ms
from service.content.loader import load_content
from service.content.new_year import ARCHIVE
from service.workflows import years

KEY = "17"
YEARS = 3
RATIO = 1.2  # a current-year figure with past years kept ÷ the same figure with one year
STARTUP_SECONDS = 3.0
PEAK_RSS_MB = 200
BLOCKS = 5
# The current-year reads compared, with the target each already has in another row (4, 8).
READS = {
    "status": ("`GET /api/status`", "/api/status", False, 0.050),
    "board": ("HR board `GET /board`", "/board", True, 0.050),
    "api scores": ("`GET /api/scores?limit=100`", "/api/scores?limit=100", False, 0.150),
    "export": ("completion workbook `GET /hr/export.xlsx`", "/hr/export.xlsx", False, 1.0),
}
# Past-year reads (`?year=` of each past year): held to the current year's targets.
PAST = {
    "board": ("HR board", "/board", True, 0.050),
    "api scores": ("`/api/scores?limit=100`", "/api/scores?limit=100", False, 0.150),
    "grades": ("`/api/grades`", "/api/grades", False, 0.150),
    "export": ("`/hr/export.xlsx`", "/hr/export.xlsx", False, 1.0),
}
SLOW = ("export",)  # fewer requests of these: a second or so each at N=10,000
NOTE = (f"Row {KEY}: two colleges of the same N: one filled with {YEARS} years (each year populated as in the other "
        "rows, the next started by `workflows.years.start`, the real new-year path that archives the set-up and "
        "moves its dates; the oldest year then archived through `POST /api/years/{year}/close`), one with the "
        "current year's data alone (the same set-up, the same data). Both services run at once; every read "
        f"alternates between them in {BLOCKS} blocks, and each ratio is of the p95s (start-up: of the medians). "
        "Past-year reads are the same requests with `?year=` on the three-year college, held to the current "
        "year's targets (rows 4 and 8; `/api/grades` to the 150 ms of the other HR reads), after each year's first "
        "read, which opens the year and is shown on its own (as the current year is opened at start-up). Peak RSS: VmHWM of "
        "the three-year service after all of its reads.")


@dataclass
class Years:
    current: dict[str, tuple[Run, Run]] = field(default_factory=dict)  # key → (three years, one year)
    past: dict[tuple[str, int], Run] = field(default_factory=dict)
    opened: dict[int, float] = field(default_factory=dict)  # each past year's first read
    startup: tuple[list[float], list[float]] = ([], [])
    peak_mb: float = 0.0
    past_years: tuple[int, ...] = ()


def colleges(work: Path, n: int, *, extras: bool) -> tuple[College, College, tuple[int, ...]]:
    """(the three-year college, the one-year college, the past years), data filled, sites built."""
    content_dir, _ = synthetic.college(work / "years", n)
    many = work / "years" / "three"
    shutil.copytree(content_dir, many / "content")
    first = load_content(many / "content").settings.year
    for year in range(first, first + YEARS):
        if year > first:
            years.start(many / "content", year)  # archives the year before, moves the dates
        synthetic.populate(many / "data", load_content(many / "content"), extras=extras)
    one = work / "years" / "one"
    shutil.copytree(many / "content", one / "content", ignore=shutil.ignore_patterns(ARCHIVE))
    content = load_content(one / "content")
    synthetic.populate(one / "data", content, extras=extras)
    single = College(n, one / "content", one / "site", one / "data", content)
    build_once(single)
    shutil.copytree(single.site_dir, many / "site")
    return (College(n, many / "content", many / "site", many / "data", load_content(many / "content")),
            single, tuple(range(first, first + YEARS - 1)))


def serve(college: College, log: Path) -> None:
    env = servers.service_env(college.data_dir, college.content_dir, college.site_dir)
    college.token = college.token or servers.new_token(env, synthetic.BENCH_USER)
    college.server = servers.start_service(f"service N={college.n} ({college.data_dir.parent.name})", env, log)


def close(college: College, year: int) -> None:
    """归档 a past year through the API, as HR does after filing."""
    assert college.server is not None
    conn = http.client.HTTPConnection("127.0.0.1", college.server.port, timeout=120)
    try:
        conn.request("POST", f"/api/years/{year}/close", headers={"Authorization": f"Bearer {college.token}"})
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200 or json.loads(body)["state"] != "closed":
            raise RuntimeError(f"POST /api/years/{year}/close: {answer.status} {body[:300]!r}")
    finally:
        conn.close()


def measure(many: College, one: College, past: tuple[int, ...], count: int, restarts: int,
            restart: Callable[[College], None]) -> Years:
    found = Years(past_years=past)
    assert many.server is not None and one.server is not None
    cookies = {id(c): client.login(c.server.port, synthetic.BENCH_USER, synthetic.BENCH_PASSWORD)
               for c in (many, one) if c.server}
    close(many, past[0])
    for key, (_, path, page, _) in READS.items():
        runs: dict[int, list[Run]] = {id(many): [], id(one): []}
        per_block = max(2, (count // 5 if key in SLOW else count) // BLOCKS)
        for block in range(BLOCKS):
            pair = (many, one) if block % 2 == 0 else (one, many)
            for college in pair:
                assert college.server is not None
                wanted = views.request(college, path, cookies[id(college)], page)
                runs[id(college)].append(client.run(college.server.port, [wanted] * per_block, 1, expect=(200,)))
        found.current[key] = (Comparison.pooled(runs[id(many)]), Comparison.pooled(runs[id(one)]))
    for year in past:
        for key, (_, path, page, _) in PAST.items():
            wanted = views.request(many, f"{path}{'&' if '?' in path else '?'}year={year}", cookies[id(many)], page)
            if key == next(iter(PAST)):  # the year's first read opens it (its set-up, its kept figures)
                found.opened[year] = client.run(many.server.port, [wanted], 1, expect=(200,)).latencies[0]
            total = max(2, count // 5 if key in SLOW else count)
            found.past[(key, year)] = client.run(many.server.port, [wanted] * total, 1, expect=(200,))
    found.peak_mb = many.server.peak_rss_mb()
    took: tuple[list[float], list[float]] = ([], [])
    for _ in range(restarts):
        for college, times in ((many, took[0]), (one, took[1])):
            assert college.server is not None
            college.server.stop()
            began = time.perf_counter()
            restart(college)
            times.append(time.perf_counter() - began)
    found.startup = took
    return found


def rows(n: int, found: Years) -> list[Row]:
    result = []
    for key, (label, _, _, limit) in READS.items():
        many, one = found.current[key]
        ratio = many.p95 / one.p95
        result.append(Row(f"{KEY} ({key})", f"{label} at N={n:,}: {YEARS} years kept ÷ one year, p95",
                          f"{ms(many.p95)} ÷ {ms(one.p95)} = {ratio:.2f} (p50 {ms(many.p50)} / {ms(one.p50)})",
                          f"≤ {RATIO}, p95 < {ms(limit) if limit < 1 else f'{limit:.0f} s'}",
                          ratio <= RATIO and many.p95 < limit))
    for (key, year), run in found.past.items():
        label, _, _, limit = PAST[key]
        result.append(Row(f"{KEY} (past {key}, {year})", f"{label} `?year={year}` at N={n:,}, p50 / p95",
                          f"{ms(run.p50)} / {ms(run.p95)} ({len(run.latencies)} requests)",
                          f"p95 < {ms(limit) if limit < 1 else f'{limit:.0f} s'}", run.p95 < limit))
    result.append(Row(f"{KEY} (past, first read)", f"the first read of each past year at N={n:,} (opens the year: "
                      "its archived set-up and its figures; not in the p95s above)",
                      ", ".join(f"{year}: {ms(took)}" for year, took in found.opened.items()), "—", None))
    many, one = (median(s) for s in found.startup)
    result.append(Row(f"{KEY} (start-up)", f"service start-up at N={n:,}: {YEARS} years ÷ one year (median of "
                      f"{len(found.startup[0])})", f"{many:.2f} s ÷ {one:.2f} s = {many / one:.2f}",
                      f"≤ {RATIO}, < {STARTUP_SECONDS:.0f} s", many / one <= RATIO and many < STARTUP_SECONDS))
    result.append(Row(f"{KEY} (RSS)", f"peak RSS (VmHWM) of the {YEARS}-year service at N={n:,}",
                      f"{found.peak_mb:.0f} MB", f"< {PEAK_RSS_MB} MB", found.peak_mb < PEAK_RSS_MB))
    return result
