"""Who may act on a lot at the exit gate and on a change of its export place (Decision 1966, Art 43.3.b-c).

Every relation comes from facts another party created, never from a command the branch sent itself:
- `at_exit_gate`: the transit case's destination branch (upstream's fact: the exit gate the declarant registered),
  once the goods departed (transit/policy.py at_destination) — the original export place of 43.3.c and the exit
  gate of 43.3.b;
- `at_registration`: the transit case's departure branch, its branch of registration, which manages the bonded
  warehouse the goods left (43.3.a, 43.3.c.2.1, c.4.1);
- `receives_handover`: the branch a handover record (form 10) of the change is addressed to, once handed over
  (made by the original place, the seals domain's row): the new export place of c.1.2 / c.3.2;
- `letter_between`: the branch that sent a letter and the branch it was sent to.
Heads are supervisors of the branch (Chi cục trưởng); an officer never approves. Warehouse staff and admins
nothing. Anyone else is told that there is no such change (404), as for an unknown one.
"""

from __future__ import annotations

from typing import Any

from backend.export_place.workflow import Party
from backend.lib.errors import N_, Forbidden, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.transit import policy as transit_policy

STAFF_ROLES = (Role.OFFICER, Role.SUPERVISOR)
# Where a record counts as handed to the new place (the seals domain's states).
RECORD_HANDED = ("handed_over", "received")


def is_staff(actor: Actor) -> bool:
    return actor.role in STAFF_ROLES and actor.branch_id is not None


def at_exit_gate(actor: Actor, case: dict[str, Any]) -> bool:
    return transit_policy.at_destination(actor, case)


def at_registration(actor: Actor, case: dict[str, Any]) -> bool:
    return transit_policy.at_departure(actor, case)


def is_head(actor: Actor) -> bool:
    return actor.role == Role.SUPERVISOR


def receives_handover(actor: Actor, change: dict[str, Any], record: dict[str, Any] | None) -> bool:
    return (
        is_staff(actor)
        and record is not None
        and record["state"] in RECORD_HANDED
        and record["to_branch"] == actor.branch_id
        and record["from_branch"] == change["original_branch"]
    )


def may_take(actor: Actor, case: dict[str, Any], change: dict[str, Any], record: dict[str, Any] | None, party: Party) -> bool:
    if party is Party.ORIGINAL_OFFICER:
        return at_exit_gate(actor, case)
    if party is Party.ORIGINAL_HEAD:
        return at_exit_gate(actor, case) and is_head(actor)
    if party is Party.REGISTRATION_OFFICER:
        return at_registration(actor, case)
    if party is Party.REGISTRATION_HEAD:
        return at_registration(actor, case) and is_head(actor)
    if party is Party.NEW_PLACE:
        return receives_handover(actor, change, record)
    return False


def may_see(actor: Actor, case: dict[str, Any], change: dict[str, Any], record: dict[str, Any] | None) -> bool:
    return at_exit_gate(actor, case) or at_registration(actor, case) or receives_handover(actor, change, record)


def may_propose(actor: Actor, case: dict[str, Any], same_gate: bool) -> bool:
    """c.1.1.1 / c.3.1.1: the original place's officer; c.2.1.1 / c.4.1.1: the branch of registration's."""
    return at_exit_gate(actor, case) if same_gate else at_registration(actor, case)


def may_notify_warehouse(actor: Actor, case: dict[str, Any]) -> bool:
    """43.3.b: "Chi cục Hải quan cửa khẩu xuất có văn bản thông báo": the exit gate branch's head signs the letter."""
    return at_exit_gate(actor, case) and is_head(actor)


def may_read_letter(actor: Actor, letter: dict[str, Any]) -> bool:
    return is_staff(actor) and actor.branch_id in (letter["from_branch"], letter["to_branch"])


def may_acknowledge(actor: Actor, letter: dict[str, Any]) -> bool:
    return is_staff(actor) and is_head(actor) and actor.branch_id == letter["to_branch"]


def not_found() -> NotFound:
    return NotFound("change_not_found", N_("There is no such change of export place for your branch."))


PARTY_REFUSALS: dict[Party, str] = {
    Party.ORIGINAL_OFFICER: N_("Only officers of the original exit gate's branch do this (Decision 1966, Art 43.3.c.1.1, c.2.2, c.3.1, c.4.2)."),
    Party.ORIGINAL_HEAD: N_("Only the head of the original exit gate's branch approves this change (Decision 1966, Art 43.3.c.1.1.1, c.3.1.1)."),
    Party.REGISTRATION_OFFICER: N_("Only officers of the branch of registration do this (Decision 1966, Art 43.3.c.2.1, c.4.1)."),
    Party.REGISTRATION_HEAD: N_("Only the head of the branch of registration approves this change (Decision 1966, Art 43.3.c.2.1.1, c.4.1.1)."),
    Party.NEW_PLACE: N_("Only the new export place, to which the handover record was handed, reports the goods exported (Decision 1966, Art 43.3.c.1.2, c.3.2)."),
}


def require(actor: Actor, case: dict[str, Any], change: dict[str, Any], record: dict[str, Any] | None, party: Party) -> None:
    """404 when the actor's branch may not see the change, 403 with the clause when it is not the step's party."""
    if not may_see(actor, case, change, record):
        raise not_found()
    if not may_take(actor, case, change, record, party):
        raise Forbidden("not_your_step", PARTY_REFUSALS[party])
