"""A light HTTP load client: threads with keep-alive `http.client` connections, bodies pre-built.

The same client drives the service and the bare endpoint, so its own cost cancels in the ratios.
"""

from __future__ import annotations

import http.client
import re
import secrets
import statistics
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from bench.servers import HOST

BOUNDARY_PREFIX = "----bench"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]


@dataclass(frozen=True)
class Run:
    latencies: tuple[float, ...]  # seconds
    elapsed: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = BOUNDARY_PREFIX + secrets.token_hex(8)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                  "Content-Type: application/pdf\r\n\r\n").encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_request(path: str, staff_id: str, data: bytes, token: str | None) -> Request:
    body, content_type = multipart({"staff_id": staff_id}, "contract.pdf", data)
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Request("POST", path, body, headers)


class UnexpectedStatus(Exception):
    pass


def _send(conn: http.client.HTTPConnection, request: Request, expect: tuple[int, ...]) -> bytes:
    conn.request(request.method, request.path, body=request.body, headers=request.headers)
    response = conn.getresponse()
    payload = response.read()
    if response.status not in expect:
        raise UnexpectedStatus(f"{request.method} {request.path}: {response.status} {payload[:300]!r}")
    return payload


def run(port: int, requests: Sequence[Request], concurrency: int,
        expect: tuple[int, ...] = (200, 201)) -> Run:
    """Send every request once, `concurrency` at a time; return latencies and wall time."""
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    latencies: list[float] = []
    errors: list[BaseException] = []
    start_gate = threading.Barrier(concurrency + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        start_gate.wait()
        try:
            while not errors:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                began = time.perf_counter()
                _send(conn, requests[index], expect)
                took = time.perf_counter() - began
                with lock:
                    latencies.append(took)
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return Run(tuple(latencies), elapsed)


def login(port: int, username: str, password: str) -> str:
    """Log in through the HTML form (GET /login for the CSRF token); return the Cookie header."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", "/login", headers={"Accept": "text/html"})
        response = conn.getresponse()
        page = response.read().decode("utf-8")
        cookie = _cookie(response.getheader("set-cookie"))
        match = re.search(r'name="csrf" value="([^"]+)"', page)
        if not match or not cookie:
            raise RuntimeError("login page has no CSRF token or session cookie")
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf": match[1],
                                       "next": "/board"})
        conn.request("POST", "/login", body=form, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, "Accept": "text/html"})
        response = conn.getresponse()
        response.read()
        if response.status != 303:
            raise RuntimeError(f"login failed: HTTP {response.status}")
        return _cookie(response.getheader("set-cookie")) or cookie
    finally:
        conn.close()


def _cookie(header: str | None) -> str:
    return header.split(";", 1)[0] if header else ""
