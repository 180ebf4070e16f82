"""Who may do what with a loading plan (Art 40), built on the premises seam (backend/warehouse/policy.py).

- The operator's staff submit plans for the premises they work at (never a location the request names), see only
  those, and withdraw one before the supervision team proposed a measure.
- Customs staff of the branch that manages the premises see all of its plans; its officers (and its heads, who
  lead the supervision teams) propose the measure; only its heads (supervisors) decide.
- Anyone else does not learn the plan exists: 404 on pages, `unknown_plan` for commands.
"""

from __future__ import annotations

from typing import Any

from backend.lib.errors import N_, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.warehouse.policy import manages, premises_row, sees, works_at


def not_found() -> NotFound:
    return NotFound("unknown_plan", N_("There is no such plan for you."))


async def premises_of(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's premises as the seam reads it (its branch today, not as it was at submission)."""
    premises = await premises_row(plan["premises"])
    if premises is None:
        raise not_found()
    return premises


def may_submit(actor: Actor, premises: dict[str, Any] | None) -> bool:
    return premises is not None and works_at(actor, premises)


def may_see(actor: Actor, premises: dict[str, Any]) -> bool:
    return sees(actor, premises)


def may_withdraw(actor: Actor, premises: dict[str, Any]) -> bool:
    return works_at(actor, premises)


def may_propose(actor: Actor, premises: dict[str, Any]) -> bool:
    return manages(actor, premises)


def may_decide(actor: Actor, premises: dict[str, Any]) -> bool:
    return manages(actor, premises) and actor.role == Role.SUPERVISOR
