"""Key vehicle commands (Decision 1966, Art 39): the head designates a vehicle and assigns officers to it, the officers
keep its supervision journal, the head ends the supervision. Designating and ending are the head's decisions and
are signed with the passkey (journal/registry.py SIGNED_COMMANDS)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from backend.files import services as files
from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError
from backend.lib.structs import RowId, Struct
from backend.officers.services import location_of_branch
from backend.officers.tables import Role
from backend.vehicles import policy, services, workflow
from backend.vehicles.tables import KeyVehicle, VehicleAssignment, VehicleJournalEntry, VehicleKind
from backend.vehicles.workflow import SupervisionState

MAX_PHOTOS = 10
MAX_OFFICERS = 50
# A journal's photos are read by those who read the journal: the officers and supervisors of the branch (policy.py).
files.register_record_type(services.PHOTO_RECORD, {Role.OFFICER, Role.SUPERVISOR})

Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
OfficerCode = Annotated[str, msgspec.Meta(max_length=32)]


class Designate(Struct):
    """The head's decision (39.1): this vehicle, berthed or parked at this location, is under direct supervision."""

    location_id: RowId
    kind: VehicleKind
    name: Annotated[str, msgspec.Meta(max_length=200)]
    registration: Annotated[str, msgspec.Meta(max_length=32)]
    reason: Annotated[str, msgspec.Meta(max_length=2000)]
    flag: Annotated[str, msgspec.Meta(max_length=64)] = ""
    # Vietnam time as the form's datetime-local writes it, or ISO with an offset; blank: from the decision.
    supervised_from: Annotated[str, msgspec.Meta(max_length=40)] = ""


class AssignOfficers(Struct):
    """Who watches the vehicle from now on (39.1 "bố trí công chức"): the whole list; those left out are taken off."""

    vehicle_id: RowId
    officer_codes: Annotated[list[OfficerCode], msgspec.Meta(max_length=MAX_OFFICERS)]


class AddJournalEntry(Struct):
    """An entry of the vehicle's supervision journal (39.2): what the officer saw, with photos."""

    vehicle_id: RowId
    text: Annotated[str, msgspec.Meta(max_length=4000)]
    # Photos (SHA-256 of each file): the device uploads them before this command (docs/offline.md).
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=MAX_PHOTOS)] = []


class EndSupervision(Struct):
    """The head ends the direct supervision: the vehicle left (or no longer needs it)."""

    vehicle_id: RowId
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


@command("vehicles.designate", payload=Designate, roles={Role.SUPERVISOR}, label=N_("Key vehicle designated"))
async def designate(context: CommandContext, payload: Designate) -> dict[str, Any]:
    actor = context.actor
    await location_of_branch(actor, payload.location_id)  # berthed or parked in the branch's supervision area
    if not policy.may_designate(actor):
        raise DomainError("not_branch_head", N_("Only the head of the branch decides this (Decision 1966, Art 39.1)."))
    name = " ".join(payload.name.split())
    if not name:
        raise DomainError("name_required", N_("Write the vehicle's name or number."))
    reason = payload.reason.strip()
    if not reason:
        raise DomainError("reason_required", N_("Say why the vehicle needs close supervision (Decision 1966, Art 39.1)."))
    registration = services.clean_registration(payload.kind, payload.registration)
    if await services.already_supervised(actor.branch_id or 0, registration):
        raise DomainError("already_supervised", N_("%(registration)s is already under direct supervision in your branch."), registration=registration)
    vehicle_id = (
        await KeyVehicle.insert(
            KeyVehicle(
                command_id=context.command_id,
                branch=actor.branch_id,
                location=payload.location_id,
                kind=payload.kind.value,
                name=name,
                registration=registration,
                flag=" ".join(payload.flag.split()),
                reason=reason,
                supervised_from=services.parse_from(payload.supervised_from, context.issued_at),
                state=SupervisionState.DESIGNATED.value,
                designated_by=actor.id,
                designated_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(KeyVehicle.id)
    )[0]["id"]
    return {"vehicle_id": vehicle_id, "registration": registration}


@command("vehicles.assign_officers", payload=AssignOfficers, roles={Role.SUPERVISOR}, label=N_("Officers assigned to a key vehicle"))
async def assign_officers(context: CommandContext, payload: AssignOfficers) -> dict[str, Any]:
    actor = context.actor
    vehicle = await services.visible_vehicle(actor, payload.vehicle_id)
    policy.require_head(actor, vehicle)
    if vehicle["state"] != SupervisionState.DESIGNATED:
        raise DomainError("supervision_ended", N_("The supervision of this vehicle has ended (Decision 1966, Art 39.1)."))
    codes = list(dict.fromkeys(code.strip().upper() for code in payload.officer_codes if code.strip()))
    if not codes:
        raise DomainError("officers_required", N_("Choose at least one officer to supervise the vehicle (Decision 1966, Art 39.1)."))
    people = {row["code"]: row["id"] for row in await services.assignable_officers(actor.branch_id)}
    unknown = [code for code in codes if code not in people]
    if unknown:
        raise DomainError("officer_not_in_branch", N_("%(codes)s: not an active officer of your branch."), codes=", ".join(unknown))
    wanted = {people[code] for code in codes}
    current = await services.assigned_ids(payload.vehicle_id)
    removed = current - wanted
    if removed:
        await VehicleAssignment.update({VehicleAssignment.unassigned_at: context.issued_at}).where(
            (VehicleAssignment.vehicle == payload.vehicle_id) & VehicleAssignment.officer.is_in(list(removed)) & VehicleAssignment.unassigned_at.is_null()
        )
    added = sorted(wanted - current)
    if added:
        await VehicleAssignment.insert(
            *[
                VehicleAssignment(vehicle=payload.vehicle_id, officer=officer_id, assigned_by=actor.id, assigned_at=context.issued_at)
                for officer_id in added
            ]
        )
    return {"vehicle_id": payload.vehicle_id, "assigned": sorted(codes), "added": len(added), "removed": len(removed)}


@command("vehicles.add_journal_entry", payload=AddJournalEntry, roles={Role.OFFICER, Role.SUPERVISOR}, label=N_("Vehicle supervision journal entry"))
async def add_journal_entry(context: CommandContext, payload: AddJournalEntry) -> dict[str, Any]:
    actor = context.actor
    vehicle = await services.visible_vehicle(actor, payload.vehicle_id)
    policy.require_journal_writer(actor, vehicle, await services.assigned_ids(payload.vehicle_id))
    if vehicle["state"] != SupervisionState.DESIGNATED:
        # An entry made on a phone offline before the head ended the supervision was made while it lasted: it is
        # kept. Only a command that really waited on the device counts (context.contingency: docs/offline.md).
        made_during = context.contingency and vehicle["ended_at"] is not None and context.issued_at <= vehicle["ended_at"]
        if not made_during:
            raise DomainError("supervision_ended", N_("The supervision of this vehicle has ended: its journal is closed (Decision 1966, Art 39.1)."))
    text = payload.text.strip()
    if not text:
        raise DomainError("empty_text", N_("Write what you observed."))
    photos = list(dict.fromkeys(payload.photos))
    await files.require_attachable(actor, photos)
    entry_id = (
        await VehicleJournalEntry.insert(
            VehicleJournalEntry(
                command_id=context.command_id,
                vehicle=payload.vehicle_id,
                officer=actor.id,
                text=text,
                observed_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(VehicleJournalEntry.id)
    )[0]["id"]
    for sha256 in photos:
        await files.attach(sha256, services.PHOTO_RECORD, entry_id, vehicle["branch"])
    return {"vehicle_id": payload.vehicle_id, "entry_id": entry_id, "photos": len(photos)}


@command("vehicles.end_supervision", payload=EndSupervision, roles={Role.SUPERVISOR}, label=N_("Key vehicle supervision ended"))
async def end_supervision(context: CommandContext, payload: EndSupervision) -> dict[str, Any]:
    actor = context.actor
    vehicle = await services.visible_vehicle(actor, payload.vehicle_id)
    policy.require_head(actor, vehicle)
    await workflow.transition(payload.vehicle_id, vehicle["state"], SupervisionState.ENDED, by=actor.id, at=context.issued_at, note=payload.note)
    return {"vehicle_id": payload.vehicle_id}

