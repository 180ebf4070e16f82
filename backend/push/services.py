"""Web Push to supervisors' devices: opting a device in and out, and telling a branch's supervisors that items
arrived in their inbox.

A notification says which kinds of decision arrived and how many, in the words of the language the officer used
when subscribing, and how many wait in all; never an item's contents (a declaration number, a note, a name): it
passes through the browser vendor's push service and shows on a locked screen. The payload is encrypted to the
device anyway (RFC 8291, aes128gcm) and the request signed with our VAPID key (RFC 8292), both by pywebpush.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPushException, webpush

from backend.auth.tables import Session
from backend.inbox.registry import load_kinds
from backend.lib import clock
from backend.lib.errors import N_, DomainError, Forbidden, NotFound
from backend.lib.i18n import pick_language, translate_in
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.push import keys, policy
from backend.push.schemas import Subscription, SubscriptionCreate
from backend.push.tables import PushSubscription
from backend.settings import Settings

logger = logging.getLogger("giamsat.push")

INBOX_URL = "/inbox"
TAG = "giamsat-inbox"  # the device shows one notification for the inbox, replaced by the next
# A push service keeps only the latest message of a topic for a device that is off: it gets today's count, not a pile.
TOPIC = "giamsat-inbox"
GONE = {404, 410}  # the push service forgot the subscription (RFC 8030 §7.3): it never comes back


def offer(actor: Actor | None, settings: Settings) -> str | None:
    """What /account/devices needs to offer notifications: the application server key, for whoever may
    subscribe (policy.may_subscribe); None for everybody else."""
    if actor is None or not policy.may_subscribe(actor):
        return None
    return keys.application_server_key(settings)


def _b64url_bytes(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return b""


def _check(data: SubscriptionCreate, settings: Settings) -> None:
    """Refuse what is no browser's subscription. The endpoint is a URL the server will POST to: only https (a
    push service), or http on a development or test server (origin localhost), so a subscription cannot make the
    server call plain-http addresses of its own network."""
    url = urlsplit(data.endpoint)
    schemes = {"https", "http"} if settings.web.is_local else {"https"}
    if url.scheme not in schemes or not url.hostname:
        raise DomainError("push_endpoint_invalid", N_("This is not an address of a push service."))
    public = _b64url_bytes(data.keys.p256dh)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
        valid_key = len(public) == 65
    except ValueError:
        valid_key = False
    if not valid_key or len(_b64url_bytes(data.keys.auth)) != 16:
        raise DomainError("push_keys_invalid", N_("The browser's notification keys are not valid."))


async def subscribe(actor: Actor, session_id: int | None, data: SubscriptionCreate, language: str, settings: Settings) -> Subscription:
    """Opt this device in: store its browser's subscription for the actor, with the passkey its session signed in
    with (the device of /account/devices) and the language it reads. The same endpoint again (the browser kept
    it, or another officer signed in on the same browser) is taken over by whoever subscribes it now: only that
    browser knows its endpoint."""
    if not policy.may_subscribe(actor):
        raise Forbidden("push_not_allowed", N_("Only a supervisor's own device can be notified."))
    _check(data, settings)
    passkey = None
    if session_id is not None:
        session = await Session.select(Session.credential).where(Session.id == session_id).first()
        passkey = session["credential"] if session else None
    values = {
        "officer": actor.id,
        "passkey": passkey,
        "p256dh": data.keys.p256dh,
        "auth": data.keys.auth,
        "language": pick_language(language),
        "failures": 0,
        "created_at": clock.now(),
    }
    existing = await PushSubscription.select(PushSubscription.id).where(PushSubscription.endpoint == data.endpoint).first()
    if existing:
        row_id = existing["id"]
        await PushSubscription.update(values).where(PushSubscription.id == row_id)
    else:
        inserted = await PushSubscription.insert(PushSubscription(endpoint=data.endpoint, **values)).returning(PushSubscription.id)
        row_id = inserted[0]["id"]
    return Subscription(id=row_id, endpoint=data.endpoint, language=pick_language(language))


async def unsubscribe(actor: Actor, endpoint: str) -> None:
    """Opt this device out. Only the officer's own subscription: another's, or an unknown one, is not found."""
    if not policy.is_browser(actor):
        raise Forbidden("push_not_allowed", N_("Only a supervisor's own device can be notified."))
    row = await PushSubscription.select(PushSubscription.id, PushSubscription.officer).where(
        PushSubscription.endpoint == endpoint
    ).first()
    if row is None or not policy.may_unsubscribe(actor, row["officer"]):
        raise NotFound("push_subscription_unknown", N_("This device is not notified."))
    await PushSubscription.delete().where(PushSubscription.id == row["id"])


def message(language: str, counts: dict[str, int], total: int) -> dict[str, Any]:
    """The notification in `language`: the new items by kind (their inbox labels) and the open total, no contents."""
    kinds = load_kinds()
    parts = []
    for key, count in counts.items():
        if count <= 0:
            continue
        label = translate_in(language, kinds[key].label) if key in kinds else key
        parts.append(translate_in(language, "%(count)s new: %(kind)s", count=count, kind=label))
    parts.append(translate_in(language, "%(total)s waiting for a decision", total=total))
    return {
        "title": "giamsat",
        "body": "; ".join(parts),
        "count": total,
        "counts": {key: count for key, count in counts.items() if count > 0},
        "url": INBOX_URL,
        "tag": TAG,
    }


@dataclass(frozen=True)
class _Target:
    id: int
    endpoint: str
    p256dh: str
    auth: str
    language: str


def _send(target: _Target, data: str, headers: dict[str, str], settings: Settings) -> int | None:
    """One push request (blocking: pywebpush uses requests). The status the push service answered, None when it
    could not be reached; never raises."""
    try:
        response = webpush(
            {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
            data,
            headers=headers,
            ttl=settings.push.ttl_seconds,
            timeout=settings.push.timeout_seconds,
        )
        return response.status_code  # type: ignore[union-attr]
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        logger.info("push to subscription %s refused: %s", target.id, status)
        return status
    except Exception as error:  # a timeout, a refused connection, a key the browser sent that does not work
        logger.info("push to subscription %s failed: %r", target.id, error)
        return None


def _vapid_headers(settings: Settings, endpoint: str, signed: dict[str, dict[str, str]]) -> dict[str, str]:
    """The VAPID Authorization header for the endpoint's push service (its origin is the token's audience), signed
    once per push service and notification."""
    url = urlsplit(endpoint)
    audience = f"{url.scheme}://{url.netloc}"
    if audience not in signed:
        claims = {"sub": settings.push.vapid_subject, "aud": audience, "exp": int(clock.now().timestamp()) + 12 * 3600}
        signed[audience] = keys.vapid(settings).sign(claims)
    return signed[audience]


async def notify_new_items(settings: Settings, branch_id: int, counts: dict[str, int], total: int) -> int:
    """Tell every opted-in device of the branch's supervisors that items arrived: `counts` the new items by inbox
    kind key (e.g. {"gate.report": 2}), `total` the branch's open items now. Answers how many pushes the push
    services accepted.

    Devices of a revoked passkey, of a deactivated officer or of one no longer the branch's supervisor are not
    sent to. A subscription the push service says is gone (404, 410) is deleted; any other failure counts up its
    `failures`, and at GIAMSAT_PUSH_MAX_FAILURES in a row it is deleted. Never raises: a notification must not
    break what caused it (it is a hint; the inbox is the record)."""
    try:
        return await _notify(settings, branch_id, counts, total)
    except Exception:
        logger.exception("push notification for branch %s not sent", branch_id)
        return 0


async def _notify(settings: Settings, branch_id: int, counts: dict[str, int], total: int) -> int:
    rows = await PushSubscription.select(
        PushSubscription.id,
        PushSubscription.endpoint,
        PushSubscription.p256dh,
        PushSubscription.auth,
        PushSubscription.language,
    ).where(
        (PushSubscription.officer.branch == branch_id)
        & (PushSubscription.officer.role == Role.SUPERVISOR.value)
        & (PushSubscription.officer.active == True)  # noqa: E712 (a Piccolo expression)
        & PushSubscription.passkey.revoked_at.is_null()  # also true without a passkey (a demo sign-in)
    )
    if not rows:
        return 0
    targets = [_Target(**row) for row in rows]
    texts: dict[str, str] = {}
    signed: dict[str, dict[str, str]] = {}
    prepared = []
    for target in targets:
        if target.language not in texts:
            texts[target.language] = json.dumps(message(target.language, counts, total), ensure_ascii=False)
        headers = {"Urgency": "normal", "Topic": TOPIC, **_vapid_headers(settings, target.endpoint, signed)}
        prepared.append((target, texts[target.language], headers))

    statuses: dict[int, int | None] = {}

    async def send(target: _Target, data: str, headers: dict[str, str]) -> None:
        statuses[target.id] = await anyio.to_thread.run_sync(_send, target, data, headers, settings)

    async with anyio.create_task_group() as group:
        for target, data, headers in prepared:
            group.start_soon(send, target, data, headers)

    delivered = 0
    for target in targets:
        status = statuses.get(target.id)
        if status is not None and status < 300:
            delivered += 1
            await PushSubscription.update(
                {PushSubscription.last_success_at: clock.now(), PushSubscription.failures: 0}
            ).where(PushSubscription.id == target.id)
        elif status in GONE:
            await PushSubscription.delete().where(PushSubscription.id == target.id)
        else:
            await PushSubscription.update({PushSubscription.failures: PushSubscription.failures + 1}).where(
                PushSubscription.id == target.id
            )
            await PushSubscription.delete().where(
                (PushSubscription.id == target.id) & (PushSubscription.failures >= settings.push.max_failures)
            )
    return delivered
