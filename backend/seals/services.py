"""What the seals commands share (locations, declarations, numbers, serials) and what its pages, replica and API read.

Handlers run inside the journal's transaction for the actor's branch (backend/journal/services.py): a branch's
writes are serialized there, so a record's next serial is read and used in one step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import msgspec

from backend.declarations.services import parse_number
from backend.declarations.tables import DeclarationContainer
from backend.files import services as files
from backend.journal.tables import JournalEntry
from backend.lib.errors import N_, DomainError, NotFound
from backend.lib.i18n import gettext
from backend.logbook.services import JOURNAL_COLUMNS, actions_from_rows
from backend.officers.schemas import Actor
from backend.officers.services import location_of_branch
from backend.outbox.tables import OutboxMessage
from backend.seals import policy
from backend.seals.schemas import (
    ConfirmationView,
    ContainerSeal,
    CorrectionView,
    DecisionView,
    Evidence,
    GoodsLine,
    MismatchView,
    ReceivedContainer,
    RecordView,
    SealView,
    ViolationView,
)
from backend.seals.tables import (
    HandoverRecord,
    RecordKind,
    Seal,
    SealCorrection,
    SealDeclaration,
    SealedConfirmation,
    SealingMismatch,
    SealRequirementDecision,
    SealState,
    UnitKind,
    ViolationRecord,
)
from backend.seals.workflow import STATE_LABELS

VIETNAM = timezone(timedelta(hours=7))
SEAL_ROLES = policy.SEAL_ROLES
# How the files domain names what a record's photos are attached to: one name per branch that may see them, since
# an attachment row names one branch (files.services.may_see) and is made once per (file, record type, record).
PHOTO_DEPARTURE = "seals_record"
PHOTO_RECEIVING = "seals_record_to"
# A record's files are read where the record is: officers and supervisors of its departure and receiving branch.
files.register_record_type(PHOTO_DEPARTURE, SEAL_ROLES)
files.register_record_type(PHOTO_RECEIVING, SEAL_ROLES)
SERIAL_PREFIX = {RecordKind.HANDOVER: "10", RecordKind.FINDINGS: "GN"}
SEAL_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9./-]{2,31}$")


# --- for the commands ------------------------------------------------------------------------------------------


# The location a command names, if it is one of the actor's branch (backend/officers/services.py).
check_location = location_of_branch


def clean_seal_number(text: str) -> str:
    """A seal number as printed on the seal: spaces dropped, upper case; letters, digits, '-', '/', '.'."""
    number = re.sub(r"\s+", "", text or "").upper()
    if not SEAL_NUMBER.match(number):
        raise DomainError(
            "invalid_seal_number",
            N_("A seal number is 3 to 32 letters or digits (and - / .): %(value)s"),
            value=(text or "")[:40],
        )
    return number


async def declared_containers(declaration_id: int) -> list[dict[str, str]]:
    """The declaration's containers as declared, with the corrections found while sealing applied (Art 41.1.c.1.1):
    [{number, carrier_seal}] in upstream's order."""
    rows = await DeclarationContainer.select(DeclarationContainer.number, DeclarationContainer.seal_number).where(
        DeclarationContainer.declaration == declaration_id
    ).order_by(DeclarationContainer.position)
    containers = [{"number": row["number"], "carrier_seal": row["seal_number"]} for row in rows]
    corrections = await SealCorrection.select().where(SealCorrection.declaration == declaration_id).order_by(SealCorrection.id)
    for correction in corrections:
        for container in containers:
            if correction["field"] == "container_number" and container["number"] == correction["old_value"]:
                container["number"] = correction["new_value"]
            elif correction["field"] == "carrier_seal" and container["number"] == correction["container"]:
                container["carrier_seal"] = correction["new_value"]
    return containers


async def seal_ids_of(declaration_id: int) -> list[int]:
    """Every seal that covers the declaration (seals_covers): its own seals, and a seal on a container
    consolidated at a CFS for several declarations (Art 44.2.b.1.2). What every "the declaration's seals" reads."""
    rows = await SealDeclaration.select(SealDeclaration.seal).where(SealDeclaration.declaration == declaration_id)
    return sorted({row["seal"] for row in rows})


async def link(seal_id: int, declaration_ids: Iterable[int]) -> list[int]:
    """The seal covers these declarations too (the ones it does not yet); the ids newly linked."""
    have = {
        row["declaration"]
        for row in await SealDeclaration.select(SealDeclaration.declaration).where(SealDeclaration.seal == seal_id)
    }
    new = [i for i in dict.fromkeys(declaration_ids) if i not in have]
    if new:
        await SealDeclaration.insert(*[SealDeclaration(seal=seal_id, declaration=i) for i in new])
    return new


async def declarations_covered(seal_ids: Iterable[int]) -> list[int]:
    """The ids of the declarations these seals cover, in the order they were linked."""
    ids = sorted(set(seal_ids))
    if not ids:
        return []
    rows = await SealDeclaration.select(SealDeclaration.declaration).where(SealDeclaration.seal.is_in(ids)).order_by(SealDeclaration.id)
    return list(dict.fromkeys(row["declaration"] for row in rows))


async def covered_numbers(seal_ids: Iterable[int]) -> dict[int, list[str]]:
    """{seal id: the numbers of the declarations it covers}, for seals that cover more than one (a consolidated
    container, Art 44.2.b.1.2); a seal of one declaration is not in it."""
    ids = sorted(set(seal_ids))
    if not ids:
        return {}
    rows = await SealDeclaration.select(
        SealDeclaration.seal, SealDeclaration.declaration.number.as_alias("number")
    ).where(SealDeclaration.seal.is_in(ids)).order_by(SealDeclaration.id)
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row["seal"], []).append(row["number"])
    return {seal: numbers for seal, numbers in found.items() if len(numbers) > 1}


async def active_seals(declaration_id: int) -> list[dict[str, Any]]:
    ids = await seal_ids_of(declaration_id)
    if not ids:
        return []
    return await Seal.select().where(Seal.id.is_in(ids) & (Seal.state == SealState.ACTIVE.value)).order_by(Seal.id)


async def current_container_seals(declaration_id: int) -> dict[str, str]:
    """Each container's current customs seal number, by container number: its active seal (the latest, should two
    branches have sealed it at the same moment). A container with no active seal is not in it: it travels without
    one, or its seal was removed. What a handover record must list (commands.create_record)."""
    return {
        row["unit"]: row["seal_number"]
        for row in await active_seals(declaration_id)  # by id: a later seal wins
        if row["unit_kind"] == UnitKind.CONTAINER.value
    }


async def current_unit_seals(declaration_id: int) -> dict[tuple[str, str], str]:
    """Each sealing unit's current customs seal number, by (kind, unit): containers, wagons and packages alike
    (Art 41.1.c.1.1), the latest active seal of each. What a record must list (commands.create_record)."""
    return {(row["unit_kind"], row["unit"]): row["seal_number"] for row in await active_seals(declaration_id)}


async def seal_holding(seal_number: str) -> dict[str, Any] | None:
    """The active seal that holds this number, with its declaration and place, or None."""
    return await Seal.select(
        Seal.id, Seal.unit, Seal.declaration.number.as_alias("number"), Seal.location.name.as_alias("location"),
        Seal.officer.full_name.as_alias("officer"),
    ).where(Seal.active_key == seal_number).first()


def vietnam_year(moment: datetime) -> int:
    return moment.astimezone(VIETNAM).year


async def next_serial(branch_id: int, branch_code: str, kind: RecordKind, moment: datetime) -> tuple[int, int, str]:
    """(year, seq, serial) of the branch's next record of this kind in the Vietnam year of `moment`, e.g.
    10/HP-KV3/2026/000012. Call only inside a command handler: the journal holds the branch's lock."""
    year = vietnam_year(moment)
    rows = await HandoverRecord.raw(
        "SELECT MAX(seq) AS last FROM seals_record WHERE numbered_by = {} AND year = {} AND kind = {}",
        branch_id, year, kind.value,
    )
    seq = (rows[0]["last"] or 0) + 1 if rows else 1
    return year, seq, f"{SERIAL_PREFIX[kind]}/{branch_code.upper()}/{year}/{seq:06d}"


# --- reading -----------------------------------------------------------------------------------------------------


async def seal_state(declaration_ids: Iterable[int]) -> dict[int, dict[str, bool | None]]:
    """The officers' word on each declaration: {id: {"required": bool | None, "sealed": bool}}.

    `required` is the latest proposal (True) or withdrawal (False) of the seal requirement, None when no officer
    decided; `sealed` is whether "confirm sealed" was made. The gate combines these with upstream's flags.
    """
    ids = sorted(set(declaration_ids))
    state: dict[int, dict[str, bool | None]] = {i: {"required": None, "sealed": False} for i in ids}
    if not ids:
        return state
    decisions = await SealRequirementDecision.select(
        SealRequirementDecision.declaration, SealRequirementDecision.required
    ).where(SealRequirementDecision.declaration.is_in(ids)).order_by(SealRequirementDecision.id)
    for row in decisions:  # in order: the latest wins
        state[row["declaration"]]["required"] = bool(row["required"])
    confirmed = await SealedConfirmation.select(SealedConfirmation.declaration).where(SealedConfirmation.declaration.is_in(ids))
    for row in confirmed:
        state[row["declaration"]]["sealed"] = True
    return state


def _json(text: str | None, default: Any) -> Any:
    return msgspec.json.decode(text) if text else default


_RECORD_COLUMNS = (
    HandoverRecord.all_columns(),
    HandoverRecord.from_branch.code.as_alias("from_code"),
    HandoverRecord.from_branch.name.as_alias("from_name"),
    HandoverRecord.to_branch.code.as_alias("to_code"),
    HandoverRecord.to_branch.name.as_alias("to_name"),
    HandoverRecord.location.name.as_alias("location_name"),
    HandoverRecord.officer.full_name.as_alias("officer_name"),
    HandoverRecord.signed_by.full_name.as_alias("signed_by_name"),
    HandoverRecord.received_by.full_name.as_alias("received_by_name"),
)


async def _record_view(row: dict[str, Any]) -> RecordView:
    state_label = STATE_LABELS[row["state"]]
    photo_type = PHOTO_DEPARTURE if row["from_branch"] is not None else PHOTO_RECEIVING
    photos = [sha for sha in await files.files_of(photo_type, row["id"]) if sha != row["representative_signature"]]
    return RecordView(
        id=row["id"], kind=row["kind"], serial=row["serial"], state=row["state"],
        state_label=gettext(state_label), declaration_number=row["declaration_number"],
        from_branch_code=row["from_code"] or "", from_branch_name=row["from_name"] or row["from_branch_name"],
        to_branch_code=row["to_code"], to_branch_name=row["to_name"],
        containers=msgspec.convert(_json(row["containers"], []), list[ContainerSeal]),
        goods=msgspec.convert(_json(row["goods"], []), list[GoodsLine]),
        photos=photos, representative_name=row["representative_name"],
        representative_signature=row["representative_signature"], note=row["note"], paper_only=bool(row["paper_only"]),
        paper_number=row["paper_number"], paper_date=row["paper_date"], location=row["location_name"],
        officer=row["officer_name"], issued_at=row["issued_at"], signed_by=row["signed_by_name"],
        signed_at=row["signed_at"], handed_over_at=row["handed_over_at"], received_by=row["received_by_name"],
        received_at=row["received_at"], receipt_check=_json(row["receipt_check"], {}),
        discrepancy=row["discrepancy"], violation_id=row["violation"],
    )


async def record_row(record_id: int) -> dict[str, Any] | None:
    return await HandoverRecord.select(*_RECORD_COLUMNS).where(HandoverRecord.id == record_id).first()


async def record_view(actor: Actor, record_id: int) -> RecordView:
    """A record for the departure or the receiving branch; anyone else is told there is none (404)."""
    row = await record_row(record_id)
    if row is None or not policy.may_see_record(actor, row):
        raise NotFound("unknown_record", N_("There is no such record for your branch."))
    return await _record_view(row)


async def records_addressed_to(branch_id: int, since: datetime) -> list[RecordView]:
    """The records handed over to a branch and not yet checked there, however old, and those checked (received or
    in discrepancy) that changed after `since`, oldest first: what the receiving officers' devices keep (the
    `handover_records` replica). A record waiting for its receipt never drops off: an overdue one is what Art
    41.1.4.b wants followed up (the receiving page highlights it, `overdue_days`)."""
    rows = await (
        HandoverRecord.select(*_RECORD_COLUMNS)
        .where(
            (HandoverRecord.to_branch == branch_id)
            & (
                (HandoverRecord.state == "handed_over")
                | (HandoverRecord.state.is_in(["received", "discrepancy"]) & (HandoverRecord.changed_at >= since))
            )
        )
        .order_by(HandoverRecord.id)
    )
    return [await _record_view(row) for row in rows]


@dataclass(frozen=True)
class FaxDue:
    """A record received here whose confirmation has not reached the System: Art 43.1.c.3's fax is due."""

    id: int
    serial: str
    declaration_number: str
    departure: str  # the departure branch's code, or its name as written on a paper record
    received_at: datetime
    outbox_state: str  # the confirmation's outbox message: waiting, delivering or refused


async def faxes_due(branch_id: int) -> list[FaxDue]:
    """The records the branch received whose confirmation "trên Hệ thống" (the outbox message of their
    seals.receive_record) is not delivered, and whose fax to the departure branch is not recorded, oldest first
    (Art 43.1.c.3: then the record is signed, stamped and faxed within the day). A confirmation delivered later takes
    the record off the list; one the System refused keeps it there."""
    pending = await OutboxMessage.select(OutboxMessage.command_id, OutboxMessage.state).where(
        (OutboxMessage.branch == branch_id) & (OutboxMessage.command_type == "seals.receive_record")
        & (OutboxMessage.state != "delivered")
    )
    if not pending:
        return []
    states = {str(row["command_id"]): row["state"] for row in pending}
    rows = await HandoverRecord.select(
        HandoverRecord.id, HandoverRecord.serial, HandoverRecord.declaration_number, HandoverRecord.from_branch.code.as_alias("from_code"),
        HandoverRecord.from_branch_name, HandoverRecord.received_at, HandoverRecord.receipt_command,
    ).where(
        (HandoverRecord.to_branch == branch_id) & (HandoverRecord.state == "received") & HandoverRecord.faxed_at.is_null()
        & HandoverRecord.receipt_command.is_in([row["command_id"] for row in pending])
    ).order_by(HandoverRecord.id)
    return [
        FaxDue(row["id"], row["serial"], row["declaration_number"], row["from_code"] or row["from_branch_name"], row["received_at"],
               states.get(str(row["receipt_command"]), ""))
        for row in rows
    ]


def overdue_days(records: Iterable[RecordView], now: datetime, limit_days: int) -> dict[int, int]:
    """{record id: whole days since it was handed over} of the records still waiting for their receipt longer than
    `limit_days` (giamsat's rule, GIAMSAT_RECORD_OVERDUE_DAYS, standing in for Art 41.1.4.b's registered time)."""
    late = {}
    for record in records:
        since = record.handed_over_at or record.issued_at
        if record.state == "handed_over" and now - since > timedelta(days=limit_days):
            late[record.id] = (now - since).days
    return late


async def violations_for(branch_id: int | None, *, open_only: bool = False, limit: int = 200) -> list[ViolationView]:
    """What receipts found, addressed to a branch's supervisors, newest first: violation records about its records
    (Art 41.2.b.2), proposals for a physical inspection at its bonded warehouses (43.1.c.4), and violation records on
    paper records from branches not in giamsat, to pass on. `open_only`: those no supervisor has closed yet."""
    if branch_id is None:
        return []
    query = ViolationRecord.select(
        ViolationRecord.all_columns(),
        ViolationRecord.record.serial.as_alias("serial"),
        ViolationRecord.record.declaration_number.as_alias("declaration_number"),
        ViolationRecord.by_branch.code.as_alias("by_code"),
        ViolationRecord.by_branch.name.as_alias("by_name"),
        ViolationRecord.officer.full_name.as_alias("officer_name"),
        ViolationRecord.location.name.as_alias("location_name"),
        ViolationRecord.closed_by.full_name.as_alias("closed_by_name"),
    ).where(ViolationRecord.to_branch == branch_id)
    if open_only:
        query = query.where(ViolationRecord.closed_at.is_null())
    rows = await query.order_by(ViolationRecord.id, ascending=False).limit(limit)
    return [
        ViolationView(
            id=row["id"], record_id=row["record"], record_serial=row["serial"],
            declaration_number=row["declaration_number"], by_branch_code=row["by_code"], by_branch_name=row["by_name"],
            text=row["text"], containers=msgspec.convert(_json(row["containers"], []), list[ReceivedContainer]),
            officer=row["officer_name"], issued_at=row["issued_at"], location=row["location_name"] or "",
            closed_by=row["closed_by_name"], closed_at=row["closed_at"], closing_note=row["closing_note"],
            clause=row["clause"], forward_to=row["forward_to"],
        )
        for row in rows
    ]


async def evidence(actor: Actor, number_text: str) -> Evidence:
    """The sealing evidence of a declaration: the officers' decisions on the requirement, its seals, corrections,
    the "sealed" confirmation, its records with their photos, and who did what when (the journal rows of the
    seals.* commands about it, every branch's).

    Who: officers and supervisors of a branch concerned with the goods (seals/policy.py). Anyone else is told there
    is no such declaration (404).
    """
    number = parse_number(number_text)
    declaration = await policy.declaration_row(number)
    if declaration is None or not await policy.is_concerned(actor, declaration):
        raise policy.not_found(number)
    declaration_id = declaration["id"]
    record_rows = await HandoverRecord.select(*_RECORD_COLUMNS).where(HandoverRecord.declaration_number == number).order_by(HandoverRecord.id)
    seal_ids = await seal_ids_of(declaration_id)
    seal_rows = await Seal.select(
        Seal.all_columns(), Seal.branch.code.as_alias("branch_code"), Seal.location.name.as_alias("location_name"),
        Seal.officer.full_name.as_alias("officer_name"), Seal.ended_by.full_name.as_alias("ended_by_name"),
    ).where(Seal.id.is_in(seal_ids or [0])).order_by(Seal.id)
    covers = await covered_numbers(seal_ids)
    decision_rows = await SealRequirementDecision.select(
        SealRequirementDecision.all_columns(), SealRequirementDecision.branch.code.as_alias("branch_code"),
        SealRequirementDecision.officer.full_name.as_alias("officer_name"),
    ).where(SealRequirementDecision.declaration == declaration_id).order_by(SealRequirementDecision.id)
    correction_rows = await SealCorrection.select(
        SealCorrection.all_columns(), SealCorrection.officer.full_name.as_alias("officer_name"),
    ).where(SealCorrection.declaration == declaration_id).order_by(SealCorrection.id)
    confirmation = await SealedConfirmation.select(
        SealedConfirmation.all_columns(), SealedConfirmation.branch.code.as_alias("branch_code"),
        SealedConfirmation.officer.full_name.as_alias("officer_name"),
    ).where(SealedConfirmation.declaration == declaration_id).first()
    # A seal recorded from another declaration of a consolidated container (Art 44.2.b.1.2) is this one's too: its
    # journal rows (the seal, its replacement or removal) name that declaration, so they are found by command id.
    shared = [
        command for row in seal_rows if row["declaration"] != declaration_id
        for command in (row["command_id"], row["ended_command_id"]) if command is not None
    ]
    about = JournalEntry.declaration_number == number
    if shared:
        about = about | JournalEntry.command_id.is_in(shared)
    journal = await (
        JournalEntry.select(*JOURNAL_COLUMNS)
        .where(about & JournalEntry.command_type.like("seals.%"))
        .order_by(JournalEntry.issued_at_utc)
    )
    decisions = [
        DecisionView(required=bool(row["required"]), reason=row["reason"], officer=row["officer_name"], branch_code=row["branch_code"], issued_at=row["issued_at"])
        for row in decision_rows
    ]
    return Evidence(
        number=number,
        required=decisions[-1].required if decisions else None,
        sealed=confirmation is not None,
        decisions=decisions,
        seals=[
            SealView(
                id=row["id"], unit_kind=row["unit_kind"], unit=row["unit"], seal_number=row["seal_number"],
                state=row["state"], scanned=bool(row["scanned"]), conflict_with=row["conflict_with"],
                branch_code=row["branch_code"], location=row["location_name"], officer=row["officer_name"],
                sealed_at=row["sealed_at"], ended_at=row["ended_at"], ended_by=row["ended_by_name"],
                end_cause=row["end_cause"], end_reason=row["end_reason"], cfs_list=row["cfs_list"],
                covers=covers.get(row["id"], []),
            )
            for row in seal_rows
        ],
        corrections=[
            CorrectionView(
                field=row["field"], container=row["container"], old_value=row["old_value"], new_value=row["new_value"],
                reason=row["reason"], officer=row["officer_name"], issued_at=row["issued_at"],
            )
            for row in correction_rows
        ],
        confirmation=ConfirmationView(
            seal_count=confirmation["seal_count"], record_id=confirmation["record"], officer=confirmation["officer_name"],
            branch_code=confirmation["branch_code"], issued_at=confirmation["issued_at"],
        ) if confirmation else None,
        records=[await _record_view(row) for row in record_rows],
        actions=await actions_from_rows(journal),
    )


# --- the result not as declared (Art 41.1.c.2) ----------------------------------------------------------------


async def open_mismatches(declaration_id: int) -> list[dict[str, Any]]:
    """The declaration's reports of goods not as declared at sealing that nobody resolved yet (they block
    "confirm sealed": Art 41.1.c.1 seals only goods found as declared)."""
    return await SealingMismatch.select(SealingMismatch.id, SealingMismatch.differences, SealingMismatch.route).where(
        (SealingMismatch.declaration == declaration_id) & SealingMismatch.resolved_at.is_null()
    ).order_by(SealingMismatch.id)


async def mismatches(*, branch_id: int | None = None, declaration_id: int | None = None, open_only: bool = False, limit: int = 200) -> list[MismatchView]:
    """Reports of goods not as declared at sealing (Art 41.1.c.2), newest first: a departure branch's (what its
    supervisors see on /seals/violations), or one declaration's (its sealing page)."""
    if branch_id is None and declaration_id is None:
        return []
    query = SealingMismatch.select(
        SealingMismatch.all_columns(),
        SealingMismatch.officer.full_name.as_alias("officer_name"),
        SealingMismatch.location.name.as_alias("location_name"),
        SealingMismatch.resolved_by.full_name.as_alias("resolved_by_name"),
    )
    if branch_id is not None:
        query = query.where(SealingMismatch.branch == branch_id)
    if declaration_id is not None:
        query = query.where(SealingMismatch.declaration == declaration_id)
    if open_only:
        query = query.where(SealingMismatch.resolved_at.is_null())
    rows = await query.order_by(SealingMismatch.id, ascending=False).limit(limit)
    return [
        MismatchView(
            id=row["id"], number=row["number"], route=row["route"], differences=row["differences"],
            units=_json(row["units"], []), officer=row["officer_name"], location=row["location_name"] or "",
            issued_at=row["issued_at"], resolved_by=row["resolved_by_name"], resolved_at=row["resolved_at"],
            resolution=row["resolution"],
        )
        for row in rows
    ]


async def sealing_units(declaration_id: int) -> list[dict[str, str]]:
    """What was sealed, as the approval notice and the goods schedule list it (Art 41.1.c.1.1: "số hiệu niêm phong
    hải quan tương ứng của từng số hiệu container/toa tàu/kiện hàng"): the declared containers (corrections applied)
    with their carrier seal, then any other unit with an active customs seal (rail wagons, packages, a container not
    declared), in the order sealed. [{kind, number, carrier_seal, seal_number}]; seal_number "" when unsealed."""
    current = await current_unit_seals(declaration_id)
    units = [
        {"kind": UnitKind.CONTAINER.value, "number": c["number"], "carrier_seal": c["carrier_seal"],
         "seal_number": current.get((UnitKind.CONTAINER.value, c["number"]), "")}
        for c in await declared_containers(declaration_id)
    ]
    listed = {(unit["kind"], unit["number"]) for unit in units}
    units += [
        {"kind": kind, "number": unit, "carrier_seal": "", "seal_number": seal}
        for (kind, unit), seal in current.items()
        if (kind, unit) not in listed
    ]
    return units
