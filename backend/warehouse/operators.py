"""Operators and their premises (issue 16 item 1): the operating company (doanh nghiệp kinh doanh kho, bãi, cảng, CFS),
the premises it runs, and the warehouse staff it employs there.

A warehouse user belongs to one operator and works at one or more of its premises: the premises on their account
(officer.premises, the first, set at enrollment) and the rows of `staff_premises`. The actor carries the whole set
(`Actor.premises_ids`, read by `premises_ids_of` on every request) and policy.works_at reads it.

Admins manage them at /admin/operators through four journaled commands, as they manage officers (officers/commands.py):
the same scope (officers/policy.py: a branch admin on their own branch's premises and staff only, a national admin on
every branch; in a signed-in browser, never with an API token).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.structs import RowId, Struct
from backend.officers import policy as admin_policy
from backend.officers.schemas import Actor
from backend.officers.tables import Location, LocationKind, Officer, Role
from backend.warehouse.tables import Operator, OperatorPremises, StaffPremises

# Mã số thuế: 10 digits for a company, 10-3 for a branch or dependent unit (Circular 105/2020/TT-BTC, Art 5).
TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


# --- the actor's premises (every request of a warehouse user) --------------------------------------------------


async def premises_ids_of(officer_id: int, primary: int | None) -> tuple[int, ...]:
    """Every premises a warehouse user works at: `primary` (officer.premises) and their staff_premises rows, sorted.
    Plain SQL on an indexed column: it runs on every request of a warehouse user."""
    rows = await StaffPremises.raw("SELECT location FROM staff_premises WHERE officer = {}", officer_id)
    found = {row["location"] for row in rows}
    if primary is not None:
        found.add(primary)
    return tuple(sorted(found))


# --- reading, for the admin pages -------------------------------------------------------------------------------


def branch_scope(actor: Actor) -> int | None:
    """The branch an admin's pages are limited to; None for a national admin (every branch)."""
    return None if actor.is_national_admin else (actor.branch_id or -1)


async def list_operators() -> list[dict[str, Any]]:
    """Every operator with how many premises it runs. Companies are not a branch's secret (their name and tax code are
    public): a branch admin sees them all so that a company running premises in two branches is entered once."""
    operators = await Operator.select(Operator.id, Operator.name, Operator.tax_code, Operator.address).order_by(Operator.name)
    counts: dict[int, int] = {}
    for row in await OperatorPremises.select(OperatorPremises.operator):
        counts[row["operator"]] = counts.get(row["operator"], 0) + 1
    return [{**row, "premises_count": counts.get(row["id"], 0)} for row in operators]


async def operator_row(operator_id: int) -> dict[str, Any]:
    row = await Operator.select(Operator.id, Operator.name, Operator.tax_code, Operator.address).where(
        Operator.id == operator_id
    ).first()
    if row is None:
        raise NotFound("unknown_operator", N_("There is no such operator."))
    return row


async def premises_of_operator(operator_id: int, branch_id: int | None) -> list[dict[str, Any]]:
    """The operator's premises (in one branch, or all for None), each with its staff."""
    where = OperatorPremises.operator == operator_id
    if branch_id is not None:
        where &= OperatorPremises.location.branch == branch_id
    premises = await OperatorPremises.select(
        OperatorPremises.location.id.as_alias("id"),
        OperatorPremises.location.code.as_alias("code"),
        OperatorPremises.location.name.as_alias("name"),
        OperatorPremises.location.kind.as_alias("kind"),
        OperatorPremises.location.branch.code.as_alias("branch_code"),
    ).where(where).order_by(OperatorPremises.location.code)
    ids = [row["id"] for row in premises]
    staff: dict[int, dict[int, dict[str, Any]]] = {pid: {} for pid in ids}
    if ids:
        columns = (Officer.id, Officer.code, Officer.full_name, Officer.active, Officer.premises)
        for row in await Officer.select(*columns).where(Officer.premises.is_in(ids) & (Officer.role == Role.WAREHOUSE)):
            staff[row["premises"]][row["id"]] = {**row, "primary": True}
        for row in await StaffPremises.select(
            StaffPremises.location,
            StaffPremises.officer.id.as_alias("id"),
            StaffPremises.officer.code.as_alias("code"),
            StaffPremises.officer.full_name.as_alias("full_name"),
            StaffPremises.officer.active.as_alias("active"),
        ).where(StaffPremises.location.is_in(ids)):
            staff[row["location"]].setdefault(row["id"], {**row, "primary": False})
    return [{**row, "staff": sorted(staff[row["id"]].values(), key=lambda s: s["code"])} for row in premises]


async def unlinked_premises(branch_id: int | None) -> list[dict[str, Any]]:
    """Premises (not gates) of the branch, or every branch, that no operator runs yet: what an admin may link."""
    linked = [row["location"] for row in await OperatorPremises.select(OperatorPremises.location)]
    where = Location.kind != LocationKind.GATE
    if branch_id is not None:
        where &= Location.branch == branch_id
    if linked:
        where &= Location.id.not_in(linked)
    return await Location.select(Location.id, Location.code, Location.name, Location.branch.code.as_alias("branch_code")).where(
        where
    ).order_by(Location.code)


async def warehouse_users(branch_id: int | None) -> list[dict[str, Any]]:
    """Active warehouse users of the branch (or every branch): whom an admin may assign."""
    where = (Officer.role == Role.WAREHOUSE) & (Officer.active == True)  # noqa: E712 (a Piccolo expression)
    if branch_id is not None:
        where &= Officer.branch == branch_id
    return await Officer.select(Officer.id, Officer.code, Officer.full_name).where(where).order_by(Officer.code)


# --- the commands -------------------------------------------------------------------------------------------


class CreateOperator(Struct):
    name: Annotated[str, msgspec.Meta(max_length=200)]
    tax_code: Annotated[str, msgspec.Meta(max_length=14)]
    address: Annotated[str, msgspec.Meta(max_length=300)] = ""


class LinkPremises(Struct):
    """The operator runs this premises from now on."""

    operator_id: RowId
    location_id: RowId


class StaffAssignment(Struct):
    """A warehouse user works (or no longer works) at a premises of the operator."""

    operator_id: RowId
    officer_id: RowId
    location_id: RowId


def _unknown_premises() -> NotFound:
    # Another branch's premises look like no premises at all to a branch admin (as officers/policy.py does).
    return NotFound("unknown_premises", N_("There is no such premises in your branch."))


async def _premises_in_scope(actor: Actor, location_id: int) -> dict[str, Any]:
    row = await Location.select(Location.id, Location.code, Location.kind, Location.branch).where(Location.id == location_id).first()
    if row is None or not admin_policy.may_manage_branch(actor, row["branch"]):
        raise _unknown_premises()
    if row["kind"] == LocationKind.GATE:
        raise DomainError("gate_not_premises", N_("A gate is not an operator's premises."))
    return row


async def _operator_of(location_id: int) -> int | None:
    row = await OperatorPremises.select(OperatorPremises.operator).where(OperatorPremises.location == location_id).first()
    return row["operator"] if row else None


async def _staff_in_scope(actor: Actor, officer_id: int) -> dict[str, Any]:
    officer = await admin_policy.officer_in_scope(actor, officer_id)
    if officer["role"] != Role.WAREHOUSE:
        raise DomainError("not_warehouse_staff", N_("Only warehouse staff work at an operator's premises."))
    return officer


async def _operator_premises(actor: Actor, payload: StaffAssignment) -> dict[str, Any]:
    await operator_row(payload.operator_id)
    premises = await _premises_in_scope(actor, payload.location_id)
    if await _operator_of(premises["id"]) != payload.operator_id:
        raise DomainError("premises_not_of_operator", N_("This operator does not run these premises."))
    return premises


@command("warehouse.create_operator", payload=CreateOperator, roles={Role.ADMIN}, label=N_("Operator created"))
async def create_operator(context: CommandContext, payload: CreateOperator) -> dict[str, Any]:
    admin_policy.require_admin_session(context.actor)
    name, tax_code, address = payload.name.strip(), payload.tax_code.strip(), payload.address.strip()
    if not name:
        raise DomainError("missing_name", N_("Enter the operator's name."))
    if not TAX_CODE.match(tax_code):
        raise DomainError("bad_tax_code", N_("A tax code is 10 digits, or 10 digits, '-' and 3 digits."))
    if await Operator.exists().where(Operator.tax_code == tax_code):
        raise DomainError("tax_code_taken", N_("An operator with tax code %(code)s already exists."), code=tax_code)
    operator_id = (
        await Operator.insert(Operator(name=name, tax_code=tax_code, address=address, created_at=context.received_at)).returning(Operator.id)
    )[0]["id"]
    return {"operator_id": operator_id, "tax_code": tax_code}


@command("warehouse.link_premises", payload=LinkPremises, roles={Role.ADMIN}, label=N_("Premises linked to an operator"))
async def link_premises(context: CommandContext, payload: LinkPremises) -> dict[str, Any]:
    admin_policy.require_admin_session(context.actor)
    await operator_row(payload.operator_id)
    premises = await _premises_in_scope(context.actor, payload.location_id)
    current = await _operator_of(premises["id"])
    if current is not None:
        # Moving premises to another company would leave its staff working for the old one: not done here.
        raise DomainError("premises_has_operator", N_("Premises %(code)s are already run by an operator."), code=premises["code"])
    await OperatorPremises.insert(OperatorPremises(operator=payload.operator_id, location=premises["id"]))
    return {"operator_id": payload.operator_id, "location_id": premises["id"], "code": premises["code"]}


@command("warehouse.assign_staff", payload=StaffAssignment, roles={Role.ADMIN}, label=N_("Staff assigned to premises"))
async def assign_staff(context: CommandContext, payload: StaffAssignment) -> dict[str, Any]:
    admin_policy.require_admin_session(context.actor)
    premises = await _operator_premises(context.actor, payload)
    officer = await _staff_in_scope(context.actor, payload.officer_id)
    if not officer["active"]:
        raise DomainError("officer_inactive", N_("This account is not active."))
    if officer["branch"] != premises["branch"]:
        raise DomainError("premises_other_branch", N_("Staff work at premises of their own branch."))
    primary = (await Officer.select(Officer.premises).where(Officer.id == officer["id"]).first())["premises"]
    current = await premises_ids_of(officer["id"], primary)
    if premises["id"] in current:
        raise DomainError("already_assigned", N_("%(code)s already works at these premises."), code=officer["code"])
    for location_id in current:  # one operator per person: their other premises must be this operator's
        other = await _operator_of(location_id)
        if other is not None and other != payload.operator_id:
            raise DomainError("staff_of_other_operator", N_("%(code)s works for another operator."), code=officer["code"])
    if primary is None:
        # The first premises is the one on the account (what single-premises pages read).
        await Officer.update({Officer.premises: premises["id"]}).where(Officer.id == officer["id"])
    else:
        await StaffPremises.insert(StaffPremises(officer=officer["id"], location=premises["id"]))
    return {"officer_id": officer["id"], "location_id": premises["id"], "primary": primary is None}


@command("warehouse.unassign_staff", payload=StaffAssignment, roles={Role.ADMIN}, label=N_("Staff removed from premises"))
async def unassign_staff(context: CommandContext, payload: StaffAssignment) -> dict[str, Any]:
    admin_policy.require_admin_session(context.actor)
    premises = await _operator_premises(context.actor, payload)
    officer = await _staff_in_scope(context.actor, payload.officer_id)
    primary = (await Officer.select(Officer.premises).where(Officer.id == officer["id"]).first())["premises"]
    if premises["id"] not in await premises_ids_of(officer["id"], primary):
        raise DomainError("not_assigned", N_("%(code)s does not work at these premises."), code=officer["code"])
    await StaffPremises.delete().where((StaffPremises.officer == officer["id"]) & (StaffPremises.location == premises["id"]))
    if primary == premises["id"]:
        # works_at also reads officer.premises: leaving it would keep them working here. Their next premises becomes
        # the first, or none.
        rest = await premises_ids_of(officer["id"], None)
        await Officer.update({Officer.premises: rest[0] if rest else None}).where(Officer.id == officer["id"])
        if rest:
            await StaffPremises.delete().where((StaffPremises.officer == officer["id"]) & (StaffPremises.location == rest[0]))
    return {"officer_id": officer["id"], "location_id": premises["id"]}
