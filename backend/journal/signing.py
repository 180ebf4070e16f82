"""Signed actions: a passkey assertion that binds one command, made online or offline.

An action that replaces the officer's signature and stamp (`registry.SIGNED_COMMANDS`) carries

    signature = {"nonce": <base64url>, "credential": <PublicKeyCredential JSON of an assertion>}

whose WebAuthn challenge is `SHA-256(nonce ‖ signed bytes)`; the signed bytes are the canonical JSON
(lib/canonical.py) of the envelope's `device_id, id, issued_at, payload, type` exactly as the device sent
them. The journal keeps `{nonce, credential, signed}`, so `giamsat audit verify` can check every assertion
again, years later, with nothing but the journal and the passkeys' public keys.

The `nonce` is a *ticket*: a random value the server issued to this officer for one device (`device_id`),
renewed daily while the device is online and valid TICKET_DAYS, so a device signs any number of actions
offline through a long outage. What stops a copied assertion from being used again is the command id, not
the ticket: the digest binds the assertion to one command id, and the journal applies a command id once
(a second arrival is a "duplicate"). What the ticket adds is freshness: the signature was made after the
server issued it, so an assertion cannot have been prepared before. docs/offline.md §4 gives the reasoning,
and why the first version's single-use nonces (still accepted, once each) were replaced.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Mapping

import msgspec
from webauthn import verify_authentication_response
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException

from backend.auth.tables import PasskeyCredential
from backend.journal.envelope import CommandEnvelope
from backend.journal.registry import COMMANDS
from backend.journal.tables import SigningNonce
from backend.lib import clock
from backend.lib.canonical import canonical_json
from backend.lib.errors import N_, DomainError
from backend.officers.schemas import Actor

SIGNED_FIELDS = ("device_id", "id", "issued_at", "payload", "type")
# A ticket signs for TICKET_DAYS after it was issued: long enough for a device to work offline through a long
# outage (the 2024 one lasted 16 hours). Online, a device gets a new one once its ticket is TICKET_RENEW_AFTER
# old, so it always holds close to TICKET_DAYS of offline signing. A signed command made before its ticket
# expired is accepted for a further DELIVERY_DAYS, the time its queue may take to reach the server.
TICKET_DAYS = 14
TICKET_RENEW_AFTER = timedelta(days=1)
DELIVERY_DAYS = 14


class Signature(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    nonce: str
    credential: dict[str, Any]
    signed: str | None = None  # set by the server from the raw request (`bind_raw`), never trusted from it


@dataclass(frozen=True)
class RelyingParty:
    origin: str
    rp_id: str


# The site the passkeys belong to: set by create_app() and the CLI from settings (WebAuthn checks the
# assertion's origin and rp id against it). Module state like the bound database engine.
_relying_party: RelyingParty | None = None


def configure(origin: str, rp_id: str) -> None:
    global _relying_party
    _relying_party = RelyingParty(origin, rp_id)


def signed_text(raw: Mapping[str, Any]) -> str:
    """The exact text a device signed: the canonical JSON of the signed fields of the envelope it sent."""
    return canonical_json({name: raw[name] for name in SIGNED_FIELDS if name in raw})


def bind_raw(raw: Mapping[str, Any], envelope: CommandEnvelope) -> CommandEnvelope:
    """Keep, with a signed envelope, the text the device signed, taken from the request as it arrived
    (decoding turns `issued_at` into a datetime, whose spelling may differ from the device's)."""
    if envelope.signature is None:
        return envelope
    signature = {**envelope.signature, "signed": signed_text(raw)}
    return msgspec.structs.replace(envelope, signature=signature)


def digest(nonce: str, text: str) -> bytes:
    return hashlib.sha256(_b64(nonce) + text.encode("utf-8")).digest()


def _b64(value: str) -> bytes:
    try:
        return base64url_to_bytes(value)
    except (binascii.Error, ValueError) as exc:
        raise DomainError("signature_invalid", N_("The signature is not valid.")) from exc


class SignatureRefused(DomainError):
    pass


def _refuse(code: str, message: str) -> SignatureRefused:
    return SignatureRefused(code, message)


def _parse(envelope: CommandEnvelope) -> tuple[Signature, str]:
    try:
        signature = msgspec.convert(envelope.signature, Signature)
    except msgspec.ValidationError as exc:
        raise _refuse("signature_invalid", N_("The signature is not valid.")) from exc
    text = signature.signed
    if text is None:  # built on the server (no raw request): the envelope's own fields
        text = signed_text(
            {
                "device_id": envelope.device_id,
                "id": str(envelope.id),
                "issued_at": envelope.issued_at.isoformat(),
                "payload": envelope.payload,
                "type": envelope.type,
            }
        )
    return signature, text


def _matches(text: str, *, command_id: str, type_: str, device_id: str | None, payload: Any, issued_at: datetime | None) -> bool:
    """The signed text describes this command and no other."""
    try:
        signed = msgspec.json.decode(text)
        same = (
            str(signed.get("id", "")).lower() == command_id.lower()
            and signed.get("type") == type_
            and (device_id is None or signed.get("device_id") == device_id)
            and (payload is None or signed.get("payload") == payload)
        )
        if same and issued_at is not None:
            same = datetime.fromisoformat(str(signed.get("issued_at"))) == issued_at
        return bool(same)
    except (msgspec.DecodeError, ValueError, AttributeError, TypeError):
        return False


@dataclass(frozen=True)
class Ticket:
    nonce: str
    issued_at: datetime
    expires_at: datetime
    new: bool  # issued by this call (else the device's current ticket, asked for again)


async def ticket_for(actor: Actor, device_id: str) -> Ticket:
    """The officer's signing ticket for this device: the current one while it is younger than
    TICKET_RENEW_AFTER, else a new one. Asking again is harmless (a page that navigates away mid-request
    loses nothing: the next page gets the same ticket), and one device's tickets never limit another's."""
    now = clock.now()
    current = (
        await SigningNonce.select(SigningNonce.nonce, SigningNonce.issued_at, SigningNonce.expires_at)
        .where(
            (SigningNonce.officer == actor.id)
            & (SigningNonce.device_id == device_id)
            & (SigningNonce.reusable == True)  # noqa: E712 (a Piccolo expression)
            & (SigningNonce.issued_at > now - TICKET_RENEW_AFTER)
        )
        .order_by(SigningNonce.issued_at, ascending=False)
        .first()
    )
    if current is not None:
        return Ticket(current["nonce"], _as_datetime(current["issued_at"]), _as_datetime(current["expires_at"]), new=False)
    # Rows no command can use any more: tickets and nonces past their delivery time.
    await SigningNonce.delete().where(SigningNonce.expires_at < now - timedelta(days=DELIVERY_DAYS))
    ticket = SigningNonce(
        nonce=base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
        officer=actor.id,
        issued_at=now,
        expires_at=now + timedelta(days=TICKET_DAYS),
        reusable=True,
        device_id=device_id,
    )
    await ticket.save()
    return Ticket(ticket.nonce, now, ticket.expires_at, new=True)


async def credential_ids(actor: Actor) -> list[str]:
    """The officer's live passkeys (base64url ids), for the device's allow-list when it signs."""
    rows = await PasskeyCredential.select(PasskeyCredential.credential_id).where(
        (PasskeyCredential.officer == actor.id) & PasskeyCredential.revoked_at.is_null()
    )
    return [row["credential_id"] for row in rows]


# Every signed command runs these, inside its transaction: one round trip for what the checks need (the nonce and the
# passkey), then plain statements to use them. Piccolo's query building here was ~30 % of a gate confirmation's
# server time (bench/README.md, bench/gate.py).
_LOOKUP = (
    "SELECT n.id, n.officer, n.used_at, n.expires_at, n.reusable, n.device_id, "
    "c.id AS credential, c.officer AS credential_officer, "
    "c.revoked_at, c.public_key, c.sign_count "
    "FROM signing_nonce n LEFT JOIN passkey_credential c ON c.credential_id = {} WHERE n.nonce = {}"
)
_USE_NONCE = "UPDATE signing_nonce SET used_at = {}, command_id = {} WHERE id = {} AND used_at IS NULL RETURNING id"
_COUNT_USE = "UPDATE passkey_credential SET sign_count = {}, last_used_at = {} WHERE id = {}"


def _as_datetime(value: Any) -> datetime:
    """A timestamp as either database answers a raw query (SQLite may answer text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def verify_and_use(envelope: CommandEnvelope, actor: Actor) -> dict[str, Any]:
    """Check a signed command's assertion and use up its nonce, in the caller's transaction.

    Refusals (SignatureRefused) come before anything is written; the nonce is marked used only once every
    check passed, so a refused command leaves it usable (and a command refused later by its handler is
    rolled back with it). Returns the signature as the journal stores it.
    """
    if _relying_party is None:
        raise RuntimeError("journal.signing.configure() was not called")
    signature, text = _parse(envelope)
    if not _matches(
        text,
        command_id=str(envelope.id),
        type_=envelope.type,
        device_id=envelope.device_id,
        payload=envelope.payload,
        issued_at=envelope.issued_at,
    ):
        raise _refuse("signature_mismatch", N_("The signature does not match this action."))
    now = clock.now()
    credential_id = str(signature.credential.get("id", ""))
    rows = await SigningNonce.raw(_LOOKUP, credential_id, signature.nonce)
    found = rows[0] if rows else None
    if found is None or found["officer"] != actor.id:
        raise _refuse("nonce_unknown", N_("This signature was not made with a code issued to you."))
    reusable = bool(found["reusable"])
    expires_at = _as_datetime(found["expires_at"])
    if reusable:
        if found["device_id"] is not None and found["device_id"] != envelope.device_id:
            raise _refuse("ticket_other_device", N_("This action was signed with a code issued to another device."))
        # Made (by the device's own clock) after the ticket expired, or delivered after its delivery time.
        if envelope.issued_at > expires_at or now > expires_at + timedelta(days=DELIVERY_DAYS):
            raise _refuse("nonce_expired", N_("This signature was made with an expired code. Sign again."))
    else:
        if found["used_at"] is not None:
            raise _refuse("nonce_used", N_("This signature was already used for another action."))
        if expires_at < now:
            raise _refuse("nonce_expired", N_("This signature was made with an expired code. Sign again."))
    if found["credential"] is None or found["credential_officer"] != actor.id or found["revoked_at"] is not None:
        raise _refuse("signature_unknown_passkey", N_("This action was signed with a passkey that is not yours or was revoked."))
    try:
        verified = verify_authentication_response(
            credential=signature.credential,
            expected_challenge=digest(signature.nonce, text),
            expected_rp_id=_relying_party.rp_id,
            expected_origin=_relying_party.origin,
            credential_public_key=base64url_to_bytes(found["public_key"]),
            # Offline signatures can reach the server out of the order they were made (an export imported
            # later): the single-use nonce, not the counter, is what stops a replayed assertion.
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise _refuse("signature_invalid", N_("The signature is not valid.")) from exc
    if not reusable:
        used = await SigningNonce.raw(_USE_NONCE, now, envelope.id, found["id"])
        if not used:  # another request used it in the meantime
            raise _refuse("nonce_used", N_("This signature was already used for another action."))
    await PasskeyCredential.raw(_COUNT_USE, max(found["sign_count"], verified.new_sign_count), now, found["credential"])
    return {"nonce": signature.nonce, "credential": signature.credential, "signed": text}


async def audit_signature(row: Mapping[str, Any], origin: str, rp_id: str) -> str | None:
    """Verify a journal row's stored assertion again: None when it holds, else what is wrong."""
    try:
        stored = msgspec.json.decode(row["signature"])
        signature = msgspec.convert(stored, Signature)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return "the stored signature cannot be read"
    if signature.signed is None or not _matches(
        signature.signed, command_id=str(row["command_id"]), type_=row["command_type"], device_id=row["device_id"],
        payload=None, issued_at=None,
    ):
        return "the signed text is not this command's"
    spec = COMMANDS.get(row["command_type"])
    try:
        signed_payload = msgspec.json.decode(signature.signed)["payload"]
        as_applied = msgspec.json.encode(msgspec.convert(signed_payload, spec.payload), order="sorted").decode() if spec else None
    except (msgspec.DecodeError, msgspec.ValidationError, KeyError, TypeError):
        as_applied = None
    if as_applied != row["payload"]:
        return "the signed payload is not the applied one"
    nonce = await SigningNonce.select(
        SigningNonce.all_columns(), SigningNonce.officer.code.as_alias("officer_code")
    ).where(SigningNonce.nonce == signature.nonce).first()
    if nonce is None:
        return "the nonce was not issued"
    if nonce["reusable"]:
        # A ticket: issued to this officer (for the device that sent the command) before the command arrived.
        if nonce["officer_code"] != row["actor_code"] or (nonce["device_id"] not in (None, row["device_id"])):
            return "the ticket was not issued to this officer's device"
        if _as_datetime(nonce["issued_at"]) > datetime.fromisoformat(row["received_at"]):
            return "the ticket was issued after the command arrived"
    elif str(nonce["command_id"]) != str(row["command_id"]):
        return "the nonce was not used by this command"
    credential = await PasskeyCredential.select(
        PasskeyCredential.public_key, PasskeyCredential.officer.code.as_alias("officer_code")
    ).where(PasskeyCredential.credential_id == str(signature.credential.get("id", ""))).first()
    if credential is None or credential["officer_code"] != row["actor_code"]:
        return "the passkey is not the officer's"
    try:
        verify_authentication_response(
            credential=signature.credential,
            expected_challenge=digest(signature.nonce, signature.signed),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(credential["public_key"]),
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, DomainError) as exc:
        return f"the assertion does not verify: {exc}"
    return None
