"""`python -m bench` (`make bench`): run every measurement, print the table, write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from bench import report
from bench.run import Plan, log, run, run_years_only
from service.config import ROOT

QUICK = Plan(small=50, mid=200, large=1_000, uploads=100, rounds=1, builds=1, publishes=10,
             sequential_blocks=2, sequential_per_block=5, reads=40, hr_reads=10, sheets=2, restarts=1,
             reuploads=400)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke test (no BENCHMARKS.md)")
    parser.add_argument("--no-extras", action="store_true", help="no target sets or monthly summaries in the data")
    parser.add_argument("--keep", action="store_true", help="keep the work dir under .bench/")
    parser.add_argument("--output", type=Path, help="where to write the report (default BENCHMARKS.md)")
    parser.add_argument("--work-dir", type=Path, help="where the data directories, sites and uploads go "
                        "(default .bench/ in the checkout); the file system under it is part of what is measured")
    parser.add_argument("--hr-reads", type=int, help="requests of each HR read path (default 50)")
    parser.add_argument("--sheets", type=int, help="requests of the score sheet (default 50)")
    parser.add_argument("--years", action="store_true", help="only row 17 (three years of data against one; "
                        "no BENCHMARKS.md unless --output)")
    args = parser.parse_args(argv)

    plan = QUICK if args.quick else Plan()
    plan = Plan(**{**plan.__dict__, "extras": not args.no_extras, "keep": args.keep,
                       "work_dir": args.work_dir})
    counts = {"hr_reads": args.hr_reads, "sheets": args.sheets}
    plan = Plan(**{**plan.__dict__, **{k: v for k, v in counts.items() if v}})
    output = args.output or (None if args.quick or args.years else ROOT / "BENCHMARKS.md")
    started = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    rows, notes = run_years_only(plan) if args.years else run(plan)
    seconds = time.perf_counter() - began
    print()
    print(report.table(rows))
    if output:
        command = " ".join(["python -m bench", *sys.argv[1:]])
        output.write_text(report.document(rows, notes, started, seconds, command), encoding="utf-8")
        log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
