"""Who may declare, end and see contingency periods: the sync domain's authorization, in one place.

A supervisor or a branch admin speaks for their own branch; only a national admin (an admin with no branch,
officers/policy.py) for every branch. Contingency widens what offline commands may do (docs/offline.md 4a), so a
branch admin declaring it nationwide would act on every other branch (issue 11, finding 6). sync/commands.py and
sync/reconciliation.py ask these.
"""

from __future__ import annotations

from typing import Any

from backend.lib.errors import N_, DomainError
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.sync.tables import ContingencyPeriod


def contingency_branch(actor: Actor) -> int | None:
    """The branch a declaration or end of contingency by `actor` is for: their own; None (every branch) only for a
    national admin."""
    if actor.is_national_admin:
        return None
    if actor.branch_id is None:  # not reachable with today's roles; never read as "every branch"
        raise DomainError("no_branch", N_("You have no branch to declare contingency mode for."))
    return actor.branch_id


def visible_periods(actor: Actor) -> Any:
    """The condition on periods an actor sees: a national admin every one (None); anyone else their branch's and
    the national ones."""
    if actor.is_national_admin:
        return None
    return ContingencyPeriod.branch.is_null() | (ContingencyPeriod.branch == actor.branch_id)


def may_end_period(actor: Actor, branch_id: int | None) -> bool:
    """Whether the actor may end a period of `branch_id` (None: national): the scope of sync.end_contingency."""
    if actor.is_national_admin:
        return branch_id is None
    return actor.role in (Role.SUPERVISOR, Role.ADMIN) and branch_id is not None and branch_id == actor.branch_id
