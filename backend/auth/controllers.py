"""Sign-in, enrollment, sign-out and the officer's own devices.

The WebAuthn endpoints speak JSON (the page's script calls them); their POSTs are rate-limited per client
address, across processes (middleware.SignInRateLimit). The challenge of a ceremony is kept in the database,
its key in a short-lived HttpOnly cookie.

A passkey is added only with an enrollment link, or by a session of the same officer whose last passkey
assertion is recent (a step-up, GIAMSAT_STEPUP_MINUTES); an API token never adds one, and a demo sign-in
does not count as an assertion. The same holds for the enrollment link an officer makes for their own other
device. Admins issue links through the officers domain's commands.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie, State
from litestar.exceptions import NotFoundException
from litestar.middleware import DefineMiddleware
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from backend.lib.params import PathRowId
from backend.auth import services
from backend.auth.middleware import SignInRateLimit
from backend.lib.errors import N_, DomainError, Forbidden
from backend.lib.i18n import gettext
from backend.lib.structs import Struct
from backend.lib.urls import local_path
from backend.settings import Settings

PUBLIC = {"public": True}


def _settings(state: State) -> Settings:
    return state.settings


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after sign-in would help phishing (lib/urls.py)."""
    return local_path(target)


def session_cookie(token: str, settings: Settings) -> Cookie:
    return Cookie(
        key=services.SESSION_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=settings.web.secure_cookies,
        path="/",
        max_age=settings.web.session_idle_minutes * 60 * 2,
    )


def challenge_cookie(key: str, settings: Settings) -> Cookie:
    return Cookie(
        key=services.CHALLENGE_COOKIE,
        value=key,
        httponly=True,
        samesite="strict",
        secure=settings.web.secure_cookies,
        path="/auth",
        max_age=services.CHALLENGE_MINUTES * 60,
    )


class SignInFinish(Struct):
    credential: dict[str, Any]
    next: str | None = None


class RegisterStart(Struct):
    enrollment_token: str | None = None


class RegisterFinish(Struct):
    credential: dict[str, Any]
    label: str = ""


class CeremonyDone(Struct):
    redirect: str


class StepUpFinish(Struct):
    credential: dict[str, Any]


class SteppedUp(Struct):
    ok: bool = True


def _require_stepped_up(request: Request[Any, Any, Any], settings: Settings) -> None:
    """Refuse (403) unless a browser session of the officer made a passkey assertion within GIAMSAT_STEPUP_MINUTES."""
    auth = request.auth or {}
    if auth.get("kind") != "session":
        raise Forbidden("token_cannot_enroll", N_("An API token cannot add passkeys. Sign in with a passkey."))
    if not services.stepped_up(auth.get("passkey_verified_at"), settings.web):
        raise Forbidden("stepup_required", N_("Confirm with one of your passkeys first, or use an enrollment link."))


def _devices_context(request: Request[Any, Any, Any], settings: Settings) -> dict[str, Any]:
    auth = request.auth or {}
    fresh = auth.get("kind") == "session" and services.stepped_up(auth.get("passkey_verified_at"), settings.web)
    from backend.push.services import offer as push_offer  # the push domain builds on auth: imported when used

    return {"session_kind": auth, "stepped_up": fresh, "push_key": push_offer(request.user, settings)}


# --- pages ---------------------------------------------------------------------------------------------


@get("/signin", opt=PUBLIC)
async def signin_page(request: Request[Any, Any, Any], state: State, next: FromQuery[str | None] = None) -> Template | Redirect:
    if request.user is not None:
        return Redirect(_safe_next(next), status_code=303)
    demo_users = await services.demo_officers() if _settings(state).web.demo else []
    return Template("auth/signin.html", context={"next": _safe_next(next), "demo_users": demo_users})


@get("/enroll/{token:str}", opt=PUBLIC)
async def enroll_page(token: FromPath[str], state: State) -> Template:
    try:
        _, actor = await services.open_enrollment(token, _settings(state).web)
    except DomainError as error:
        return Template("auth/enroll.html", context={"error": gettext(error.message), "officer": None}, status_code=410)
    return Template("auth/enroll.html", context={"error": None, "officer": actor, "token": token})


@post("/signout", status_code=303)
async def signout(request: Request[Any, Any, Any]) -> Redirect:
    token = request.cookies.get(services.SESSION_COOKIE)
    if token:
        await services.end_session(token)
    response = Redirect("/signin", status_code=303)
    response.delete_cookie(services.SESSION_COOKIE, path="/")
    return response


@get("/account/devices")
async def devices_page(request: Request[Any, Any, Any], state: State) -> Template:
    return Template(
        "auth/devices.html",
        context={"passkeys": await services.passkeys_of(request.user.id), **_devices_context(request, _settings(state))},
    )


@post("/account/devices/{passkey_id:int}/revoke", status_code=303)
async def revoke_device(request: Request[Any, Any, Any], passkey_id: PathRowId) -> Redirect:
    await services.revoke_passkey(request.user.id, passkey_id)
    return Redirect("/account/devices", status_code=303)


@post("/account/devices/link", status_code=200)
async def device_link(request: Request[Any, Any, Any], state: State) -> Template:
    """A fresh enrollment link (and its QR code) to register another device of the signed-in officer, after a
    step-up: a stolen session (or token) must not be able to mint itself a passkey through a link either."""
    from backend.officers.qr import qr_svg

    settings = _settings(state)
    context = {"passkeys": await services.passkeys_of(request.user.id), **_devices_context(request, settings)}
    try:
        _require_stepped_up(request, settings)
    except DomainError as error:
        return Template("auth/devices.html", context={**context, "error": gettext(error.message)}, status_code=403)
    link = await services.create_enrollment(request.user.id, settings.web)
    return Template("auth/devices.html", context={**context, "link": link, "qr": qr_svg(link)})


# --- WebAuthn ceremonies (JSON) -----------------------------------------------------------------------------


@post("/auth/signin/options", opt=PUBLIC, status_code=200)
async def signin_options(state: State) -> Response[dict[str, Any]]:
    options, key = await services.authentication_options(_settings(state).web)
    return Response(options, cookies=[challenge_cookie(key, _settings(state))])


@post("/auth/signin/verify", opt=PUBLIC, status_code=200)
async def signin_verify(request: Request[Any, Any, Any], state: State, data: JSONBody[SignInFinish]) -> Response[CeremonyDone]:
    settings = _settings(state)
    actor, credential_id = await services.finish_authentication(
        request.cookies.get(services.CHALLENGE_COOKIE), data.credential, settings.web
    )
    token = await services.create_session(
        actor.id, credential_id=credential_id, user_agent=request.headers.get("user-agent", "")
    )
    response = Response(CeremonyDone(redirect=_safe_next(data.next)), cookies=[session_cookie(token, settings)])
    response.delete_cookie(services.CHALLENGE_COOKIE, path="/auth")
    return response


@post("/auth/register/options", opt=PUBLIC, status_code=200)
async def register_options(request: Request[Any, Any, Any], state: State, data: JSONBody[RegisterStart]) -> Response[dict[str, Any]]:
    """With an enrollment token: the link's officer. Without: the signed-in officer adding this device, in a
    browser session that made a passkey assertion within GIAMSAT_STEPUP_MINUTES (never with an API token)."""
    settings = _settings(state)
    if data.enrollment_token:
        enrollment_id, actor = await services.open_enrollment(data.enrollment_token, settings.web)
    elif request.user is not None:
        _require_stepped_up(request, settings)
        enrollment_id, actor = None, request.user
    else:
        raise DomainError("enrollment_unknown", N_("This enrollment link is not valid."))
    options, key = await services.registration_options(actor, settings.web, enrollment_id)
    return Response(options, cookies=[challenge_cookie(key, settings)])


@post("/auth/register/verify", opt=PUBLIC, status_code=200)
async def register_verify(request: Request[Any, Any, Any], state: State, data: JSONBody[RegisterFinish]) -> Response[CeremonyDone]:
    settings = _settings(state)
    auth = request.auth or {}
    actor, credential_id = await services.finish_registration(
        request.cookies.get(services.CHALLENGE_COOKIE),
        data.credential,
        data.label,
        settings.web,
        # Without an enrollment link the answer counts only in a session of the officer that is still stepped up.
        session_officer_id=request.user.id
        if request.user is not None and auth.get("kind") == "session" and services.stepped_up(auth.get("passkey_verified_at"), settings.web)
        else None,
    )
    response = Response(CeremonyDone(redirect="/"))
    if request.user is None or request.user.id != actor.id:
        token = await services.create_session(
            actor.id, credential_id=credential_id, user_agent=request.headers.get("user-agent", "")
        )
        response.set_cookie(session_cookie(token, settings))
    response.delete_cookie(services.CHALLENGE_COOKIE, path="/auth")
    return response


@post("/auth/stepup/options", status_code=200)
async def stepup_options(request: Request[Any, Any, Any], state: State) -> Response[dict[str, Any]]:
    """Options to confirm with one of the signed-in officer's passkeys (before adding another)."""
    settings = _settings(state)
    if (request.auth or {}).get("kind") != "session":
        raise Forbidden("token_cannot_enroll", N_("An API token cannot add passkeys. Sign in with a passkey."))
    options, key = await services.stepup_options(request.user.id, settings.web)
    return Response(options, cookies=[challenge_cookie(key, settings)])


@post("/auth/stepup/verify", status_code=200)
async def stepup_verify(request: Request[Any, Any, Any], state: State, data: JSONBody[StepUpFinish]) -> Response[SteppedUp]:
    """Note a passkey assertion of the session's officer on the session: adding a passkey is allowed for a while."""
    settings = _settings(state)
    auth = request.auth or {}
    if auth.get("kind") != "session":
        raise Forbidden("token_cannot_enroll", N_("An API token cannot add passkeys. Sign in with a passkey."))
    await services.finish_stepup(
        request.cookies.get(services.CHALLENGE_COOKIE), data.credential, auth["session_id"], request.user.id, settings.web
    )
    response = Response(SteppedUp())
    response.delete_cookie(services.CHALLENGE_COOKIE, path="/auth")
    return response


@post("/auth/demo", opt=PUBLIC, status_code=303)
async def demo_signin(request: Request[Any, Any, Any], state: State) -> Redirect:
    """Password-less sign-in for trying the app; exists only with GIAMSAT_DEMO=1 on a localhost origin."""
    settings = _settings(state)
    if not settings.web.demo:
        raise NotFoundException()
    form = await request.form()
    from backend.officers.services import actor_by_id

    try:
        actor = await actor_by_id(int(form.get("officer_id") or 0))
    except ValueError:
        actor = None
    if actor is None:
        raise DomainError("officer_inactive", N_("This account is not active."))
    token = await services.create_session(
        actor.id, credential_id=None, user_agent=request.headers.get("user-agent", ""), demo=True
    )
    response = Redirect(_safe_next(str(form.get("next") or "/")), status_code=303)
    response.set_cookie(session_cookie(token, settings))
    return response


def auth_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            signin_options,
            signin_verify,
            register_options,
            register_verify,
            stepup_options,
            stepup_verify,
            demo_signin,
            enroll_page,
        ],
        middleware=[DefineMiddleware(SignInRateLimit)],
    )


ROUTES = [auth_router(), signin_page, signout, devices_page, revoke_device, device_link]
