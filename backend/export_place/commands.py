"""Export place commands (Decision 1966, Art 43.3.b-c): the exit gate's 15-day notice to the bonded warehouse's branch,
and a change of export place from proposal to BIA. Each asks policy.py who may act; the change's states move only
through workflow.transition().

Signed (SIGNED_COMMANDS, journal/registry.py): the head's approval or refusal (`export_place.decide`, "Chi cục trưởng
phê duyệt") and the BIA that closes a change (`export_place.confirm_bia`: the transit domain's BIA, with its note in
"Ghi chú (dành cho hải quan)"; it tells the national system as transit's BIA does, outbound.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from backend.declarations.services import parse_number
from backend.export_place import policy, services, workflow
from backend.export_place.tables import ExportChange, ExportChangeEvent, ExportLetter
from backend.export_place.workflow import PART, SAME_GATE, ChangeKind, ChangeState, Party
from backend.journal.registry import CommandContext, after_apply, command
from backend.lib.errors import N_, DomainError, Forbidden
from backend.lib.structs import RowId, Struct
from backend.officers.services import location_of_branch
from backend.officers.tables import Role
from backend.transit import commands as transit_commands
from backend.transit import services as transit_services
from backend.transit.workflow import TransitState

STAFF = {Role.OFFICER, Role.SUPERVISOR}
HEADS = {Role.SUPERVISOR}

Number = Annotated[str, msgspec.Meta(max_length=40)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Quantity = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class Propose(Struct, kw_only=True):
    """The officer checks the declarant's notice (and the competent authority's document, if any) and proposes the
    change to the head (43.3.c.1.1.1, c.2.1.1, c.3.1.1, c.4.1.1); for a part, the quantity that goes elsewhere."""

    number: Number
    kind: Literal["c1", "c2", "c3", "c4"]
    new_place: Annotated[str, msgspec.Meta(max_length=32)]  # the new export place's location code
    declarant_notice: Text
    authority_document: Text = ""
    moved_quantity: Quantity = 0
    proposal: Text = ""


class Decide(Struct, kw_only=True):
    """The head approves or refuses (with the reason) the proposed change."""

    change_id: RowId
    decision: Literal["approve", "refuse"]
    reason: Text = ""


class HandOver(Struct, kw_only=True):
    """c.1.1.2 / c.3.1.2: the goods sealed and the handover record (form 10, made with the seals domain) handed to the
    new place; for c.3, the quantity actually exported at the original place."""

    change_id: RowId
    record_id: RowId
    exported_quantity: Quantity = 0


class ChangeOnly(Struct, kw_only=True):
    change_id: RowId
    note: Text = ""


class LinkDeclaration(Struct, kw_only=True):
    """c.2.2.2 / c.4.2.2: the new transit declaration the declarant registered (it must be in the mirror)."""

    change_id: RowId
    new_number: Number


class PartExported(Struct, kw_only=True):
    """c.4.2.3: the part staying at the original exit gate is exported: its quantity."""

    change_id: RowId
    exported_quantity: Quantity


class ConfirmBia(Struct, kw_only=True):
    """BIA at the original exit gate for the whole original lot, with the note of the change (c.1.1.4, c.2.2.3,
    c.3.1.3, c.4.2.3)."""

    change_id: RowId
    location_id: RowId


class NotifyWarehouse(Struct, kw_only=True):
    """43.3.b: the exit gate's letter to the bonded warehouse's branch about a lot at the gate for 15 days."""

    number: Number


class Acknowledge(Struct, kw_only=True):
    letter_id: RowId


def _result(change: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"change_id": change["id"], "number": change["number"], "kind": change["kind"], "state": change["state"], **more}


async def _transit_case(actor: Any, number_text: str) -> dict[str, Any]:
    """The transit case if the actor's branch may see it (transit/policy.py); 404 otherwise."""
    return await transit_services.visible_case(actor, number_text)


async def _take(context: CommandContext, change_id: int, target: ChangeState, **details: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    change, case, record = await services.visible_change(context.actor, change_id)
    found = workflow.check(change, target, details)
    policy.require(context.actor, case, change, record, found.party)
    return await workflow.transition(
        change, target, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at, command_id=context.command_id, **details
    ), case


@command("export_place.propose", payload=Propose, roles=STAFF, label=N_("Change of export place proposed"))
async def propose(context: CommandContext, payload: Propose) -> dict[str, Any]:
    case = await _transit_case(context.actor, payload.number)
    kind = ChangeKind(payload.kind)
    if not policy.may_propose(context.actor, case, kind in SAME_GATE):
        party = Party.ORIGINAL_OFFICER if kind in SAME_GATE else Party.REGISTRATION_OFFICER
        raise Forbidden("not_your_step", policy.PARTY_REFUSALS[party])
    why = services.change_allowed(case)
    if why is not None:
        raise DomainError("not_in_exit_area", why)
    if await services.open_change(case["id"]) is not None:
        raise DomainError("change_open", N_("Declaration %(number)s already has a change of export place in progress (Decision 1966, Art 43.3.c)."), number=case["number"])
    if not payload.declarant_notice.strip():
        raise DomainError("notice_required", N_("Record the declarant's written notice of the change (Decision 1966, Art 43.3.c.1.1.1, c.2.1.1, c.3.1.1, c.4.1.1)."))
    place = await services.location_by_code(payload.new_place)
    if place is None:
        raise DomainError("unknown_place", N_("There is no export place %(code)s in giamsat."), code=payload.new_place.strip()[:32])
    if kind not in SAME_GATE and place["branch"] == case["destination_branch"]:
        raise DomainError("same_exit_gate", N_("The new place is at the same exit gate: this is a change of export place without a change of exit gate (Decision 1966, Art 43.3.c.1, c.3)."))
    total = await services.lot_quantity(case["declaration"])
    if kind in PART:
        if payload.moved_quantity > total:
            raise DomainError("quantity_over_lot", N_("The quantity moved (%(moved)s) is more than the lot (%(total)s) (Decision 1966, Art 43.3.c.3, c.4)."), moved=payload.moved_quantity, total=total)
        if not 0 < payload.moved_quantity < total:
            raise DomainError("quantity_not_a_part", N_("A part of the lot is more than nothing and less than the lot (%(total)s); for the whole lot choose c.1 or c.2 (Decision 1966, Art 43.3.c.3, c.4)."), total=total)
        moved = payload.moved_quantity
    else:
        moved = total
    change_id = (
        await ExportChange.insert(
            ExportChange(
                command_id=context.command_id, case=case["id"], number=case["number"], kind=kind.value,
                state=ChangeState.PROPOSED.value, registration_branch=case["departure_branch"],
                original_branch=case["destination_branch"], new_place=place["id"], new_branch=place["branch"],
                declarant_notice=payload.declarant_notice.strip(), authority_document=payload.authority_document.strip(),
                proposal=payload.proposal.strip(), total_quantity=total, moved_quantity=moved,
                proposed_by=context.actor.id, proposed_at=context.issued_at, changed_at=context.received_at,
            )
        ).returning(ExportChange.id)
    )[0]["id"]
    clause = {"c1": "43.3.c.1.1.1", "c2": "43.3.c.2.1.1", "c3": "43.3.c.3.1.1", "c4": "43.3.c.4.1.1"}[kind.value]
    await ExportChangeEvent.insert(
        ExportChangeEvent(
            change=change_id, from_state="", to_state=ChangeState.PROPOSED.value, officer=context.actor.id, made_at=context.issued_at,
            recorded_at=context.received_at, clause=clause, note=payload.declarant_notice.strip(), command_id=context.command_id,
        )
    )
    return {"change_id": change_id, "number": case["number"], "kind": kind.value, "state": ChangeState.PROPOSED.value, "moved_quantity": moved, "total_quantity": total}


@command("export_place.decide", payload=Decide, roles=HEADS, label=N_("Change of export place decided by the head"))
async def decide(context: CommandContext, payload: Decide) -> dict[str, Any]:
    target = ChangeState.APPROVED if payload.decision == "approve" else ChangeState.REFUSED
    change, case = await _take(context, payload.change_id, target, reason=payload.reason)
    letter_id = None
    if target is ChangeState.APPROVED and ChangeKind(change["kind"]) not in SAME_GATE:
        # c.2.1.2 / c.4.1.2: "thông báo bằng văn bản cho Chi cục Hải quan cửa khẩu xuất ban đầu".
        full = await services.change_row(change["id"])
        text = services.change_letter_text(
            full, await services.branch_row(change["registration_branch"]), await services.branch_row(change["original_branch"])
        )
        letter_id = (
            await ExportLetter.insert(
                ExportLetter(
                    command_id=context.command_id, kind=services.CHANGE_NOTICE, case=case["id"], change=change["id"],
                    from_branch=change["registration_branch"], to_branch=change["original_branch"], text=text,
                    made_by=context.actor.id, made_at=context.issued_at,
                )
            ).returning(ExportLetter.id)
        )[0]["id"]
    return _result(change, letter_id=letter_id)


async def _handover_record(change: dict[str, Any], record_id: int) -> dict[str, Any]:
    record = await services.record_row(record_id)
    if (
        record is None
        or record["kind"] != "handover"
        or record["declaration_number"] != change["number"]
        or record["from_branch"] != change["original_branch"]
        or record["to_branch"] != change["new_branch"]
    ):
        raise DomainError(
            "record_not_of_change",
            N_("This is not a handover record (form 10/BBBG/GSQL) of declaration %(number)s from your branch to the new place's branch (Decision 1966, Art 43.3.c.1.1.2, c.3.1.2)."),
            number=change["number"],
        )
    if record["state"] not in policy.RECORD_HANDED:
        raise DomainError("record_not_handed_over", N_("Sign the handover record and hand it over with the goods first (Decision 1966, Art 43.3.c.1.1.2, c.3.1.2)."))
    return record


@command("export_place.hand_over", payload=HandOver, roles=STAFF, label=N_("Goods sealed and handed over to the new export place"))
async def hand_over(context: CommandContext, payload: HandOver) -> dict[str, Any]:
    change, case, record = await services.visible_change(context.actor, payload.change_id)
    found = workflow.check(change, ChangeState.HANDED_OVER, {"record_id": payload.record_id})
    policy.require(context.actor, case, change, record, found.party)
    await _handover_record(change, payload.record_id)
    exported = None
    if ChangeKind(change["kind"]) is ChangeKind.PART_SAME_GATE:
        here, _ = services.quantity_text(change)
        if payload.exported_quantity != here:
            raise DomainError(
                "quantity_mismatch",
                N_("The quantity exported at the original place (%(exported)s) and the rest handed over (%(moved)s) make the lot (%(total)s) (Decision 1966, Art 43.3.c.3.1.2)."),
                exported=payload.exported_quantity, moved=change["moved_quantity"], total=change["total_quantity"],
            )
        exported = payload.exported_quantity
    change = await workflow.transition(
        change, ChangeState.HANDED_OVER, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at,
        command_id=context.command_id, record_id=payload.record_id, exported_here=exported,
    )
    return _result(change, record_id=payload.record_id)


@command("export_place.report_exported", payload=ChangeOnly, roles=STAFF, label=N_("New export place reported the goods exported"))
async def report_exported(context: CommandContext, payload: ChangeOnly) -> dict[str, Any]:
    change, _ = await _take(context, payload.change_id, ChangeState.EXPORTED_AT_NEW, note=payload.note)
    return _result(change)


@command("export_place.require_declaration", payload=ChangeOnly, roles=STAFF, label=N_("New transit declaration required of the declarant"))
async def require_declaration(context: CommandContext, payload: ChangeOnly) -> dict[str, Any]:
    change, _ = await _take(context, payload.change_id, ChangeState.NEW_DECLARATION_REQUIRED, note=payload.note)
    await ExportLetter.update({ExportLetter.acknowledged_by: context.actor.id, ExportLetter.acknowledged_at: context.issued_at}).where(
        (ExportLetter.change == change["id"]) & ExportLetter.acknowledged_at.is_null()
    )
    return _result(change)


@command("export_place.link_declaration", payload=LinkDeclaration, roles=STAFF, label=N_("New transit declaration registered for the change"))
async def link_declaration(context: CommandContext, payload: LinkDeclaration) -> dict[str, Any]:
    change, case, record = await services.visible_change(context.actor, payload.change_id)
    found = workflow.check(change, ChangeState.NEW_DECLARATION_LINKED, {"new_number": payload.new_number})
    policy.require(context.actor, case, change, record, found.party)
    try:
        number = parse_number(payload.new_number)
    except DomainError:
        number = ""
    new_case = await transit_services.case_by_number(number) if number else None
    if new_case is None or number == change["number"] or new_case["kind"] != "independent_transit":
        raise DomainError(
            "new_declaration_unknown",
            N_("%(number)s is not a new independent transit declaration registered upstream (Decision 1966, Art 43.3.c.2.2.1-2, c.4.2.1-2)."),
            number=payload.new_number.strip()[:40],
        )
    if new_case["departure_branch"] != change["original_branch"] or new_case["destination_branch"] != change["new_branch"]:
        raise DomainError(
            "new_declaration_elsewhere",
            N_("Transit declaration %(number)s does not carry the goods from the original exit gate to the new one (Decision 1966, Art 43.3.c.2.2.1, c.4.2.1)."),
            number=number,
        )
    change = await workflow.transition(
        change, ChangeState.NEW_DECLARATION_LINKED, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at,
        command_id=context.command_id, new_number=number,
    )
    return _result(change, new_number=number)


@command("export_place.record_part_exported", payload=PartExported, roles=STAFF, label=N_("Part exported at the original exit gate"))
async def record_part_exported(context: CommandContext, payload: PartExported) -> dict[str, Any]:
    change, case, record = await services.visible_change(context.actor, payload.change_id)
    found = workflow.check(change, ChangeState.PART_EXPORTED)
    policy.require(context.actor, case, change, record, found.party)
    here, _ = services.quantity_text(change)
    if payload.exported_quantity != here:
        raise DomainError(
            "quantity_mismatch",
            N_("The quantity exported at the original exit gate (%(exported)s) and the part for the new gate (%(moved)s) make the lot (%(total)s) (Decision 1966, Art 43.3.c.4.2.3)."),
            exported=payload.exported_quantity, moved=change["moved_quantity"], total=change["total_quantity"],
        )
    change = await workflow.transition(
        change, ChangeState.PART_EXPORTED, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at,
        command_id=context.command_id, exported_here=payload.exported_quantity, note=str(payload.exported_quantity),
    )
    return _result(change)


@command("export_place.confirm_bia", payload=ConfirmBia, roles=STAFF, label=N_("BIA after a change of export place"))
async def confirm_bia(context: CommandContext, payload: ConfirmBia) -> dict[str, Any]:
    await location_of_branch(context.actor, payload.location_id)
    change, case, record = await services.visible_change(context.actor, payload.change_id)
    found = workflow.check(change, ChangeState.CLOSED)
    policy.require(context.actor, case, change, record, found.party)
    if ChangeKind(change["kind"]) not in SAME_GATE and not await services.new_case_approved(change["new_number"]):
        raise DomainError(
            "new_declaration_not_approved",
            N_("BIA waits until the new transit declaration %(number)s is approved (Decision 1966, Art 43.3.c.2.2.3, c.4.2.3)."),
            number=change["new_number"],
        )
    note = services.bia_note(change)
    # The transit domain's BIA (41.2.b.1.1.2) with its note: the case's own step, its guards and its timeline row.
    arrived = await transit_commands.take(context, change["number"], TransitState.ARRIVED, note=note)
    change = await workflow.transition(
        change, ChangeState.CLOSED, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at,
        command_id=context.command_id, note=note,
    )
    return _result(change, transit_state=arrived["state"], bia_note=note)


@command("export_place.notify_warehouse", payload=NotifyWarehouse, roles=HEADS, label=N_("Bonded warehouse's branch notified of a lot at the exit gate for 15 days"))
async def notify_warehouse(context: CommandContext, payload: NotifyWarehouse) -> dict[str, Any]:
    case = await _transit_case(context.actor, payload.number)
    if not policy.may_notify_warehouse(context.actor, case):
        raise Forbidden("not_your_step", N_("Only the head of the exit gate's branch sends this notice (Decision 1966, Art 43.3.b)."))
    if not services.past_15_days(case, context.received_at):
        raise DomainError(
            "not_15_days",
            N_("Declaration %(number)s has not been at the exit gate for 15 days without crossing (Decision 1966, Art 43.3.b)."),
            number=case["number"],
        )
    if await ExportLetter.exists().where((ExportLetter.case == case["id"]) & (ExportLetter.kind == services.GATE_15_DAYS)):
        raise DomainError("already_notified", N_("The bonded warehouse's branch was already notified of this lot (Decision 1966, Art 43.3.b)."))
    text = services.gate_letter_text(
        case["number"], case["exit_area_at"], await services.branch_row(case["destination_branch"]), await services.branch_row(case["departure_branch"])
    )
    letter_id = (
        await ExportLetter.insert(
            ExportLetter(
                command_id=context.command_id, kind=services.GATE_15_DAYS, case=case["id"], from_branch=case["destination_branch"],
                to_branch=case["departure_branch"], text=text, made_by=context.actor.id, made_at=context.issued_at,
            )
        ).returning(ExportLetter.id)
    )[0]["id"]
    return {"number": case["number"], "letter_id": letter_id}


@command("export_place.acknowledge", payload=Acknowledge, roles=HEADS, label=N_("Exit gate's notice acknowledged"))
async def acknowledge(context: CommandContext, payload: Acknowledge) -> dict[str, Any]:
    letter = await ExportLetter.select().where(ExportLetter.id == payload.letter_id).first()
    if letter is None or not policy.may_acknowledge(context.actor, letter) or letter["kind"] != services.GATE_15_DAYS:
        raise DomainError("unknown_letter", N_("Your branch was sent no such letter."))
    if letter["acknowledged_at"] is not None:
        raise DomainError("already_acknowledged", N_("This letter was already acknowledged."))
    await ExportLetter.update({ExportLetter.acknowledged_by: context.actor.id, ExportLetter.acknowledged_at: context.issued_at}).where(
        ExportLetter.id == letter["id"]
    )
    return {"letter_id": letter["id"]}



@after_apply
async def bia_closes_the_change(context: CommandContext, command_type: str, payload: Any, result: dict[str, Any]) -> None:
    """Transit's own BIA (`transit.confirm_arrival`) on a lot with a change of export place in progress is refused (the
    journal rolls the command back): that BIA is the change's last step, with its note in "Ghi chú (dành cho hải
    quan)" (43.3.c.1.1.4, c.2.2.3, c.3.1.3, c.4.2.3), or comes after the head refused the change."""
    if command_type != "transit.confirm_arrival" or not result.get("case_id"):
        return
    if await services.open_change(result["case_id"]) is not None:
        raise DomainError(
            "change_in_progress",
            N_("Declaration %(number)s has a change of export place in progress: BIA is its last step, with the note of the change, on the change's page (Decision 1966, Art 43.3.c.1.1.4, c.2.2.3, c.3.1.3, c.4.2.3)."),
            number=result.get("number", ""),
        )
