"""Who has an inbox: a supervisor of a branch (the head who decides, Decision 1966 passim: "Lãnh đạo Chi cục").
An officer, warehouse staff and an admin have no decisions of the branch to take (issue 15); a supervisor of
another branch sees nothing of this one, because every provider reads by the actor's own branch."""

from __future__ import annotations

from backend.officers.schemas import Actor
from backend.officers.tables import Role


def has_inbox(actor: Actor) -> bool:
    return actor.role == Role.SUPERVISOR and actor.branch_id is not None
