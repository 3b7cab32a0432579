"""The machine's description and the table, printed and written to BENCHMARKS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from bench.measure import Row

PACKAGES = ("starlette", "tinydb", "mkdocs", "mkdocs-material", "uvicorn", "python-multipart")


def machine() -> list[tuple[str, str]]:
    cpu = "unknown"
    memory = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                    if line.startswith("model name")), cpu)
        meminfo = Path("/proc/meminfo").read_text()
        total_kb = next(int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:"))
        memory = f"{total_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    return [
        ("CPUs (nproc)", str(cores)),
        ("Load average (1/5/15 min) when written", f"{load} (other work on the machine shows here)"),
        ("CPU model", cpu),
        ("Memory", memory),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Packages", ", ".join(versions)),
    ]


def verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "**FAIL**", None: "info"}[passed]


def table(rows: Sequence[Row]) -> str:
    lines = ["| # | Measure | Figure | Target | Result |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r.key} | {r.measure} | {r.figure} | {r.target} | {verdict(r.passed)} |" for r in rows]
    return "\n".join(lines)


def document(rows: Sequence[Row], notes: Sequence[str], started: dt.datetime, seconds: float,
             command: str) -> str:
    passed = sum(1 for r in rows if r.passed is True)
    failed = sum(1 for r in rows if r.passed is False)
    parts = [
        "# Benchmarks",
        "",
        f"Measured by `{command}` on {started:%Y-%m-%d %H:%M} (UTC), {seconds:.0f} s in all: "
        f"{passed} targets met, {failed} missed. Regenerate with `make bench`; each figure is measured side by "
        "side with its reference in the same run, so the machine's noise cancels in the ratios.",
        "",
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in machine()],
        "",
        "## Figures",
        "",
        table(rows),
        "",
        "## How",
        "",
        *[f"- {note}" for note in notes],
        "",
    ]
    return "\n".join(parts)
