"""Who may see and retry the outbox's messages: the outbox domain's authorization, in one place.

A message belongs to the branch whose officer made the command (the fact the journal established: the actor's
branch). Officers and supervisors of that branch see its messages; a supervisor of that branch retries a refused
one after fixing what the refusal names. Another branch sees nothing of them, not even that they exist.
"""

from __future__ import annotations

from typing import Any

from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.outbox.tables import OutboxMessage

VIEWERS = (Role.OFFICER, Role.SUPERVISOR)


def is_of_branch(actor: Actor, branch_id: int | None) -> bool:
    return actor.branch_id is not None and branch_id == actor.branch_id


def is_supervisor_of(actor: Actor, branch_id: int | None) -> bool:
    return actor.role == Role.SUPERVISOR and is_of_branch(actor, branch_id)


def visible_messages(actor: Actor) -> Any:
    """The condition on messages an actor sees: their own branch's, if they are an officer or supervisor; else none."""
    if actor.role not in VIEWERS or actor.branch_id is None:
        return OutboxMessage.id < 0
    return OutboxMessage.branch == actor.branch_id


def may_see(actor: Actor, row: dict[str, Any]) -> bool:
    return actor.role in VIEWERS and is_of_branch(actor, row["branch"])


def may_retry(actor: Actor, row: dict[str, Any]) -> bool:
    """outbox.retry: a supervisor of the message's branch."""
    return is_supervisor_of(actor, row["branch"])
