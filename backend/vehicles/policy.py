"""Who may see a key vehicle and its supervision journal, and who may act on it (Decision 1966, Art 39).

- `is_of_branch`: an officer or supervisor of the branch whose supervision area the vehicle is berthed or parked in.
  They see the branch's key vehicles and read their journals (officers take over from one another; the journal's
  photos are the branch's, as the logbook's are). Anyone else is told there is no such key vehicle (404), as for an
  unknown id, so a refusal reveals nothing.
- `is_head`: a supervisor of that branch (Chi cục trưởng, 39.1: "do Chi cục trưởng … quyết định"). Only the head
  designates a key vehicle, assigns officers to it and ends its supervision.
- `is_assigned`: an officer the head put on the vehicle and has not taken off it (39.1 "bố trí công chức").
- `may_write_journal`: the officers assigned, and the branch's supervisors (39.2: the supervising officer keeps the
  journal; the head may write in it as well). An unassigned officer of the branch reads it but does not write in it.
"""

from __future__ import annotations

from typing import Any

from backend.lib.errors import N_, Forbidden, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Role

VEHICLE_ROLES = (Role.OFFICER, Role.SUPERVISOR)


def is_branch_staff(actor: Actor) -> bool:
    return actor.role in VEHICLE_ROLES and actor.branch_id is not None


def is_supervisor(actor: Actor) -> bool:
    return actor.role == Role.SUPERVISOR and actor.branch_id is not None


def is_of_branch(actor: Actor, vehicle: dict[str, Any]) -> bool:
    return is_branch_staff(actor) and actor.branch_id == vehicle["branch"]


def is_head(actor: Actor, vehicle: dict[str, Any]) -> bool:
    return is_supervisor(actor) and is_of_branch(actor, vehicle)


def is_assigned(actor: Actor, assigned_ids: set[int]) -> bool:
    return actor.id in assigned_ids


def may_see(actor: Actor, vehicle: dict[str, Any]) -> bool:
    return is_of_branch(actor, vehicle)


def may_designate(actor: Actor) -> bool:
    """The head designates, at a location of the branch (checked by the command: location_of_branch)."""
    return is_supervisor(actor)


def may_write_journal(actor: Actor, vehicle: dict[str, Any], assigned_ids: set[int]) -> bool:
    return is_head(actor, vehicle) or (is_of_branch(actor, vehicle) and is_assigned(actor, assigned_ids))


def not_found() -> NotFound:
    return NotFound("vehicle_not_found", N_("There is no such key vehicle in your branch."))


def require_visible(actor: Actor, vehicle: dict[str, Any] | None) -> dict[str, Any]:
    if vehicle is None or not may_see(actor, vehicle):
        raise not_found()
    return vehicle


def require_head(actor: Actor, vehicle: dict[str, Any]) -> None:
    """Assigning officers and ending the supervision are the head's, as designating is."""
    if not is_head(actor, vehicle):
        raise Forbidden("not_branch_head", N_("Only the head of the branch decides this (Decision 1966, Art 39.1)."))


def require_journal_writer(actor: Actor, vehicle: dict[str, Any], assigned_ids: set[int]) -> None:
    if not may_write_journal(actor, vehicle, assigned_ids):
        raise Forbidden(
            "not_assigned",
            N_("Only the officers assigned to this vehicle write its supervision journal (Decision 1966, Art 39.1, 39.2)."),
        )
