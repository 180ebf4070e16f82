"""Reading bonded stock and its movements for the people the policy lets see them (backend/bonded/policy.py)."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.bonded import policy
from backend.bonded.commands import CONDITIONS, RELEASE_CLAUSES, exit_gate_problem
from backend.bonded.schemas import show
from backend.bonded.tables import BondedEntry, BondedLot, BondedProposal, BondedRelease, BondedReleaseLine
from backend.bonded.workflow import ProposalState, ReleaseState
from backend.lib.errors import DomainError, N_
from backend.lib.i18n import gettext
from backend.officers.schemas import Actor
from backend.officers.tables import Branch, Location, Role
from backend.warehouse.policy import premises_row

LIMIT = 100
KIND_LABELS = {
    "abroad": N_("Abroad (Art 43.3)"),
    "domestic": N_("Into the domestic market (Art 43.4)"),
    "non_tariff": N_("Into a non-tariff zone (Art 43.5)"),
    "bonded": N_("Into another bonded warehouse (Art 43.6)"),
}
ENTRY_LABELS = {
    "abroad": N_("From abroad, handover record received (Art 43.1.c)"),
    "same_branch": N_("From abroad, gate of the same branch (Art 43.1.d)"),
    "domestic": N_("From the domestic market or a non-tariff zone (Art 43.2)"),
    "bonded": N_("From another bonded warehouse (Art 43.6.a)"),
}


def staff_premises(actor: Actor) -> list[int]:
    ids = list(getattr(actor, "premises_ids", ()) or ())
    if actor.premises_id is not None and actor.premises_id not in ids:
        ids.insert(0, actor.premises_id)
    return ids


async def warehouses_for(actor: Actor) -> list[dict[str, Any]]:
    """The bonded warehouses (and CFSs, 44.2.a) the actor sees: a staff member's own, customs' of their branch."""
    if actor.role == Role.WAREHOUSE:
        ids = staff_premises(actor)
        rows = [await premises_row(i) for i in ids]
        return [row for row in rows if row is not None and policy.may_see(actor, row)]
    if actor.role in (Role.OFFICER, Role.SUPERVISOR) and actor.branch_id is not None:
        return await Location.select(Location.id, Location.code, Location.name, Location.kind, Location.branch).where(
            (Location.branch == actor.branch_id) & Location.kind.is_in(list(policy.BONDED_KINDS))
        ).order_by(Location.kind, ascending=False).order_by(Location.code)  # bonded warehouses ("warehouse") before CFSs
    return []


def _lot(row: dict[str, Any]) -> dict[str, Any]:
    row["quantity_in"], row["quantity_left"] = show(row["quantity_in_m"]), show(row["quantity_left_m"])
    return row


async def warehouse_view(actor: Actor, premises: dict[str, Any]) -> dict[str, Any]:
    """One warehouse's stock (lots with something left first), entries and releases, newest first."""
    lots = await BondedLot.select().where(BondedLot.premises == premises["id"]).order_by(BondedLot.id, ascending=False).limit(LIMIT * 2)
    entries = await BondedEntry.select(BondedEntry.all_columns(), BondedEntry.officer.full_name.as_alias("officer_name")).where(
        BondedEntry.premises == premises["id"]
    ).order_by(BondedEntry.id, ascending=False).limit(LIMIT)
    releases = await BondedRelease.select().where(BondedRelease.premises == premises["id"]).order_by(BondedRelease.id, ascending=False).limit(LIMIT)
    proposals = await BondedProposal.select(BondedProposal.entry, BondedProposal.release, BondedProposal.state).where(BondedProposal.premises == premises["id"])
    proposed = {p["entry"]: p["state"] for p in proposals if p["entry"]}
    for entry in entries:
        entry["proposal_state"] = proposed.get(entry["id"])
    on_releases = {p["release"]: p["state"] for p in proposals if p["release"]}
    for row in releases:
        row["proposal_state"] = on_releases.get(row["id"])
    return {
        **premises,
        "stock": [_lot(row) for row in lots if row["quantity_left_m"] > 0],
        "emptied": [_lot(row) for row in lots if row["quantity_left_m"] <= 0],
        "entries": entries,
        "releases": releases,
        "may_release": policy.may_release(actor, premises),
        "may_supervise": policy.may_supervise(actor, premises),
        "is_cfs": policy.is_cfs(premises),
    }


async def warehouse_for(actor: Actor, premises_id: int) -> dict[str, Any]:
    premises = await premises_row(premises_id)
    if premises is None or not policy.may_see(actor, premises):
        raise policy.not_found()
    return await warehouse_view(actor, premises)


async def release_for(actor: Actor, release_id: int) -> dict[str, Any]:
    """One movement out with its lines, checks, proposals and the next step for this actor; NotFound otherwise."""
    row = await BondedRelease.select(
        BondedRelease.all_columns(),
        BondedRelease.premises.name.as_alias("premises_name"),
        BondedRelease.premises.code.as_alias("premises_code"),
        BondedRelease.branch.name.as_alias("branch_name"),
        BondedRelease.created_by.full_name.as_alias("created_by_name"),
        BondedRelease.checked_by.full_name.as_alias("checked_by_name"),
        BondedRelease.to_branch.code.as_alias("to_branch_code"),
        BondedRelease.to_branch.name.as_alias("to_branch_name"),
        BondedRelease.to_premises.code.as_alias("to_premises_code"),
        BondedRelease.to_premises.name.as_alias("to_premises_name"),
    ).where(BondedRelease.id == release_id).first()
    if row is None:
        raise policy.not_found()
    premises = await policy.premises_of(row)
    if not policy.may_see(actor, premises):
        raise policy.not_found()
    lines = await BondedReleaseLine.select(
        BondedReleaseLine.all_columns(), BondedReleaseLine.lot.goods.as_alias("goods"), BondedReleaseLine.lot.unit.as_alias("unit"),
        BondedReleaseLine.lot.declaration_number.as_alias("lot_declaration"),
    ).where(BondedReleaseLine.release == release_id).order_by(BondedReleaseLine.line)
    for line in lines:
        line["quantity"], line["loaded"] = show(line["quantity_m"]), show(line["loaded_m"])
    row["lines"] = lines
    row["prefill"] = "\n".join(f"{line['line']},{line['quantity']}" for line in lines)
    row["checks_done"] = msgspec.json.decode(row["checks"] or "{}")
    row["proposals"] = await BondedProposal.select(
        BondedProposal.all_columns(), BondedProposal.officer.full_name.as_alias("officer_name"), BondedProposal.decided_by.full_name.as_alias("decided_by_name")
    ).where(BondedProposal.release == release_id).order_by(BondedProposal.id)
    customs = policy.may_supervise(actor, premises)
    row["clause"] = RELEASE_CLAUSES[row["kind"]]
    row["may_check"] = customs and row["state"] == ReleaseState.SUBMITTED.value
    row["may_attach"] = customs and row["state"] == ReleaseState.AWAITING_RECORD.value
    row["may_propose"] = customs and row["state"] != ReleaseState.DONE.value
    row["exit_gate_problem"] = None
    if row["kind"] == "abroad" and row["may_check"]:
        from backend.declarations.services import declaration_by_number

        try:
            problem = await exit_gate_problem(await declaration_by_number(row["declaration_number"]))
        except DomainError as error:
            problem = error
        row["exit_gate_problem"] = gettext(problem.message, **problem.params) if problem else None
    if row["may_attach"]:
        from backend.seals.tables import HandoverRecord

        row["records"] = await HandoverRecord.select(HandoverRecord.id, HandoverRecord.serial, HandoverRecord.state).where(
            (HandoverRecord.from_branch == premises["branch"]) & (HandoverRecord.to_branch == row["to_branch"])
            & (HandoverRecord.declaration_number == row["declaration_number"]) & (HandoverRecord.state != "draft")
        ).order_by(HandoverRecord.id, ascending=False)
    row["conditions"] = CONDITIONS
    return row


async def open_proposals(actor: Actor, *, limit: int) -> list[dict[str, Any]]:
    """The proposals waiting for the decision of the head of the actor's branch (its supervisors)."""
    if actor.role != Role.SUPERVISOR or actor.branch_id is None:
        return []
    return await BondedProposal.select(
        BondedProposal.all_columns(),
        BondedProposal.officer.full_name.as_alias("officer_name"),
        BondedProposal.premises.name.as_alias("premises_name"),
        BondedProposal.entry.declaration_number.as_alias("entry_number"),
        BondedProposal.release.declaration_number.as_alias("release_number"),
    ).where((BondedProposal.branch == actor.branch_id) & (BondedProposal.state == ProposalState.PROPOSED.value)).order_by(BondedProposal.id, ascending=False).limit(limit)


async def branch_name(branch_id: int) -> str:
    row = await Branch.select(Branch.name).where(Branch.id == branch_id).first()
    return row["name"] if row else ""
