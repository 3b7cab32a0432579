"""Messages out of the service: e-mail through SMTP, JSON to a group robot's webhook, and the
lock that lets one sender (the service's timer, HR's button or `portal remind`) run at a time.

Every failure comes back as `SendFailed` with a Chinese reason (the caller records it and goes
on); nothing here retries. The SMTP session and the webhook POST are each bounded by the
timeout of the settings.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from service.config import Outbound

LOCK_NAME = ".reminders.lock"
IMPLICIT_TLS_PORT = 465
MAX_ANSWER = 64 * 1024


class SendFailed(Exception):
    """A message that did not go out; the text says why (Chinese, no secrets)."""


class SenderBusy(Exception):
    """Another sender holds the lock for longer than the caller would wait."""


def mail_message(sender: str, to: Sequence[str], subject: str, body: str) -> EmailMessage:
    """A plain-text message; the Chinese subject and names are RFC 2047 encoded, the body UTF-8."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    domain = sender.rpartition("@")[2].strip(">").strip() or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, charset="utf-8", cte="base64")  # any server takes it, 8BITMIME or not
    return message


def send_mail(outbound: Outbound, to: Sequence[str], subject: str, body: str) -> None:
    """Send one message to `to` through the settings' SMTP server (STARTTLS, login when set)."""
    message = mail_message(outbound.mail_from, to, subject, body)
    try:
        if outbound.smtp_port == IMPLICIT_TLS_PORT:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(outbound.smtp_host, outbound.smtp_port, timeout=outbound.timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(outbound.smtp_host, outbound.smtp_port, timeout=outbound.timeout)
        with smtp:
            if outbound.smtp_starttls and outbound.smtp_port != IMPLICIT_TLS_PORT:
                smtp.starttls(context=ssl.create_default_context())
            if outbound.smtp_user:
                smtp.login(outbound.smtp_user, outbound.smtp_password)
            refused = smtp.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise SendFailed("邮件服务器拒绝登录（请检查 PORTAL_SMTP_USER 和 PORTAL_SMTP_PASSWORD）") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendFailed(f"邮件服务器拒收全部收件人：{'、'.join(exc.recipients)}") from None
    except smtplib.SMTPException as exc:
        raise SendFailed(f"邮件服务器出错：{_short(exc)}") from None
    except (OSError, ssl.SSLError) as exc:
        raise SendFailed(f"无法连接邮件服务器 {outbound.smtp_host}:{outbound.smtp_port}：{_short(exc)}") from None
    if refused:
        raise SendFailed(f"邮件服务器拒收部分收件人：{'、'.join(refused)}")


def webhook_payload(text: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    """A text message as 企业微信 and 钉钉 group robots take it, the facts beside it for a relay."""
    return {"msgtype": "text", "text": {"content": text}, "portal": dict(detail)}


def post_webhook(url: str, payload: Mapping[str, Any], timeout: float) -> None:
    """One JSON POST; an HTTP error, a timeout or a robot's non-zero `errcode` is SendFailed."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "mubiao-portal"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"群机器人地址返回 HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendFailed(f"无法连接群机器人地址：{_short(reason)}") from None
    try:
        found = json.loads(answer) if answer.strip() else {}
    except ValueError:
        return  # a relay that answers 2xx with text has taken it
    if isinstance(found, dict) and found.get("errcode") not in (None, 0):
        raise SendFailed(f"群机器人拒收：{_short(found.get('errmsg') or found.get('errcode'))}")


@contextlib.contextmanager
def one_sender(data_dir: Path, wait: float = 30.0) -> Iterator[None]:
    """Hold `<data>/.reminders.lock` while the block runs (across processes and threads);
    SenderBusy when another sender keeps it longer than `wait` seconds."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        give_up = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > give_up:
                    raise SenderBusy("另一次催办正在发送，请稍后再试") from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


def _short(value: object) -> str:
    return " ".join(str(value).split())[:200]
