"""Shared helpers for the service tests: a built site, temporary apps, logins, tokens, tiny files, HTML.

Import from a test module as `from helpers import ...` (pytest puts tests/ on sys.path).

- `built_site()` builds the portal once per test session (~2 s) into a temp dir; every app
  gets its own copy (`copy_site`), because the service rewrites `status/index.html`.
- `running_service(settings)` is the fixture factory: it builds a temporary app on a pinned
  clock, enters its lifespan and yields a `Service` (TestClient + app + helpers).
- `login(client, username, password)` signs in through the real form (csrf hidden field).
- `PDF`, `PNG`, `JPEG` are tiny valid files; `parse_html` turns a page into a small tree.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime as dt
import functools
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.testclient import TestClient

from service.config import ROOT, Settings
from service.rules.clock import FixedClock
from service.sitegen.build import build_site
from service.web.app import create_app
from service.web.status_page import StatusPublisher
from service.workflows import accounts
from service.workflows.context import Context

TZ = "Asia/Shanghai"
BEFORE_DEADLINE = dt.datetime(2019, 4, 20, 10, 0)  # the shipped contract deadline is 04-26
AFTER_DEADLINE = dt.datetime(2019, 4, 27, 9, 0)
PASSWORD = "mima-12345678-xin"
LEAVE_WORDS = ("产假", "病假", "长期事假")

# A department ("系") and a second one, with people from the shipped roster.
DEPT = "jxx"
OTHER_DEPT = "dqx"
# The accounts every running service offers (made on first use, password PASSWORD). The
# leader `boss` oversees both departments.
STANDARD_USERS = {"clerk": ("department", DEPT), "other": ("department", OTHER_DEPT), "boss": ("leader", None)}
OVERSEEN = (DEPT, OTHER_DEPT)


# -- tiny valid files ----------------------------------------------------------------------------


def _pdf() -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PDF = _pdf()
PNG = _png()
# A 16×16 baseline JPEG (CPython's test image python.jpg, PSF licence).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8Q"
    "EBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
    "EBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQID"
    "BAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/"
    "2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx"
    "4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+"
    "Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolv"
    "w4KOp1KM6iCNvngZHwetf//Z"
)


def scan_of(staff_id: str, data: bytes = PDF) -> bytes:
    """A tiny scan of its own for one person: the same file stored for two people is refused
    as a likely mistake, so tests that sign for several people give each their own bytes."""
    return data + f"\n%{staff_id}\n".encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the built site -----------------------------------------------------------------------------


@functools.cache
def built_site() -> Path:
    """The portal built once per session from the shipped content (read-only: copy it)."""
    root = Path(tempfile.mkdtemp(prefix="portal-site-"))
    atexit.register(shutil.rmtree, root, True)
    site = root / "site"
    build_site(Settings(root=ROOT, content_dir=ROOT / "content", site_dir=site, data_dir=root / "var",
                        mkdocs_file=ROOT / "mkdocs.yml"))
    return site


def copy_site(target: Path, *, full: bool = True) -> Path:
    """Copy the built site to `target`; without `full`, only the status page (all the service reads)."""
    if full:
        shutil.copytree(built_site(), target, dirs_exist_ok=True)
    else:
        shutil.copytree(built_site() / "status", target / "status", dirs_exist_ok=True)
    return target


def set_upload_limit(content_dir: Path, max_mb: int) -> None:
    """Edit settings.yml in a private content copy: `uploads.max_mb`."""
    path = content_dir / "settings.yml"
    text = path.read_text(encoding="utf-8")
    old = "max_mb: 20"
    assert text.count(old) == 1, "settings.yml no longer has `max_mb: 20`"
    path.write_text(text.replace(old, f"max_mb: {max_mb}"), encoding="utf-8")


# -- the app ------------------------------------------------------------------------------------


@dataclass
class Service:
    """A running temporary app: `client` is anonymous unless a test logs it in."""

    app: Starlette
    client: TestClient
    settings: Settings
    clock: FixedClock
    hr_password: str
    standard_users: bool = True
    _clients: list[TestClient] = field(default_factory=list)
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def context(self) -> Context:
        return self.app.state.context  # type: ignore[no-any-return]

    @property
    def publisher(self) -> StatusPublisher:
        return self.app.state.publisher  # type: ignore[no-any-return]

    @property
    def status_page(self) -> Path:
        return self.settings.site_dir / "status" / "index.html"

    def add_user(self, username: str, role: str, department: str | None = None,
                 password: str = PASSWORD, oversees: tuple[str, ...] | None = None) -> None:
        if oversees is None:
            oversees = OVERSEEN if role == "leader" else ()
        accounts.add_user(self.context, username, role, department, password, actor="test",
                          details=accounts.Profile(oversees=oversees))

    def ensure_user(self, username: str) -> None:
        """Create one of STANDARD_USERS the first time a test acts as it."""
        if self.standard_users and username in STANDARD_USERS and not self.context.store.accounts.user(username):
            self.add_user(username, *STANDARD_USERS[username])

    def token(self, username: str) -> str:
        """A new API token of `username`."""
        self.ensure_user(username)
        return accounts.new_token(self.context, username, actor="test")

    def bearer(self, username: str) -> dict[str, str]:
        """Authorization headers for `username` (one token per account, made on first use)."""
        if username not in self._tokens:
            self._tokens[username] = self.token(username)
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def new_client(self) -> TestClient:
        """Another browser: its own cookie jar, the same running app."""
        client = TestClient(self.app, follow_redirects=False)
        self._clients.append(client)
        return client

    def session(self, username: str, password: str = PASSWORD) -> TestClient:
        """A new client logged in as `username` through the login form."""
        self.ensure_user(username)
        client = self.new_client()
        login(client, username, password)
        return client

    def hr_session(self) -> TestClient:
        return self.session("hr", self.hr_password)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait (bounded) until no status-page regeneration is running or pending.

        A submission asks for one before its response is sent, so after `settle()` the page
        shows every submission that has been answered.
        """
        publisher = self.publisher

        async def settled() -> None:
            with anyio.fail_after(timeout):
                await publisher.settled()

        assert self.client.portal is not None, "the service is not running"
        self.client.portal.call(settled)


@contextlib.contextmanager
def running_service(settings: Settings, *, now: dt.datetime = BEFORE_DEADLINE,
                    users: bool = True, full_site: bool = False,
                    status_refresh: float | None = None) -> Iterator[Service]:
    """Build a temporary app over `settings` (site copied in) and run its lifespan.

    With `users` (a fresh data directory), the STANDARD_USERS are there when a test acts as
    them: `clerk` (DEPT), `other` (OTHER_DEPT), the leader `boss`; without, the data directory
    may be one an earlier service left (a restart), and `hr_password` is empty. Only the status
    page of the site is copied unless `full_site`. `status_refresh` shortens the publisher's
    check for a board that changed with the date alone.
    """
    copy_site(settings.site_dir, full=full_site)
    clock = FixedClock(now, TZ)
    app = create_app(settings, now=clock.now)
    if status_refresh is not None:
        app.state.publisher.refresh_every = status_refresh
    password = app.state.initial_password
    if users:
        assert password, "a fresh data directory must create the hr account"
    with TestClient(app, follow_redirects=False) as client:
        service = Service(app, client, settings, clock, password or "", standard_users=users)
        if users:  # the leader first: submitted targets need a leader overseeing the department
            service.ensure_user("boss")
        try:
            yield service
        finally:
            for extra in service._clients:
                extra.close()


# -- sessions -----------------------------------------------------------------------------------


def csrf_from(html: str) -> str:
    """The value of the first hidden `csrf` field in a page."""
    field_ = parse_html(html).find("input", name="csrf")
    assert field_ is not None, "page has no csrf field"
    return field_.attrs["value"]


def login(client: TestClient, username: str, password: str) -> Any:
    """Sign in through GET /login + POST /login; assert the 303 and return the response."""
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def page_csrf(client: TestClient, path: str = "/login") -> str:
    """The session's csrf token as a page the client can see shows it."""
    response = client.get(path)
    assert response.status_code == 200, response.text
    return csrf_from(response.text)


def upload(client: TestClient, staff_id: str, data: bytes = PDF, filename: str = "scan.pdf",
           headers: dict[str, str] | None = None, **form: str) -> Any:
    return client.post("/api/contracts", data={"staff_id": staff_id, **form},
                       files={"file": (filename, data, "application/octet-stream")}, headers=headers)


def staff_of(client: TestClient, department: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """`GET /api/departments/{id}/staff` as {staff_id: person}."""
    response = client.get(f"/api/departments/{department}/staff", headers=headers)
    assert response.status_code == 200, response.text
    return {p["staff_id"]: p for p in response.json()["staff"]}


def audit_actions(settings: Settings) -> list[str]:
    path = settings.data_dir / "audit.log"
    if not path.exists():
        return []
    import json

    return [json.loads(line)["action"] for line in path.read_text(encoding="utf-8").splitlines() if line]


def stored_files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def portal(settings: Settings, *args: str, stdin: str = "", env: Mapping[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`portal …` run as a real process over the settings' directories, with `env` added to the
    environment (bounded in time)."""
    full = {**os.environ, **(env or {}), "PORTAL_DATA": str(settings.data_dir),
            "PORTAL_CONTENT": str(settings.content_dir), "PORTAL_SITE": str(settings.site_dir),
            "PORTAL_SAMPLE_CONTENT": str(settings.sample_dir)}
    return subprocess.run([str(Path(sys.executable).with_name("portal")), *args], input=stdin, env=full,
                          capture_output=True, text=True, timeout=timeout, check=False)


def wait_for(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.01)


# -- HTML ---------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All text inside, scripts and styles left out, whitespace collapsed."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag not in ("script", "style"):
                parts.append(child.text)
        return " ".join(" ".join(parts).split())

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Element]:
        """Descendants (and self) with `tag` and every attribute given (True: present at all).

        Attribute names use `_` for `-` (data_status_board → data-status-board).
        """
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [e for e in self.iter() if (tag is None or e.tag == tag) and all(
            (k in e.attrs) if v is True else e.attrs.get(k) == v for k, v in wanted.items())]

    def find(self, tag: str | None = None, **attrs: str | bool) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def rows(self) -> list[list[str]]:
        """A table's body rows as lists of cell texts."""
        return [[cell.text for cell in row.children if isinstance(cell, Element) and cell.tag in ("td", "th")]
                for row in self.find_all("tr") if row.find("td") is not None]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):  # tolerate unclosed <p>, <li>, …
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root
