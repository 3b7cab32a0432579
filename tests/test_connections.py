"""A real `portal serve` against connections that open and never finish their request, or
trickle its body: the service keeps answering and closes them itself (a head deadline, a body
rate and a connection cap)."""

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
SLOW_BODIES = 1200
TRICKLE_EVERY = 3.0  # seconds between two body bytes of a slow body
SLOW_CLOSE_WITHIN = 60.0
LOGIN_HEAD = (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
              b"Content-Length: 2000\r\n\r\n")


def allow_descriptors(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count), hard))


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
    allow_descriptors(HALF_OPEN + 500)
    copy_site(settings.site_dir, full=False)
    with serving(settings, PORTAL_HEADER_TIMEOUT=str(HEAD_TIMEOUT), PORTAL_MAX_CONNECTIONS="1000") as server:
        port = int(server.url.rsplit(":", 1)[1])
        started = time.monotonic()
        sockets = open_half_requests(port, HALF_OPEN, started + 30)
        try:
            assert len(sockets) == HALF_OPEN
            healthz_answers(server.url)
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


def healthz_answers(url: str) -> None:
    """/healthz answers 200 within a second (httpx2 raises otherwise)."""
    answered = httpx2.get(f"{url}/healthz", timeout=1.0)
    assert answered.status_code == 200 and answered.json() == {"ok": True}


class Trickle:
    """Connections that sent a whole request head, each sent one body byte every TRICKLE_EVERY
    seconds until the server closes it; what each received is kept."""

    def __init__(self, sockets: list[socket.socket]) -> None:
        self.selector = selectors.DefaultSelector()
        self.received: dict[socket.socket, bytes] = {}
        for sock in sockets:
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            self.received[sock] = b""
        self.open = set(sockets)

    def send_a_byte(self) -> None:
        for sock in list(self.open):
            try:
                sock.send(b"a")
            except BlockingIOError:
                pass
            except OSError:  # reset or broken pipe: the server closed it
                self._closed(sock)

    def read(self, seconds: float) -> None:
        for key, _ in self.selector.select(timeout=seconds):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if data:
                self.received[sock] += data
            else:
                self._closed(sock)

    def _closed(self, sock: socket.socket) -> None:
        if sock in self.open:
            self.open.discard(sock)
            self.selector.unregister(sock)

    def answered(self, status: bytes) -> int:
        return sum(1 for data in self.received.values() if data.startswith(b"HTTP/1.1 " + status))


def test_slow_bodies_are_closed_and_healthz_keeps_answering(settings: Settings) -> None:
    """Whole heads of POST /login, then a body byte every 3 s: each is answered 408 or closed
    for room, and /healthz answers within a second all along."""
    allow_descriptors(SLOW_BODIES + 500)
    copy_site(settings.site_dir, full=False)
    with serving(settings, PORTAL_MAX_CONNECTIONS="1000") as server:
        port = int(server.url.rsplit(":", 1)[1])
        started = time.monotonic()
        sockets: list[socket.socket] = []
        try:
            while len(sockets) < SLOW_BODIES and time.monotonic() < started + 30:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(LOGIN_HEAD)
                sockets.append(sock)
                if len(sockets) % 200 == 0:
                    healthz_answers(server.url)
            assert len(sockets) == SLOW_BODIES
            trickle = Trickle(sockets)
            next_byte = time.monotonic()
            while trickle.open and time.monotonic() < started + SLOW_CLOSE_WITHIN:
                if time.monotonic() >= next_byte:
                    trickle.send_a_byte()
                    next_byte += TRICKLE_EVERY
                trickle.read(0.3)
                healthz_answers(server.url)
            assert not trickle.open, f"{len(trickle.open)} connections still open after {SLOW_CLOSE_WITHIN} s"
            assert trickle.answered(b"408") > 0
            assert httpx2.get(f"{server.url}/api/status", timeout=5.0).status_code == 200
        finally:
            for sock in sockets:
                sock.close()


def test_a_body_that_does_not_start_gets_408(settings: Settings) -> None:
    copy_site(settings.site_dir, full=False)
    with serving(settings, PORTAL_BODY_TIMEOUT="1") as server, \
            socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1])), timeout=30) as sock:
        sock.sendall(LOGIN_HEAD)
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"code":"body_too_slow"' in answer.replace(b" ", b"")
    assert "Traceback" not in server.log()  # the view that waited for the body is no server error


def test_a_trickling_body_gets_408_and_a_steady_one_is_answered(settings: Settings) -> None:
    """One byte a second is below PORTAL_BODY_MIN_RATE; a whole body sent in pieces in time is not."""
    copy_site(settings.site_dir, full=False)
    with serving(settings, PORTAL_BODY_MIN_RATE="100") as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(LOGIN_HEAD)
            sock.settimeout(1.0)
            answer = b""
            for _ in range(60):  # at most a minute
                try:
                    sock.sendall(b"a")
                    answer = sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    pass
                break
            assert answer.startswith(b"HTTP/1.1 408"), answer
        body = b"username=nobody&password=" + b"x" * 1975
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(LOGIN_HEAD)
            for start in range(0, len(body), 500):  # 500 bytes in each of four packets, well above 100 a second
                sock.sendall(body[start:start + 500])
                time.sleep(0.2)
            answer = read_until_closed(sock, stop_at=b"\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 "), answer
            assert not answer.startswith(b"HTTP/1.1 408"), answer


def read_until_closed(sock: socket.socket, stop_at: bytes | None = None) -> bytes:
    sock.settimeout(60)
    answer = b""
    while stop_at is None or stop_at not in answer:
        try:
            data = sock.recv(4096)
        except ConnectionResetError:
            break
        if not data:
            break
        answer += data
    return answer
