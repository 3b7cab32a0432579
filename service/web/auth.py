"""Who a request acts for, resolved once before routing (Starlette's AuthenticationMiddleware).

An API client presents `Authorization: Bearer <token>`; a browser its signed session cookie
naming the account. The user goes on `request.user`, how it signed in on `request.auth`
(scope TOKEN or SESSION). A bad token is refused at once (401 `invalid_token`); an anonymous
request goes on, and each view decides (401 JSON, or the login page for a page).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio.to_thread
from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from service.errors import ApiError, unauthorized
from service.rules.access import User
from service.storage.store import Busy
from service.workflows import accounts
from service.workflows.context import Context

TOKEN = "token"
SESSION = "session"
INVALID_TOKEN = ApiError(401, "invalid_token", "API 令牌无效或已停用")


class Credentials(AuthenticationBackend):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, User] | None:
        """The account of the bearer token or of the session."""
        header = conn.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            user = await self._look_up(accounts.user_for_token, header[7:].strip())
            if user is None:
                raise AuthenticationError(INVALID_TOKEN.code)
            return AuthCredentials([TOKEN]), user
        name = conn.session.get("user")
        if name:
            user = await self._look_up(accounts.user_named, str(name))
            if user is not None:
                return AuthCredentials([SESSION]), user
        return None

    async def _look_up(self, find: Callable[[Context, str], User | None], key: str) -> User | None:
        """An in-memory lookup of the accounts, done at once when the store's locks are free;
        when a commit or another process holds them, it waits in a worker thread, never on the
        event loop."""
        try:
            with self.ctx.store.locked(wait=False):
                return find(self.ctx, key)
        except Busy:
            return await anyio.to_thread.run_sync(find, self.ctx, key)


def refused(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    return JSONResponse(INVALID_TOKEN.body(), status_code=INVALID_TOKEN.status)


def user_of(request: Request) -> User | None:
    """The signed-in account, or None (anonymous, or before identity was resolved)."""
    user = request.scope.get("user")
    return user if isinstance(user, User) else None


def signed_in(request: Request) -> User:
    """The signed-in account; 401 for an anonymous request."""
    user = user_of(request)
    if user is None:
        raise unauthorized()
    return user


def by_token(request: Request) -> bool:
    """An API client (bearer token): no session, so no CSRF token to echo."""
    auth = request.scope.get("auth")
    return auth is not None and TOKEN in auth.scopes
