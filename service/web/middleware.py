"""The service's own ASGI middleware and the site's static files."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import for_status
from service.web.error_pages import api_error


class BodyLimitErrors:
    """Starlette's route body limit answers an over-long Content-Length with plain English text:
    answer it like every other error (JSON, or the error page for a browser)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_error(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return  # Starlette's own body
            if (message["type"] == "http.response.start" and message["status"] == 413
                    and dict(message.get("headers", [])).get(b"content-type", b"").startswith(b"text/plain")):
                replaced = True
                response = await api_error(Request(scope, receive), for_status(413))
                await response(scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, send_error)


class SiteFiles(StaticFiles):
    """The built portal. Nothing whose path has a part starting with "." is served (a `.git`
    directory, an editor's swap file, a temp file being written): 404 as if absent."""

    def get_path(self, scope: Scope) -> str:
        path = super().get_path(scope)
        if any(part.startswith(".") and part != "." for part in path.replace("\\", "/").split("/")):
            raise HTTPException(status_code=404)
        scope["portal.static"] = True
        return path


class SecurityHeaders:
    """nosniff, frame denial and a strict referrer policy on every response; `Cache-Control:
    no-store` on every answer of the service itself (pages, JSON, downloads: they may carry
    personal data), the published static site excepted."""

    HEADERS: tuple[tuple[bytes, bytes], ...] = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend(h for h in self.HEADERS if h[0] not in present)
                if b"cache-control" not in present and not scope.get("portal.static"):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
