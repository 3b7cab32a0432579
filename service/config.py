"""Where things live: every path computed from one root, overridable through PORTAL_* variables."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SETUP_DIR = "setup"  # the college's set-up, inside the data directory


# How staff members sign in (PORTAL_STAFF_SIGN_IN): the campus directory, a local password, or either.
SIGN_IN_DIRECTORY = "ldap"
SIGN_IN_LOCAL = "local"
SIGN_IN_BOTH = "both"
SIGN_IN_CHOICES = (SIGN_IN_DIRECTORY, SIGN_IN_LOCAL, SIGN_IN_BOTH)

# How each request is logged (PORTAL_LOG_FORMAT): a JSON line, the combined format, or not at all
# (off: no access line and no request metrics, to measure what they cost).
LOG_JSON = "json"
LOG_COMBINED = "combined"
LOG_OFF = "off"
LOG_FORMATS = (LOG_JSON, LOG_COMBINED, LOG_OFF)


@dataclass(frozen=True)
class Directory:
    """The campus directory (统一身份认证 over LDAP) staff members sign in with: each binds as
    the DN made from `user_dn` (a template with {staff_id}), or as the entry found under
    `search_base` whose `attribute` is the 工号 (searched with the service account's bind)."""

    url: str
    user_dn: str = ""
    search_base: str = ""
    attribute: str = "uid"
    bind_dn: str = ""
    bind_password: str = ""
    starttls: bool = False
    ca_file: str = ""  # certificates trusted for ldaps:// and STARTTLS (default: the system's)
    timeout: float = 5.0  # seconds to connect, and to wait for each answer


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
class LoginLimits:
    """How failed sign-ins are slowed (web/throttle.py, rules/login_limits.py); PORTAL_LOGIN_*."""

    pair_free: int = 5  # failures of one account from one address before each next one waits longer
    address_free: int = 20  # failures for names that are no account, from one address, before the same
    account_free: int = 10  # failures of one account from anywhere before its sign-ins are slowed ...
    account_wait: float = 2.0  # ... by at most this many seconds (browsers it signed in on: never)
    base: float = 1.0  # the first wait of a back-off, doubled by each further failure ...
    cap: float = 900.0  # ... up to this
    forget_after: float = 3600.0  # seconds after its last failure a count is forgotten
    device_days: int = 180  # a browser that signed in to an account stays known to it this long


@dataclass(frozen=True)
class Settings:
    """`content_dir` is the college's set-up (settings, departments, roles, common targets, roster,
    pages): by default `<data_dir>/setup`, seeded from `sample_dir`, the checkout's shipped content/."""

    root: Path
    content_dir: Path
    site_dir: Path
    data_dir: Path
    mkdocs_file: Path
    sample_dir: Path = ROOT / "content"  # the shipped sample, never written by the service
    today: str | None = None  # "YYYY-MM-DD": pins the clock for demos and tests
    https: bool = False  # served over HTTPS (directly or behind the proxy): Secure cookies
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For/-Proto are believed
    session_idle_minutes: int = 120  # a browser session ends after this long unused ...
    session_hours: int = 10  # ... and this long after sign-in in any case
    max_connections: int = 1000  # open connections; past it the oldest still sending its head is closed
    header_timeout: float = 10.0  # seconds a connection has to send a request's head
    body_timeout: float = 10.0  # seconds from a request's head to the first byte of its body
    body_min_rate: int = 1024  # bytes a second a request's body must keep arriving at after that
    directory: Directory | None = None  # the campus directory, when PORTAL_LDAP_URL is set
    staff_sign_in: str = SIGN_IN_LOCAL  # SIGN_IN_CHOICES: which ways staff members sign in
    outbound: Outbound = field(default_factory=Outbound)  # reminders by e-mail and webhook
    login: LoginLimits = field(default_factory=LoginLimits)  # how failed sign-ins are slowed
    password_min_score: int = 3  # the least zxcvbn score (0–4) a new password must reach
    log_format: str = LOG_JSON  # LOG_FORMATS: the access log's format
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")  # addresses (or networks) that may read /metrics
    root_path: str = ""  # the path the portal is mounted under ("/mubiao"), "" at the root of the host
    scan_workers: int = 0  # processes that read scanned pages; 0: one per core

    @property
    def directory_sign_in(self) -> bool:
        return self.directory is not None and self.staff_sign_in in (SIGN_IN_DIRECTORY, SIGN_IN_BOTH)

    @property
    def local_sign_in(self) -> bool:
        return self.staff_sign_in in (SIGN_IN_LOCAL, SIGN_IN_BOTH)

    @property
    def docs_dir(self) -> Path:
        return self.content_dir / "pages"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def from_env(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    root = Path(env.get("PORTAL_ROOT", ROOT)).resolve()
    directory = _directory(env)
    sign_in = _sign_in(env, directory)
    data_dir = Path(env.get("PORTAL_DATA", root / "var")).resolve()
    return Settings(
        root=root,
        content_dir=Path(env.get("PORTAL_CONTENT", data_dir / SETUP_DIR)).resolve(),
        site_dir=Path(env.get("PORTAL_SITE", root / "site")).resolve(),
        data_dir=data_dir,
        mkdocs_file=Path(env.get("PORTAL_MKDOCS", root / "mkdocs.yml")).resolve(),
        sample_dir=Path(env.get("PORTAL_SAMPLE_CONTENT", root / "content")).resolve(),
        today=env.get("PORTAL_TODAY") or None,
        https=_flag(env, "PORTAL_HTTPS"),
        trusted_proxies=tuple(p.strip() for p in env.get("PORTAL_TRUSTED_PROXIES", "").split(",") if p.strip()),
        session_idle_minutes=_number(env, "PORTAL_SESSION_IDLE_MINUTES", 120),
        session_hours=_number(env, "PORTAL_SESSION_HOURS", 10),
        max_connections=_number(env, "PORTAL_MAX_CONNECTIONS", 1000),
        header_timeout=float(_number(env, "PORTAL_HEADER_TIMEOUT", 10)),
        body_timeout=float(_number(env, "PORTAL_BODY_TIMEOUT", 10)),
        body_min_rate=_number(env, "PORTAL_BODY_MIN_RATE", 1024),
        directory=directory,
        staff_sign_in=sign_in,
        outbound=outbound_from(env),
        login=login_limits_from(env),
        password_min_score=_score(env),
        log_format=_choice(env, "PORTAL_LOG_FORMAT", LOG_FORMATS),
        metrics_allow=_addresses(env, "PORTAL_METRICS_ALLOW", ("127.0.0.1", "::1")),
        root_path=_root_path(env),
        scan_workers=_number(env, "PORTAL_SCAN_WORKERS", 0),
    )


def login_limits_from(env: dict[str, str] | os._Environ[str]) -> LoginLimits:
    """PORTAL_LOGIN_PAIR_FREE, _ADDRESS_FREE, _ACCOUNT_FREE, _ACCOUNT_WAIT (seconds, at most 10),
    _FORGET_MINUTES and PORTAL_KNOWN_DEVICE_DAYS."""
    wait = _number(env, "PORTAL_LOGIN_ACCOUNT_WAIT", 2)
    if wait > 10:
        raise SettingInvalid(f"环境变量 PORTAL_LOGIN_ACCOUNT_WAIT 应为 1–10 秒，当前为“{wait}”")
    return LoginLimits(pair_free=_number(env, "PORTAL_LOGIN_PAIR_FREE", 5),
                       address_free=_number(env, "PORTAL_LOGIN_ADDRESS_FREE", 20),
                       account_free=_number(env, "PORTAL_LOGIN_ACCOUNT_FREE", 10), account_wait=float(wait),
                       forget_after=60.0 * _number(env, "PORTAL_LOGIN_FORGET_MINUTES", 60),
                       device_days=_number(env, "PORTAL_KNOWN_DEVICE_DAYS", 180))


def _score(env: dict[str, str] | os._Environ[str]) -> int:
    """PORTAL_PASSWORD_MIN_SCORE: 0–4 (zxcvbn's scale), default 3."""
    text = env.get("PORTAL_PASSWORD_MIN_SCORE", "").strip() or "3"
    if text not in ("0", "1", "2", "3", "4"):
        raise SettingInvalid(f"环境变量 PORTAL_PASSWORD_MIN_SCORE 应为 0–4，当前为“{text[:40]}”")
    return int(text)


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
        public_url=_public_url(env),
        check_every=float(_number(env, "PORTAL_REMIND_CHECK_SECONDS", 600)),
    )


class SettingInvalid(ValueError):
    pass


_MOUNT_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")


def mount_path(text: str) -> str | None:
    """A path to mount the portal under, written "/mubiao" or "/intranet/mubiao/" (kept without its
    last "/"); "" for the root of the host; None when it is not such a path ("..", "//", a query)."""
    text = text.strip().rstrip("/")
    if not text:
        return ""
    if not _MOUNT_PATH.fullmatch(text) or any(part in (".", "..") for part in text.split("/")):
        return None
    return text


def _root_path(env: dict[str, str] | os._Environ[str]) -> str:
    text = env.get("PORTAL_ROOT_PATH", "")
    found = mount_path(text)
    if found is None:
        raise SettingInvalid(f"环境变量 PORTAL_ROOT_PATH 应为以 / 开头的路径（如 /mubiao），当前为“{text[:40]}”")
    return found


def _public_url(env: dict[str, str] | os._Environ[str]) -> str:
    """PORTAL_PUBLIC_URL without its last "/"; given as a host alone, the portal's path
    (PORTAL_ROOT_PATH) is added."""
    url = env.get("PORTAL_PUBLIC_URL", "").strip().rstrip("/")
    return url + _root_path(env) if url and not urlsplit(url).path else url


def _number(env: dict[str, str] | os._Environ[str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SettingInvalid(f"环境变量 {name} 应为正整数，当前为“{text[:40]}”")
    return int(text)


def _choice(env: dict[str, str] | os._Environ[str], name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (the first by default)."""
    text = env.get(name, "").strip().lower()
    if not text:
        return choices[0]
    if text not in choices:
        raise SettingInvalid(f"环境变量 {name} 应为 {' / '.join(choices)} 之一，当前为“{text[:40]}”")
    return text


def _addresses(env: dict[str, str] | os._Environ[str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of addresses or networks (10.0.0.0/8), each checked."""
    text = env.get(name)
    if text is None or not text.strip():
        return default
    found = tuple(p.strip() for p in text.split(",") if p.strip())
    for item in found:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingInvalid(f"环境变量 {name} 中的“{item[:40]}”不是 IP 地址或网段") from None
    return found


def _flag(env: dict[str, str] | os._Environ[str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _directory(env: dict[str, str] | os._Environ[str]) -> Directory | None:
    """PORTAL_LDAP_*: the directory, or None without a URL; a half-made setting is refused."""
    url = env.get("PORTAL_LDAP_URL", "").strip()
    if not url:
        return None
    if not url.lower().startswith(("ldap://", "ldaps://")):
        raise SettingInvalid(f"环境变量 PORTAL_LDAP_URL 应以 ldap:// 或 ldaps:// 开头，当前为“{url[:80]}”")
    user_dn = env.get("PORTAL_LDAP_USER_DN", "").strip()
    base = env.get("PORTAL_LDAP_SEARCH_BASE", "").strip()
    if bool(user_dn) == bool(base):
        raise SettingInvalid("统一身份认证须设置 PORTAL_LDAP_USER_DN（如 uid={staff_id},ou=people,dc=example,dc=edu）"
                             "或 PORTAL_LDAP_SEARCH_BASE（配合 PORTAL_LDAP_ATTRIBUTE 查找），二者选一")
    if user_dn and user_dn.count("{staff_id}") != 1:
        raise SettingInvalid(f"PORTAL_LDAP_USER_DN 中应有一处 {{staff_id}}（工号的位置），当前为“{user_dn[:80]}”")
    attribute = env.get("PORTAL_LDAP_ATTRIBUTE", "uid").strip() or "uid"
    if not attribute.replace("-", "").isalnum() or not attribute.isascii():
        raise SettingInvalid(f"PORTAL_LDAP_ATTRIBUTE 应为属性名（如 uid、employeeNumber），当前为“{attribute[:40]}”")
    text = env.get("PORTAL_LDAP_TIMEOUT", "").strip() or "5"
    try:
        timeout = float(text)
    except ValueError:
        timeout = 0.0
    if not 0 < timeout <= 60:
        raise SettingInvalid(f"PORTAL_LDAP_TIMEOUT 应为 0–60 秒，当前为“{text[:40]}”")
    return Directory(url=url, user_dn=user_dn, search_base=base, attribute=attribute,
                     bind_dn=env.get("PORTAL_LDAP_BIND_DN", "").strip(),
                     bind_password=env.get("PORTAL_LDAP_BIND_PASSWORD", ""),
                     starttls=_flag(env, "PORTAL_LDAP_STARTTLS"), ca_file=env.get("PORTAL_LDAP_CA_FILE", "").strip(),
                     timeout=timeout)


def _sign_in(env: dict[str, str] | os._Environ[str], directory: Directory | None) -> str:
    """PORTAL_STAFF_SIGN_IN: ldap, local or both; default both with a directory, local without."""
    text = env.get("PORTAL_STAFF_SIGN_IN", "").strip().lower()
    if not text:
        return SIGN_IN_BOTH if directory else SIGN_IN_LOCAL
    if text not in SIGN_IN_CHOICES:
        raise SettingInvalid(f"环境变量 PORTAL_STAFF_SIGN_IN 应为 {' / '.join(SIGN_IN_CHOICES)} 之一，当前为“{text[:40]}”")
    if text != SIGN_IN_LOCAL and directory is None:
        raise SettingInvalid(f"PORTAL_STAFF_SIGN_IN={text} 需要统一身份认证：请设置 PORTAL_LDAP_URL 等")
    return text
