"""Seals commands (Arts 35.1, 36.1, 41.1.c, 43.1.c): the seal requirement, seals, corrections, "confirm sealed",
and handover records / records of findings from draft to receipt at the other branch.

Every payload has `location_id`, a location of the actor's branch, so each command is in that location's logbook.
Officers and supervisors only (warehouse staff and admins do not seal). Signed (they replace the officer's
signature and stamp): confirm sealed, sign a record, receive a record (`SIGNED_COMMANDS`, journal/registry.py).

Made offline or in contingency mode (`context.contingency`): the seal is on the container and the truck has gone,
so what the server finds different is recorded for reconciliation rather than refused (`RECONCILE_CHECKS`):
- a seal number already active on another unit: the new seal is kept, without the unique `active_key`, naming
  the seal it conflicts with; a unit that already had an active seal: the older one is marked replaced;
- "confirm sealed" with no signed record (or with containers still unsealed and no record): kept, with the
  server's notes (Art 35.1.a.3 puts the record first); a declaration confirmed twice (two devices offline): the second is applied without a second row, and says so.
What is refused even offline: what the device itself checks or holds (an invalid container or seal number, an
unknown declaration, a location of another branch, a record of another branch, a transition not in the table, a
receipt that differs from the record it was compared with: that is a discrepancy to record instead), and a record
listing a seal that is not the container's current one when it is applied (Art 35.1.a.2-a.3, 41.1.c.1.1).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

import msgspec

from backend.barcodes import iso6346
from backend.declarations.services import mark_changed, parse_number
from backend.files import services as files
from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError, Forbidden, NotFound
from backend.lib.i18n import gettext
from backend.lib.structs import RowId, Struct
from backend.logbook.services import SUMMARIES, Summary
from backend.officers.tables import Branch, Location, LocationKind, Role
from backend.seals import consolidated, policy, services, units
from backend.seals.schemas import ContainerSeal, GoodsLine, ReceivedContainer, Sha256
from backend.seals.tables import (
    HandoverRecord,
    MismatchRoute,
    RecordKind,
    Seal,
    SealCorrection,
    SealedConfirmation,
    SealingMismatch,
    SealRequirementDecision,
    SealState,
    UnitKind,
    ViolationClause,
    ViolationRecord,
)
from backend.seals.workflow import INITIAL, INITIAL_PAPER, STATE_LABELS, RecordState, check, transition
from backend.sync.reconciliation import RECONCILE_CHECKS

SEALERS = {Role.OFFICER, Role.SUPERVISOR}
MAX_CONTAINERS = 100
MAX_GOODS = 50
MAX_PHOTOS = 20

Number = Annotated[str, msgspec.Meta(max_length=40)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Name = Annotated[str, msgspec.Meta(max_length=200)]
MaybeSha = Annotated[str, msgspec.Meta(pattern="^([0-9a-f]{64})?$")]


class SetRequirement(Struct, kw_only=True):
    """Propose or withdraw the seal requirement ("Đề xuất/Bỏ đề xuất niêm phong hàng hóa")."""

    location_id: RowId
    number: Number
    decision: Literal["propose", "withdraw"]
    reason: Note = ""


class RecordSeal(Struct, kw_only=True):
    """The customs seal number put on a container, wagon or package (scanned or typed)."""

    location_id: RowId
    number: Number
    unit_kind: UnitKind = UnitKind.CONTAINER
    unit: Annotated[str, msgspec.Meta(max_length=64)]
    seal_number: Annotated[str, msgspec.Meta(max_length=40)]
    scanned: bool = False
    replace: bool = False  # a new seal on a unit that has one: the old one is replaced


class RemoveSeal(Struct, kw_only=True):
    """A customs seal taken off: cut after checking it (at the destination, or to inspect the goods), or recorded
    in error. Its number is free again; the seal stays in the evidence as removed, with who, when and why."""

    location_id: RowId
    number: Number
    seal_number: Annotated[str, msgspec.Meta(max_length=40)]
    cause: Literal["cut", "mistake"]
    reason: Note


class CorrectSeal(Struct, kw_only=True):
    """A mistaken container number or carrier seal number found while sealing, corrected with the reason
    (Art 41.1.c.1.1)."""

    location_id: RowId
    number: Number
    field: Literal["container_number", "carrier_seal"]
    container: Annotated[str, msgspec.Meta(max_length=20)]  # the container concerned, as declared
    old_value: Annotated[str, msgspec.Meta(max_length=64)]
    new_value: Annotated[str, msgspec.Meta(max_length=64)]
    reason: Note


class ReportSealingMismatch(Struct, kw_only=True):
    """Sealing a transit declaration found the goods not as declared (Art 41.1.c.2): the officer guided the declarant
    to supplement the declaration, or reports to the head of the branch. Until resolved the goods are not sealed."""

    location_id: RowId
    number: Number
    route: Literal["supplement", "report"]
    differences: Note  # what differs from the approval notice and the goods schedule
    units: Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=MAX_CONTAINERS)] = []


class ResolveSealingMismatch(Struct, kw_only=True):
    """The mismatch is settled: the head's decision (reported), or the declarant's supplement received (guided)."""

    mismatch_id: RowId
    resolution: Note


class ConfirmSealed(Struct, kw_only=True):
    """"Xác nhận niêm phong hàng hóa", after the handover record is signed, whether the goods were sealed or could not
    be (Art 35.1.a.3, 36.1.a.3). `record_id`: that record; none: the declaration's first signed record."""

    location_id: RowId
    number: Number
    record_id: RowId | None = None


class CreateRecord(Struct, kw_only=True):
    """A handover record (form 10/BBBG/GSQL) or a record of findings, as a draft."""

    location_id: RowId
    kind: RecordKind = RecordKind.HANDOVER
    number: Number
    to_branch: Annotated[str, msgspec.Meta(max_length=16)]  # the receiving branch's code
    containers: Annotated[list[ContainerSeal], msgspec.Meta(max_length=MAX_CONTAINERS)] = []
    goods: Annotated[list[GoodsLine], msgspec.Meta(max_length=MAX_GOODS)] = []
    # Photos (SHA-256 of each file): the device uploads them before this command (docs/offline.md).
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=MAX_PHOTOS)] = []
    representative_name: Name = ""
    representative_signature: MaybeSha = ""  # a drawn signature, uploaded as a PNG
    note: Note = ""


# A record made offline has no id on the device yet: the id of the command that made it (its envelope id) names it.
RecordCommand = Annotated[str, msgspec.Meta(pattern="^([0-9a-fA-F-]{36})?$")]


class SignRecord(Struct, kw_only=True):
    """The officer signs the record (signed action); the representative's full name (and drawn signature)."""

    location_id: RowId
    record_id: RowId = 0
    record_command: RecordCommand = ""  # instead of record_id
    representative_name: Name = ""
    representative_signature: MaybeSha = ""


class HandOver(Struct, kw_only=True):
    location_id: RowId
    record_id: RowId = 0
    record_command: RecordCommand = ""  # instead of record_id


class ReceiveRecord(Struct, kw_only=True):
    """The receiving branch's officer found the containers, seal numbers, seals and goods as recorded."""

    location_id: RowId
    record_id: RowId
    containers: Annotated[list[ReceivedContainer], msgspec.Meta(max_length=MAX_CONTAINERS)] = []
    goods_match: bool = True
    note: Note = ""


class RecordDiscrepancy(Struct, kw_only=True):
    """The receiving branch found a difference. Where it was found decides whom it goes to: at a bonded warehouse,
    a proposal to the head of the branch managing it for a physical inspection (Art 43.1.c.4); elsewhere a violation
    record for the departure branch (Art 41.2.b.2), or, when that branch is not in giamsat (a paper record), for the
    receiving branch's supervisors to pass on."""

    location_id: RowId
    record_id: RowId
    text: Note
    containers: Annotated[list[ReceivedContainer], msgspec.Meta(max_length=MAX_CONTAINERS)] = []


class RecordFax(Struct, kw_only=True):
    """The receiving branch could not confirm the receipt on the System, so it signed and stamped the record,
    confirmed the goods' arrival on it and faxed it to the departure branch (Art 43.1.c.3)."""

    record_id: RowId
    fax_to: Annotated[str, msgspec.Meta(max_length=200)]


class CloseViolation(Struct, kw_only=True):
    """A supervisor of the departure branch closes a violation record, saying what was done about it."""

    violation_id: RowId
    note: Note


class EnterPaperRecord(Struct, kw_only=True):
    """A record that existed only on paper (the other branch could not use the system), entered afterwards by the
    receiving branch (Art 43.1.c.1); it is then checked like any record handed over."""

    location_id: RowId
    kind: RecordKind = RecordKind.HANDOVER
    paper_number: Annotated[str, msgspec.Meta(max_length=64)]
    paper_date: date
    from_branch: Annotated[str, msgspec.Meta(max_length=16)] = ""  # code, when the branch is in giamsat
    from_branch_name: Name = ""  # as written on the paper otherwise
    number: Number
    containers: Annotated[list[ContainerSeal], msgspec.Meta(max_length=MAX_CONTAINERS)] = []
    goods: Annotated[list[GoodsLine], msgspec.Meta(max_length=MAX_GOODS)] = []
    photos: Annotated[list[Sha256], msgspec.Meta(max_length=MAX_PHOTOS)] = []
    representative_name: Name = ""
    note: Note = ""


# --- helpers -------------------------------------------------------------------------------------------------------


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _container(raw: str) -> str:
    return units.container_number(raw)


def _unit(kind: UnitKind, raw: str) -> str:
    return units.unit_id(kind, raw)


def _old_container(raw: str) -> str:
    """The old container number as the officer read it, normalized if it is one (compared, never stored)."""
    verdict = iso6346.check(raw)
    return verdict.number if verdict.valid else " ".join(raw.split()).upper()


def _record_containers(items: list[ContainerSeal]) -> list[dict[str, str]]:
    """A record's sealing units (containers, wagons, packages: Art 41.1.c.1.1), each named as its kind says."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for item in items:
        number = _unit(UnitKind(item.kind), item.number)
        seal = services.clean_seal_number(item.seal_number) if item.seal_number.strip() else ""
        unit = {"number": number, "seal_number": seal}
        if item.kind != UnitKind.CONTAINER.value:  # a container is the default: records made before keep their form
            unit["kind"] = item.kind
        seen[(item.kind, number)] = unit
    return list(seen.values())


def _goods(items: list[GoodsLine]) -> list[dict[str, Any]]:
    lines = []
    for item in items:
        name, unit = item.name.strip(), item.unit.strip()
        if not name or not unit:
            raise DomainError("goods_incomplete", N_("Each line of goods needs its name, quantity and unit."))
        lines.append({**msgspec.to_builtins(item), "name": name, "unit": unit})
    return lines


async def _branch_id(code: str) -> int:
    row = await Branch.select(Branch.id).where(Branch.code == code.strip().upper()).first()
    if row is None:
        raise DomainError("unknown_branch", N_("There is no branch %(code)s."), code=code.strip()[:16])
    return row["id"]


async def _photos(context: CommandContext, photos: list[str], signature: str = "") -> list[str]:
    wanted = list(dict.fromkeys(photos))
    await files.require_attachable(context.actor, wanted + ([signature] if signature else []))
    return wanted


async def _attach(record_id: int, shas: list[str], from_branch: int | None, to_branch: int) -> None:
    """The departure and the receiving branch may both see a record's files."""
    for sha in shas:
        if from_branch is not None:
            await files.attach(sha, services.PHOTO_DEPARTURE, record_id, from_branch)
        await files.attach(sha, services.PHOTO_RECEIVING, record_id, to_branch)


async def _record_id(record_id: int, record_command: str) -> int:
    """The record named by its id, or by the id of the command that made it (a record made offline); 0: none."""
    if record_id or not record_command:
        return record_id
    try:
        command_id = uuid.UUID(record_command)
    except ValueError:
        return 0
    row = await HandoverRecord.select(HandoverRecord.id).where(HandoverRecord.command_id == command_id).first()
    return row["id"] if row else 0


def _result(declaration_number: str, declaration_id: int | None, **more: Any) -> dict[str, Any]:
    # Every result names the declaration: the evidence view finds the journal rows about it by "number".
    return {"number": declaration_number, "declaration_id": declaration_id, **more}


async def _record(context: CommandContext, record_id: int, *, receiving: bool) -> dict[str, Any]:
    """The record, if it is the actor's branch's to act on: its departure branch, or (receiving) its receiving one."""
    row = await HandoverRecord.select().where(HandoverRecord.id == record_id).first()
    on_its_side = policy.receives_record if receiving else policy.made_record
    if row is None or not on_its_side(context.actor, row):
        if receiving:
            raise NotFound("unknown_record", N_("There is no such record addressed to your branch."))
        raise NotFound("unknown_record", N_("There is no such record made by your branch."))
    return row


# --- the seal requirement, seals, corrections, "sealed" ----------------------------------------------------------


@command("seals.set_requirement", payload=SetRequirement, roles=SEALERS, label=N_("Seal requirement proposed or withdrawn"))
async def set_requirement(context: CommandContext, payload: SetRequirement) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declaration = await policy.goods_of_concern(context.actor, payload.number)
    reason = payload.reason.strip()
    if payload.decision == "withdraw" and not reason:
        raise DomainError("reason_required", N_("Give the reason."))
    await SealRequirementDecision.insert(
        SealRequirementDecision(
            command_id=context.command_id,
            declaration=declaration["id"],
            required=payload.decision == "propose",
            reason=reason,
            branch=context.actor.branch_id,
            location=payload.location_id,
            officer=context.actor.id,
            issued_at=context.issued_at,
            recorded_at=context.received_at,
        )
    )
    await mark_changed(declaration["id"])  # the gate card's seal requirement changed: devices fetch it again
    return _result(declaration["number"], declaration["id"], required=payload.decision == "propose")


@command("seals.record_seal", payload=RecordSeal, roles=SEALERS, label=N_("Seal number recorded"))
async def record_seal(context: CommandContext, payload: RecordSeal) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declaration = await policy.goods_of_concern(context.actor, payload.number)
    unit = _unit(payload.unit_kind, payload.unit)
    seal_number = services.clean_seal_number(payload.seal_number)
    # Art 44.2.b.1.2: a container consolidated at a CFS for several export declarations is sealed once, by the
    # branch managing the CFS, after the comparison (b.1.1); the seal covers every declaration of the list.
    consolidation = await consolidated.consolidation_for(payload.unit_kind.value, unit, declaration["number"])
    covered = [declaration["id"]]
    if consolidation is not None:
        consolidated.check_may_seal(context.actor, consolidation)
        covered = list(dict.fromkeys([*await consolidated.covered(consolidation), declaration["id"]]))  # the list's order
    notes: list[dict[str, Any]] = []
    conflict_with = None
    holder = await services.seal_holding(seal_number)
    if holder is not None and await consolidated.adopt(holder, declaration, payload.unit_kind.value, unit):
        # 44.2.b.2 / 41.1.c: the seal the CFS put on the container already covers this transit declaration.
        return _result(
            declaration["number"], declaration["id"], seal_id=holder["id"], unit=unit, seal_number=seal_number,
            replaced=[], server_notes=[], adopted=True,
        )
    if holder is not None:
        if not context.contingency:
            raise DomainError(
                "seal_in_use",
                N_("Seal %(seal)s is already in use on %(unit)s of declaration %(number)s (%(officer)s, %(location)s)."),
                seal=seal_number, unit=holder["unit"], number=holder["number"], officer=holder["officer"],
                location=holder["location"],
            )
        # Made offline: the seal is on the container. Keep both facts; a supervisor sorts it out (reconciliation).
        conflict_with = holder["id"]
        notes.append({"code": "seal_in_use", "seal": seal_number, "unit": holder["unit"], "number": holder["number"]})
    earlier_by_id: dict[int, dict[str, Any]] = {}
    for declaration_id in covered:  # a consolidated container: a seal already on it for any of its declarations
        for row in await services.active_seals(declaration_id):
            if row["unit_kind"] == payload.unit_kind.value and row["unit"] == unit:
                earlier_by_id[row["id"]] = row
    # 44.2.b.2: a transit declaration's container sealed at the CFS is sealed: another number is a second seal.
    for row in await consolidated.cfs_seal_on_transit_container(declaration["id"], payload.unit_kind.value, unit):
        earlier_by_id.setdefault(row["id"], row)
    earlier = [earlier_by_id[key] for key in sorted(earlier_by_id)]
    if earlier and not payload.replace:
        if not context.contingency:
            raise DomainError(
                "unit_already_sealed",
                N_("%(unit)s already has seal %(seal)s. Choose “replace the seal” to put a new one."),
                unit=unit, seal=earlier[0]["seal_number"],
            )
        notes.append({"code": "unit_already_sealed", "unit": unit, "seal": earlier[0]["seal_number"]})
    cfs_list = consolidation.list_id if consolidation is not None else None
    if earlier:
        # A new seal in place of others covers what they covered (a consolidated container stays one for its list).
        covered = list(dict.fromkeys([*covered, *await services.declarations_covered([row["id"] for row in earlier])]))
        cfs_list = cfs_list or next((row["cfs_list"] for row in earlier if row.get("cfs_list")), None)
        await Seal.update(
            {
                Seal.state: SealState.REPLACED.value,
                Seal.active_key: None,
                Seal.ended_command_id: context.command_id,
                Seal.ended_by: context.actor.id,
                Seal.ended_at: context.issued_at,
                Seal.end_cause: "replaced",
            }
        ).where(Seal.id.is_in([row["id"] for row in earlier]))
    seal_id = (
        await Seal.insert(
            Seal(
                command_id=context.command_id,
                declaration=declaration["id"],
                unit_kind=payload.unit_kind.value,
                unit=unit,
                seal_number=seal_number,
                active_key=None if conflict_with is not None else seal_number,
                state=SealState.ACTIVE.value,
                scanned=payload.scanned,
                conflict_with=conflict_with,
                server_notes=_json(notes),
                branch=context.actor.branch_id,
                location=payload.location_id,
                officer=context.actor.id,
                sealed_at=context.issued_at,
                recorded_at=context.received_at,
                cfs_list=cfs_list,
            )
        ).returning(Seal.id)
    )[0]["id"]
    await services.link(seal_id, covered)
    more: dict[str, Any] = {}
    if cfs_list is not None:
        more["cfs_list"] = cfs_list
        more["covers"] = (await services.covered_numbers([seal_id])).get(seal_id, [declaration["number"]])
    if consolidation is not None:
        # The list already signed (b.1.3 before b.1.2): its declarations are sealed now.
        more["confirmed"] = await consolidated.confirm(context, consolidation, payload.location_id)
    return _result(
        declaration["number"], declaration["id"], seal_id=seal_id, unit=unit, seal_number=seal_number,
        replaced=[row["seal_number"] for row in earlier], server_notes=[note["code"] for note in notes], **more,
    )


@command("seals.remove_seal", payload=RemoveSeal, roles=SEALERS, label=N_("Customs seal removed"))
async def remove_seal(context: CommandContext, payload: RemoveSeal) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declaration = await policy.goods_of_concern(context.actor, payload.number)
    seal_number = services.clean_seal_number(payload.seal_number)
    reason = payload.reason.strip()
    if not reason:
        raise DomainError("reason_required", N_("Give the reason."))
    seals = [row for row in await services.active_seals(declaration["id"]) if row["seal_number"] == seal_number]
    if not seals:
        ended = await Seal.select(Seal.id, Seal.state).where(
            Seal.id.is_in(await services.seal_ids_of(declaration["id"]) or [0]) & (Seal.seal_number == seal_number)
        ).first()
        if ended is None:
            raise DomainError(
                "seal_not_found", N_("Declaration %(number)s has no seal %(seal)s."), number=declaration["number"], seal=seal_number
            )
        if not context.contingency:
            raise DomainError("seal_not_active", N_("Seal %(seal)s is no longer on the goods."), seal=seal_number)
        # Two devices offline both removed it: the first removal stands, and this one says so.
        return _result(declaration["number"], declaration["id"], seal_number=seal_number, already_removed=True)
    await Seal.update(
        {
            Seal.state: SealState.REMOVED.value,
            Seal.active_key: None,
            Seal.ended_command_id: context.command_id,
            Seal.ended_by: context.actor.id,
            Seal.ended_at: context.issued_at,
            Seal.end_cause: payload.cause,
            Seal.end_reason: reason,
        }
    ).where(Seal.id.is_in([row["id"] for row in seals]))
    return _result(
        declaration["number"], declaration["id"], seal_number=seal_number, unit=seals[0]["unit"], cause=payload.cause,
    )


@command("seals.correct", payload=CorrectSeal, roles=SEALERS, label=N_("Container or carrier seal number corrected"))
async def correct(context: CommandContext, payload: CorrectSeal) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declaration = await policy.goods_of_concern(context.actor, payload.number)
    reason = payload.reason.strip()
    if not reason:
        raise DomainError("reason_required", N_("Give the reason."))
    containers = await services.declared_containers(declaration["id"])
    container = _container(payload.container)
    current = next((c for c in containers if c["number"] == container), None)
    if current is None:
        raise DomainError(
            "container_not_declared", N_("%(container)s is not a container of declaration %(number)s."),
            container=container, number=declaration["number"],
        )
    # Art 41.1.c.1.1: the officer corrects what the goods schedule says ("sửa trực tiếp trên Bản kê hàng hóa"): the
    # old value the officer read must be the declaration's (corrections before applied), else nothing is corrected.
    if payload.field == "container_number":
        old, new = container, _container(payload.new_value)
        given = _old_container(payload.old_value)
    else:
        old, new = current["carrier_seal"], " ".join(payload.new_value.split()).upper()
        given = " ".join(payload.old_value.split()).upper()
        if not new:
            raise DomainError("new_value_required", N_("Write the correct number."))
    if given != old:
        raise DomainError(
            "old_value_not_declared",
            N_("“%(given)s” is not what the goods schedule of declaration %(number)s says for %(container)s: it says “%(old)s”. Only what the schedule says is corrected (Decision 1966, Art 41.1.c.1.1)."),
            given=payload.old_value.strip()[:64] or "-", number=declaration["number"], container=container, old=old or "-",
        )
    if old == new:
        raise DomainError("nothing_to_correct", N_("The correct number is the same as the one recorded."))
    await SealCorrection.insert(
        SealCorrection(
            command_id=context.command_id,
            declaration=declaration["id"],
            field=payload.field,
            container=container,
            old_value=old,
            new_value=new,
            reason=reason,
            branch=context.actor.branch_id,
            location=payload.location_id,
            officer=context.actor.id,
            issued_at=context.issued_at,
            recorded_at=context.received_at,
        )
    )
    moved = 0
    if payload.field == "container_number":
        # A seal recorded on the mistaken number is on the container whose number is now corrected.
        moved = len(
            await Seal.update({Seal.unit: new}).where(
                Seal.id.is_in(await services.seal_ids_of(declaration["id"]) or [0])
                & (Seal.unit_kind == UnitKind.CONTAINER.value) & (Seal.unit == old)
            ).returning(Seal.id)
        )
    return _result(declaration["number"], declaration["id"], field=payload.field, old=old, new=new, seals_moved=moved)


@command("seals.confirm_sealed", payload=ConfirmSealed, roles=SEALERS, label=N_("Goods confirmed sealed"))
async def confirm_sealed(context: CommandContext, payload: ConfirmSealed) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declaration = await policy.goods_of_concern(context.actor, payload.number)
    existing = await SealedConfirmation.select(
        SealedConfirmation.id, SealedConfirmation.officer.full_name.as_alias("officer")
    ).where(SealedConfirmation.declaration == declaration["id"]).first()
    if existing is not None:
        if not context.contingency:
            raise DomainError(
                "already_sealed", N_("Declaration %(number)s was already confirmed sealed by %(officer)s."),
                number=declaration["number"], officer=existing["officer"],
            )
        return _result(declaration["number"], declaration["id"], confirmation_id=existing["id"], already_confirmed=True)
    # Art 41.1.c: sealing and signing (c.1) follow only "kết quả kiểm tra phù hợp"; goods found not as declared
    # (c.2) are guided to a supplement or reported to the head, and are not sealed until that is resolved.
    open_mismatches = await services.open_mismatches(declaration["id"])
    if open_mismatches and not context.contingency:
        raise DomainError(
            "mismatch_open",
            N_("Sealing found the goods of declaration %(number)s not as declared: %(differences)s. Resolve it first (the declarant's supplement, or the head's decision): goods are sealed only when the check found them as declared (Decision 1966, Art 41.1.c.1, 41.1.c.2)."),
            number=declaration["number"], differences="; ".join(row["differences"] for row in open_mismatches),
        )
    record_states = [RecordState.SIGNED.value, RecordState.HANDED_OVER.value, RecordState.RECEIVED.value]
    record_query = HandoverRecord.select(HandoverRecord.id).where(
        (HandoverRecord.declaration == declaration["id"]) & HandoverRecord.state.is_in(record_states)
    )
    if payload.record_id is not None:
        record_query = record_query.where(HandoverRecord.id == payload.record_id)
    record = await record_query.order_by(HandoverRecord.id).first()
    if payload.record_id is not None and record is None:
        raise DomainError("record_not_signed", N_("Confirm after the record of this declaration is signed."))
    seals = await services.active_seals(declaration["id"])
    sealed_units = {row["unit"] for row in seals if row["unit_kind"] == UnitKind.CONTAINER.value}
    unsealed = [c["number"] for c in await services.declared_containers(declaration["id"]) if c["number"] not in sealed_units]
    # Art 35.1.a.3 / 36.1.a.3: "Xác nhận đã niêm phong sau khi đã lập Biên bản bàn giao (bao gồm cả trường hợp ... không
    # thể niêm phong được)": the record comes first, sealed goods included; without one the confirmation is refused
    # online and, made offline, kept with the server's note for reconciliation (the confirmation already happened).
    notes: list[dict[str, Any]] = []
    if not seals and record is None:
        notes.append({"code": "nothing_sealed"})
    elif unsealed and record is None:
        notes.append({"code": "containers_unsealed", "containers": unsealed})
    elif record is None:
        notes.append({"code": "no_record"})
    if notes and not context.contingency:
        if notes[0]["code"] == "nothing_sealed":
            raise DomainError(
                "nothing_sealed",
                N_("Nothing is sealed yet: record the seal numbers and make and sign the handover record first (Decision 1966, Art 35.1.a.1–a.3, 36.1.a.1–a.3)."),
            )
        if notes[0]["code"] == "containers_unsealed":
            raise DomainError(
                "containers_unsealed",
                N_("These containers have no seal yet: %(containers)s. Seal them, or describe them in the handover record, before confirming (Decision 1966, Art 35.1.a.2–a.3)."),
                containers=", ".join(unsealed),
            )
        raise DomainError(
            "record_required",
            N_("Confirm sealed after the handover record is made and signed (Decision 1966, Art 35.1.a.3 and 36.1.a.3: “Xác nhận đã niêm phong sau khi đã lập Biên bản bàn giao”)."),
        )
    if open_mismatches:  # made offline: the seals are on; reconciliation says the mismatch was open
        notes.append({"code": "mismatch_open", "mismatches": [row["id"] for row in open_mismatches]})
    confirmation_id = (
        await SealedConfirmation.insert(
            SealedConfirmation(
                command_id=context.command_id,
                declaration=declaration["id"],
                seal_count=len(seals),
                record=record["id"] if record else None,
                server_notes=_json(notes),
                branch=context.actor.branch_id,
                location=payload.location_id,
                officer=context.actor.id,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(SealedConfirmation.id)
    )[0]["id"]
    await mark_changed(declaration["id"])  # the gate card now says sealed: devices fetch it again
    return _result(
        declaration["number"], declaration["id"], confirmation_id=confirmation_id, seal_count=len(seals),
        record_id=record["id"] if record else None, server_notes=[note["code"] for note in notes],
    )


# --- the result not as declared (Art 41.1.c.2) -------------------------------------------------------------------


@command("seals.report_sealing_mismatch", payload=ReportSealingMismatch, roles=SEALERS, label=N_("Goods not as declared at sealing reported"))
async def report_sealing_mismatch(context: CommandContext, payload: ReportSealingMismatch) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declaration = await policy.goods_of_concern(context.actor, payload.number)
    case = await policy.transit_case(declaration["number"])
    if case is None:
        raise DomainError(
            "not_transit",
            N_("Declaration %(number)s is not a transit declaration: at a gate, report a mismatch to the supervisor from the gate page (Decision 1966, Art 35.2.b.2.3); Art 41.1.c.2 is the sealing of a transit declaration."),
            number=declaration["number"],
        )
    if not policy.seals_transit_at_departure(context.actor, case):
        raise policy.not_found(declaration["number"])  # step 3 is the departure branch's (Art 41.1)
    differences = payload.differences.strip()
    if not differences:
        raise DomainError("differences_required", N_("Write what is not as declared (Decision 1966, Art 41.1.c.2)."))
    if not context.contingency and await SealedConfirmation.exists().where(SealedConfirmation.declaration == declaration["id"]):
        raise DomainError(
            "already_sealed_mismatch",
            N_("Declaration %(number)s is already confirmed sealed: a mismatch is reported while checking, before sealing (Decision 1966, Art 41.1.c.2)."),
            number=declaration["number"],
        )
    named = [" ".join(unit.split()).upper() for unit in payload.units]
    mismatch_id = (
        await SealingMismatch.insert(
            SealingMismatch(
                command_id=context.command_id,
                declaration=declaration["id"],
                number=declaration["number"],
                branch=case["departure_branch"],
                route=MismatchRoute(payload.route).value,
                differences=differences,
                units=_json([unit for unit in dict.fromkeys(named) if unit]),
                location=payload.location_id,
                officer=context.actor.id,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(SealingMismatch.id)
    )[0]["id"]
    return _result(
        declaration["number"], declaration["id"], mismatch_id=mismatch_id, route=payload.route, clause="41.1.c.2",
        addressed_to=await _branch_code(case["departure_branch"]),
    )


@command("seals.resolve_sealing_mismatch", payload=ResolveSealingMismatch, roles=SEALERS, label=N_("Goods not as declared at sealing: resolved"))
async def resolve_sealing_mismatch(context: CommandContext, payload: ResolveSealingMismatch) -> dict[str, Any]:
    row = await SealingMismatch.select().where(SealingMismatch.id == payload.mismatch_id).first()
    if row is None or not policy.is_sealing_staff(context.actor) or row["branch"] != context.actor.branch_id:
        raise NotFound("mismatch_not_found", N_("There is no such report of goods not as declared for your branch."))
    if not policy.resolves_mismatch(context.actor, row):
        raise Forbidden(
            "head_resolves",
            N_("Reported to the head of the branch: a supervisor decides it, case by case (Decision 1966, Art 41.1.c.2: “báo cáo Chi cục trưởng để thực hiện việc xử lý theo từng trường hợp cụ thể”)."),
        )
    resolution = payload.resolution.strip()
    if not resolution:
        raise DomainError("resolution_required", N_("Say how it was resolved: the supplement received, or the head's decision (Decision 1966, Art 41.1.c.2)."))
    updated = await SealingMismatch.update(
        {
            SealingMismatch.resolved_command_id: context.command_id,
            SealingMismatch.resolved_by: context.actor.id,
            SealingMismatch.resolved_at: context.issued_at,
            SealingMismatch.resolution: resolution,
        }
    ).where((SealingMismatch.id == row["id"]) & SealingMismatch.resolved_at.is_null()).returning(SealingMismatch.id)
    if not updated:
        raise DomainError("mismatch_resolved", N_("This report is already resolved."))
    return _result(row["number"], row["declaration"], mismatch_id=row["id"], route=row["route"], clause="41.1.c.2")


# --- handover records ----------------------------------------------------------------------------------------------


async def _insert_record(
    context: CommandContext,
    *,
    kind: RecordKind,
    declaration: dict[str, Any] | None,
    declaration_number: str,
    from_branch: int | None,
    from_branch_name: str,
    to_branch: int,
    containers: list[dict[str, str]],
    goods: list[dict[str, Any]],
    photos: list[str],
    representative_name: str,
    representative_signature: str,
    note: str,
    state: RecordState,
    location_id: int,
    paper_number: str = "",
    paper_date: date | None = None,
) -> dict[str, Any]:
    year, seq, serial = await services.next_serial(
        context.actor.branch_id, context.actor.branch_code or "HQ", kind, context.issued_at  # type: ignore[arg-type]
    )
    record_id = (
        await HandoverRecord.insert(
            HandoverRecord(
                command_id=context.command_id,
                kind=kind.value,
                serial=serial,
                year=year,
                seq=seq,
                numbered_by=context.actor.branch_id,
                from_branch=from_branch,
                from_branch_name=from_branch_name,
                to_branch=to_branch,
                declaration=declaration["id"] if declaration else None,
                declaration_number=declaration_number,
                containers=_json(containers),
                goods=_json(goods),
                note=note,
                representative_name=representative_name,
                representative_signature=representative_signature,
                state=state.value,
                paper_only=bool(paper_number),
                paper_number=paper_number,
                paper_date=paper_date,
                location=location_id,
                officer=context.actor.id,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
                changed_at=context.received_at,
            )
        ).returning(HandoverRecord.id)
    )[0]["id"]
    await _attach(record_id, photos + ([representative_signature] if representative_signature else []), from_branch, to_branch)
    return _result(
        declaration_number, declaration["id"] if declaration else None, record_id=record_id, serial=serial,
        state=state.value, photos=len(photos),
    )


def _check_contents(containers: list[dict[str, str]], goods: list[dict[str, Any]]) -> None:
    # Unsealable goods are described; photos are "(nếu cần)" (Art 35.1.a.2, 36.1.a.2) / "(nếu cần thiết)"
    # (41.1.c.1.1): the officer decides, and the record says whether any were taken (its pages and print).
    if not containers and not goods:
        raise DomainError("record_empty", N_("List the containers and their seals, or the goods that cannot be sealed."))


def _not_current(containers: list[dict[str, str]], current: dict[tuple[str, str], str]) -> list[str]:
    """The record's units whose listed seal is not the one on them now, one line each, in the reader's language. A
    unit with no seal is listed without one (it travels unsealed, Art 35.1.a.2, 41.1.c.1.1). `current`: the active
    seal of each (kind, unit)."""
    lines = []
    for container in containers:
        number, listed = container["number"], container["seal_number"]
        now = current.get((container.get("kind", "container"), number), "")
        if listed == now:
            continue
        if not listed:
            lines.append(gettext("%(container)s: no seal listed, its seal is %(current)s", container=number, current=now))
        elif not now:
            lines.append(gettext("%(container)s: seal %(listed)s listed, it has no customs seal", container=number, listed=listed))
        else:
            lines.append(
                gettext("%(container)s: seal %(listed)s listed, its seal is now %(current)s", container=number, listed=listed, current=now)
            )
    return lines


@command("seals.create_record", payload=CreateRecord, roles=SEALERS, label=N_("Handover record made"))
async def create_record(context: CommandContext, payload: CreateRecord) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declaration = await policy.goods_of_concern(context.actor, payload.number)
    to_branch = await _branch_id(payload.to_branch)
    containers = _record_containers(payload.containers)
    goods = _goods(payload.goods)
    photos = await _photos(context, payload.photos, payload.representative_signature)
    _check_contents(containers, goods)
    # Art 35.1.a.2-a.3, 41.1.c.1.1: the record is made after sealing and lists the customs seal number of each
    # container; the receiving branch compares the seals with it (43.1.c.2), so a seal replaced since (seal A, then
    # B) would read as a discrepancy there. The seals as they are when this command is applied: in a batch, or in a
    # device's queue, a replacement sent before the record counts. Refused offline too: the device that made the
    # record knew its own seals (it pre-fills them, queued ones included), and a seal changed by another device is
    # exactly what the receiving branch must not find first.
    stale = _not_current(containers, await services.current_unit_seals(declaration["id"]))
    if stale:
        raise DomainError(
            "seal_not_current",
            N_("A handover record lists the customs seal now on each container (Decision 1966, Art 35.1.a.2–a.3 and 41.1.c.1.1): %(differences)s. Make the record with the current seals."),
            differences="; ".join(stale),
        )
    return await _insert_record(
        context, kind=payload.kind, declaration=declaration, declaration_number=declaration["number"],
        from_branch=context.actor.branch_id, from_branch_name="", to_branch=to_branch, containers=containers,
        goods=goods, photos=photos, representative_name=payload.representative_name.strip(),
        representative_signature=payload.representative_signature, note=payload.note.strip(), state=INITIAL,
        location_id=payload.location_id,
    )


@command("seals.sign_record", payload=SignRecord, roles=SEALERS, label=N_("Handover record signed"))
async def sign_record(context: CommandContext, payload: SignRecord) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    row = await _record(context, await _record_id(payload.record_id, payload.record_command), receiving=False)
    check(row["state"], RecordState.SIGNED)
    name = payload.representative_name.strip() or row["representative_name"]
    if not name:
        raise DomainError("representative_required", N_("Write the enterprise representative's full name."))
    signature = payload.representative_signature or row["representative_signature"]
    if payload.representative_signature:
        await _photos(context, [], payload.representative_signature)
        await _attach(row["id"], [payload.representative_signature], row["from_branch"], row["to_branch"])
    await HandoverRecord.update(
        {HandoverRecord.representative_name: name, HandoverRecord.representative_signature: signature}
    ).where(HandoverRecord.id == row["id"])
    await transition(
        row["id"], row["state"], RecordState.SIGNED, by=context.actor.id, at=context.issued_at, changed_at=context.received_at
    )
    return _result(row["declaration_number"], row["declaration"], record_id=row["id"], serial=row["serial"], state=RecordState.SIGNED.value)


@command("seals.hand_over", payload=HandOver, roles=SEALERS, label=N_("Handover record handed over"))
async def hand_over(context: CommandContext, payload: HandOver) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    row = await _record(context, await _record_id(payload.record_id, payload.record_command), receiving=False)
    await transition(
        row["id"], row["state"], RecordState.HANDED_OVER, by=context.actor.id, at=context.issued_at,
        changed_at=context.received_at,
    )
    return _result(row["declaration_number"], row["declaration"], record_id=row["id"], serial=row["serial"], state=RecordState.HANDED_OVER.value)


def _found(items: list[ReceivedContainer]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        seal = services.clean_seal_number(item.seal_number) if item.seal_number.strip() else ""
        unit = {"number": _unit(UnitKind(item.kind), item.number), "seal_number": seal, "intact": item.intact}
        if item.kind != UnitKind.CONTAINER.value:
            unit["kind"] = item.kind
        found.append(unit)
    return found


def _differences(recorded: list[dict[str, str]], found: list[dict[str, Any]]) -> list[str]:
    """What the receiving officer found that is not as recorded, one line per container."""
    # Keyed by kind and number: a wagon "ABC1234" is not a package marked "ABC1234".
    expected = {(c.get("kind", "container"), c["number"]): c["seal_number"] for c in recorded}
    seen = {(c.get("kind", "container"), c["number"]): c for c in found}
    lines = []
    for key, seal in expected.items():
        number = key[1]
        if key not in seen:
            lines.append(gettext("%(container)s: not found", container=number))
        elif seen[key]["seal_number"] != seal:
            lines.append(
                gettext("%(container)s: seal %(found)s, recorded %(recorded)s", container=number, found=seen[key]["seal_number"] or "-", recorded=seal or "-")
            )
        elif not seen[key]["intact"]:
            lines.append(gettext("%(container)s: seal not intact", container=number))
    lines += [gettext("%(container)s: not in the record", container=key[1]) for key in seen if key not in expected]
    return lines


@command("seals.receive_record", payload=ReceiveRecord, roles=SEALERS, label=N_("Handover record received"))
async def receive_record(context: CommandContext, payload: ReceiveRecord) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    row = await _record(context, payload.record_id, receiving=True)
    check(row["state"], RecordState.RECEIVED)
    found = _found(payload.containers)
    differences = _differences(msgspec.json.decode(row["containers"]), found)
    if not payload.goods_match:
        differences.append(gettext("The goods are not as recorded"))
    if differences:
        # Confirming receipt says everything is as recorded; anything else is a discrepancy, with its violation record.
        raise DomainError(
            "receipt_differs", N_("Not as recorded: %(differences)s. Record the discrepancy instead."),
            differences="; ".join(differences),
        )
    receipt = _json({"containers": found, "goods_match": payload.goods_match, "note": payload.note.strip()})
    await transition(
        row["id"], row["state"], RecordState.RECEIVED, by=context.actor.id, at=context.issued_at,
        changed_at=context.received_at, location_id=payload.location_id, receipt=receipt,
    )
    # Its outbox message confirms it on the System (outbound.py); until that is delivered, Art 43.1.c.3's fax is due.
    await HandoverRecord.update({HandoverRecord.receipt_command: context.command_id}).where(HandoverRecord.id == row["id"])
    return _result(row["declaration_number"], row["declaration"], record_id=row["id"], serial=row["serial"], state=RecordState.RECEIVED.value)


@command("seals.record_fax", payload=RecordFax, roles=SEALERS, label=N_("Handover record faxed to the departure branch"))
async def record_fax(context: CommandContext, payload: RecordFax) -> dict[str, Any]:
    """Art 43.1.c.3: "Trường hợp chưa xác nhận được trên Hệ thống thì ký tên, đóng dấu công chức, xác nhận hàng hóa
    vận chuyển đến trên Biên bản bàn giao và fax Biên bản bàn giao cho Chi cục Hải quan nơi hàng hóa được vận chuyển
    đi trong ngày". Recorded once, by the receiving branch, for a record it confirmed."""
    row = await _record(context, payload.record_id, receiving=True)
    if row["state"] != RecordState.RECEIVED.value:
        raise DomainError(
            "record_not_received",
            N_("Confirm the receipt first: the faxed record carries the confirmation that the goods arrived (Art 43.1.c.3)."),
        )
    if row["faxed_at"] is not None:
        raise DomainError("fax_already_recorded", N_("The fax of this record is already recorded."))
    fax_to = payload.fax_to.strip()
    if not fax_to:
        raise DomainError("fax_to_required", N_("Write where the fax went: the departure branch's fax number."))
    await HandoverRecord.update(
        {
            HandoverRecord.faxed_at: context.issued_at, HandoverRecord.faxed_by: context.actor.id,
            HandoverRecord.fax_to: fax_to, HandoverRecord.changed_at: context.received_at,
        }
    ).where(HandoverRecord.id == row["id"])
    return _result(row["declaration_number"], row["declaration"], record_id=row["id"], serial=row["serial"], fax_to=fax_to)


@command("seals.record_discrepancy", payload=RecordDiscrepancy, roles=SEALERS, label=N_("Discrepancy found on receipt, violation record or inspection proposal made"))
async def record_discrepancy(context: CommandContext, payload: RecordDiscrepancy) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    row = await _record(context, payload.record_id, receiving=True)
    text = payload.text.strip()
    check(row["state"], RecordState.DISCREPANCY, discrepancy=text)
    found = _found(payload.containers)
    clause, to_branch, forward_to = await _addressee(context, row, payload.location_id)
    violation_id = (
        await ViolationRecord.insert(
            ViolationRecord(
                command_id=context.command_id,
                record=row["id"],
                declaration=row["declaration"],
                by_branch=context.actor.branch_id,
                to_branch=to_branch,
                clause=clause.value,
                forward_to=forward_to,
                text=text,
                containers=_json(found),
                location=payload.location_id,
                officer=context.actor.id,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(ViolationRecord.id)
    )[0]["id"]
    await transition(
        row["id"], row["state"], RecordState.DISCREPANCY, by=context.actor.id, at=context.issued_at,
        changed_at=context.received_at, location_id=payload.location_id,
        receipt=_json({"containers": found}), discrepancy=text, violation_id=violation_id,
    )
    return _result(
        row["declaration_number"], row["declaration"], record_id=row["id"], serial=row["serial"],
        state=RecordState.DISCREPANCY.value, violation_id=violation_id, clause=clause.value,
        addressed_to=await _branch_code(to_branch), forward_to=forward_to,
    )


async def _addressee(context: CommandContext, row: dict[str, Any], location_id: int) -> tuple[ViolationClause, int, str]:
    """(clause, branch whose supervisors get it, name of a branch outside giamsat to pass it on to) for a
    discrepancy found at `location_id`, a location of the actor's (receiving) branch."""
    place = await Location.select(Location.kind).where(Location.id == location_id).first()
    if place is not None and place["kind"] == LocationKind.WAREHOUSE.value:
        # Art 43.1.c.4: "đề xuất Chi cục trưởng Chi cục Hải quan tiến hành kiểm tra thực tế": the head of the
        # branch that manages the bonded warehouse (the receiving branch), not the departure branch.
        return ViolationClause.BONDED_WAREHOUSE, context.actor.branch_id, ""  # type: ignore[return-value]
    if row["from_branch"] is None:
        # Art 41.2.b.2 sends the violation record to the departure branch; this one is not in giamsat (the record
        # came on paper), so the receiving branch's supervisors get it, with the name to pass it on to.
        return ViolationClause.TRANSIT, context.actor.branch_id, row["from_branch_name"]  # type: ignore[return-value]
    return ViolationClause.TRANSIT, row["from_branch"], ""


async def _branch_code(branch_id: int) -> str:
    row = await Branch.select(Branch.code).where(Branch.id == branch_id).first()
    return row["code"] if row else ""


@command("seals.enter_paper_record", payload=EnterPaperRecord, roles=SEALERS, label=N_("Paper handover record entered"))
async def enter_paper_record(context: CommandContext, payload: EnterPaperRecord) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    paper_number = payload.paper_number.strip()
    if not paper_number:
        raise DomainError("paper_number_required", N_("Write the number of the paper record."))
    from_branch = await _branch_id(payload.from_branch) if payload.from_branch.strip() else None
    from_name = payload.from_branch_name.strip()
    if from_branch is None and not from_name:
        raise DomainError("from_branch_required", N_("Write which branch made the paper record."))
    if from_branch == context.actor.branch_id:
        raise DomainError("paper_from_own_branch", N_("A paper record entered here comes from another branch."))
    number = parse_number(payload.number)
    declaration = await policy.declaration_row(number)
    if not await policy.may_enter_paper_record(context.actor, declaration, from_branch):
        # The paper names a branch in giamsat: its discrepancy would become that branch's violation record.
        raise policy.not_found(number)
    containers = _record_containers(payload.containers)
    goods = _goods(payload.goods)
    photos = await _photos(context, payload.photos)  # a paper record's photos, when the paper had them
    if not containers and not goods:
        raise DomainError("record_empty", N_("List the containers and their seals, or the goods that cannot be sealed."))
    return await _insert_record(
        context, kind=payload.kind, declaration=declaration, declaration_number=number, from_branch=from_branch,
        from_branch_name=from_name, to_branch=context.actor.branch_id, containers=containers,  # type: ignore[arg-type]
        goods=goods, photos=photos, representative_name=payload.representative_name.strip(), representative_signature="",
        note=payload.note.strip(), state=INITIAL_PAPER, location_id=payload.location_id, paper_number=paper_number,
        paper_date=payload.paper_date,
    )


@command("seals.close_violation", payload=CloseViolation, roles={Role.SUPERVISOR}, label=N_("Violation record closed"))
async def close_violation(context: CommandContext, payload: CloseViolation) -> dict[str, Any]:
    note = payload.note.strip()
    if not note:
        raise DomainError("note_required", N_("Say what was done about it."))
    row = await ViolationRecord.select(
        ViolationRecord.id, ViolationRecord.to_branch, ViolationRecord.closed_at,
        ViolationRecord.record.serial.as_alias("serial"), ViolationRecord.record.declaration_number.as_alias("number"),
    ).where(ViolationRecord.id == payload.violation_id).first()
    if row is None or row["to_branch"] != context.actor.branch_id:
        # Another branch's violation records are not this supervisor's to see.
        raise NotFound("violation_not_found", N_("There is no such violation record."))
    updated = await ViolationRecord.update(
        {ViolationRecord.closed_by: context.actor.id, ViolationRecord.closed_at: context.issued_at, ViolationRecord.closing_note: note}
    ).where((ViolationRecord.id == row["id"]) & ViolationRecord.closed_at.is_null()).returning(ViolationRecord.id)
    if not updated:
        raise DomainError("violation_closed", N_("This violation record is already closed."))
    return _result(row["number"], None, violation_id=row["id"], serial=row["serial"])


# --- reconciliation ------------------------------------------------------------------------------------------------


async def _recheck_seal(row: dict[str, Any]) -> list[str]:
    """A seal recorded offline: was its number already in use (and is that seal still active), was the unit
    already sealed."""
    seals = await Seal.select(Seal.id, Seal.seal_number, Seal.unit, Seal.state, Seal.conflict_with, Seal.server_notes).where(
        Seal.command_id == row["command_id"]
    )
    notes: list[str] = []
    for seal in seals:
        for note in msgspec.json.decode(seal["server_notes"]):
            if note["code"] == "seal_in_use":
                notes.append(
                    gettext(
                        "Seal %(seal)s was already in use on %(unit)s of declaration %(number)s when this arrived: both are kept, check which seal is on which container.",
                        seal=note["seal"], unit=note["unit"], number=note["number"],
                    )
                )
            elif note["code"] == "unit_already_sealed":
                notes.append(gettext("%(unit)s already had seal %(seal)s: it was marked replaced.", unit=note["unit"], seal=note["seal"]))
        if seal["conflict_with"] is not None:
            other = await Seal.select(Seal.state).where(Seal.id == seal["conflict_with"]).first()
            if other is not None and other["state"] == SealState.ACTIVE.value:
                notes.append(gettext("The other seal with this number is still active."))
    return notes


async def _recheck_confirmation(row: dict[str, Any]) -> list[str]:
    result = msgspec.json.decode(row["result"]) if row.get("result") else {}
    notes: list[str] = []
    if result.get("already_confirmed"):
        notes.append(gettext("The declaration had already been confirmed sealed by someone else."))
    confirmation = await SealedConfirmation.select(SealedConfirmation.server_notes).where(
        SealedConfirmation.command_id == row["command_id"]
    ).first()
    for note in msgspec.json.decode(confirmation["server_notes"]) if confirmation else []:
        if note["code"] == "nothing_sealed":
            notes.append(gettext("When applied, no seal and no signed record of this declaration had reached the server."))
        elif note["code"] == "containers_unsealed":
            notes.append(gettext("When applied, these containers had no seal: %(containers)s.", containers=", ".join(note["containers"])))
        elif note["code"] == "mismatch_open":
            notes.append(gettext("When applied, sealing had found the goods not as declared and that was not resolved (Art 41.1.c.2)."))
        elif note["code"] == "no_record":
            notes.append(gettext("When applied, no signed handover record of this declaration had reached the server (Art 35.1.a.3: the record comes before the confirmation)."))
    return notes


RECONCILE_CHECKS["seals.record_seal"] = _recheck_seal
RECONCILE_CHECKS["seals.confirm_sealed"] = _recheck_confirmation


# --- the logbook's words for these commands ---------------------------------------------------------------------


def _summary(payload: dict[str, Any], result: dict[str, Any]) -> Summary:
    """"Declaration 104000000001 · 10/B1/2026/000001 · TGHU1234560 → ABC123 · the reason", in the reader's language."""
    parts = [gettext("Declaration %(number)s", number=result.get("number") or payload.get("number") or "")]
    if result.get("serial"):
        parts.append(str(result["serial"]))
    if result.get("seal_number"):
        parts.append(f"{result.get('unit')} → {result['seal_number']}")
    if result.get("old") is not None and result.get("new"):
        parts.append(f"{result['old'] or '-'} → {result['new']}")
    state_label = STATE_LABELS.get(str(result.get("state")))
    if state_label:
        parts.append(gettext(state_label))
    if result.get("fax_to"):
        parts.append(gettext("faxed to %(fax)s", fax=result["fax_to"]))
    text = str(
        payload.get("reason") or payload.get("text") or payload.get("note") or payload.get("differences") or payload.get("resolution") or ""
    ).strip()
    return Summary(
        detail=" · ".join(parts),
        text=text,
        representative_name=str(payload.get("representative_name") or "").strip(),
        photos=tuple(dict.fromkeys(payload.get("photos") or ())),
    )


for _type in (
    "seals.set_requirement",
    "seals.record_seal",
    "seals.remove_seal",
    "seals.correct",
    "seals.confirm_sealed",
    "seals.create_record",
    "seals.sign_record",
    "seals.hand_over",
    "seals.receive_record",
    "seals.record_discrepancy",
    "seals.record_fax",
    "seals.enter_paper_record",
    "seals.close_violation",
    "seals.report_sealing_mismatch",
    "seals.resolve_sealing_mismatch",
):
    SUMMARIES[_type] = _summary
