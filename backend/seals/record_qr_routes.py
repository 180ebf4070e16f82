"""The public keys that verify handover records' QR codes (backend/seals/record_qr.py), for devices and tools.

Any signed-in user may read them: a public key vouches for nothing by itself, and every officer's device needs
them to verify a printed record offline (devices keep them through the `record_keys` replica dataset).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get
from litestar.datastructures import State

from backend.seals import record_qr


class RecordKeyJwk(msgspec.Struct, kw_only=True):
    kty: str
    crv: str
    x: str
    y: str


class RecordKey(msgspec.Struct, kw_only=True):
    key: str  # the same as key_id: the replica's item key
    key_id: str  # the 4 characters after `GSR1.` in a record QR
    algorithm: str  # ES256: ECDSA P-256 with SHA-256, signature raw r‖s
    jwk: RecordKeyJwk  # for crypto.subtle.importKey("jwk", ...)
    spki: str  # base64 DER SubjectPublicKeyInfo, for crypto.subtle.importKey("spki", ...) and other tools
    current: bool  # the key that signs now; the others verify records printed before a rotation


class RecordKeys(msgspec.Struct, kw_only=True):
    keys: list[RecordKey]


def record_keys_of(ring: record_qr.RecordKeyring) -> RecordKeys:
    return msgspec.convert({"keys": record_qr.public_key_items(ring)}, RecordKeys)


@get("/api/v1/seals/record-keys", summary="The public keys that verify handover records' QR codes")
async def record_keys(state: State) -> RecordKeys:
    """Every public key of this deployment's record keyring (any signed-in user)."""
    return record_keys_of(record_qr.keyring_for(state.settings))


ROUTES: list[Any] = [record_keys]
