"""A serving process keeps what it holds for good out of the garbage collector's full passes: once
its start-up work is done, and again when a past year is first opened, it collects its heap and
freezes what is left, and says so in its log. The service keeps answering meanwhile. What a
request made and dropped goes back to the system."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from helpers import copy_site
from serverproc import Server, serving

from service.config import Settings
from service.content.loader import load_content
from service.workflows import years

SETTLED = "内存已整理"
WAIT = 120.0


def _until(condition: Callable[[], bool], server: Server, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"{what}：{server.log()}"
        time.sleep(0.05)


def test_a_real_service_freezes_its_heap_after_start_up_and_after_opening_a_past_year(settings: Settings) -> None:
    copy_site(settings.site_dir)
    past = load_content(settings.content_dir).settings.year
    years.start(settings.content_dir, past + 1)  # the set-up moves on; the year before is a past year
    with serving(settings) as server:
        _until(lambda: server.log().count(SETTLED) == 1, server, "启动后没有整理内存")
        api = server.client()
        assert api.get("/healthz").status_code == 200
        assert server.log().count(SETTLED) == 1  # a request of the current year opens nothing new
        assert api.get(f"/healthz?year={past}").status_code == 200
        _until(lambda: server.log().count(SETTLED) == 2, server, "打开往年后没有整理内存")
        assert api.get(f"/api/status?year={past}").status_code == 200
        assert server.log().count(SETTLED) == 2  # the year is opened once


FRAGMENTED = """
import sys
from service.web import heap
if sys.argv[1] == "serving":
    heap.enable()
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:"))
made = [bytearray(b"x" * 1000) for _ in range(100_000)]  # ~100 MB of the C heap, as a big workbook takes
kept = made[::64]  # a few stay, spread over all of it
del made
before = rss()
heap.trim()
print(before, rss())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's heap")
@pytest.mark.parametrize("mode", ["serving", "not serving"])
def test_the_memory_a_large_request_dropped_goes_back_to_the_system(mode: str) -> None:
    result = subprocess.run([sys.executable, "-c", FRAGMENTED, mode], capture_output=True, text=True, timeout=300,
                            check=True, env={**os.environ, "MALLOC_ARENA_MAX": "1"})
    before, after = map(int, result.stdout.split())
    assert before > 80  # the freed blocks are still the process's, between the ones kept
    if mode == "serving":
        assert after < before - 50
    else:  # tests and the CLI leave the heap as it is
        assert after > before - 10


LOADED = """
import sys
import service.cli, service.web.app, service.web.server
print(" ".join(sorted(name for name in ("docx", "segno", "pypdfium2", "zxingcpp") if name in sys.modules)))
from service.content.loader import load_content
from service.config import ROOT
from service.office import catalog
catalog.site_files(load_content(ROOT / "content"))
print(" ".join(sorted(name for name in ("docx", "segno") if name in sys.modules)))
"""


def test_the_word_and_scan_libraries_are_loaded_when_first_used() -> None:
    result = subprocess.run([sys.executable, "-c", LOADED], capture_output=True, text=True, timeout=300, check=True)
    assert result.stdout.split("\n")[:2] == ["", "docx segno"]
