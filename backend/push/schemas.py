"""What a page sends to opt a device in or out: the browser's PushSubscription as its toJSON() writes it."""

from __future__ import annotations

from typing import Annotated

import msgspec

from backend.lib.structs import Struct

Endpoint = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
B64 = Annotated[str, msgspec.Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+=*$")]


class SubscriptionKeys(Struct):
    p256dh: B64  # the browser's P-256 public key, uncompressed point
    auth: B64  # its 16-byte authentication secret


class SubscriptionCreate(Struct):
    endpoint: Endpoint
    keys: SubscriptionKeys
    expiration_time: float | None = msgspec.field(default=None, name="expirationTime")  # sent by browsers; unused


class SubscriptionDelete(Struct):
    endpoint: Endpoint


class Subscription(msgspec.Struct, kw_only=True):
    """A device's subscription as the API answers it (the keys are the browser's; not sent back)."""

    id: int
    endpoint: str
    language: str
