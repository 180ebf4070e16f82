"""Who may do what with a declaration's seals, sealing evidence and handover records.

A branch is *concerned* with goods only through facts another party created:

- `registered_it`: the declaration is registered at the branch (the upstream system says so);
- `supervises_a_place`: upstream names one of the branch's locations among the declaration's places (the port or
  border gate of loading or exit, the warehouse of storage: `Declaration.places`);
- `receives_a_record`: another branch made, in giamsat, a handover record of the goods and handed it over to the
  branch (Art 35.1, 43.1.c: the receiving branch checks and may cut the seals);
- `manages_the_cfs`: the branch manages a CFS whose consolidation list (form 25), made by the CFS operator and
  handed to customs, carries the declaration (Art 44.2.b.1: the branch managing the CFS compares, seals and signs).

What a branch did itself — a seal it recorded, a requirement it decided, a record it entered from paper — never
makes it concerned: otherwise one unsigned command would let any branch read and change any goods' evidence
(issue 11, findings 1 and 2). Transit routes (Arts 41–42) join this list when transit is built.

Every seals command and page asks the predicates below; none decides inline. A branch that is not concerned is told
that there is no such declaration (404), as for an unknown number, so that a refusal reveals nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec

from backend.declarations.services import parse_number
from backend.declarations.tables import Declaration
from backend.lib.errors import N_, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Location, Role
from backend.seals.tables import HandoverRecord

SEAL_ROLES = (Role.OFFICER, Role.SUPERVISOR)
# A record counts for its receiving branch once handed over: a draft or a record only signed is still the
# departure branch's own paper.
RECORD_STATES_RECEIVED = ("handed_over", "received", "discrepancy")


def is_sealing_staff(actor: Actor) -> bool:
    """An officer or supervisor of a branch: who works with seals and records at all."""
    return actor.role in SEAL_ROLES and actor.branch_id is not None


async def _place_branches(places_json: str) -> set[int]:
    codes = [code for code in msgspec.json.decode(places_json or "[]") if isinstance(code, str)]
    if not codes:
        return set()
    rows = await Location.select(Location.branch).where(Location.code.is_in(codes))
    return {row["branch"] for row in rows}


async def branches_by_upstream(declaration: dict[str, Any]) -> set[int]:
    """`registered_it` and `supervises_a_place`: what the upstream system says of the declaration."""
    return {declaration["branch"]} | await _place_branches(declaration.get("places", "[]"))


async def branches_by_records(number: str) -> set[int]:
    """`receives_a_record`: branches another branch handed a record of the goods to, in giamsat."""
    rows = await HandoverRecord.select(HandoverRecord.from_branch, HandoverRecord.to_branch).where(
        (HandoverRecord.declaration_number == number)
        & (HandoverRecord.paper_only == False)  # noqa: E712 - entered by the receiving branch itself
        & HandoverRecord.state.is_in(list(RECORD_STATES_RECEIVED))
    )
    return {row["to_branch"] for row in rows if row["from_branch"] is not None and row["from_branch"] != row["to_branch"]}


async def branches_by_cfs_lists(number: str) -> set[int]:
    """`manages_the_cfs`: the branches managing a CFS whose list handed to customs carries the declaration (the list
    is the CFS operator's fact, the managing branch the premises seam's: backend/cfs/services.py)."""
    from backend.cfs.services import managing_branches_of

    return await managing_branches_of(number)


async def concerned_branches(declaration: dict[str, Any]) -> set[int]:
    """Every branch concerned with a declaration's goods (the module's docstring says by which facts)."""
    return (
        await branches_by_upstream(declaration) | await branches_by_records(declaration["number"])
        | await branches_by_cfs_lists(declaration["number"])
    )


async def is_concerned(actor: Actor, declaration: dict[str, Any]) -> bool:
    return is_sealing_staff(actor) and actor.branch_id in await concerned_branches(declaration)


def not_found(number: str) -> NotFound:
    return NotFound("declaration_not_found", N_("No declaration %(number)s in giamsat."), number=number)


async def declaration_row(number_text: str) -> dict[str, Any] | None:
    number = parse_number(number_text)
    return await Declaration.select(
        Declaration.id, Declaration.number, Declaration.branch, Declaration.cargo_type, Declaration.places
    ).where(Declaration.number == number).first()


async def goods_of_concern(actor: Actor, number_text: str) -> dict[str, Any]:
    """The declaration (id, number, branch, cargo type, places) if the actor's branch is concerned with its goods:
    what sealing, correcting, confirming and making a record need. Otherwise "no such declaration" (404)."""
    declaration = await declaration_row(number_text)
    if declaration is None or not await is_concerned(actor, declaration):
        raise not_found(parse_number(number_text))
    return declaration


def made_record(actor: Actor, row: dict[str, Any]) -> bool:
    """The departure side of a record: its branch signs and hands it over."""
    return is_sealing_staff(actor) and row["from_branch"] == actor.branch_id


def receives_record(actor: Actor, row: dict[str, Any]) -> bool:
    """The receiving side of a record: its branch checks it and confirms receipt or records a discrepancy."""
    return is_sealing_staff(actor) and row["to_branch"] == actor.branch_id


def may_see_record(actor: Actor, row: dict[str, Any]) -> bool:
    """Officers and supervisors of the departure and of the receiving branch (and so its photos: files policy)."""
    return made_record(actor, row) or receives_record(actor, row)


async def may_enter_paper_record(actor: Actor, declaration: dict[str, Any] | None, from_branch: int | None) -> bool:
    """A record that exists only on paper (Art 43.1.c.1), entered by the receiving branch. When it names a branch in
    giamsat as its maker, a discrepancy on it becomes that branch's violation record: so both branches must be
    concerned with the goods by upstream facts, and the declaration must be in giamsat. A record from a branch
    outside giamsat (named in words) makes no violation record of anyone's, and needs only the receiver's word."""
    if not is_sealing_staff(actor):
        return False
    if from_branch is None:
        return True
    if declaration is None:
        return False
    upstream = await branches_by_upstream(declaration)
    return actor.branch_id in upstream and from_branch in upstream


# --- transit sealing (Art 41.1.c): the departure branch's step, read from the transit case ---------------------------


async def transit_case(number_text: str) -> dict[str, Any] | None:
    """The declaration's transit case (backend/transit, read only), or None: not a transit declaration."""
    from backend.transit.services import case_by_number

    return await case_by_number(number_text)


def seals_transit_at_departure(actor: Actor, case: dict[str, Any]) -> bool:
    """Step 3 (41.1.c) is the departure branch's (Art 41.1: "Trách nhiệm của Chi cục Hải quan nơi hàng hóa vận
    chuyển đi"): its officers and supervisors report a mismatch, and print and keep the signed documents."""
    from backend.transit import policy as transit_policy

    return is_sealing_staff(actor) and transit_policy.at_departure(actor, case)


def reads_destination_copies(actor: Actor, case: dict[str, Any]) -> bool:
    """The destination branch, once the goods departed (BOA): the copies sealed and carried to it (41.1.c.1.3), which
    it keeps (41.2.b.3)."""
    from backend.transit import policy as transit_policy

    return is_sealing_staff(actor) and transit_policy.at_destination(actor, case)


def resolves_mismatch(actor: Actor, mismatch: dict[str, Any]) -> bool:
    """Art 41.1.c.2: a mismatch reported to the head ("báo cáo Chi cục trưởng để thực hiện việc xử lý theo từng trường
    hợp cụ thể") is resolved by a supervisor of the departure branch; one where the declarant was guided to supplement
    by an officer or supervisor of that branch, once the supplement is received."""
    if not is_sealing_staff(actor) or actor.branch_id != mismatch["branch"]:
        return False
    return mismatch["route"] != "report" or actor.role == Role.SUPERVISOR
