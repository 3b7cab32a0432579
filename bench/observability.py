"""What the access log and the metrics cost: upload runs to two services over copies of the same
data directory, one with PORTAL_LOG_FORMAT=json (an access line and the metrics of every
request) and one with `off`, in alternating runs of the same requests.

`python -m bench.observability` is a small driver for rows 2 and 14 alone (one college, the
bare endpoint, both services), for when the whole `make bench` is not wanted; it prints the
rows and writes nothing.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from bench import client, servers
from bench.measure import College, Comparison, Row, upload_requests
from bench.servers import Server

TARGET = 0.95  # logging and metrics cost at most 5% of the upload throughput
NOTE = ("Row 16: the service at N={n:,} as row 2 runs it (PORTAL_LOG_FORMAT=json: one access line on stdout, "
        "written to the log file, and the request metrics) against a second `portal serve` over a copy of the "
        "same data directory with PORTAL_LOG_FORMAT=off (no access line, no request metrics); {rounds} "
        "alternating runs of {uploads} uploads each, {concurrency} clients, the same requests to both.")


@contextlib.contextmanager
def quiet_service(college: College, work: Path) -> Iterator[Server]:
    """`portal serve` with PORTAL_LOG_FORMAT=off over a copy of the college's data directory."""
    data = work / f"data-{college.n}-quiet"
    shutil.copytree(college.data_dir, data, ignore=shutil.ignore_patterns(".serve.lock"))
    env = {**servers.service_env(data, college.content_dir, college.site_dir), "PORTAL_LOG_FORMAT": "off"}
    server = servers.start_service(f"service N={college.n}, log off", env, work / f"service-{college.n}-quiet.log")
    try:
        yield server
    finally:
        server.stop()


def compare(college: College, quiet: Server, scan: bytes, uploads: int, concurrency: int, rounds: int,
            settle: Callable[[], None] = lambda: None, seed: int = 17) -> Comparison:
    """`service`: logging and metrics on (the college's own server); `bare`: off."""
    assert college.server is not None
    rng = random.Random(seed)
    result = Comparison()
    client.run(quiet.port, upload_requests(college, scan, 2 * concurrency, rng, token=college.token), concurrency)
    for turn in range(rounds):
        requests = upload_requests(college, scan, uploads, rng, token=college.token)
        pair = ((result.bare, quiet.port), (result.service, college.server.port))
        for runs, port in pair if turn % 2 == 0 else reversed(pair):
            settle()
            runs.append(client.run(port, requests, concurrency))
    return result


def row(n: int, found: Comparison, concurrency: int) -> Row:
    on, off = found.pooled(found.service), found.pooled(found.bare)
    return Row("16", f"access log and metrics: upload throughput at N={n:,}, {concurrency} clients, on ÷ off",
               f"{on.throughput:.0f}/s ÷ {off.throughput:.0f}/s = {found.ratio:.2f}; p95 on {on.p95 * 1000:.1f} ms, "
               f"off {off.p95 * 1000:.1f} ms", f"≥ {TARGET}", found.ratio >= TARGET)


def main() -> None:
    from bench import measure, report, synthetic
    from bench.run import Plan, log, upload_rows, workspace

    plan = Plan()
    scan = synthetic.sample_pdf(plan.scan_kb * 1024)
    with workspace(False) as work, contextlib.ExitStack() as stack:
        content_dir, content = synthetic.college(work, plan.mid)
        college = College(plan.mid, content_dir, work / f"site-{plan.mid}", work / f"data-{plan.mid}", content)
        measure.build_once(college)
        log(f"populated N={plan.mid}: {synthetic.populate(college.data_dir, content, extras=plan.extras)}")
        env = servers.service_env(college.data_dir, college.content_dir, college.site_dir)
        college.token = servers.new_token(env, synthetic.BENCH_USER)
        college.server = servers.start_service(f"service N={plan.mid}", env, work / f"service-{plan.mid}.log")
        stack.callback(college.server.stop)
        bare = servers.start_bare("bare", work / "bare-files", work / "bare.log")
        stack.callback(bare.stop)
        measure.warm_up(college, bare, scan, 2 * plan.concurrency, plan.concurrency)

        def settle() -> None:
            time.sleep(0.5)

        log(f"row 2: {plan.rounds} x {plan.uploads} uploads to the bare endpoint and to the service")
        compared = measure.compare_uploads(college, bare, scan, plan.uploads, plan.concurrency, plan.rounds,
                                           settle=settle)
        quiet = stack.enter_context(quiet_service(college, work))
        log(f"row 16: {plan.rounds} x {plan.uploads} uploads, logging and metrics on and off")
        logged = compare(college, quiet, scan, plan.uploads, plan.concurrency, plan.rounds, settle=settle)
        print(report.table([*upload_rows(plan, {plan.mid: compared}), row(plan.mid, logged, plan.concurrency)]))


if __name__ == "__main__":
    main()
