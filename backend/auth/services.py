"""Sessions, API tokens, enrollment links and the two WebAuthn ceremonies (py_webauthn).

Secrets (session cookies, API tokens, enrollment links, challenge keys) are random and only their
SHA-256 is stored, so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

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
from backend.auth.tables import ApiToken, AuthChallenge, Enrollment, PasskeyCredential, Session
from backend.lib import clock
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.ids import new_token, token_hash
from backend.officers.schemas import Actor
from backend.officers.services import actor_by_id, actor_from_row
from backend.officers.tables import Officer
from backend.settings import WebSettings

SESSION_COOKIE = "gs_session"
CHALLENGE_COOKIE = "gs_challenge"
CHALLENGE_MINUTES = 5
TOUCH_AFTER = timedelta(minutes=1)  # don't write last_seen_at on every request
RP_NAME = "giamsat"


# --- sessions -------------------------------------------------------------------------------------


async def create_session(officer_id: int, *, credential_id: int | None, user_agent: str, demo: bool = False) -> str:
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
        )
    )
    return token


# The two lookups made on every request, as plain SQL: the same columns as `actor_columns()`, but building
# that query with Piccolo's foreign-key traversal took ~1.4 ms of CPU per request (more than applying a
# command), and the raw query ~5 µs. `{}` is the token hash.
_ACTOR_COLUMNS_SQL = (
    "o.id AS id, o.code AS code, o.full_name AS full_name, o.role AS role, o.active AS active, "
    "o.premises AS premises_id, b.id AS branch_id, b.code AS branch_code, b.name AS branch_name"
)
_ACTOR_BY_SESSION = (
    "SELECT s.id AS session_id, s.last_seen_at AS last_seen_at, c.revoked_at AS credential_revoked_at, "
    + _ACTOR_COLUMNS_SQL
    + " FROM web_session s JOIN officer o ON o.id = s.officer LEFT JOIN passkey_credential c ON c.id = s.credential"
    " LEFT JOIN branch b ON b.id = o.branch WHERE s.token_hash = {} LIMIT 1"
)
_ACTOR_BY_TOKEN = (
    "SELECT t.revoked_at AS revoked_at, "
    + _ACTOR_COLUMNS_SQL
    + " FROM api_token t JOIN officer o ON o.id = t.officer LEFT JOIN branch b ON b.id = o.branch"
    " WHERE t.token_hash = {} LIMIT 1"
)


async def actor_for_session(token: str, idle: timedelta) -> tuple[Actor, int] | None:
    """The signed-in officer behind a session cookie, or None when unknown, idle too long, or deactivated.

    A session whose passkey was revoked ends with it.
    """
    rows = await Session.raw(_ACTOR_BY_SESSION, token_hash(token))
    row = rows[0] if rows else None
    if row is None:
        return None
    now = clock.now()
    if now - row["last_seen_at"] > idle or row["credential_revoked_at"] is not None:
        await Session.delete().where(Session.id == row["session_id"])
        return None
    if now - row["last_seen_at"] > TOUCH_AFTER:
        await Session.update({Session.last_seen_at: now}).where(Session.id == row["session_id"])
    session_id = row.pop("session_id")
    row.pop("last_seen_at")
    row.pop("credential_revoked_at")
    actor = actor_from_row(row)
    return (actor, session_id) if actor else None


async def end_session(token: str) -> None:
    await Session.delete().where(Session.token_hash == token_hash(token))


# --- API tokens -----------------------------------------------------------------------------------


async def create_api_token(officer_id: int, name: str = "") -> str:
    token = new_token("gs_")
    await ApiToken.insert(
        ApiToken(officer=officer_id, name=name, prefix=token[:10], token_hash=token_hash(token), created_at=clock.now())
    )
    return token


async def actor_for_api_token(token: str) -> Actor | None:
    rows = await ApiToken.raw(_ACTOR_BY_TOKEN, token_hash(token))
    row = rows[0] if rows else None
    if row is None or row.pop("revoked_at") is not None:
        return None
    return actor_from_row(row)


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


async def create_enrollment(officer_id: int, web: WebSettings) -> str:
    """A single-use link, valid for GIAMSAT_ENROLLMENT_HOURS, that registers a passkey for the officer."""
    token = new_token()
    await Enrollment.insert(
        Enrollment(
            officer=officer_id,
            token_hash=token_hash(token),
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(hours=web.enrollment_hours),
        )
    )
    return f"{web.origin}/enroll/{token}"


async def open_enrollment(token: str) -> tuple[int, Actor]:
    """The enrollment behind a link and its officer, or a clear refusal when it is unknown, used or expired."""
    row = await Enrollment.select().where(Enrollment.token_hash == token_hash(token)).first()
    if row is None:
        raise DomainError("enrollment_unknown", N_("This enrollment link is not valid."))
    if row["used_at"] is not None:
        raise DomainError("enrollment_used", N_("This enrollment link was already used. Ask for a new one."))
    if row["expires_at"] < clock.now():
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
    challenge_key: str | None, credential: dict[str, Any], label: str, web: WebSettings
) -> tuple[Actor, int]:
    """Verify the authenticator's answer, store the passkey, use up the enrollment link. Returns officer and credential id."""
    challenge = await _take_challenge(challenge_key, "register")
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


async def demo_officers() -> list[dict[str, Any]]:
    return await Officer.select(Officer.id, Officer.code, Officer.full_name, Officer.role).where(
        Officer.active == True  # noqa: E712 — Piccolo builds SQL from the comparison
    ).order_by(Officer.code)
