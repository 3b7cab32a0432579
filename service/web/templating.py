"""Service pages in the portal's look: Jinja fragments placed inside a shell cut from the built site."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import jinja2

from service.content.formats import cn_time, num
from service.rules.people_search import search_text
from service.web import prefix

TEMPLATES = Path(__file__).parent / "templates"
ARTICLE_OPEN = '<article class="md-content__inner md-typeset">'
ARTICLE_CLOSE = "</article>"
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
_SCRIPT_SRC = re.compile(r"\bsrc\s*=", re.I)
_SCRIPT_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]*)""", re.I)
_RUN_TYPES = ("", "text/javascript", "application/javascript", "module")
_TITLE = re.compile(r"<title>.*?</title>", re.S)
_LOGIN_LINK = re.compile(r"<a\b[^>]*\bdata-portal-login\b[^>]*>.*?</a>\s*", re.S)

FALLBACK_SHELL = f"""<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>报送服务</title>
<link rel="stylesheet" href="/assets/portal.css"><link rel="stylesheet" href="/assets/accessible.css"></head><body>
{ARTICLE_OPEN}{ARTICLE_CLOSE}</body></html>"""

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


env.filters["num"] = num
env.filters["zh_time"] = cn_time
env.globals["search_text"] = search_text  # a list's row is found by it (portal.js)


class Shell:
    """The built status page with its article emptied: every service page sits inside it."""

    def __init__(self, html: str) -> None:
        html = (html.replace('href="../', 'href="/').replace('src="../', 'src="/')
                .replace('"base": ".."', '"base": "/"').replace('"search": "../', '"search": "/')
                .replace('new URL("..",location)', 'new URL("/",location)'))
        start = html.find(ARTICLE_OPEN)
        end = html.find(ARTICLE_CLOSE, start)
        if start < 0 or end < 0:
            raise ValueError("shell page has no article")
        self.before = html[: start + len(ARTICLE_OPEN)]
        self.after = html[end:]
        self.csp = content_security_policy(html)
        self.mounted: dict[str, tuple[str, str, str]] = {}  # root path: the shell under it, its policy

    @classmethod
    def from_site(cls, site_dir: Path) -> Shell:
        path = site_dir / "status" / "index.html"
        return cls(path.read_text(encoding="utf-8") if path.exists() else FALLBACK_SHELL)

    def page(self, title: str, body: str, root: str = "", *, signed_in: bool = False) -> str:
        """The page; mounted under `root` ("/mubiao"), its links from the site's root are under it;
        without the 登录 link for who is `signed_in`."""
        before, after, _ = self.under(root)
        head = _TITLE.sub(lambda _: f"<title>{jinja2.utils.markupsafe.escape(title)} - 报送服务</title>",
                          _LOGIN_LINK.sub("", before) if signed_in else before, count=1)
        return head + prefix.under(body, root) + after

    def policy(self, root: str = "") -> str:
        """The Content-Security-Policy of a page under `root` (its inline scripts name the root)."""
        return self.under(root)[2]

    def under(self, root: str) -> tuple[str, str, str]:
        if not root:
            return self.before, self.after, self.csp
        found = self.mounted.get(root)
        if found is None:
            if len(self.mounted) >= 8:  # a proxy's prefixes are few; never let them pile up
                self.mounted.clear()
            before, after = prefix.under(self.before, root), prefix.under(self.after, root)
            found = self.mounted[root] = (before, after, content_security_policy(before + after))
        return found


def render(template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)


def content_security_policy(html: str = "") -> str:
    """The policy a page of the portal is served with (service pages and the built site alike):
    scripts only from the portal itself and the inline scripts `html` holds, by their SHA-256."""
    hashes = sorted({_sha256(s) for s in _inline_scripts(html)})
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *(f"'sha256-{h}'" for h in hashes)]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ])


def _inline_scripts(html: str) -> list[str]:
    """The scripts written in the page that a browser runs (not a JSON data block)."""
    found = []
    for attributes, body in _SCRIPT.findall(html):
        kind = _SCRIPT_TYPE.search(attributes)
        if not _SCRIPT_SRC.search(attributes) and (kind.group(1).lower() if kind else "") in _RUN_TYPES:
            found.append(body)
    return found


def _sha256(script: str) -> str:
    return base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()


def template_errors() -> list[str]:
    """Syntax errors of the service's page templates."""
    from service.sitegen import template_check

    return template_check.loader_errors(env, "service/web/templates")
