"""Sessions, API tokens, enrollment links and the two WebAuthn ceremonies (py_webauthn).

Secrets (session cookies, API tokens, enrollment links, challenge keys) are random and only their
SHA-256 is stored, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from backend import db
from backend.auth.tables import ApiToken, AuthChallenge, Enrollment, PasskeyCredential, Session, SignInAttempt
from backend.lib import clock
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.ids import new_token, token_hash
from backend.officers.schemas import Actor
from backend.officers.services import actor_by_id, actor_from_rows
from backend.officers.tables import Officer
from backend.settings import WebSettings

SESSION_COOKIE = "gs_session"
CHALLENGE_COOKIE = "gs_challenge"
CHALLENGE_MINUTES = 5
TOUCH_AFTER = timedelta(minutes=1)  # don't write last_seen_at (sessions) or last_used_at (tokens) on every request
RP_NAME = "giamsat"
# Links issued by a journaled admin command are stored with this expiry (a handler has no settings); opening a link
# also checks GIAMSAT_ENROLLMENT_HOURS from its creation, so the setting holds for them too.
ENROLLMENT_MAX_HOURS = 30 * 24


# --- sessions -------------------------------------------------------------------------------------


async def create_session(officer_id: int, *, credential_id: int | None, user_agent: str, demo: bool = False) -> str:
    """A session for an officer. Made with a passkey (`credential_id`), it starts with a fresh assertion (step-up)."""
    token = new_token()
    await Session.insert(
        Session(
            token_hash=token_hash(token),
            officer=officer_id,
            credential=credential_id,
            user_agent=user_agent[:300],
            demo=1 if demo else 0,
            created_at=clock.now(),
            last_seen_at=clock.now(),
            passkey_verified_at=clock.now() if credential_id is not None and not demo else None,
        )
    )
    return token


# The two lookups made on every request, as plain SQL: the same columns as `actor_columns()`, but building
# that query with Piccolo's foreign-key traversal took ~1.4 ms of CPU per request (more than applying a
# command), and the raw query ~5 µs. `{}` is the token hash. A warehouse user's premises besides officer.premises come
# in the same query, one row each (warehouse.staff_premises, joined on its indexed officer): no second round trip.
_ACTOR_COLUMNS_SQL = (
    "o.id AS id, o.code AS code, o.full_name AS full_name, o.role AS role, o.active AS active, "
    "o.premises AS premises_id, b.id AS branch_id, b.code AS branch_code, b.name AS branch_name, sp.location AS staff_premises"
)
_STAFF_PREMISES_JOIN = " LEFT JOIN staff_premises sp ON sp.officer = o.id"
_ACTOR_BY_SESSION = (
    "SELECT s.id AS session_id, s.last_seen_at AS last_seen_at, s.created_at AS created_at, "
    "s.passkey_verified_at AS passkey_verified_at, c.revoked_at AS credential_revoked_at, "
    + _ACTOR_COLUMNS_SQL
    + " FROM web_session s JOIN officer o ON o.id = s.officer LEFT JOIN passkey_credential c ON c.id = s.credential"
    " LEFT JOIN branch b ON b.id = o.branch" + _STAFF_PREMISES_JOIN + " WHERE s.token_hash = {}"
)
_ACTOR_BY_TOKEN = (
    "SELECT t.id AS token_id, t.revoked_at AS revoked_at, t.expires_at AS expires_at, t.last_used_at AS last_used_at, "
    + _ACTOR_COLUMNS_SQL
    + " FROM api_token t JOIN officer o ON o.id = t.officer LEFT JOIN branch b ON b.id = o.branch" + _STAFF_PREMISES_JOIN
    + " WHERE t.token_hash = {}"
)


@dataclass(frozen=True)
class SessionInfo:
    """What the middleware keeps about the session behind a request (besides its officer)."""

    id: int
    passkey_verified_at: datetime | None  # the last passkey assertion in this session (step-up)


async def actor_for_session(token: str, idle: timedelta, max_age: timedelta) -> tuple[Actor, SessionInfo] | None:
    """The signed-in officer behind a session cookie, or None when unknown, idle too long, older than `max_age`
    (GIAMSAT_SESSION_MAX_DAYS, however active), or deactivated.

    A session whose passkey was revoked ends with it.
    """
    rows = await Session.raw(_ACTOR_BY_SESSION, token_hash(token))
    row = rows[0] if rows else None
    if row is None:
        return None
    now = clock.now()
    if now - row["last_seen_at"] > idle or now - row["created_at"] > max_age or row["credential_revoked_at"] is not None:
        await Session.delete().where(Session.id == row["session_id"])
        return None
    if now - row["last_seen_at"] > TOUCH_AFTER:
        await Session.update({Session.last_seen_at: now}).where(Session.id == row["session_id"])
    info = SessionInfo(id=row.pop("session_id"), passkey_verified_at=row.pop("passkey_verified_at"))
    for name in ("last_seen_at", "created_at", "credential_revoked_at"):
        row.pop(name)
    actor = actor_from_rows(rows)
    return (actor, info) if actor else None


def stepped_up(verified_at: datetime | None, web: WebSettings) -> bool:
    """Whether a session's last passkey assertion is recent enough to add a passkey (GIAMSAT_STEPUP_MINUTES).
    A demo sign-in and an API token have none."""
    return verified_at is not None and clock.now() - verified_at <= timedelta(minutes=web.stepup_minutes)


async def end_session(token: str) -> None:
    await Session.delete().where(Session.token_hash == token_hash(token))


# --- API tokens -----------------------------------------------------------------------------------


async def create_api_token(officer_id: int, name: str = "", *, days: int = 90) -> str:
    """A bearer token for the officer, valid for `days` (GIAMSAT_TOKEN_DAYS). Only its hash is kept."""
    now = clock.now()
    await ApiToken.insert(
        ApiToken(
            officer=officer_id,
            name=name,
            prefix=(token := new_token("gs_"))[:10],
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return token


async def actor_for_api_token(token: str) -> Actor | None:
    """The officer a live token acts as (marked `via_token`), or None when unknown, revoked, expired or its
    officer is deactivated. Notes the use in `last_used_at`, at most once a minute per token."""
    rows = await ApiToken.raw(_ACTOR_BY_TOKEN, token_hash(token))
    row = rows[0] if rows else None
    if row is None:
        return None
    token_id, last_used_at, expires_at = row.pop("token_id"), row.pop("last_used_at"), row.pop("expires_at")
    now = clock.now()
    if row.pop("revoked_at") is not None or expires_at is None or expires_at <= now:
        return None
    actor = actor_from_rows(rows)
    if actor is None:
        return None
    if last_used_at is None or now - last_used_at > TOUCH_AFTER:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == token_id)
    return msgspec.structs.replace(actor, via_token=True)


async def revoke_tokens_of(officer_id: int) -> int:
    """Revoke every live token of an officer (on deactivation: activating them again must not revive them)."""
    rows = await ApiToken.update({ApiToken.revoked_at: clock.now()}).where(
        (ApiToken.officer == officer_id) & ApiToken.revoked_at.is_null()
    ).returning(ApiToken.id)
    return len(rows)


async def revoke_api_token(token_or_prefix: str) -> int:
    """Revoke a token: the whole token (what `token create` printed) revokes exactly that one; its first
    10 characters revoke every live token that starts with them."""
    given = token_or_prefix.strip()
    which = ApiToken.token_hash == token_hash(given) if len(given) > 10 else ApiToken.prefix == given
    rows = await ApiToken.update({ApiToken.revoked_at: clock.now()}).where(
        which & ApiToken.revoked_at.is_null()
    ).returning(ApiToken.id)
    return len(rows)


# --- enrollment -----------------------------------------------------------------------------------


def new_enrollment_token() -> tuple[str, str]:
    """A fresh enrollment secret and its hash: the hash goes into the command that issues the link (and so into
    the journal), the secret only into the link shown to whoever asked for it."""
    token = new_token()
    return token, token_hash(token)


def enrollment_link(token: str, web: WebSettings) -> str:
    return f"{web.origin}/enroll/{token}"


async def store_enrollment(officer_id: int, hashed: str, hours: int) -> int:
    """Store a single-use link (by its hash), valid for GIAMSAT_ENROLLMENT_HOURS. Who may ask for one is decided
    by the caller: the officers domain's commands (admins) or a stepped-up session of the officer."""
    if await Enrollment.exists().where(Enrollment.token_hash == hashed):
        raise DomainError("enrollment_exists", N_("This enrollment link was already issued."))
    rows = await Enrollment.insert(
        Enrollment(
            officer=officer_id,
            token_hash=hashed,
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(hours=min(hours, ENROLLMENT_MAX_HOURS)),
        )
    ).returning(Enrollment.id)
    return rows[0]["id"]


async def create_enrollment(officer_id: int, web: WebSettings) -> str:
    """A single-use link, valid for GIAMSAT_ENROLLMENT_HOURS, that registers a passkey for the officer."""
    token, hashed = new_enrollment_token()
    await store_enrollment(officer_id, hashed, web.enrollment_hours)
    return enrollment_link(token, web)


async def open_enrollment(token: str, web: WebSettings) -> tuple[int, Actor]:
    """The enrollment behind a link and its officer, or a clear refusal when it is unknown, used or expired."""
    row = await Enrollment.select().where(Enrollment.token_hash == token_hash(token)).first()
    if row is None:
        raise DomainError("enrollment_unknown", N_("This enrollment link is not valid."))
    if row["used_at"] is not None:
        raise DomainError("enrollment_used", N_("This enrollment link was already used. Ask for a new one."))
    if row["expires_at"] < clock.now() or row["created_at"] + timedelta(hours=web.enrollment_hours) < clock.now():
        raise DomainError("enrollment_expired", N_("This enrollment link has expired. Ask for a new one."))
    actor = await actor_by_id(row["officer"])
    if actor is None:
        raise DomainError("officer_inactive", N_("This account is not active."))
    return row["id"], actor


# --- WebAuthn challenges --------------------------------------------------------------------------


async def _store_challenge(purpose: str, challenge: bytes, officer_id: int | None, enrollment_id: int | None) -> str:
    key = new_token()
    await AuthChallenge.delete().where(AuthChallenge.expires_at < clock.now())
    await AuthChallenge.insert(
        AuthChallenge(
            key_hash=token_hash(key),
            purpose=purpose,
            challenge=bytes_to_base64url(challenge),
            officer=officer_id,
            enrollment=enrollment_id,
            expires_at=clock.now() + timedelta(minutes=CHALLENGE_MINUTES),
        )
    )
    return key


async def _take_challenge(key: str | None, purpose: str) -> dict[str, Any]:
    """Single use: the challenge row is deleted whatever the answer turns out to be."""
    if not key:
        raise DomainError("challenge_missing", N_("The sign-in request expired. Try again."))
    rows = await AuthChallenge.delete().where(
        (AuthChallenge.key_hash == token_hash(key)) & (AuthChallenge.purpose == purpose)
    ).returning(*AuthChallenge.all_columns())
    if not rows or rows[0]["expires_at"] < clock.now():
        raise DomainError("challenge_missing", N_("The sign-in request expired. Try again."))
    return rows[0]


async def registration_options(actor: Actor, web: WebSettings, enrollment_id: int | None) -> tuple[dict[str, Any], str]:
    """Options for navigator.credentials.create() and the key of the stored challenge (kept in a cookie)."""
    existing = await PasskeyCredential.select(PasskeyCredential.credential_id).where(
        (PasskeyCredential.officer == actor.id) & PasskeyCredential.revoked_at.is_null()
    )
    options = generate_registration_options(
        rp_id=web.rp_id,
        rp_name=RP_NAME,
        user_id=f"officer:{actor.id}".encode(),
        user_name=actor.code,
        user_display_name=actor.full_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(row["credential_id"])) for row in existing
        ],
    )
    key = await _store_challenge("register", options.challenge, actor.id, enrollment_id)
    return options_to_json_dict(options), key


async def finish_registration(
    challenge_key: str | None, credential: dict[str, Any], label: str, web: WebSettings, *, session_officer_id: int | None
) -> tuple[Actor, int]:
    """Verify the authenticator's answer, store the passkey, use up the enrollment link. Returns officer and credential id.

    A challenge made without an enrollment link was made for a stepped-up session of its officer
    (controllers.register_options); it is answered only in a session of that same officer.
    """
    challenge = await _take_challenge(challenge_key, "register")
    if challenge["enrollment"] is None and session_officer_id != challenge["officer"]:
        raise DomainError("stepup_required", N_("Confirm with one of your passkeys first, or use an enrollment link."))
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge["challenge"]),
            expected_rp_id=web.rp_id,
            expected_origin=web.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:  # malformed JSON included
        raise DomainError("registration_failed", N_("The passkey could not be registered: %(detail)s"), detail=str(exc)) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = credential.get("response", {}).get("transports") or []
    # All or nothing: a refusal below must not leave the enrollment link used up without a passkey.
    async with db.write_transaction(PasskeyCredential._meta.db):
        actor = await actor_by_id(challenge["officer"])
        if actor is None:
            raise DomainError("officer_inactive", N_("This account is not active."))
        if await PasskeyCredential.exists().where(PasskeyCredential.credential_id == credential_id):
            raise DomainError("credential_exists", N_("This passkey is already registered."))
        if challenge["enrollment"] is not None:
            used = await Enrollment.update({Enrollment.used_at: clock.now()}).where(
                (Enrollment.id == challenge["enrollment"]) & Enrollment.used_at.is_null()
            ).returning(Enrollment.id)
            if not used:
                raise DomainError("enrollment_used", N_("This enrollment link was already used. Ask for a new one."))
        row = await PasskeyCredential.insert(
            PasskeyCredential(
                officer=actor.id,
                credential_id=credential_id,
                public_key=bytes_to_base64url(verified.credential_public_key),
                sign_count=verified.sign_count,
                transports=json.dumps(transports),
                label=(label.strip() or "passkey")[:120],
                created_at=clock.now(),
            )
        ).returning(PasskeyCredential.id)
    return actor, row[0]["id"]


async def authentication_options(web: WebSettings) -> tuple[dict[str, Any], str]:
    """Options for navigator.credentials.get() with no allow-list: the passkey says who the officer is."""
    options = generate_authentication_options(rp_id=web.rp_id, user_verification=UserVerificationRequirement.REQUIRED)
    key = await _store_challenge("signin", options.challenge, None, None)
    return options_to_json_dict(options), key


async def finish_authentication(challenge_key: str | None, credential: dict[str, Any], web: WebSettings) -> tuple[Actor, int]:
    challenge = await _take_challenge(challenge_key, "signin")
    return await _verify_assertion(challenge, credential, web)


async def stepup_options(officer_id: int, web: WebSettings) -> tuple[dict[str, Any], str]:
    """Options for navigator.credentials.get() limited to the officer's own live passkeys: the step-up that lets a
    session add a passkey without an enrollment link."""
    existing = await PasskeyCredential.select(PasskeyCredential.credential_id).where(
        (PasskeyCredential.officer == officer_id) & PasskeyCredential.revoked_at.is_null()
    )
    if not existing:
        raise DomainError("no_passkey", N_("You have no passkey to confirm with. Ask your administrator for an enrollment link."))
    options = generate_authentication_options(
        rp_id=web.rp_id,
        user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(row["credential_id"])) for row in existing],
    )
    key = await _store_challenge("stepup", options.challenge, officer_id, None)
    return options_to_json_dict(options), key


async def finish_stepup(challenge_key: str | None, credential: dict[str, Any], session_id: int, officer_id: int, web: WebSettings) -> None:
    """Verify an assertion with one of the session officer's passkeys and note it on the session (step-up)."""
    challenge = await _take_challenge(challenge_key, "stepup")
    if challenge["officer"] != officer_id:
        raise DomainError("challenge_missing", N_("The sign-in request expired. Try again."))
    actor, _ = await _verify_assertion(challenge, credential, web)
    if actor.id != officer_id:  # another officer's passkey proves nothing about this session
        raise DomainError("unknown_passkey", N_("This passkey is not registered or was revoked."))
    await Session.update({Session.passkey_verified_at: clock.now()}).where(
        (Session.id == session_id) & (Session.officer == officer_id)
    )


async def _verify_assertion(challenge: dict[str, Any], credential: dict[str, Any], web: WebSettings) -> tuple[Actor, int]:
    raw_id = credential.get("id") if isinstance(credential, dict) else None
    stored = await PasskeyCredential.select().where(PasskeyCredential.credential_id == str(raw_id)).first()
    if stored is None or stored["revoked_at"] is not None:
        raise DomainError("unknown_passkey", N_("This passkey is not registered or was revoked."))
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge["challenge"]),
            expected_rp_id=web.rp_id,
            expected_origin=web.origin,
            credential_public_key=base64url_to_bytes(stored["public_key"]),
            credential_current_sign_count=stored["sign_count"],
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:  # malformed JSON included
        raise DomainError("signin_failed", N_("Sign-in failed: %(detail)s"), detail=str(exc)) from exc
    actor = await actor_by_id(stored["officer"])
    if actor is None:
        raise DomainError("officer_inactive", N_("This account is not active."))
    await PasskeyCredential.update(
        {PasskeyCredential.sign_count: verified.new_sign_count, PasskeyCredential.last_used_at: clock.now()}
    ).where(PasskeyCredential.id == stored["id"])
    return actor, stored["id"]


# --- devices (passkeys) of an officer --------------------------------------------------------------


async def passkeys_of(officer_id: int) -> list[dict[str, Any]]:
    return await PasskeyCredential.select(
        PasskeyCredential.id,
        PasskeyCredential.label,
        PasskeyCredential.created_at,
        PasskeyCredential.last_used_at,
        PasskeyCredential.revoked_at,
    ).where(PasskeyCredential.officer == officer_id).order_by(PasskeyCredential.created_at)


async def revoke_passkey(officer_id: int, passkey_id: int) -> None:
    """Revoke one of the officer's own passkeys; its sessions end with it (see actor_for_session)."""
    rows = await PasskeyCredential.update({PasskeyCredential.revoked_at: clock.now()}).where(
        (PasskeyCredential.id == passkey_id)
        & (PasskeyCredential.officer == officer_id)
        & PasskeyCredential.revoked_at.is_null()
    ).returning(PasskeyCredential.id)
    if not rows:  # someone else's passkey looks the same as no passkey at all
        raise NotFound("unknown_passkey", N_("This passkey is not registered or was revoked."))
    await Session.delete().where(Session.credential == passkey_id)


# --- sign-in rate limit ------------------------------------------------------------------------------------------


async def count_attempt(address: str) -> int:
    """Count one sign-in or enrollment attempt from `address` in the current minute, in the database so that every
    app process shares the count; returns the minute's count so far. Windows older than a few minutes are cleared."""
    minute = int(clock.now().timestamp() // 60)
    rows = await SignInAttempt.raw(
        "INSERT INTO signin_attempt (bucket, minute, attempts) VALUES ({}, {}, 1) "
        "ON CONFLICT (bucket) DO UPDATE SET attempts = signin_attempt.attempts + 1 RETURNING attempts",
        f"{address[:100]}|{minute}",
        minute,
    )
    attempts = rows[0]["attempts"]
    if attempts == 1:  # the first attempt of a window clears the old ones (cheap, indexed)
        await SignInAttempt.delete().where(SignInAttempt.minute < minute - 5)
    return attempts


async def demo_officers() -> list[dict[str, Any]]:
    return await Officer.select(Officer.id, Officer.code, Officer.full_name, Officer.role).where(
        Officer.active == True  # noqa: E712 — Piccolo builds SQL from the comparison
    ).order_by(Officer.code)
