"""Each request watched: a request id (in `X-Request-Id`, on error pages and in every log line
written while it runs), one access line when it ends, its metrics; a request that raises is
answered by the error page here, and logged once, with its id.

The access line is JSON (PORTAL_LOG_FORMAT=json) or the combined format (`combined`) on
stdout; `off` writes none and counts nothing. It holds the path as the client asked it (with the
prefix the portal is mounted under, as the proxy's own log has it) without its query string, except
the values of keys that do not look secret; never a header, a cookie or a body.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import LOG_COMBINED, LOG_JSON, LOG_OFF
from service.rules.access import User
from service.web.auth import client_address
from service.web.error_pages import server_error
from service.web.metrics import Metrics, route_template

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("portal_request_id", default="-")
ACCESS = "portal.access"
SECRET_KEYS = ("token", "password", "passwd", "secret", "key", "session", "csrf", "auth", "code", "sig", "ticket")
HIDDEN = "***"
access_log = logging.getLogger(ACCESS)


def safe_path(scope: Scope) -> str:
    """The path as the client asked it (under the path the portal is mounted under), and its
    query with the value of each key that may carry a secret replaced."""
    path = str(scope.get("root_path", "")) + str(scope.get("path", ""))
    query = scope.get("query_string", b"").decode("latin-1")
    if not query:
        return path
    pairs = [(k, HIDDEN if any(word in k.lower() for word in SECRET_KEYS) else v)
             for k, v in parse_qsl(query, keep_blank_values=True)]
    return f"{path}?{urlencode(pairs, safe='*/')}"


class Observed:
    """The outermost of the app's own middleware (inside Starlette's error middleware)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_format: str) -> None:
        self.app = app
        self.metrics = metrics
        self.log_format = log_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope["portal.request_id"] = request_id
        reset = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        sent: dict[str, int] = {"status": 500, "bytes": 0, "started": 0}
        self.metrics.active += 1

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"], sent["started"] = message["status"], 1
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        except Exception as exc:
            if sent["started"]:
                raise  # half an answer went out: the server closes the connection
            response = await server_error(Request(scope, receive), exc)  # logs it, with the request id
            await response(scope, receive, send_observed)
        finally:
            self.metrics.active -= 1
            if self.log_format != LOG_OFF:
                self._record(scope, sent["status"], sent["bytes"], time.perf_counter() - started, request_id)
            REQUEST_ID.reset(reset)

    def _record(self, scope: Scope, status: int, size: int, seconds: float, request_id: str) -> None:
        self.metrics.request(scope, status, seconds)
        if not access_log.isEnabledFor(logging.INFO):
            return
        user = scope.get("user")
        fields = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                  "request_id": request_id, "client": client_address(scope), "method": scope.get("method", ""),
                  "path": safe_path(scope), "route": route_template(scope), "status": status, "bytes": size,
                  "duration_ms": round(seconds * 1000, 1), "user": user.username if isinstance(user, User) else None}
        line = combined(scope, fields) if self.log_format == LOG_COMBINED else json.dumps(fields, ensure_ascii=False)
        # the record made directly: `info` would walk the stack for a caller no access line shows
        access_log.handle(access_log.makeRecord(ACCESS, logging.INFO, __file__, 0, line, None, None))


def combined(scope: Scope, fields: dict[str, Any]) -> str:
    """The combined log format, with the duration and the request id after it."""
    headers = dict(scope.get("headers", []))
    referer = headers.get(b"referer", b"").decode("latin-1").split("?", 1)[0]
    agent = headers.get(b"user-agent", b"").decode("latin-1")
    when = dt.datetime.fromisoformat(fields["time"]).strftime("%d/%b/%Y:%H:%M:%S %z")
    version = scope.get("http_version", "1.1")

    def quoted(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    return (f'{fields["client"]} - {fields["user"] or "-"} [{when}] "{fields["method"]} {quoted(fields["path"])} '
            f'HTTP/{version}" {fields["status"]} {fields["bytes"] or "-"} "{quoted(referer) or "-"}" '
            f'"{quoted(agent) or "-"}" {fields["duration_ms"]}ms {fields["request_id"]}')


# -- the process's log --------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time (UTC), level, logger, request id, message, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name,
                "request_id": getattr(record, "request_id", "-"), "message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def logging_config(log_format: str) -> dict[str, Any]:
    """The process's logging (uvicorn's dictConfig): access lines bare on stdout; every other
    record on stderr with its time and request id, as JSON or as text."""
    text = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"  # local time, as the server's clock
    other = {"()": f"{__name__}.JsonFormatter"} if log_format == LOG_JSON else {"format": text}
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "other",
              "filters": ["request_id"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"access": {"format": "%(message)s"}, "other": other},
        "handlers": {"access": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "access"},
                     "stderr": stderr},
        "loggers": {
            ACCESS: {"handlers": ["access"], "level": "INFO" if log_format != LOG_OFF else "WARNING",
                     "propagate": False},
            "portal": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }

