"""`python -m bench.profile`: where the time of a submission goes, under the same load as row 2.

Builds one synthetic college, starts `bench.instrumented` (the service with timers) and sends
uploads; prints per-upload time by function, then the top of the merged cProfile.
"""

from __future__ import annotations

import argparse
import json
import pstats
import random
import sys
from pathlib import Path

from bench import client, measure, servers, synthetic
from bench.measure import College
from bench.run import log, workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--uploads", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-extras", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-cprofile", action="store_true", help="timers only (cProfile slows every call)")
    args = parser.parse_args(argv)

    with workspace(args.keep) as work:
        content_dir, content = synthetic.college(work, args.n)
        college = College(args.n, content_dir, work / "site", work / "data", content)
        measure.build_once(college)
        synthetic.populate(college.data_dir, content, extras=not args.no_extras)
        env = servers.service_env(college.data_dir, content_dir, college.site_dir)
        env["BENCH_PROFILE_OUT"] = str(work / "profile")
        env["BENCH_PROFILE_CPROFILE"] = "0" if args.no_cprofile else "1"
        college.token = servers.new_token(env, synthetic.BENCH_USER)
        port = servers.free_port()
        command = [sys.executable, "-m", "bench.instrumented", "--host", servers.HOST, "--port", str(port)]
        server = servers._start("instrumented service", command, env, work / "service.log", port)
        try:
            scan = synthetic.sample_pdf(100 * 1024)
            requests = measure.upload_requests(college, scan, args.uploads, random.Random(5), token=college.token)
            result = client.run(port, requests, args.concurrency)
        finally:
            server.stop()
        log(f"{args.uploads} uploads at N={args.n:,}, {args.concurrency} clients: {result.throughput:.0f}/s, "
            f"p50 {measure.ms(result.p50)}, p95 {measure.ms(result.p95)}")
        report(work / "profile", args.uploads, args.top)
    return 0


def report(prefix: Path, uploads: int, top: int) -> None:
    timers = json.loads(prefix.with_suffix(".json").read_text(encoding="utf-8"))
    print(f"\n{'function':<66} {'calls':>7} {'calls/upload':>12} {'ms/call':>8} {'ms/upload':>10}")
    for name, t in sorted(timers.items(), key=lambda kv: -kv[1]["seconds"]):
        print(f"{name:<66} {t['count']:>7} {t['count'] / uploads:>12.2f} "
              f"{1000 * t['seconds'] / max(t['count'], 1):>8.2f} {1000 * t['seconds'] / uploads:>10.2f}")
    profile = prefix.with_suffix(".prof")
    if profile.exists():
        print("\ncProfile of contracts.upload and StatusPublisher.publish_now, merged over threads:")
        stats = pstats.Stats(str(profile))
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


if __name__ == "__main__":
    sys.exit(main())
