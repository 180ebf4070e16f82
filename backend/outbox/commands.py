"""The outbox's command (outbox.retry) and its place in the journal: the after-apply hook that makes the messages.

Importing this module (the journal's load_commands does, for every domain) registers `services.record_messages`
with the journal and loads every domain's outbound.py, so that from then on an applied command of a registered
type makes its messages in its own transaction.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec

from backend.journal.registry import CommandContext, after_apply, command
from backend.lib import clock
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.structs import Struct
from backend.officers.tables import Role
from backend.outbox import policy, services
from backend.outbox.registry import load_outbound
from backend.outbox.workflow import State, transition

load_outbound()
after_apply(services.record_messages)


class RetryMessage(Struct):
    message_id: uuid.UUID
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""  # what was fixed


@command("outbox.retry", payload=RetryMessage, roles={Role.SUPERVISOR}, label=N_("Refused message sent again"))
async def retry(context: CommandContext, payload: RetryMessage) -> dict[str, Any]:
    """A refused message goes back to waiting, tried at the next pass, with the same message id (the upstream kept
    nothing of a refused message: it judges it again)."""
    row = await services.message_row(payload.message_id)
    if row is None or not policy.may_see(context.actor, row):
        raise NotFound("unknown_message", N_("There is no such message of your branch."))
    if not policy.may_retry(context.actor, row):
        raise DomainError("supervisor_only", N_("Only a supervisor of the branch may send a refused message again."))
    if row["state"] != State.REFUSED.value:
        raise DomainError("not_refused", N_("Only a message the national system refused can be sent again."))
    await transition(
        row["id"], State.REFUSED, State.WAITING, attempts=0, next_attempt_ms=0,
        last_error=f"retried: {payload.note.strip()}"[:500] if payload.note.strip() else "",
        retried_by=context.actor.id, retried_at=context.received_at or clock.now(),
    )
    return {"number": row["declaration_number"] or None, "message_id": str(row["message_id"]), "state": State.WAITING.value}
