"""Server subprocesses on 127.0.0.1: the real service (`portal serve`) and the bare endpoint."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from service.config import ROOT

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def portal_command() -> str:
    beside = Path(sys.executable).parent / "portal"
    found = str(beside) if beside.exists() else shutil.which("portal")
    if not found:
        raise RuntimeError("the `portal` command is not installed (pip install -e .)")
    return found


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def peak_rss_mb(self) -> float:
        """VmHWM: the process's peak resident set size so far."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc status")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _start(name: str, command: list[str], env: dict[str, str], log: Path, port: int,
           timeout: float = 120.0) -> Server:
    handle = open(log, "wb")  # noqa: SIM115 - the child keeps writing to it
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    handle.close()
    server = Server(name, process, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        time.sleep(0.02)
    server.stop()
    raise RuntimeError(f"{name} did not answer /healthz within {timeout:.0f} s")


def service_env(data_dir: Path, content_dir: Path, site_dir: Path) -> dict[str, str]:
    return {**os.environ, "PORTAL_DATA": str(data_dir), "PORTAL_CONTENT": str(content_dir),
            "PORTAL_SITE": str(site_dir)}


def start_service(name: str, env: dict[str, str], log: Path) -> Server:
    port = free_port()
    return _start(name, [portal_command(), "serve", "--host", HOST, "--port", str(port)], env, log, port)


def start_bare(name: str, directory: Path, log: Path, *, fsync: bool = True, app: str = "bench.bare:app",
               workers: int = 1) -> Server:
    port = free_port()
    env = {**os.environ, "BENCH_BARE_DIR": str(directory), "BENCH_BARE_FSYNC": "1" if fsync else "0"}
    command = [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--port", str(port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    return _start(name, command, env, log, port)


def new_token(env: dict[str, str], username: str) -> str:
    """`portal users token <name>`: the token (pt_…) is at the end of the output."""
    result = subprocess.run([portal_command(), "users", "token", username], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)
    found = re.findall(r"pt_[A-Za-z0-9_-]+", result.stdout)
    if not found:
        raise RuntimeError(f"no token in `portal users token` output: {result.stdout!r}")
    return str(found[-1])
