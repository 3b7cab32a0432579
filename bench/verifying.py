"""`portal audit verify` over the large college's data directory: the keyed chain, every stored
record against the digests the audit log carries, every stored file's SHA-256.

`python -m bench.verifying [N]` measures this row alone: it makes and populates a college of N
staff (default 10,000) in a work directory under .bench/ and times the command on it.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import time

from bench import synthetic
from bench.measure import College, Row
from bench.servers import portal_command, service_env
from service.config import ROOT

KEY = "14"
LIMIT = 30.0  # seconds
NOTE = ("Row 14: `portal audit verify` (a process of its own, start-up included) over the N=10,000 data directory "
        "after every measurement above wrote into it: the keyed chain and head, every stored document's digest "
        "against the last one the audit log recorded, every stored file's SHA-256.")


def row(college: College) -> Row:
    env = service_env(college.data_dir, college.content_dir, college.site_dir)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run([portal_command(), "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=600)
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    counts = re.search(r"审计日志 (\d+) 条，核对记录 (\d+) 条，已存文件 (\d+) 个", result.stdout)
    sizes = (f"{int(counts[1]):,} entries, {int(counts[2]):,} records, {int(counts[3]):,} files"
             if counts else "counts not printed")
    verdict = "passed" if result.returncode == 0 else f"exit {result.returncode}: {result.stderr.strip()[:200]}"
    return Row(KEY, f"`portal audit verify` at N={college.n:,}", f"{took:.1f} s, {cpu:.1f} s of CPU ({sizes}; {verdict})",
               f"< {LIMIT:.0f} s, passes", took < LIMIT and result.returncode == 0)


def main(n: int) -> Row:
    from bench.run import log, workspace  # bench.run imports this module

    with workspace(keep=False) as work:
        content_dir, content = synthetic.college(work, n)
        college = College(n, content_dir, work / f"site-{n}", work / f"data-{n}", content)
        began = time.perf_counter()
        populated = synthetic.populate(college.data_dir, content)
        log(f"populated N={n}: {populated} in {time.perf_counter() - began:.1f} s")
        measured = row(college)
    print(f"| {measured.key} | {measured.measure} | {measured.figure} | {measured.target} | {measured.passed} |")
    return measured


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
