"""Who a request acts for, resolved once before routing (Starlette's AuthenticationMiddleware).

An API client presents `Authorization: Bearer <token>`; a browser the opaque id of its stored
session in the `portal_session` cookie (workflows/sessions.py). The user goes on
`request.user`, how it signed in on `request.auth` (scope TOKEN or SESSION), the session on
`request.scope["portal.session"]`. A bad, revoked or disabled account's token is refused at
once (401 `invalid_token`); a cookie naming no live session counts as no cookie, and each
view decides (401 JSON, or the login page for a page).

The cookies are HttpOnly and SameSite=Strict, and Secure when the portal is served over HTTPS
(the setting, or the scheme a trusted proxy forwarded). Before signing in, a browser holds a
random `portal_csrf` cookie whose value the login form echoes. A browser that signed in keeps
a signed `portal_device` cookie naming the account (rules/login_limits.py): failures from
elsewhere never hold that browser up.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from service.errors import ApiError, unauthorized
from service.rules import login_limits
from service.rules.access import User
from service.storage.store import Busy
from service.workflows import accounts, sessions
from service.workflows.commit import Write, bookkeeping
from service.workflows.context import Context

TOKEN = "token"
SESSION = "session"
SESSION_COOKIE = "portal_session"
CSRF_COOKIE = "portal_csrf"
DEVICE_COOKIE = "portal_device"
T = TypeVar("T")
K = TypeVar("K")
INVALID_TOKEN = ApiError(401, "invalid_token", "API 令牌无效、已停用，或其账号已停用")
PASSWORD_CHANGE = ApiError(403, "password_change_required", "请先修改一次性密码，再继续使用")
PASSWORD_PAGE = "/account"


class Credentials(AuthenticationBackend):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, User] | None:
        """The account of the bearer token or of the session."""
        ctx = conn.scope.get("portal.context", self.ctx)
        header = conn.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            user = await _look_up(ctx, accounts.token_use, header[7:].strip())
            if user is None:
                raise AuthenticationError(INVALID_TOKEN.code)
            return AuthCredentials([TOKEN]), user
        session_id = conn.cookies.get(SESSION_COOKIE)
        if session_id:
            session, names = await _look_up(ctx, _session_and_names, session_id)
            if session is not None:
                conn.scope["portal.session"] = session
                conn.scope["portal.names"] = names
                return AuthCredentials([SESSION]), session.user
        return None


async def _look_up(ctx: Context, find: Callable[[Context, K], tuple[T, list[Write]]], key: K) -> T:
    """An in-memory lookup of the accounts, done at once when the store's locks are free; when a
    commit or another process holds them, it waits in a worker thread, never on the event loop.
    What the lookup found due to note (a last use) is written in a worker thread too."""
    try:
        with ctx.store.locked(wait=False):
            found, due = find(ctx, key)
    except Busy:
        found, due = await anyio.to_thread.run_sync(find, ctx, key)
    if due:
        await anyio.to_thread.run_sync(bookkeeping, ctx, due)
    return found


def _session_and_names(ctx: Context, session_id: str) -> tuple[tuple[sessions.Session | None, dict[str, str]],
                                                                 list[Write]]:
    """The session (`sessions.look_up`) and, for a live one, the display names pages show: one lookup."""
    session, due = sessions.look_up(ctx, session_id)
    return (session, accounts.display_names(ctx) if session is not None else {}), due


def refused(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    return JSONResponse(INVALID_TOKEN.body(), status_code=INVALID_TOKEN.status)


def user_of(request: Request) -> User | None:
    """The signed-in account, or None (anonymous, or before identity was resolved)."""
    user = request.scope.get("user")
    return user if isinstance(user, User) else None


def signed_in(request: Request, *, pending_password: bool = False) -> User:
    """The signed-in account; 401 for an anonymous request. A browser signed in with a
    one-time password is sent to change it first (403 `password_change_required`), except
    where `pending_password` says the view is part of doing so."""
    user = user_of(request)
    if user is None:
        raise unauthorized()
    if user.must_change_password and not pending_password and not by_token(request):
        raise PASSWORD_CHANGE
    return user


def by_token(request: Request) -> bool:
    """An API client (bearer token): no session, so no CSRF token to echo."""
    auth = request.scope.get("auth")
    return auth is not None and TOKEN in auth.scopes


def session_of(request: Request) -> sessions.Session | None:
    session = request.scope.get("portal.session")
    return session if isinstance(session, sessions.Session) else None


# -- cookies -------------------------------------------------------------------------


def secure(request: Request) -> bool:
    """Served over HTTPS: the setting says so, or the scheme (a trusted proxy's, see app.py)."""
    ctx: Context = request.app.state.context
    return ctx.settings.https or request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, session_id: str) -> None:
    ctx: Context = request.app.state.context
    response.set_cookie(SESSION_COOKIE, session_id, max_age=ctx.settings.session_hours * 3600, path="/",
                        secure=secure(request), httponly=True, samesite="strict")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure(request), httponly=True, samesite="strict")


def device_of(request: Request, username: str) -> str:
    """This browser's known-device id for `username` (it signed in to it before), or ""."""
    ctx: Context = request.app.state.context
    key = login_limits.device_key(ctx.mark_key())
    return login_limits.known_device(key, request.cookies.get(DEVICE_COOKIE), username, time.time(),
                                     ctx.settings.login.device_days)


def set_device_cookie(request: Request, response: Response, username: str) -> None:
    """Mark this browser as known to `username` (kept after signing out; replaces another account's)."""
    ctx: Context = request.app.state.context
    key = login_limits.device_key(ctx.mark_key())
    value = login_limits.device_cookie(key, username, secrets.token_urlsafe(12), int(time.time()))
    response.set_cookie(DEVICE_COOKIE, value, max_age=ctx.settings.login.device_days * 86400, path="/",
                        secure=secure(request), httponly=True, samesite="strict")


def csrf_token(request: Request) -> str:
    """The token a form of this page carries: the session's, or before signing in the browser's
    `portal_csrf` cookie (made now when missing; `page` sends it)."""
    session = session_of(request)
    if session is not None:
        return session.csrf
    token = request.cookies.get(CSRF_COOKIE) or request.scope.get("portal.new_csrf")
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(24)
        request.scope["portal.new_csrf"] = token
    return str(token)


def send_csrf_cookie(request: Request, response: Response) -> None:
    token = request.scope.get("portal.new_csrf")
    if token:
        response.set_cookie(CSRF_COOKIE, token, path="/", secure=secure(request), httponly=True, samesite="strict")


def expected_csrf(request: Request) -> str | None:
    session = session_of(request)
    return session.csrf if session is not None else request.cookies.get(CSRF_COOKIE)
