"""What leaves for the national system (OutboundMessage, the adapter's input) and what the /outbox page shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class OutboundMessage(msgspec.Struct, kw_only=True):
    """One message as the adapter sends it (docs/outbox.md, "The adapter's contract")."""

    message_id: str  # the idempotency key: the upstream applies a message id once
    kind: str
    clause: str
    declaration: str | None
    command_id: str
    command_type: str
    branch: str
    officer: str
    made_at: str
    contingency: bool
    payload: dict[str, Any]


class OutboxMessageView(msgspec.Struct, kw_only=True):
    """A message as the /outbox page lists it."""

    id: int
    message_id: str
    kind: str
    clause: str
    declaration: str
    officer: str
    made_at: datetime
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    delivered_at: datetime | None
    upstream_reference: str
    refusal_reason: str
    refused_at: datetime | None
    # Why a waiting message is not being sent now: "contingency" (held until restoration), "behind" (an earlier
    # message of the same declaration is not delivered yet), "backoff" (the upstream did not answer; tried again
    # at next_attempt_at) or "" (next pass).
    held: str = ""
