"""One seal for several declarations: a container consolidated at a CFS (Decision 1966 Art 44.2.b.1.2), and the
transit declaration that carries it on to the exit gate (44.2.b.2, Art 41.1.c).

Art 44.2.b.1 has the officer of the branch managing the CFS, in this order:
- b.1.1 compare the goods consolidated in the container with the list the CFS operator submitted (form 25);
- b.1.2 seal the container ("Niêm phong container chứa hàng hóa xuất khẩu");
- b.1.3 sign and stamp both copies of the list.

What giamsat enforces (docs/seals.md, "A container consolidated at a CFS"):
- `seals.record_seal` on a container whose latest list handed to customs carries the declaration is the sealing of
  the consolidated container: only an officer or supervisor of the branch managing the CFS may make it
  (`check_may_seal`, 44.2.b.1.2), only once every line was compared (the list "checked", "signed" or "received":
  b.1.1 before b.1.2), and the one seal covers every declaration of the list (`covered`).
- The list may be signed (b.1.3) before the seal is recorded: the text orders the steps but the signature is on the
  list, not on the seal, and lists signed before this step existed have none. The goods of each declaration count as
  sealed ("confirm sealed", which the gate card reads) once both happened: the container sealed and the list signed
  (`confirm`), by whichever of the two came last. b.1 makes no handover record: the signed list is the document.
- The transit declaration that carries the container to the exit gate (44.2.b.2) does not seal it twice: a seal
  already on the container from the CFS covers it (linked when the CFS seal is recorded, or when the transit step
  reads that seal's number on the container: `adopt`), so 41.1.c's sealing of the transit declaration accepts it.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from backend.declarations.services import mark_changed
from backend.declarations.tables import Declaration, DeclarationContainer, DeclarationKind
from backend.journal.registry import CommandContext
from backend.lib.errors import N_, DomainError, Forbidden
from backend.seals import services
from backend.seals.tables import Seal, SealedConfirmation, SealState, UnitKind

TRANSIT_KINDS = (DeclarationKind.INDEPENDENT_TRANSIT.value, DeclarationKind.COMBINED_TRANSIT.value)


async def consolidation_for(unit_kind: str, unit: str, declaration_number: str) -> Any | None:
    """The container's latest consolidation list handed to customs, when it carries this declaration; else None
    (a seal of one declaration, as before)."""
    if unit_kind != UnitKind.CONTAINER.value:
        return None
    from backend.cfs.services import consolidation_of

    found = await consolidation_of(unit)
    if found is None or declaration_number not in found.declarations:
        return None
    return found


def check_may_seal(actor: Any, consolidation: Any) -> None:
    """Art 44.2.b.1.2 is the managing branch's step, after b.1.1's comparison. Refused in words, nothing stored."""
    if actor.branch_id != consolidation.branch_id:
        raise Forbidden(
            "cfs_managing_branch_seals",
            N_("Container %(container)s is consolidated at %(cfs)s for several export declarations (form 25): only the branch managing that CFS seals it (Decision 1966, Art 44.2.b.1.2)."),
            container=consolidation.container, cfs=consolidation.premises_name,
        )
    if not consolidation.sealable:
        raise DomainError(
            "cfs_list_not_checked",
            N_("The consolidation list of container %(container)s is not compared yet: compare every line with the goods in the container first, then seal it (Decision 1966, Art 44.2.b.1.1, 44.2.b.1.2)."),
            container=consolidation.container,
        )


async def _declaration_ids(numbers: list[str]) -> dict[str, int]:
    rows = await Declaration.select(Declaration.id, Declaration.number).where(Declaration.number.is_in(numbers or [""]))
    return {row["number"]: row["id"] for row in rows}


async def transit_carrying(container: str) -> list[int]:
    """The ids of the transit declarations in the mirror whose containers include this one (44.2.b.2)."""
    rows = await DeclarationContainer.select(DeclarationContainer.declaration).where(
        (DeclarationContainer.number == container) & DeclarationContainer.declaration.kind.is_in(list(TRANSIT_KINDS))
    )
    return sorted({row["declaration"] for row in rows})


async def covered(consolidation: Any) -> list[int]:
    """The declarations one seal on the consolidated container covers: every declaration of the list, in its order,
    then the transit declarations carrying the container on (44.2.b.2)."""
    ids = await _declaration_ids(list(consolidation.declarations))
    listed = [ids[number] for number in consolidation.declarations if number in ids]
    return list(dict.fromkeys(listed + await transit_carrying(consolidation.container)))


async def confirm(context: CommandContext, consolidation: Any, location_id: int) -> list[str]:
    """The list's declarations confirmed sealed (each once), when the container has its active seal and the list is
    signed: b.1.2 and b.1.3 both done. The gate card reads the confirmation (backend/gate/cards.py). The numbers
    newly confirmed."""
    if not consolidation.signed:
        return []
    seal = await Seal.select(Seal.id).where(
        (Seal.cfs_list == consolidation.list_id) & (Seal.state == SealState.ACTIVE.value)
    ).first()
    if seal is None:
        return []
    ids = await _declaration_ids(list(consolidation.declarations))
    already = {
        row["declaration"]
        for row in await SealedConfirmation.select(SealedConfirmation.declaration).where(
            SealedConfirmation.declaration.is_in(list(ids.values()) or [0])
        )
    }
    confirmed = []
    for number in consolidation.declarations:
        declaration_id = ids.get(number)
        if declaration_id is None or declaration_id in already:
            continue
        await SealedConfirmation.insert(
            SealedConfirmation(
                # One command confirms several declarations: each row's id is derived from it (stable on replay).
                command_id=uuid.uuid5(context.command_id, number),
                declaration=declaration_id,
                seal_count=1,
                record=None,
                server_notes=msgspec.json.encode([{"code": "cfs_list", "list_id": consolidation.list_id, "clause": "44.2.b.1.2"}]).decode(),
                branch=context.actor.branch_id,
                location=location_id,
                officer=context.actor.id,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        )
        await mark_changed(declaration_id)  # the gate card now says sealed: devices fetch it again
        confirmed.append(number)
    return confirmed


async def after_list_signed(context: CommandContext, list_id: int, location_id: int) -> list[str]:
    """`cfs.sign_list` signed the list (b.1.3): if the container was already sealed (b.1.2), the list's declarations
    are sealed now."""
    from backend.cfs.services import consolidation_of
    from backend.cfs.tables import CfsList

    row = await CfsList.select(CfsList.container).where(CfsList.id == list_id).first()
    consolidation = await consolidation_of(row["container"]) if row else None
    if consolidation is None or consolidation.list_id != list_id:
        return []
    return await confirm(context, consolidation, location_id)


async def adopt(holder: dict[str, Any], declaration: dict[str, Any], unit_kind: str, unit: str) -> bool:
    """The transit step (41.1.c) reads on the container the seal the CFS put on it (44.2.b.1.2): the seal already
    covers the transit declaration that carries the container on (44.2.b.2), or now does. True when `holder` (the
    active seal holding the number) is that seal: on the same container, made at a CFS, and the declaration is a
    transit declaration whose containers include it. Nothing is sealed twice."""
    if unit_kind != UnitKind.CONTAINER.value or holder["unit"] != unit:
        return False
    seal = await Seal.select(Seal.id, Seal.cfs_list, Seal.unit_kind).where(Seal.id == holder["id"]).first()
    if seal is None or seal["unit_kind"] != UnitKind.CONTAINER.value or seal["cfs_list"] is None:
        return False  # a seal of one declaration: as before (seal_in_use)
    if declaration["id"] not in await transit_carrying(unit):
        return False
    if holder["id"] in await services.seal_ids_of(declaration["id"]):
        return True  # it covers the transit declaration already: read again, nothing to add
    await services.link(holder["id"], [declaration["id"]])
    return True


async def cfs_seals_for(container_numbers: list[str]) -> dict[str, dict[str, Any]]:
    """{container: its active seal made at a CFS} for these containers: what a transit sealing page tells the
    officer is already on the container (44.2.b.2: do not seal it twice)."""
    if not container_numbers:
        return {}
    rows = await Seal.select(Seal.id, Seal.unit, Seal.seal_number, Seal.cfs_list, Seal.location.name.as_alias("location")).where(
        Seal.unit.is_in(container_numbers) & (Seal.unit_kind == UnitKind.CONTAINER.value)
        & (Seal.state == SealState.ACTIVE.value) & Seal.cfs_list.is_not_null()
    ).order_by(Seal.id)
    return {row["unit"]: row for row in rows}


async def cfs_seal_on_transit_container(declaration_id: int, unit_kind: str, unit: str) -> list[dict[str, Any]]:
    """The active CFS seal on a container a transit declaration carries (44.2.b.2), when it does not cover that
    declaration yet: to the sealing step it is the container's seal (another number is a second seal, refused unless
    it replaces it). [] otherwise."""
    if unit_kind != UnitKind.CONTAINER.value:
        return []
    rows = await Seal.select().where(
        (Seal.unit == unit) & (Seal.unit_kind == UnitKind.CONTAINER.value) & (Seal.state == SealState.ACTIVE.value)
        & Seal.cfs_list.is_not_null()
    ).order_by(Seal.id)
    if not rows or declaration_id not in await transit_carrying(unit):
        return []
    mine = set(await services.seal_ids_of(declaration_id))
    return [row for row in rows if row["id"] not in mine]
