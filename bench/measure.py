"""The benchmark measurements, each taken side by side with its reference in the same run."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import client, servers, synthetic
from bench.client import Run
from bench.servers import Server
from bench.synthetic import BENCH_USER, bench_settings, own_copy
from service.content.loader import load_content
from service.content.models import Content
from service.rules import access
from service.sitegen.build import build_site
from service.web.status_page import StatusPublisher
from service.workflows import board, contracts
from service.workflows.context import Context


@dataclass
class College:
    """One synthetic college of the run: its content, built site and data directory."""

    n: int
    content_dir: Path
    site_dir: Path
    data_dir: Path
    content: Content
    token: str = ""
    server: Server | None = None
    builds: list[float] = field(default_factory=list)

    @property
    def staff_ids(self) -> list[str]:
        return [m.staff_id for m in self.content.roster]


@dataclass(frozen=True)
class Row:
    key: str
    measure: str
    figure: str
    target: str
    passed: bool | None  # None: for information, no target


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- 1 and 5: builds and the status page -------------------------------------------------


def build_once(college: College) -> float:
    settings = bench_settings(college.data_dir, college.content_dir, college.site_dir)
    began = time.perf_counter()
    build_site(settings)
    return time.perf_counter() - began


@contextlib.contextmanager
def served_college(base: Path, n: int) -> Iterator[College]:
    """A synthetic college of `n` staff under `base`: its site built, its data filled (no extras),
    HR's token made and `portal serve` running over it until the block ends."""
    content_dir, content = synthetic.college(base, n)
    college = College(n, content_dir, base / "site", base / "data", content)
    build_once(college)
    synthetic.populate(college.data_dir, content, extras=False)
    env = servers.service_env(college.data_dir, content_dir, college.site_dir)
    college.token = servers.new_token(env, synthetic.BENCH_USER)
    college.server = servers.start_service("service", env, base / "service.log")
    try:
        yield college
    finally:
        college.server.stop()


def time_builds(colleges: Sequence[College], rounds: int) -> None:
    """`rounds` full builds of each college, round-robin so drifts hit every size alike."""
    for _ in range(rounds):
        for college in colleges:
            college.builds.append(build_once(college))


def status_regeneration(college: College, scan: bytes, count: int, seed: int = 3) -> list[float]:
    """publish_now after each of `count` real submissions (the submission itself untimed)."""
    from service.web.app import render_status  # the render the service's publisher uses

    settings = bench_settings(college.data_dir, college.content_dir, college.site_dir)
    content = load_content(college.content_dir)
    ctx = Context.open(settings, content, lambda: dt.datetime.now(dt.UTC))
    publisher = StatusPublisher(college.site_dir, lambda: render_status(board.current(ctx)))
    if not publisher.publish_now():  # as at service start: every partition loaded once
        raise RuntimeError(f"no built status page under {college.site_dir}")
    rng = random.Random(seed)
    hr = access.User(BENCH_USER, "hr")
    times = []
    for _ in range(count):
        contracts.upload(ctx, hr, rng.choice(college.staff_ids), contracts.Upload(io.BytesIO(own_copy(scan)), "scan.pdf"))
        began = time.perf_counter()
        publisher.publish_now()
        times.append(time.perf_counter() - began)
    return times


# -- 2 and 3: uploads ----------------------------------------------------------------------


def upload_requests(college: College, scan: bytes, count: int, rng: random.Random,
                    path: str = "/api/contracts", token: str | None = None) -> list[client.Request]:
    ids = college.staff_ids
    return [client.upload_request(path, rng.choice(ids), own_copy(scan), token) for _ in range(count)]


@dataclass
class Comparison:
    service: list[Run] = field(default_factory=list)
    bare: list[Run] = field(default_factory=list)

    @staticmethod
    def pooled(runs: list[Run]) -> Run:
        latencies = tuple(x for r in runs for x in r.latencies)
        return Run(latencies, sum(r.elapsed for r in runs))

    @property
    def ratio(self) -> float:
        return self.pooled(self.service).throughput / self.pooled(self.bare).throughput


def compare_uploads(college: College, bare: Server, scan: bytes, uploads: int, concurrency: int,
                    rounds: int, seed: int = 5, settle: Callable[[], None] = lambda: None) -> Comparison:
    """Alternate bare and service runs of the same requests; `rounds` of each."""
    assert college.server is not None
    rng = random.Random(seed)
    result = Comparison()
    for _ in range(rounds):
        staff = upload_requests(college, scan, uploads, rng, token=college.token)
        plain = [client.Request(r.method, "/upload", r.body, {"Content-Type": r.headers["Content-Type"]})
                 for r in staff]
        result.bare.append(client.run(bare.port, plain, concurrency))
        settle()
        result.service.append(client.run(college.server.port, staff, concurrency))
        settle()
    return result


def warm_up(college: College, bare: Server, scan: bytes, count: int, concurrency: int) -> None:
    """Untimed uploads to both servers first: imports, caches and file system warmed alike."""
    assert college.server is not None
    rng = random.Random(1)
    staff = upload_requests(college, scan, count, rng, token=college.token)
    plain = [client.Request(r.method, "/upload", r.body, {"Content-Type": r.headers["Content-Type"]}) for r in staff]
    client.run(bare.port, plain, concurrency)
    client.run(college.server.port, staff, concurrency)


def sequential_uploads(colleges: Sequence[College], scan: bytes, per_block: int, blocks: int,
                       seed: int = 9) -> dict[int, list[float]]:
    """One client, one upload at a time, blocks alternating between the colleges."""
    rng = random.Random(seed)
    latencies: dict[int, list[float]] = {c.n: [] for c in colleges}
    for _ in range(blocks):
        for college in colleges:
            assert college.server is not None
            requests = upload_requests(college, scan, per_block, rng, token=college.token)
            latencies[college.n].extend(client.run(college.server.port, requests, 1).latencies)
    return latencies


# -- 4: reads ----------------------------------------------------------------------------


def reads(college: College, cookie: str, count: int) -> dict[str, Run]:
    """GET /api/status (public) and GET /board (HR session), interleaved, one client."""
    assert college.server is not None
    status = client.Request("GET", "/api/status", None, {"Accept": "application/json"})
    board = client.Request("GET", "/board", None, {"Accept": "text/html", "Cookie": cookie})
    port = college.server.port
    found: dict[str, list[Run]] = {"status": [], "board": []}
    for _ in range(count // 10):
        found["status"].append(client.run(port, [status] * 10, 1, expect=(200,)))
        found["board"].append(client.run(port, [board] * 10, 1, expect=(200,)))
    return {k: Comparison.pooled(v) for k, v in found.items()}


def reads_during_uploads(college: College, scan: bytes, uploads: int, concurrency: int) -> tuple[Run, Run]:
    """GET /api/status from one more client while `concurrency` clients upload: (reads, uploads)."""
    assert college.server is not None
    port = college.server.port
    status = client.Request("GET", "/api/status", None, {"Accept": "application/json"})
    done = threading.Event()
    runs: list[Run] = []

    def reader() -> None:
        while not done.is_set():
            runs.append(client.run(port, [status] * 5, 1, expect=(200,)))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        upload_run = client.run(port, upload_requests(college, scan, uploads, random.Random(11), token=college.token),
                                concurrency)
    finally:
        done.set()
        thread.join()
    return Comparison.pooled(runs), upload_run
