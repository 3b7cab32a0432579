"""The service's threads share two malloc arenas: glibc's own report (`malloc_info`) of a
process whose threads allocate at once, with the limit the service sets and without it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

THREADS_ALLOCATING = """
import ctypes, os, re, sys, tempfile, threading
from service.web import server
if sys.argv[1] == "limited":
    assert server.limit_malloc_arenas()
start = threading.Barrier(8)
def allocate():
    start.wait()
    for _ in range(2000):
        blocks = [bytearray(4096) for _ in range(64)]
        del blocks
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
descriptor, report = tempfile.mkstemp()
os.close(descriptor)
stream = libc.fopen(report.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(stream))
libc.fclose(ctypes.c_void_p(stream))
print(len(re.findall(r'<heap nr="', open(report).read())))
os.unlink(report)
"""

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")


def arenas(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", THREADS_ALLOCATING, mode], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return int(done.stdout.strip())


@glibc_only
def test_threads_allocating_at_once_share_two_arenas_under_the_limit() -> None:
    assert arenas("default") > 2  # the default: arenas of their own
    assert arenas("limited") <= 2


@glibc_only
def test_an_operators_malloc_arena_max_is_left_to_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.web import server

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert server.limit_malloc_arenas() is False
