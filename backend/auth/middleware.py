"""Who is asking, established by the server for every request.

`AuthMiddleware` resolves a bearer token (machine clients) or the session cookie (browsers) to an
`Actor` in `scope["user"]` (None when nobody is signed in). Guards then decide: `signed_in` is set on
the whole app (routes opt out with `opt={"public": True}`), `require_roles(...)` on routes.

CSRF: Litestar's double-submit cookie middleware, except for requests that carry no session cookie and
either a bearer token or an /api/ path: a browser never adds an Authorization header by itself, so such a
request cannot be forged cross-site, and machine clients have no cookie to echo; an /api/ request without
any credential has nothing to forge and must be told 401 (sign in), not 403 (reload the form).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.auth import services
from backend.officers.tables import Role
from backend.settings import WebSettings


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def bearer_token(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip()
    return None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, web: WebSettings) -> None:
        self.app = app
        self.idle = timedelta(minutes=web.session_idle_minutes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["user"], scope["auth"] = None, None
        token = bearer_token(scope)
        if token:
            scope["user"] = await services.actor_for_api_token(token)
            scope["auth"] = {"kind": "token"} if scope["user"] else None
        else:
            cookie = _cookie(scope, services.SESSION_COOKIE)
            if cookie:
                found = await services.actor_for_session(cookie, self.idle)
                if found:
                    scope["user"], session_id = found
                    scope["auth"] = {"kind": "session", "session_id": session_id}
        await self.app(scope, receive, send)


class BearerAwareCSRFMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and (bearer_token(scope) or scope["path"].startswith("/api/"))
            and not _cookie(scope, services.SESSION_COOKIE)
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


# Guards are coroutines although they never await: Litestar runs a plain-function guard in a worker thread
# (sync_to_thread), a thread hand-off on every request.


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    # The OpenAPI schema describes the API, it holds no data; everything else is signed-in unless marked public.
    if handler.opt.get("public") or connection.scope["path"].startswith("/schema"):
        return
    if connection.scope.get("user") is None:
        raise NotAuthorizedException("sign in first")


def require_roles(*roles: Role) -> Any:
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        user = connection.scope.get("user")
        if user is None:
            raise NotAuthorizedException("sign in first")
        if user.role not in allowed:
            raise PermissionDeniedException("your role may not do this")

    return guard
