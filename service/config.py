"""Where things live: every path computed from one root, overridable through PORTAL_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    root: Path
    content_dir: Path
    site_dir: Path
    data_dir: Path
    mkdocs_file: Path
    today: str | None = None  # "YYYY-MM-DD": pins the clock for demos and tests
    https: bool = False  # served over HTTPS (directly or behind the proxy): Secure cookies
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For/-Proto are believed
    session_idle_minutes: int = 120  # a browser session ends after this long unused ...
    session_hours: int = 10  # ... and this long after sign-in in any case
    max_connections: int = 1000  # open connections; past it the oldest still sending its head is closed
    header_timeout: float = 10.0  # seconds a connection has to send a request's head

    @property
    def docs_dir(self) -> Path:
        return self.content_dir / "pages"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def from_env(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    root = Path(env.get("PORTAL_ROOT", ROOT)).resolve()
    return Settings(
        root=root,
        content_dir=Path(env.get("PORTAL_CONTENT", root / "content")).resolve(),
        site_dir=Path(env.get("PORTAL_SITE", root / "site")).resolve(),
        data_dir=Path(env.get("PORTAL_DATA", root / "var")).resolve(),
        mkdocs_file=Path(env.get("PORTAL_MKDOCS", root / "mkdocs.yml")).resolve(),
        today=env.get("PORTAL_TODAY") or None,
        https=env.get("PORTAL_HTTPS", "").strip().lower() in ("1", "true", "yes", "on"),
        trusted_proxies=tuple(p.strip() for p in env.get("PORTAL_TRUSTED_PROXIES", "").split(",") if p.strip()),
        session_idle_minutes=_number(env, "PORTAL_SESSION_IDLE_MINUTES", 120),
        session_hours=_number(env, "PORTAL_SESSION_HOURS", 10),
        max_connections=_number(env, "PORTAL_MAX_CONNECTIONS", 1000),
        header_timeout=float(_number(env, "PORTAL_HEADER_TIMEOUT", 10)),
    )


class SettingInvalid(ValueError):
    pass


def _number(env: dict[str, str] | os._Environ[str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SettingInvalid(f"环境变量 {name} 应为正整数，当前为“{text[:40]}”")
    return int(text)
