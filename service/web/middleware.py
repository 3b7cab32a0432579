"""The service's own ASGI middleware and the site's static files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import for_status
from service.web import prefix
from service.web.error_pages import api_error
from service.web.templating import content_security_policy


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
    directory, an editor's swap file, a temp file being written): 404 as if absent; nothing at
    all, 404, while the site is not built. Every file is served with the portal's
    Content-Security-Policy, an HTML page's allowing the inline scripts it holds (hashed when
    the file is first served, again when it has changed)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.policies: dict[str, tuple[tuple[int, int], str]] = {}
        self.plain_policy = content_security_policy()

    async def check_config(self) -> None:
        if self.directory is not None and not os.path.isdir(self.directory):
            raise HTTPException(status_code=404)  # checked again on the next request
        await super().check_config()

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        root = prefix.root_of(scope)
        if root and self._html(response):
            return await self._under(response, root)  # type: ignore[arg-type]
        response.headers["Content-Security-Policy"] = await self._policy(response)
        return response

    @staticmethod
    def _html(response: Response) -> bool:
        return (isinstance(response, FileResponse) and str(response.path).endswith(".html")
                and response.stat_result is not None)

    async def _under(self, response: FileResponse, root: str) -> Response:
        """An HTML page of the site served under a path: its links from the site's root put under it."""
        html = await anyio.to_thread.run_sync(Path(response.path).read_text, "utf-8", "replace")
        mounted = prefix.under(html, root)
        served = Response(mounted, status_code=response.status_code, media_type="text/html")
        for name in ("last-modified", "etag"):
            if name in response.headers:
                served.headers[name] = response.headers[name]
        served.headers["Content-Security-Policy"] = content_security_policy(mounted)
        return served

    async def _policy(self, response: Response) -> str:
        if not self._html(response):
            return self.plain_policy
        assert isinstance(response, FileResponse) and response.stat_result is not None
        file = str(response.path)
        version = (response.stat_result.st_mtime_ns, response.stat_result.st_size)
        known = self.policies.get(file)
        if known is None or known[0] != version:
            html = await anyio.to_thread.run_sync(Path(file).read_text, "utf-8", "replace")
            known = self.policies[file] = (version, content_security_policy(html))
        return known[1]

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
