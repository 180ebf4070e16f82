"""Officers' steps taken by the demo loader, through the journal exactly as a device sends them, signed.

The demo must show transit declarations (and later other work) in every state, and every step past upstream's is
an officer's signed action (CES, CET, seals, BOA, BIA). Writing those states into the tables directly would
give the demo rows no journal behind them, which the audit (`giamsat audit verify`) and the timelines would
contradict. So the loader registers, for each officer it acts for, a passkey of its own (backend/auth/
soft_passkey.py; labelled as the loader's), signs each command with it under a signing ticket as a device
would, applies it with `journal.services.apply_commands` — the same checks, policy and hooks as
`POST /api/v1/commands` — and revokes those passkeys when it is done. The private keys live only in the loader's
process: once it ends nobody can sign with them, and the revoked passkeys stay listed on the officers' devices
page, so the demo's signed actions remain verifiable and say who made them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from backend.auth.soft_passkey import SoftPasskey, b64url
from backend.auth.tables import PasskeyCredential
from backend.journal import signing
from backend.journal import envelope as envelopes
from backend.journal.envelope import CommandEnvelope, CommandOutcome
from backend.journal.registry import is_signed
from backend.journal.services import apply_commands
from backend.lib import clock
from backend.officers.schemas import Actor
from backend.officers.services import actor_by_id
from backend.officers.tables import Officer

DEVICE_ID = "demo-loader"
PASSKEY_LABEL = "demo data loader (revoked after loading)"


def _iso(moment: datetime) -> str:
    """As a browser's toISOString() spells it (the signed text is the device's own)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class DemoSigner:
    """`async with DemoSigner(engine, origin, rp_id) as signer: await signer.do("CB001", type, payload, at=...)`."""

    def __init__(self, engine: Engine, origin: str, rp_id: str) -> None:
        self.engine, self.origin, self.rp_id = engine, origin, rp_id
        self.keys: dict[str, tuple[Actor, SoftPasskey, int]] = {}

    async def __aenter__(self) -> DemoSigner:
        signing.configure(self.origin, self.rp_id)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        ids = [credential for _, _, credential in self.keys.values()]
        if ids:
            await PasskeyCredential.update({PasskeyCredential.revoked_at: clock.now()}).where(PasskeyCredential.id.is_in(ids))
        self.keys.clear()

    async def _officer(self, code: str) -> tuple[Actor, SoftPasskey]:
        if code not in self.keys:
            row = await Officer.select(Officer.id).where(Officer.code == code).first()
            actor = await actor_by_id(row["id"]) if row else None
            if actor is None:
                raise LookupError(f"the demo officer {code} does not exist")
            passkey = SoftPasskey(self.origin)
            inserted = await PasskeyCredential.insert(
                PasskeyCredential(
                    officer=actor.id,
                    credential_id=passkey.id,
                    public_key=b64url(passkey.cose_public_key()),
                    label=PASSKEY_LABEL,
                    created_at=clock.now(),
                )
            ).returning(PasskeyCredential.id)
            self.keys[code] = (actor, passkey, inserted[0]["id"])
        actor, passkey, _ = self.keys[code]
        return actor, passkey

    async def do(self, code: str, type_: str, payload: dict[str, Any], *, at: datetime | None = None) -> CommandOutcome:
        """Apply one command as officer `code`, made at `at` (default now; earlier: made offline and sent now)."""
        actor, passkey = await self._officer(code)
        made = at or clock.now()
        # Made earlier than the offline grace: it waited on the device, as a queued action does.
        offline = clock.now() - made > envelopes.OFFLINE_GRACE
        raw: dict[str, Any] = {"id": str(uuid.uuid4()), "type": type_, "issued_at": _iso(made), "device_id": DEVICE_ID, "payload": payload}
        if is_signed(type_):
            ticket = await signing.ticket_for(actor, DEVICE_ID)
            text = signing.signed_text(raw)
            challenge = b64url(signing.digest(ticket.nonce, text))  # SHA-256(nonce ‖ signed text): journal/signing.py
            raw["signature"] = {"nonce": ticket.nonce, "credential": passkey.assertion(challenge, self.rp_id, self.origin)}
        raw["offline"] = offline
        envelope = signing.bind_raw(raw, msgspec.convert(raw, CommandEnvelope))
        (outcome,) = await apply_commands(self.engine, [envelope], actor)
        return outcome
