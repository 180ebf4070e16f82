"""Who is asking, established by the server for every request.

`AuthMiddleware` resolves a bearer token (machine clients) or the session cookie (browsers) to an
`Actor` in `scope["user"]` (None when nobody is signed in). Guards then decide: `signed_in` is set on
the whole app (routes opt out with `opt={"public": True}`), `require_roles(...)` on routes.

CSRF: Litestar's double-submit cookie middleware, except for requests that carry no session cookie and
either a bearer token or an /api/ path: a browser never adds an Authorization header by itself, so such a
request cannot be forged cross-site, and machine clients have no cookie to echo; an /api/ request without
any credential has nothing to forge and must be told 401 (sign in), not 403 (reload the form).
The token is bound to the session: its HMAC key is derived from the secret key and the session cookie, so a
token taken from another session (or from before sign-in) is refused, and a page of a new session gets a new one.

`SignInRateLimit`: sign-in and enrollment attempts per client address and minute, counted in the database so
that every app process shares them. The address is the connection's, or the X-Forwarded-For address the
nearest trusted proxy saw (GIAMSAT_TRUSTED_PROXIES); without trusted proxies X-Forwarded-For is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_hash, generate_csrf_token
from litestar.utils.scope.state import ScopeState
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
        self.max_age = timedelta(days=web.session_max_days)

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
                found = await services.actor_for_session(cookie, self.idle, self.max_age)
                if found:
                    scope["user"], info = found
                    scope["auth"] = {
                        "kind": "session",
                        "session_id": info.id,
                        "passkey_verified_at": info.passkey_verified_at,
                    }
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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._check(scope, receive, send)

    def _secret(self, scope: Scope) -> str:
        """The HMAC key of this request's CSRF token: the secret key, bound to the session cookie when there is one."""
        session = _cookie(scope, services.SESSION_COOKIE)
        if not session:
            return self.config.secret
        return hmac.new(self.config.secret.encode(), b"csrf:" + session.encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _new_token(scope: Scope, secret: str) -> str:
        """A session's token is derived from its key, so the requests a page makes at once after sign-in (the page,
        the service worker refreshing its pages) all hand out the same one; a random one each would let the last
        Set-Cookie win over the token the page holds. Without a session: random, as Litestar makes it."""
        if not _cookie(scope, services.SESSION_COOKIE):
            return generate_csrf_token(secret=secret)
        value = hmac.new(secret.encode(), b"csrf-token", hashlib.sha256).hexdigest()
        return value + generate_csrf_hash(token=value, secret=secret)

    @staticmethod
    def _decode(token: str | None, secret: str) -> str | None:
        if not token or len(token) <= 64:
            return None
        value, mac = token[:64], token[64:]
        return value if hmac.compare_digest(mac, generate_csrf_hash(token=value, secret=secret)) else None

    async def _check(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Litestar's CSRFMiddleware.__call__ with a per-request key; a cookie made under another key (another
        # session, or none) is replaced on the next safe request instead of being kept.
        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
        secret = self._secret(scope)
        cookie = request.cookies.get(self.config.cookie_name)
        sent = request.headers.get(self.config.header_name)
        content_type, _ = request.content_type
        if not sent and content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
            sent = (await request.form()).get("_csrf_token", None)
        state = ScopeState.from_scope(scope)
        if request.method in self.config.safe_methods:
            valid = cookie if self._decode(cookie, secret) else None
            token = state.csrf_token = valid or self._new_token(scope, secret)
            await self.app(scope, receive, self.create_send_wrapper(send=send, csrf_cookie=valid, token=token))
            return
        expected = self._decode(cookie, secret)
        if expected is not None and self._decode(sent, secret) is not None and hmac.compare_digest(sent[:64], expected):
            state.csrf_token = sent
            await self.app(scope, receive, send)
            return
        raise PermissionDeniedException("CSRF token verification failed")


def client_address(scope: Scope, trusted_proxies: frozenset[str]) -> str:
    """The client's address: the connection's, unless it is a trusted proxy; then the nearest X-Forwarded-For
    address that is not itself a trusted proxy (the rightmost one: addresses further left are the client's word)."""
    client = scope.get("client")
    address = client[0] if client else "unknown"
    if address not in trusted_proxies:
        return address
    forwarded = [part.strip() for part in (_header(scope, b"x-forwarded-for") or "").split(",") if part.strip()]
    for hop in reversed(forwarded):
        if hop not in trusted_proxies:
            return hop
    return address


# Per client address, across every process. Enough for an officer who fumbles a few times; a guesser is slowed down.
AUTH_ATTEMPTS_PER_MINUTE = 30


class SignInRateLimit:
    """Refuse (429) a client address's POSTs to the sign-in and enrollment endpoints beyond the minute's limit."""

    def __init__(self, app: ASGIApp, limit: int = AUTH_ATTEMPTS_PER_MINUTE) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            settings = scope["litestar_app"].state.settings
            address = client_address(scope, settings.web.trusted_proxies)
            if await services.count_attempt(address) > self.limit:
                raise TooManyRequestsException("too many attempts", headers={"Retry-After": "60"})
        await self.app(scope, receive, send)


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
