"""The command envelope and the per-command answer of `POST /api/v1/commands`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from backend.lib.structs import Struct

MAX_BATCH = 500


class CommandEnvelope(Struct):
    """What a device sends. `id` is made on the device when the officer submits; `issued_at` is the device clock."""

    id: UUID
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    issued_at: Annotated[datetime, msgspec.Meta(tz=True)]
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    payload: dict[str, Any]
    signature: dict[str, Any] | None = None  # a passkey assertion over the command: see journal/signing.py
    # True when the device queued the command because it could not reach the server. Not signed: the
    # device learns it only after signing, when the first send fails.
    offline: bool = False


class CommandOutcome(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: UUID
    status: Literal["applied", "duplicate", "rejected"]
    code: str | None = None  # stable reason code, for programs
    reason: str | None = None  # the reason in the caller's language
    result: dict[str, Any] | None = None


class CommandBatchResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    results: list[CommandOutcome]
    server_time: str | None = None  # the server clock when it answered: devices measure their offset with it
