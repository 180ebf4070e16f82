"""Who may act on a transit case, and who may see it.

A branch's relation to a transit declaration comes from upstream's facts only (the case copies them from the
declarations mirror, upstream.py): the branch of registration is the departure branch (Art 41.1), the destination
branch is the one the declarant registered (41.2). Nothing an officer sends makes a branch either.

The state machine names the party of each step (workflow.Party); `may_take` says whether an actor is that party:
- the departure head (`is_departure_head`): a supervisor of the departure branch (Chi cục trưởng, 41.1.b.1, 41.3.a);
  an officer cannot assign, nor decide on an amendment;
- the checking officer (`is_checking_officer`): the officer CES named, and no one else, sends CET (41.1.b.2, 41.3.b);
- a departure officer (`at_departure`): an officer or supervisor of the departure branch (sealing, BOA, 41.1.c-4);
- a destination officer (`at_destination`): an officer or supervisor of the destination branch (41.2); the
  destination branch acts only once the goods departed, on what is addressed to it.
`may_see`: the departure branch always; the destination branch once the goods departed. Anyone else is told that
there is no such transit declaration (404), as for an unknown number, so a refusal reveals nothing.
"""

from __future__ import annotations

from typing import Any

from backend.lib.errors import N_, Forbidden, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.transit.workflow import Party, TransitState

TRANSIT_ROLES = (Role.OFFICER, Role.SUPERVISOR)
# Once BOA is registered the lot is on its way to the destination branch: from then on the case is addressed to it.
ADDRESSED_TO_DESTINATION = frozenset(
    {
        TransitState.DEPARTED,
        TransitState.AT_EXIT_AREA,
        TransitState.VIOLATION,
        TransitState.PENALTY_CARRIED_OUT,
        TransitState.ARRIVED,
    }
)


def is_transit_staff(actor: Actor) -> bool:
    return actor.role in TRANSIT_ROLES and actor.branch_id is not None


def at_departure(actor: Actor, case: dict[str, Any]) -> bool:
    return is_transit_staff(actor) and actor.branch_id == case["departure_branch"]


def is_departure_head(actor: Actor, case: dict[str, Any]) -> bool:
    return actor.role == Role.SUPERVISOR and at_departure(actor, case)


def is_checking_officer(actor: Actor, case: dict[str, Any]) -> bool:
    return at_departure(actor, case) and case["assigned_officer"] == actor.id


def addressed_to_destination(case: dict[str, Any]) -> bool:
    return TransitState(case["state"]) in ADDRESSED_TO_DESTINATION


def at_destination(actor: Actor, case: dict[str, Any]) -> bool:
    return (
        is_transit_staff(actor)
        and case["destination_branch"] is not None
        and actor.branch_id == case["destination_branch"]
        and addressed_to_destination(case)
    )


def may_see(actor: Actor, case: dict[str, Any]) -> bool:
    return at_departure(actor, case) or at_destination(actor, case)


def may_take(actor: Actor, case: dict[str, Any], party: Party) -> bool:
    """Whether `actor` is `party` for this case (the upstream party is never an officer)."""
    if party is Party.DEPARTURE_HEAD:
        return is_departure_head(actor, case)
    if party is Party.CHECKING_OFFICER:
        return is_checking_officer(actor, case)
    if party is Party.DEPARTURE_OFFICER:
        return at_departure(actor, case)
    if party is Party.DESTINATION_OFFICER:
        return at_destination(actor, case)
    return False


def not_found(number: str) -> NotFound:
    return NotFound("transit_not_found", N_("No transit declaration %(number)s for your branch."), number=number)


PARTY_REFUSALS: dict[Party, str] = {
    Party.DEPARTURE_HEAD: N_("Only the head of the departure branch does this (Decision 1966, Art 41.1.b.1, 41.2.b.2, 41.3)."),
    Party.CHECKING_OFFICER: N_("Only the officer assigned to check this declaration does this (CES, Decision 1966, Art 41.1.b.2, 41.3.b)."),
    Party.DEPARTURE_OFFICER: N_("Only officers of the departure branch do this (Decision 1966, Art 41.1)."),
    Party.DESTINATION_OFFICER: N_("Only officers of the destination branch do this, once the goods departed (Decision 1966, Art 41.2)."),
    Party.UPSTREAM: N_("This comes from the national system, not from an officer (Decision 1966, Art 41.1.a, 41.3)."),
}


def require(actor: Actor, case: dict[str, Any], party: Party) -> None:
    """Refuse unless `actor` is `party`: 404 when the actor's branch may not even see the case, 403 otherwise."""
    if not may_see(actor, case):
        raise not_found(case["number"])
    if not may_take(actor, case, party):
        raise Forbidden("not_your_step", PARTY_REFUSALS[party])


def may_request_verification(actor: Actor, case: dict[str, Any]) -> bool:
    """The head of the departure branch signs the letter to the destination branch (41.1.4.b: "đề xuất Chi cục
    trưởng ban hành văn bản")."""
    return is_departure_head(actor, case)


def may_answer_verification(actor: Actor, request: dict[str, Any]) -> bool:
    return is_transit_staff(actor) and actor.branch_id == request["to_branch"]


def may_trace(actor: Actor, case: dict[str, Any]) -> bool:
    """The departure branch traces a lot that never arrived (41.1.4.b: "phải chịu trách nhiệm truy tìm")."""
    return at_departure(actor, case)


def may_add_risk_note(actor: Actor, case: dict[str, Any]) -> bool:
    """The departure branch writes what the destination is to watch closely (41.2.a.3: "do Chi cục Hải quan nơi
    hàng hóa chuyển đi chỉ dẫn"): its officers and supervisors."""
    return at_departure(actor, case)


def may_read_letter(actor: Actor, letter: dict[str, Any]) -> bool:
    """The letter of 41.1.4.b is read (and printed) by the branch that sent it and the branch it was sent to."""
    return is_transit_staff(actor) and actor.branch_id in (letter["from_branch"], letter["to_branch"])
