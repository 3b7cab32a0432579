"""Real parts for the reminder tests: an SMTP server (aiosmtpd) and a webhook receiver on 127.0.0.1.

Import from a test module as `from reminders_kit import ...` (pytest puts tests/ on sys.path).

- `mail_server()` runs aiosmtpd's Controller on a free port; `.messages` are the messages it
  took, parsed (`Received.subject`, `.body`, `.to` decoded as a mail reader shows them).
- `webhook_receiver(answer)` is a tiny http.server thread; `.posts` are the JSON bodies POSTed.
- `outbound_for(...)` the service's settings pointing at them.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from serverproc import free_port

from service.config import Outbound


@dataclass
class Received:
    to: list[str]
    subject: str
    body: str
    sender: str


@dataclass
class MailServer:
    port: int
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        self.messages.append(Received(list(envelope.rcpt_tos), str(parsed["Subject"]),
                                      body.get_content() if body is not None else "", str(parsed["From"])))
        return "250 OK"


@contextlib.contextmanager
def mail_server() -> Iterator[MailServer]:
    server = MailServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port, ready_timeout=10)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class Receiver:
    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def webhook_receiver(answer: dict[str, Any] | None = None, status: int = 200) -> Iterator[Receiver]:
    receiver = Receiver("")
    reply = json.dumps(answer if answer is not None else {"errcode": 0, "errmsg": "ok"}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            receiver.posts.append(json.loads(self.rfile.read(length).decode("utf-8")))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/robot"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def outbound_for(mail: MailServer | None = None, webhook: str = "", *, check_every: float = 600.0,
                 port: int | None = None) -> Outbound:
    return Outbound(smtp_host="127.0.0.1" if mail or port else "", smtp_port=port or (mail.port if mail else 25),
                    mail_from="人事处 <hr@example.edu.cn>", webhook_url=webhook, timeout=5.0,
                    public_url="https://mubiao.example.edu.cn", check_every=check_every)


def env_for(outbound: Outbound) -> dict[str, str]:
    """The same settings as `portal` reads them from the environment."""
    env = {"PORTAL_SMTP_HOST": outbound.smtp_host, "PORTAL_SMTP_PORT": str(outbound.smtp_port),
           "PORTAL_MAIL_FROM": outbound.mail_from, "PORTAL_PUBLIC_URL": outbound.public_url,
           "PORTAL_OUTBOUND_TIMEOUT": str(int(outbound.timeout))}
    if outbound.webhook_url:
        env["PORTAL_WEBHOOK_URL"] = outbound.webhook_url
    return env
