"""`portal serve` as a real process on 127.0.0.1, for the load, crash and backup tests.

`start_server(settings)` starts it over the settings' data/site/content directories and waits
for /healthz; `Server.stop()` ends it (SIGTERM, then SIGKILL) and `Server.kill()` SIGKILLs it at
once, as a crash would. Always use it in a `try/finally` (or the `serving` context manager),
so no process outlives its test.

`accounts(settings)` creates the standard accounts and their API tokens in-process (the data
directory's lock is shared with a running service), so a test needs no one-time password.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from helpers import OVERSEEN, PASSWORD, STANDARD_USERS

from service.config import Settings
from service.content.loader import load_content
from service.workflows import startup
from service.workflows.accounts import Profile, add_user, new_token
from service.workflows.commit import UserChange, commit
from service.workflows.context import Context

PORTAL = str(Path(sys.executable).with_name("portal"))
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def portal_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PORTAL_DATA": str(settings.data_dir), "PORTAL_SITE": str(settings.site_dir),
           "PORTAL_CONTENT": str(settings.content_dir), "PORTAL_SAMPLE_CONTENT": str(settings.sample_dir),
           "PYTHONUNBUFFERED": "1", **extra}
    if "PORTAL_TODAY" not in extra:
        env.pop("PORTAL_TODAY", None)
    if "PORTAL_TEST_PAUSE" not in extra:
        env.pop("PORTAL_TEST_PAUSE", None)
    return env


def cli(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PORTAL, *args], env=portal_env(settings), capture_output=True, text=True,
                          timeout=timeout, check=False, stdin=subprocess.DEVNULL)


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def client(self, timeout: float = 30.0) -> httpx2.Client:
        return httpx2.Client(base_url=self.url, timeout=timeout, follow_redirects=False)

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut of the process would."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._join()

    def stop(self) -> None:
        terminate(self.process)
        self._join()

    def _join(self) -> None:
        if self.reader is not None:
            self.reader.join(timeout=5)

    def log(self) -> str:
        return "".join(self.output)


def terminate(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    """SIGTERM, then SIGKILL after 10 s: the process is gone when this returns."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_server(settings: Settings, **env: str) -> Server:
    port = free_port()
    process = subprocess.Popen([PORTAL, "serve", "--host", "127.0.0.1", "--port", str(port)],
                               env=portal_env(settings, **env), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = Server(process, f"http://127.0.0.1:{port}")
    server.reader = threading.Thread(target=lambda: server.output.extend(iter(process.stdout.readline, "")),  # type: ignore[union-attr]
                                     daemon=True)
    server.reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(server):
            if process.poll() is not None:
                raise AssertionError(f"portal serve 退出了：{server.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"portal serve 没有在限定时间内响应 /healthz：{server.log()}")
            time.sleep(0.05)
    except BaseException:
        server.kill()
        raise
    return server


@contextlib.contextmanager
def serving(settings: Settings, **env: str) -> Iterator[Server]:
    server = start_server(settings, **env)
    try:
        yield server
    finally:
        server.stop()


def _healthy(server: Server) -> bool:
    try:
        return httpx2.get(f"{server.url}/healthz", timeout=1.0).status_code == 200
    except httpx2.HTTPError:
        return False


def offline_context(settings: Settings) -> Context:
    """The service core over the same data directory, without the web layer (like the CLI)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Context.open(settings, load_content(settings.content_dir), lambda: dt.datetime.now(dt.UTC))


def accounts(settings: Settings) -> dict[str, dict[str, str]]:
    """Create hr (with PASSWORD) and the STANDARD_USERS; return Bearer headers for each."""
    ctx = offline_context(settings)
    startup.recover(ctx)
    for username, (role, department) in {"hr": ("hr", None), **STANDARD_USERS}.items():
        if username == "hr":
            startup.ensure_admin(ctx)
            commit(ctx, [UserChange("hr", {"password_hash": _hash(PASSWORD)})], "test", "user.password_reset",
                   username="hr")
        elif not ctx.store.accounts.user(username):
            add_user(ctx, username, role, department, PASSWORD, actor="test",
                     details=Profile(oversees=OVERSEEN if role == "leader" else ()))
    return {name: {"Authorization": f"Bearer {new_token(ctx, name, actor='test')}"}
            for name in ("hr", *STANDARD_USERS)}


def _hash(password: str) -> str:
    from service.rules.credentials import hash_password

    return hash_password(password)


def store_documents(data_dir: Path) -> dict[str, object]:
    """Every TinyDB file under data_dir/db, parsed (a torn write would not parse)."""
    return {str(p.relative_to(data_dir)): json.loads(p.read_bytes() or b"{}")
            for p in sorted((data_dir / "db").rglob("*.json"))}
