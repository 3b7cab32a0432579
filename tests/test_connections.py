"""A real `portal serve` against connections that open and never finish their request: the
service keeps answering and closes them itself (a head deadline and a connection cap)."""

from __future__ import annotations

import resource
import selectors
import socket
import time

import httpx2
from helpers import copy_site
from serverproc import serving

from service.config import Settings

HALF_OPEN = 2000
HEAD_TIMEOUT = 5  # seconds (PORTAL_HEADER_TIMEOUT) the service gives a request's head
CLOSE_WITHIN = 20.0


def open_half_requests(port: int, count: int, deadline: float) -> list[socket.socket]:
    """`count` connections, each having sent half a request line."""
    opened = []
    while len(opened) < count and time.monotonic() < deadline:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /api/status HT")
        opened.append(sock)
    return opened


def closed_by_peer(sockets: list[socket.socket], deadline: float) -> int:
    """How many of `sockets` the other side closed before `deadline`."""
    selector = selectors.DefaultSelector()
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    closed = 0
    while closed < len(sockets) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=max(0.0, deadline - time.monotonic())):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                selector.unregister(sock)
                closed += 1
    selector.close()
    return closed


def test_half_open_connections_are_closed_and_healthz_keeps_answering(settings: Settings) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < HALF_OPEN + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, HALF_OPEN + 500), hard))
    copy_site(settings.site_dir, full=False)
    with serving(settings, PORTAL_HEADER_TIMEOUT=str(HEAD_TIMEOUT), PORTAL_MAX_CONNECTIONS="1000") as server:
        port = int(server.url.rsplit(":", 1)[1])
        started = time.monotonic()
        sockets = open_half_requests(port, HALF_OPEN, started + 30)
        try:
            assert len(sockets) == HALF_OPEN
            answered = httpx2.get(f"{server.url}/healthz", timeout=1.0)  # within a second, or it raises
            assert answered.status_code == 200 and answered.json() == {"ok": True}
            closed = closed_by_peer(sockets, started + CLOSE_WITHIN)
            assert closed == HALF_OPEN, f"{HALF_OPEN - closed} connections still open after {CLOSE_WITHIN} s"
            assert httpx2.get(f"{server.url}/api/status", timeout=5.0).status_code == 200
        finally:
            for sock in sockets:
                sock.close()


def test_a_request_head_sent_in_time_is_answered(settings: Settings) -> None:
    """The deadline is for the head only: a slow but timely client is served, keep-alive too."""
    copy_site(settings.site_dir, full=False)
    with serving(settings, PORTAL_HEADER_TIMEOUT="3") as server, \
            socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=10) as sock:
        for _ in range(2):  # two requests on one connection
            for part in (b"GET /healthz HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"\r\n"):
                sock.sendall(part)
                time.sleep(0.5)
            answer = sock.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200"), answer
