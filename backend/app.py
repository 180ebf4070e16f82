"""create_app(): the Litestar app, built from each domain's ROUTES.

Run with `uvicorn --factory backend.app:create_app` (the Procfile does) or `giamsat serve`.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import logging
from datetime import timedelta
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware import DefineMiddleware
from litestar.config.csrf import CSRFConfig
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.plugins.htmx import HTMXPlugin
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope

from backend import __version__, db
from backend.auth.middleware import AuthMiddleware, BearerAwareCSRFMiddleware, signed_in
from backend.domains import DOMAINS
from backend.barcodes import services as barcode_services
from backend.declarations.source import UpstreamProbe
from backend.seals import record_qr
from backend.gate import services as gate_services
from backend.inbox.live import LiveInbox
from backend.journal import signing
from backend.journal.envelope import IssuedAtWindow, configure_issued_at
from backend.journal.registry import configure_signed, load_commands
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import LanguageMiddleware, gettext
from backend.lib.structs import ErrorBody
from backend.lib.templates import configure_jinja
from backend.outbox.worker import OutboxWorker
from litestar.plugins.jinja import JinjaTemplateEngine
from backend.settings import Settings, get_settings

CSRF_COOKIE = "gs_csrf"
CSRF_HEADER = "x-csrf-token"

# No inline script or style anywhere, so the policy needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",  # WebAssembly: the in-page barcode reader (zxing-wasm)
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), geolocation=(), microphone=()"),
]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Every response, error pages and static files included, carries the security headers."""
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _ in headers}
        headers.extend(item for item in SECURITY_HEADERS if item[0] not in present)
        # HSTS only when the site is served over https: on http://localhost it would be ignored at best, and a
        # browser that kept it would refuse a later plain-http development server on the same host.
        settings = getattr(scope["litestar_app"].state, "settings", None)
        if settings is not None and settings.web.secure_cookies and b"strict-transport-security" not in present:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))  # a year
        message["headers"] = headers


def _from_controllers(name: str) -> list[Any]:
    """What every domain's controllers.py lists under `name` (ROUTES, BEFORE_PAGE)."""
    found: list[Any] = []
    for domain in DOMAINS:
        module_name = f"backend.{domain}.controllers"
        if importlib.util.find_spec(module_name) is not None:
            found.extend(getattr(importlib.import_module(module_name), name, []))
    return found


def domain_routes() -> list[Any]:
    return _from_controllers("ROUTES")


def page_hooks() -> Any:
    """One before_request hook running each domain's BEFORE_PAGE hooks: what every page's frame shows
    (e.g. the contingency banner), loaded once per request by the server, never taken from the client."""
    hooks = _from_controllers("BEFORE_PAGE")

    async def before_request(request: Request[Any, Any, Any]) -> None:
        for hook in hooks:
            await hook(request)

    return before_request


def wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(("/api/", "/auth/")) or "application/json" in request.headers.get("accept", "")


def _error(status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> Response[ErrorBody]:
    return Response(ErrorBody(error=code, message=message, detail=detail), status_code=status)


def on_not_authorized(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if wants_json(request):
        return _error(401, "not_signed_in", gettext("Sign in first."))
    # Come back to the page after signing in; a form post cannot be replayed, so go home after one.
    target = "/signin?next=" + (request.url.path if request.method == "GET" else "/")
    if request.headers.get("hx-request"):
        return Response(None, status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def on_forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    csrf = "CSRF" in str(getattr(exc, "detail", ""))
    code, message = (
        ("csrf_failed", gettext("This form has expired. Reload the page and try again."))
        if csrf
        else ("forbidden", gettext("Your role may not do this."))
    )
    if wants_json(request):
        return _error(403, code, message)
    return Template("errors/error.html", context={"status": 403, "message": message}, status_code=403)


def on_not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # A path with no route never passes the app's middleware: nobody is signed in as far as the page knows.
    request.scope.setdefault("user", None)
    request.scope.setdefault("auth", None)
    message = gettext("Not found.")
    if wants_json(request):
        return _error(404, "not_found", message)
    return Template("errors/error.html", context={"status": 404, "message": message}, status_code=404)


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return _error(400, "invalid_request", gettext("The request is not valid."), {"errors": exc.extra or []})


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    message = gettext(exc.message, **exc.params)
    headers = getattr(exc, "headers", None)  # e.g. Retry-After on a quota's 429 (lib/quotas.py)
    if wants_json(request):
        response = _error(exc.status_code, exc.code, message, getattr(exc, "detail", None))
        response.headers.update(headers or {})
        return response
    return Template(
        "errors/error.html", context={"status": exc.status_code, "message": message}, status_code=exc.status_code, headers=headers
    )


HTTP_ERRORS = {
    405: ("method_not_allowed", N_("This address does not accept that request.")),
    413: ("too_large", N_("What you sent is too large.")),
    429: ("rate_limited", N_("Too many attempts. Wait a minute and try again.")),
}


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Every other HTTP error in the same typed shape, translated (Litestar's default is English-only)."""
    code, message = HTTP_ERRORS.get(exc.status_code, ("http_error", N_("The request could not be handled.")))
    if exc.status_code >= 500:
        code, message = "server_error", N_("Something went wrong on the server. Try again.")
    response = _error(exc.status_code, code, gettext(message))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def on_too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """JSON nested deeper than the decoder follows (msgspec stops at Python's recursion limit): bad input, so a
    refusal a device does not retry, not a server error."""
    return _error(400, "too_deeply_nested", gettext("What you sent is nested too deeply to be read."))


# The error answers every operation may give, in the shape every error has (ErrorBody: {error, message, detail}); they
# replace Litestar's default error schema in the OpenAPI description, which is not what the handlers above send.
ERROR_RESPONSES = {
    400: "The request is not valid, or was refused (`error` says why)",
    401: "Not signed in",
    403: "The caller's role or branch may not do this, or the CSRF token is missing",
    404: "Not found, or not visible to the caller",
    429: "Too many requests: sign-in attempts or the officer's quota (Retry-After says when to try again)",
}
BODY_ERROR_RESPONSES = {413: "What was sent is too large", 415: "The body is not of a type this operation accepts"}


def document_errors(app: Litestar) -> None:
    """Declare the typed error answers on every operation of the API description (before it is first built)."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            errors = ERROR_RESPONSES | (BODY_ERROR_RESPONSES if handler.http_methods & {"POST", "PUT", "PATCH"} else {})
            declared = {
                status: ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False)
                for status, text in errors.items()
            }
            handler.responses = declared | dict(handler.responses or {})


logger = logging.getLogger("giamsat")


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A bug: logged with its traceback, answered in the same typed shape as every other error."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, "server_error", gettext("Something went wrong on the server. Try again."))


def configure_commands(settings: Settings) -> None:
    """What applying commands needs, in the app and in a command-line tool that applies them (the demo loader):
    the handlers loaded, the signed types, the device-time window, the relying party, the keys and rules the
    domains' checks read."""
    load_commands()
    configure_signed(settings.sync.extra_signed_commands)
    configure_issued_at(
        IssuedAtWindow(
            max_age=timedelta(days=settings.sync.issued_at_max_age_days),
            max_ahead=timedelta(hours=settings.sync.issued_at_max_ahead_hours),
        ),
        offline_grace=timedelta(seconds=settings.sync.offline_grace_seconds),
    )
    signing.configure(settings.web.origin, settings.web.rp_id)
    barcode_services.configure(settings)
    record_qr.configure(settings)
    gate_services.configure(settings)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    engine = db.make_engine(settings.database)
    db.bind_engine(engine)
    configure_commands(settings)

    async def start_database() -> None:
        await db.start(engine)

    async def stop_database() -> None:
        await db.stop(engine)

    # Records when the upstream customs system stops answering (docs/offline.md 6); after the database starts.
    upstream_probe = UpstreamProbe(settings)

    # Delivers the outbox's messages to the national system (docs/outbox.md); after the database starts, stopped
    # before it stops. Off when GIAMSAT_UPSTREAM_URL is empty or GIAMSAT_OUTBOX_INTERVAL_SECONDS is 0.
    outbox_worker = OutboxWorker(settings, engine)

    # Sends the changes of the supervisors' inboxes to their open pages (docs/inbox.md, "Live"); after the database.
    live_inbox = LiveInbox(settings, engine)

    async def start_live_inbox(app: Litestar) -> None:
        templates = app.template_engine
        assert templates is not None
        # Items drawn for a stream, not for a request: no CSRF token in them (the page's script puts its own in).
        await live_inbox.start(lambda name, context: templates.get_template(name).render(csrf_token=lambda: "", **context))

    def freeze_heap() -> None:
        # Objects made at start-up live for the whole process: moving them out of the GC's reach
        # took hello-world p99 from ~45 ms to ~2 ms in the stack trial (stack-notes.md).
        gc.collect()
        gc.freeze()

    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=settings.web.secure_cookies,
        cookie_samesite="lax",
    )
    static_router = create_static_files_router(
        path="/static",
        directories=[settings.web.frontend_dir / "static"],
        opt={"public": True},
        include_in_schema=False,
        # The service worker keeps the shell; the browser's own cache must revalidate (ETag) so that a deploy
        # is seen at once by pages and by the worker's precache.
        cache_control=CacheControlHeader(no_cache=True),
    )
    app = Litestar(
        route_handlers=[static_router, *domain_routes()],
        state=State({"settings": settings, "engine": engine, "upstream_probe": upstream_probe, "live_inbox": live_inbox}),
        on_startup=[start_database, upstream_probe.start, outbox_worker.start, start_live_inbox, freeze_heap],
        on_shutdown=[live_inbox.stop, outbox_worker.stop, upstream_probe.stop, stop_database],
        guards=[signed_in],
        middleware=[
            LanguageMiddleware,
            DefineMiddleware(AuthMiddleware, web=settings.web),
            DefineMiddleware(BearerAwareCSRFMiddleware, config=csrf),
        ],
        before_send=[add_security_headers],
        before_request=page_hooks(),
        plugins=[HTMXPlugin()],
        template_config=TemplateConfig(
            directory=settings.web.frontend_dir / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=configure_jinja,
        ),
        exception_handlers={
            NotAuthorizedException: on_not_authorized,
            PermissionDeniedException: on_forbidden,
            NotFoundException: on_not_found,
            ValidationException: on_validation,
            DomainError: on_domain_error,
            HTTPException: on_http_exception,
            RecursionError: on_too_deep,
            Exception: on_unexpected,
        },
        openapi_config=OpenAPIConfig(title="giamsat", version=__version__, path="/schema"),
        # Routes with opt={"no_compression": True} (JPEGs) skip gzip: it costs CPU and saves nothing on them.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, exclude_opt_key="no_compression"),
        debug=False,
    )
    document_errors(app)
    return app
