"""Where things live: every path computed from one root, overridable through PORTAL_* variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outbound:
    """Where reminders go: an SMTP server and group-robot webhooks (environment only, never in git)."""

    smtp_host: str = ""  # PORTAL_SMTP_HOST; empty: no e-mail
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    mail_from: str = ""
    webhook_url: str = field(default="", repr=False)  # the college's robot (PORTAL_WEBHOOK_URL)
    department_webhooks: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # PORTAL_WEBHOOK_URL_<ID>
    timeout: float = 10.0  # seconds for one SMTP session or one webhook POST
    public_url: str = ""  # the portal's address, for the link in a reminder
    check_every: float = 600.0  # seconds between the service's looks at the reminder schedule

    @property
    def mail(self) -> bool:
        return bool(self.smtp_host)

    def webhook_for(self, department: str) -> str:
        """The department's own robot (PORTAL_WEBHOOK_URL_<ID>, "-" written "_"), else the college's."""
        return dict(self.department_webhooks).get(department.replace("-", "_")) or self.webhook_url

    @property
    def any_channel(self) -> bool:
        return self.mail or bool(self.webhook_url) or bool(self.department_webhooks)


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
    outbound: Outbound = field(default_factory=Outbound)  # reminders by e-mail and webhook

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
        outbound=outbound_from(env),
    )


WEBHOOK_PREFIX = "PORTAL_WEBHOOK_URL_"


def outbound_from(env: dict[str, str] | os._Environ[str]) -> Outbound:
    """PORTAL_SMTP_HOST/_PORT/_USER/_PASSWORD/_STARTTLS, PORTAL_MAIL_FROM, PORTAL_WEBHOOK_URL (and
    PORTAL_WEBHOOK_URL_<DEPARTMENT ID> per department), PORTAL_PUBLIC_URL, PORTAL_REMIND_CHECK_SECONDS."""
    host = env.get("PORTAL_SMTP_HOST", "").strip()
    user = env.get("PORTAL_SMTP_USER", "").strip()
    webhooks = tuple(sorted((name[len(WEBHOOK_PREFIX):].lower(), value.strip()) for name, value in env.items()
                            if name.startswith(WEBHOOK_PREFIX) and value.strip()))
    for name, url in (("PORTAL_WEBHOOK_URL", env.get("PORTAL_WEBHOOK_URL", "").strip()),
                      *((WEBHOOK_PREFIX + d.upper(), u) for d, u in webhooks)):
        if url and not url.startswith(("http://", "https://")):
            raise SettingInvalid(f"环境变量 {name} 应为 http:// 或 https:// 开头的网址")
    return Outbound(
        smtp_host=host,
        smtp_port=_number(env, "PORTAL_SMTP_PORT", 25),
        smtp_user=user,
        smtp_password=env.get("PORTAL_SMTP_PASSWORD", ""),
        smtp_starttls=env.get("PORTAL_SMTP_STARTTLS", "").strip().lower() in ("1", "true", "yes", "on"),
        mail_from=env.get("PORTAL_MAIL_FROM", "").strip() or user or (f"portal@{host}" if host else ""),
        webhook_url=env.get("PORTAL_WEBHOOK_URL", "").strip(),
        department_webhooks=webhooks,
        timeout=float(_number(env, "PORTAL_OUTBOUND_TIMEOUT", 10)),
        public_url=env.get("PORTAL_PUBLIC_URL", "").strip().rstrip("/"),
        check_every=float(_number(env, "PORTAL_REMIND_CHECK_SECONDS", 600)),
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
