"""The `record_keys` replica dataset: the public keys with which a device verifies a printed handover record's QR
offline (frontend/static/js/record-verify.js). Small and answered whole: its cursor is a digest of the keys, so it
costs one request and no data until a key is added or retired. Every signed-in officer gets it: public keys vouch
for nothing by themselves, and any officer may be the one checking a paper."""

from __future__ import annotations

from backend.officers.schemas import Actor
from backend.seals import record_qr
from backend.sync.replica import ReplicaPage, dataset, snapshot

NAME = "record_keys"


@dataset(NAME)
async def record_keys(actor: Actor, since: str | None) -> ReplicaPage:
    """Every public key of the deployment's record keyring, keyed by key id."""
    return snapshot(NAME, record_qr.public_key_items(record_qr.keyring()), since)
