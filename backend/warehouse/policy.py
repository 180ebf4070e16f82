"""Who may do what at an operator's premises (a bonded warehouse, a CFS, a port or airport warehouse): the seam the
warehouse-facing domains share (issue 16).

- Warehouse staff act only at the premises they work at: the premises on their account (officers.premises) and the
  other premises of their operator an admin assigned them to (warehouse.staff_premises, operators.py), carried by
  the actor (`Actor.premises_ids`), never a location a request names.
- Officers and supervisors of the branch that manages the premises (the location's branch) see all of it.
"""

from __future__ import annotations

from typing import Any

from backend.officers.schemas import Actor
from backend.officers.tables import Location, Role

CUSTOMS_ROLES = (Role.OFFICER, Role.SUPERVISOR)


async def premises_row(location_id: int) -> dict[str, Any] | None:
    """The premises (a location that is not a gate), with its branch; None when there is no such premises."""
    return await Location.select(Location.id, Location.code, Location.name, Location.kind, Location.branch).where(
        (Location.id == location_id) & (Location.kind != "gate")
    ).first()


def works_at(actor: Actor, premises: dict[str, Any]) -> bool:
    """Warehouse staff of these premises (one of theirs: the actor is built with the set, so this stays synchronous)."""
    if actor.role != Role.WAREHOUSE:
        return False
    return premises["id"] in actor.premises_ids or (actor.premises_id is not None and premises["id"] == actor.premises_id)


def manages(actor: Actor, premises: dict[str, Any]) -> bool:
    """Customs staff of the branch that supervises these premises."""
    return actor.role in CUSTOMS_ROLES and actor.branch_id is not None and actor.branch_id == premises["branch"]


def sees(actor: Actor, premises: dict[str, Any]) -> bool:
    return works_at(actor, premises) or manages(actor, premises)
