"""The portal mounted under a path (https://intranet.example.edu.cn/mubiao/): the path comes from
PORTAL_ROOT_PATH, or from the X-Forwarded-Prefix header of a trusted proxy (the addresses whose
X-Forwarded-For is believed). It is put in Starlette's `root_path`; `scope["path"]` stays the
service's own path (/login), so the routes and every view see the same paths as at the root of a
host. What goes back to the browser is put under the prefix in one place each: root-relative
links of an HTML page (`under`), a link in a JSON answer (`link`), redirects and cookies (the
middleware)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from service.config import mount_path

# a link to this site written from its root: href="/board", src="/assets/...", action="/login"
_ROOT_LINK = re.compile(r"""(\s(?:href|src|action|formaction|data-[\w-]+)=["'])/(?![/\\])""")
# where MkDocs Material's scripts find the site (the service's shell page writes it from the root)
_SITE_BASE = (('"base": "/"', '"base": "{root}/"'), ('"search": "/', '"search": "{root}/'),
              ('new URL("/",location)', 'new URL("{root}/",location)'))
_COOKIE_PATH = re.compile(r"(;\s*path=)/(?=;|$)", re.I)


def root_of(connection: HTTPConnection | Scope) -> str:
    """The path the portal is mounted under for this request ("" at the root of the host)."""
    scope = connection.scope if isinstance(connection, HTTPConnection) else connection
    return str(scope.get("root_path", ""))


def under(html: str, root: str) -> str:
    """`html` with its root-relative links under `root`."""
    if not root:
        return html
    html = _ROOT_LINK.sub(lambda m: f"{m.group(1)}{root}/", html)
    for before, after in _SITE_BASE:
        html = html.replace(before, after.format(root=root))
    return html


def link(path: str, root: str) -> str:
    """A link to this site written from its root ("/board/review") as the browser asks for it:
    under `root`. Anything else (another site, "//host", a relative link) is left as it is."""
    if root and path.startswith("/") and not path.startswith(("//", "/\\")):
        return root + path
    return path


def app_path(path: str, root: str) -> str:
    """A browser's path (a Referer's) as the service's own: without `root`."""
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root):] or "/"
    return path


class ForwardedPrefix(ProxyHeadersMiddleware):
    """uvicorn's proxy headers (X-Forwarded-For, -Proto from the trusted proxies), and the path
    the portal is mounted under: X-Forwarded-Prefix from a trusted proxy, else `root_path`. A
    request that arrives with the prefix still on its path (a proxy that passes it on) has it
    taken off. The answer's redirects to this site and its cookies are put under the prefix."""

    def __init__(self, app: ASGIApp, trusted_hosts: list[str], root_path: str = "") -> None:
        super().__init__(app, trusted_hosts=trusted_hosts)  # type: ignore[arg-type]
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] not in ("http", "websocket"):
            await super().__call__(scope, receive, send)  # type: ignore[arg-type]
            return
        root = self._root(scope)
        if not root:
            await super().__call__(scope, receive, send)  # type: ignore[arg-type]
            return
        scope["root_path"] = root
        path = app_path(scope["path"], root)
        if path != scope["path"]:
            scope["path"] = path
            raw = scope.get("raw_path")
            if isinstance(raw, bytes) and raw.startswith(root.encode("ascii")):
                scope["raw_path"] = raw[len(root):] or b"/"

        async def send_under(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                self._relocate(headers, scope, root)
                message = {**message, "headers": headers.raw}
            await send(message)

        await super().__call__(scope, receive, send_under)  # type: ignore[arg-type]

    def _root(self, scope: Scope) -> str:
        client = scope.get("client")
        if client and client[0] in self.trusted_hosts:
            forwarded = Headers(scope=scope).get("x-forwarded-prefix")
            if forwarded is not None:
                found = mount_path(forwarded.split(",")[0])
                if found is not None:
                    return found
        return self.root_path

    @staticmethod
    def _relocate(headers: MutableHeaders, scope: Scope, root: str) -> None:
        location = headers.get("location")
        if location is not None:
            parts = urlsplit(location)
            own = parts.netloc and parts.netloc == Headers(scope=scope).get("host", "")
            if own:  # Starlette's own redirects (a missing "/") name the host: keep the path only
                location = location[len(f"{parts.scheme}://{parts.netloc}"):]
            moved = link(location, root)
            if moved != location:
                headers["location"] = moved
        cookies = [(k, v) for k, v in headers.raw if k == b"set-cookie"]
        if cookies:
            del headers["set-cookie"]
            for _, value in cookies:
                headers.append("set-cookie", _COOKIE_PATH.sub(lambda m: m.group(1) + root, value.decode("latin-1")))
