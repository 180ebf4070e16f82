"""Bonded warehouse commands (Decision 1966 Art 43; 44.2.a for a CFS).

Goods in:
- the seals domain's `seals.receive_record` at a bonded warehouse (43.1.c.1-c.3): an after-apply hook below makes
  the entry and its lots, from the record's goods lines (or the declaration's goods when the record lists only
  containers). A discrepancy at receipt stays the seals domain's (`seals.record_discrepancy`: at a bonded warehouse
  it is already a proposal to the head for an inspection, 43.1.c.4): no entry is made then.
- `bonded.supervise_entry` (customs of the managing branch): goods in without a record: from the domestic market or
  a non-tariff zone (43.2.b), from another bonded warehouse (43.6.a), or from a gate of the same branch (43.1.d,
  TT38 Art 91.6: no handover record).
Goods out:
- `bonded.create_release` (the warehouse's staff): the release note (Phiếu xuất kho): number, kind, declaration,
  lines of lots and quantities; the quantities leave stock at once, never below zero.
- `bonded.check_release` (customs of the managing branch): the quantities loaded compared with the note and the
  declaration (43.3.a.1, 43.4.b.2, 43.6.b), the exit gate of a transit declaration (43.3.a.2), the conditions of
  goods into the domestic market or a non-tariff zone (43.4.b.1).
- `bonded.attach_record` (the same customs): the handover record to the zone's branch (43.5), made with the seals
  domain's commands.
Signs of a violation:
- `bonded.propose_inspection` (customs of the managing branch), `bonded.decide_inspection` (its head, signed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from backend.bonded import policy
from backend.bonded.schemas import parse_goods, parse_pairs, show
from backend.bonded.tables import BondedEntry, BondedLot, BondedProposal, BondedRelease, BondedReleaseLine
from backend.bonded.workflow import ProposalState, ReleaseState, check, decide, transition
from backend.declarations.services import declaration_by_number
from backend.declarations.tables import DeclarationKind
from backend.journal.registry import CommandContext, after_apply, command
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.lib.structs import RowId, Struct
from backend.logbook.services import SUMMARIES, Summary
from backend.officers.tables import Branch, Location, LocationKind, Role
from backend.warehouse.policy import premises_row

CUSTOMS = {Role.OFFICER, Role.SUPERVISOR}
Csv = Annotated[str, msgspec.Meta(max_length=50_000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
DeclarationText = Annotated[str, msgspec.Meta(max_length=80)]

ENTRY_KINDS = {"domestic": "43.2.b", "bonded": "43.6.a", "same_branch": "43.1.d"}
RELEASE_CLAUSES = {"abroad": "43.3.a", "domestic": "43.4", "non_tariff": "43.5", "bonded": "43.6.b"}
# 43.4.b.1 delegates the conditions to TT38 Art 91.4.c; giamsat's reading of them, ticked by the officer (docs/bonded.md).
CONDITIONS = {
    "declaration_cleared": N_("The declaration is registered at a branch and its status lets the goods out (thông quan / giải phóng hàng)"),
    "policy_documents": N_("Licences and specialised inspection results the goods need are presented"),
    "duties": N_("Duties paid or guaranteed"),
    "goods_identity": N_("The goods on the release note are the goods of the declaration (name, marks, origin)"),
}


class SuperviseEntry(Struct, kw_only=True):
    premises_id: RowId
    kind: Literal["domestic", "bonded", "same_branch"]
    declaration: DeclarationText
    goods: Csv  # one a line: goods, unit, quantity
    note: Note = ""


class CreateRelease(Struct, kw_only=True):
    """The warehouse's release note. `premises_id`: None means the premises on the staff member's account."""

    kind: Literal["abroad", "domestic", "non_tariff", "bonded"]
    declaration: DeclarationText
    note_number: Annotated[str, msgspec.Meta(max_length=40)]
    lines: Csv  # one a line: lot number, quantity
    premises_id: RowId | None = None
    to_branch: Annotated[str, msgspec.Meta(max_length=16)] = ""  # non_tariff: the branch managing the zone
    to_premises: Annotated[str, msgspec.Meta(max_length=32)] = ""  # bonded: the other warehouse's code


class CheckRelease(Struct, kw_only=True):
    release_id: RowId
    loaded: Csv  # one a line: line number, quantity found loaded / going out
    declaration_matches: bool = False
    conditions: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=10)] = []
    note: Note = ""


class AttachRecord(Struct, kw_only=True):
    release_id: RowId
    record_id: RowId


class ProposeInspection(Struct, kw_only=True):
    entry_id: RowId | None = None
    release_id: RowId | None = None
    text: Note


class DecideInspection(Struct, kw_only=True):
    proposal_id: RowId
    decision: Literal["inspect", "no_inspection"]
    note: Note = ""


# --- shared reads ---------------------------------------------------------------------------------------------


async def _premises_for(context: CommandContext, premises_id: int | None, may: Any) -> dict[str, Any]:
    premises = await premises_row(premises_id) if premises_id is not None else None
    if not may(context.actor, premises):
        if premises is not None and policy.may_see(context.actor, premises):
            raise DomainError("not_yours_to_do", N_("You may see this warehouse but not do this there."))
        raise policy.not_found()
    assert premises is not None
    return premises


async def _release_for(context: CommandContext, release_id: int, may: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    row = await BondedRelease.select().where(BondedRelease.id == release_id).first()
    if row is None:
        raise policy.not_found()
    premises = await policy.premises_of(row)
    if not may(context.actor, premises):
        if policy.may_see(context.actor, premises):
            raise DomainError("not_yours_to_do", N_("You may see this movement but not do this on it."))
        raise policy.not_found()
    return row, premises


async def _declaration(text: str) -> Any:
    return await declaration_by_number(text.strip())


async def exit_gate_problem(found: Any) -> DomainError | None:
    """Art 43.3.a.2 (TT38 Art 91.3.c): the exit gate on the independent transit declaration — its destination branch,
    the branch of the exit gate (Chi cục Hải quan cửa khẩu xuất) — must be a branch in the catalog with a place of
    exit: a gate (seaport, airport, land border gate) or a port. An inland branch with only warehouses, or a branch
    giamsat does not know, is refused (giamsat's reading: docs/bonded.md)."""
    transit = found.transit
    code = transit.destination_branch_code.strip() if transit is not None else ""
    if not code:
        return DomainError("exit_gate_missing", N_("Transit declaration %(number)s names no exit gate (Decision 1966, Art 43.3.a.2)."), number=found.number)
    branch = await Branch.select(Branch.id, Branch.name).where(Branch.code == code).first()
    if branch is None:
        return DomainError(
            "exit_gate_unknown",
            N_("The exit gate branch %(code)s on transit declaration %(number)s is not in the branches catalog: the exit gate cannot be checked (Decision 1966, Art 43.3.a.2; TT38 Art 91.3.c)."),
            code=code, number=found.number,
        )
    if not await Location.exists().where((Location.branch == branch["id"]) & Location.kind.is_in([LocationKind.GATE.value, LocationKind.PORT.value])):
        return DomainError(
            "exit_gate_not_border",
            N_("%(branch)s, the exit branch on transit declaration %(number)s, has no border gate or port: goods from a bonded warehouse leave through an international border gate or port (Decision 1966, Art 43.3.a.2; TT38 Art 91.3.c)."),
            branch=branch["name"], number=found.number,
        )
    return None


async def _declaration_for_release(kind: str, text: str, premises: dict[str, Any]) -> Any:
    found = await _declaration(text)
    if kind == "abroad":
        # 43.3.a: "Tờ khai vận chuyển độc lập"; the branch managing the warehouse does the Art 41 procedure.
        if found.kind != DeclarationKind.INDEPENDENT_TRANSIT.value:
            raise DomainError("not_transit", N_("Goods leave a bonded warehouse abroad on an independent transit declaration; %(number)s is not one (Decision 1966, Art 43.3.a)."), number=found.number)
        branch = await Branch.select(Branch.code).where(Branch.id == premises["branch"]).first()
        if branch is None or found.branch_code != branch["code"]:
            raise DomainError("not_registered_here", N_("Transit declaration %(number)s is not registered at the branch managing this warehouse (Decision 1966, Art 43.3.a: that branch follows Art 41)."), number=found.number)
        problem = await exit_gate_problem(found)
        if problem is not None:
            raise problem
    elif found.kind != DeclarationKind.IMPORT.value:
        raise DomainError("not_import", N_("Goods leave a bonded warehouse for the domestic market, a non-tariff zone or another bonded warehouse on an import declaration (Part II); %(number)s is not one (Decision 1966, Art %(clause)s)."),
                          number=found.number, clause=RELEASE_CLAUSES[kind])
    return found


async def _take(premises_id: int, lot_id: int, milli: int) -> dict[str, Any]:
    """Take `milli` out of a lot of these premises; refused (and the command with it) when more than what is left."""
    lot = await BondedLot.select().where((BondedLot.id == lot_id) & (BondedLot.premises == premises_id)).first()
    if lot is None:
        raise DomainError("unknown_lot", N_("There is no lot %(lot)s in this warehouse's stock."), lot=lot_id)
    taken = await BondedLot.update({BondedLot.quantity_left_m: BondedLot.quantity_left_m - milli}).where(
        (BondedLot.id == lot_id) & (BondedLot.quantity_left_m >= milli)
    ).returning(BondedLot.id)
    if not taken:
        raise DomainError(
            "more_than_stock",
            N_("Lot %(lot)s (%(goods)s) has %(left)s %(unit)s left; %(asked)s %(unit)s cannot go out. Nothing was saved (Decision 1966, Art 43: goods out of a bonded warehouse come out of its stock)."),
            lot=lot_id, goods=lot["goods"], left=show(lot["quantity_left_m"]), asked=show(milli), unit=lot["unit"],
        )
    return lot


async def _add_entry(context: CommandContext, premises: dict[str, Any], kind: str, number: str, goods: list[tuple[str, str, int]], *,
                     record: int | None = None, record_serial: str = "", note: str = "") -> int:
    entry_id = (
        await BondedEntry.insert(
            BondedEntry(command_id=context.command_id, premises=premises["id"], branch=premises["branch"], kind=kind, declaration_number=number,
                        record=record, record_serial=record_serial, note=note, officer=context.actor.id, issued_at=context.issued_at)
        ).returning(BondedEntry.id)
    )[0]["id"]
    await BondedLot.insert(
        *[BondedLot(entry=entry_id, premises=premises["id"], declaration_number=number, goods=name, unit=unit, quantity_in_m=milli, quantity_left_m=milli)
          for name, unit, milli in goods]
    )
    return entry_id


# --- goods in ---------------------------------------------------------------------------------------------------


@after_apply
async def stock_from_received_record(context: CommandContext, command_type: str, payload: Any, result: dict[str, Any]) -> None:
    """Art 43.1.c.1-c.3: the branch managing a bonded warehouse confirmed receipt of the handover record there (the
    seals domain's `seals.receive_record`, with the location where it was received): the goods enter its stock, one
    lot per goods line of the record, or one lot of the declaration's goods (its packages, weight or containers)
    when the record lists containers only. Once per record."""
    if command_type != "seals.receive_record" or not result.get("record_id"):
        return
    premises = await premises_row(payload.location_id)
    if not policy.is_bonded(premises) or await BondedEntry.exists().where(BondedEntry.record == result["record_id"]):
        return
    assert premises is not None
    from backend.seals.tables import HandoverRecord  # the seals domain's record, read once it is received

    record = await HandoverRecord.select(HandoverRecord.goods, HandoverRecord.containers, HandoverRecord.declaration_number, HandoverRecord.serial).where(
        HandoverRecord.id == result["record_id"]
    ).first()
    if record is None:
        return
    goods: list[tuple[str, str, int]] = []
    for line in msgspec.json.decode(record["goods"] or "[]"):
        milli = int(round(float(line.get("quantity") or 0) * 1000))
        if milli > 0:
            goods.append((str(line.get("name") or "")[:500], str(line.get("unit") or "")[:24], milli))
    if not goods:
        goods = [await _declared_goods(record["declaration_number"], len(msgspec.json.decode(record["containers"] or "[]")))]
    await _add_entry(context, premises, "abroad", record["declaration_number"], goods, record=result["record_id"], record_serial=record["serial"])


async def _declared_goods(number: str, containers: int) -> tuple[str, str, int]:
    """The declaration's goods as one lot: its packages (loose cargo), weight (bulk) or containers."""
    from backend.declarations.tables import Declaration

    row = await Declaration.select(Declaration.goods_description, Declaration.package_count, Declaration.weight_g).where(Declaration.number == number).first()
    name = (row or {}).get("goods_description") or number
    if row and row["package_count"]:
        return name, "kiện", row["package_count"] * 1000
    if row and row["weight_g"]:
        return name, "kg", row["weight_g"]
    return name, "container", max(containers, 1) * 1000


@command("bonded.supervise_entry", payload=SuperviseEntry, roles=CUSTOMS, label=N_("Goods entering a bonded warehouse supervised"))
async def supervise_entry(context: CommandContext, payload: SuperviseEntry) -> dict[str, Any]:
    premises = await _premises_for(context, payload.premises_id, policy.may_supervise)
    if policy.is_cfs(premises):
        raise DomainError("not_bonded", N_("Goods enter a CFS through the transit procedure (Art 44.1): record its handover record's receipt."))
    goods = parse_goods(payload.goods)  # every line checked before anything is looked up or written
    found = await _declaration(payload.declaration)
    if payload.kind == "same_branch":
        # 43.1.d (TT38 Art 91.6): imported goods from a gate of the branch that also manages the warehouse.
        if found.kind != DeclarationKind.IMPORT.value:
            raise DomainError("not_import", N_("%(number)s is not an import declaration (Decision 1966, Art 43.1.d)."), number=found.number)
        gates = await Location.select(Location.code).where((Location.branch == premises["branch"]) & Location.kind.is_in([LocationKind.GATE.value, LocationKind.PORT.value]))
        if not set(found.places) & {row["code"] for row in gates}:
            raise DomainError("not_same_branch", N_("Declaration %(number)s names no gate of the branch managing this warehouse: receive its handover record instead (Decision 1966, Art 43.1.c, 43.1.d)."), number=found.number)
    elif found.kind == DeclarationKind.EXPORT.value:
        raise DomainError("not_import", N_("%(number)s is an export declaration: goods enter a bonded warehouse on an import declaration (Decision 1966, Art %(clause)s)."),
                          number=found.number, clause=ENTRY_KINDS[payload.kind])
    if not found.allows_passage:
        raise DomainError("not_cleared", N_("The status of declaration %(number)s does not allow the goods to move (%(status)s) (Decision 1966, Art %(clause)s)."),
                          number=found.number, status=found.status_code, clause=ENTRY_KINDS[payload.kind])
    entry_id = await _add_entry(context, premises, payload.kind, found.number, [(g.goods, g.unit, g.quantity_m) for g in goods], note=payload.note.strip())
    return {"entry_id": entry_id, "number": found.number, "kind": payload.kind, "lots": len(goods), "clause": ENTRY_KINDS[payload.kind]}


# --- goods out --------------------------------------------------------------------------------------------------


@command("bonded.create_release", payload=CreateRelease, roles={Role.WAREHOUSE}, label=N_("Bonded warehouse release note entered"))
async def create_release(context: CommandContext, payload: CreateRelease) -> dict[str, Any]:
    wanted = payload.premises_id if payload.premises_id is not None else context.actor.premises_id
    premises = await _premises_for(context, wanted, policy.may_release)
    if policy.is_cfs(premises) and payload.kind != "domestic":
        raise DomainError("cfs_domestic_only", N_("From a CFS, this page records goods into the domestic market only (Decision 1966, Art 44.2.a)."))
    note_number = payload.note_number.strip()
    if not note_number:
        raise DomainError("note_number_required", N_("Give the release note's number (Phiếu xuất kho)."))
    pairs = parse_pairs(payload.lines, "lot")
    if len({lot for lot, _ in pairs}) != len(pairs):
        raise DomainError("lot_twice", N_("A lot is listed once on a release note."))
    found = await _declaration_for_release(payload.kind, payload.declaration, premises)
    to_branch = to_premises = None
    if payload.kind == "non_tariff":
        row = await Branch.select(Branch.id).where(Branch.code == payload.to_branch.strip()).first()
        if row is None:
            raise DomainError("zone_branch_required", N_("Name the branch managing the non-tariff zone (its code): the handover record goes to it (Decision 1966, Art 43.5)."))
        to_branch = row["id"]
    if payload.kind == "bonded":
        row = await Location.select(Location.id).where((Location.code == payload.to_premises.strip()) & (Location.kind == LocationKind.WAREHOUSE.value)).first()
        if row is None or row["id"] == premises["id"]:
            raise DomainError("other_warehouse_required", N_("Name the other bonded warehouse (its code) the goods go to (Decision 1966, Art 43.6)."))
        to_premises = row["id"]
    release_id = (
        await BondedRelease.insert(
            BondedRelease(command_id=context.command_id, premises=premises["id"], branch=premises["branch"], kind=payload.kind, declaration_number=found.number,
                          note_number=note_number, to_branch=to_branch, to_premises=to_premises, state=ReleaseState.SUBMITTED.value,
                          created_by=context.actor.id, issued_at=context.issued_at)
        ).returning(BondedRelease.id)
    )[0]["id"]
    for index, (lot_id, milli) in enumerate(pairs, start=1):
        await _take(premises["id"], lot_id, milli)  # a refusal rolls back the release and every lot taken before
        await BondedReleaseLine.insert(BondedReleaseLine(release=release_id, line=index, lot=lot_id, quantity_m=milli))
    return {"release_id": release_id, "number": found.number, "kind": payload.kind, "note_number": note_number, "lines": len(pairs), "state": ReleaseState.SUBMITTED.value}


@command("bonded.check_release", payload=CheckRelease, roles=CUSTOMS, label=N_("Goods out of a bonded warehouse checked"))
async def check_release(context: CommandContext, payload: CheckRelease) -> dict[str, Any]:
    row, premises = await _release_for(context, payload.release_id, policy.may_supervise)
    kind = row["kind"]
    target = ReleaseState.AWAITING_RECORD if kind == "non_tariff" else ReleaseState.DONE
    check(row["state"], target)
    clause = RELEASE_CLAUSES[kind]
    lines = await BondedReleaseLine.select().where(BondedReleaseLine.release == row["id"]).order_by(BondedReleaseLine.line)
    loaded = dict(parse_pairs(payload.loaded, "line"))
    unknown = sorted(set(loaded) - {line["line"] for line in lines})
    if unknown:
        raise DomainError("unknown_line", N_("The release note has no line %(lines)s."), lines=", ".join(map(str, unknown)))
    differences = [
        gettext("line %(line)s: %(found)s, on the note %(noted)s", line=line["line"], found=show(loaded.get(line["line"])) or "-", noted=show(line["quantity_m"]))
        for line in lines
        if loaded.get(line["line"]) != line["quantity_m"]
    ]
    if differences:
        # 43.3.a.1 / 43.4.b.2: the quantity out is compared; what differs is a sign for the head, not a check passed.
        raise DomainError("quantity_differs", N_("Not as on the release note: %(differences)s. Propose a physical inspection to the head instead (Decision 1966, Art %(clause)s)."),
                          differences="; ".join(differences), clause="43.3.a.1" if kind == "abroad" else ("43.4.b.2" if kind != "bonded" else "43.6.b"))
    if not payload.declaration_matches:
        raise DomainError("declaration_not_compared", N_("Compare the goods with the declaration and tick it, or propose a physical inspection (Decision 1966, Art %(clause)s)."),
                          clause="43.3.a.1" if kind == "abroad" else "43.4.b.2" if kind != "bonded" else "43.6.b")
    found = await _declaration(row["declaration_number"])
    checks: dict[str, Any] = {"loaded": {str(k): v for k, v in loaded.items()}, "declaration_matches": True, "note": payload.note.strip()}
    if kind == "abroad":
        problem = await exit_gate_problem(found)  # 43.3.a.2, on the declaration's facts as they are now
        if problem is not None:
            raise problem
        checks["exit_branch"] = found.transit.destination_branch_code
    if kind in ("domestic", "non_tariff"):
        missing = [key for key in CONDITIONS if key not in payload.conditions]
        if missing:
            raise DomainError("conditions_not_met", N_("Tick every condition of goods into the domestic market, or do not let them out: %(missing)s (Decision 1966, Art 43.4.b.1; TT38 Art 91.4.c)."),
                              missing="; ".join(gettext(CONDITIONS[key]) for key in missing))
        if not found.allows_passage:
            raise DomainError("not_cleared", N_("The status of declaration %(number)s does not let the goods out (%(status)s) (Decision 1966, Art 43.4.b.1)."),
                              number=found.number, status=found.status_code)
        checks["conditions"] = list(CONDITIONS)
    await transition(row["id"], row["state"], target, by=context.actor.id, at=context.issued_at, checks=msgspec.json.encode(checks).decode())
    await BondedReleaseLine.update({BondedReleaseLine.loaded_m: BondedReleaseLine.quantity_m}).where(BondedReleaseLine.release == row["id"])
    return {"release_id": row["id"], "number": row["declaration_number"], "kind": kind, "state": target.value, "clause": clause}


@command("bonded.attach_record", payload=AttachRecord, roles=CUSTOMS, label=N_("Handover record to the non-tariff zone's branch attached"))
async def attach_record(context: CommandContext, payload: AttachRecord) -> dict[str, Any]:
    """43.5: "niêm phong và lập Biên bản bàn giao cho Chi cục Hải quan quản lý khu phi thuế quan": the record, made
    and signed with the seals domain's commands by this branch, for this declaration, to the zone's branch."""
    row, premises = await _release_for(context, payload.release_id, policy.may_supervise)
    check(row["state"], ReleaseState.DONE)
    from backend.seals.tables import HandoverRecord
    from backend.seals.workflow import RecordState

    record = await HandoverRecord.select(HandoverRecord.id, HandoverRecord.serial, HandoverRecord.state).where(
        (HandoverRecord.id == payload.record_id) & (HandoverRecord.from_branch == premises["branch"])
        & (HandoverRecord.to_branch == row["to_branch"]) & (HandoverRecord.declaration_number == row["declaration_number"])
    ).first()
    if record is None or record["state"] == RecordState.DRAFT.value:
        raise DomainError("record_not_found", N_("No signed handover record of declaration %(number)s from your branch to the zone's branch: seal the goods and make it first (Decision 1966, Art 43.5)."),
                          number=row["declaration_number"])
    await transition(row["id"], row["state"], ReleaseState.DONE, by=context.actor.id, at=context.issued_at, record=record["id"], record_serial=record["serial"])
    return {"release_id": row["id"], "number": row["declaration_number"], "record_id": record["id"], "serial": record["serial"], "state": ReleaseState.DONE.value, "clause": "43.5"}


# --- signs of a violation ---------------------------------------------------------------------------------------


@command("bonded.propose_inspection", payload=ProposeInspection, roles=CUSTOMS, label=N_("Physical inspection proposed to the head of the branch"))
async def propose_inspection(context: CommandContext, payload: ProposeInspection) -> dict[str, Any]:
    """43.1.c.4, 43.2.b (goods in) and 43.3.a.1 (goods out abroad): "đề xuất Chi cục trưởng ... kiểm tra thực tế"."""
    text = payload.text.strip()
    if (payload.entry_id is None) == (payload.release_id is None):
        raise DomainError("one_movement", N_("Name the movement in or out the proposal is about."))
    if not text:
        raise DomainError("text_required", N_("Say what the signs of a violation are."))
    if payload.entry_id is not None:
        row = await BondedEntry.select().where(BondedEntry.id == payload.entry_id).first()
        if row is None:
            raise policy.not_found()
        clause = "43.1.c.4" if row["kind"] in ("abroad", "same_branch") else "43.2.b"
    else:
        row = await BondedRelease.select().where(BondedRelease.id == payload.release_id).first()
        if row is None:
            raise policy.not_found()
        clause = "43.3.a.1" if row["kind"] == "abroad" else RELEASE_CLAUSES[row["kind"]]
    premises = await policy.premises_of(row)
    if not policy.may_supervise(context.actor, premises):
        if policy.may_see(context.actor, premises):
            raise DomainError("not_yours_to_do", N_("You may see this movement but not do this on it."))
        raise policy.not_found()
    proposal_id = (
        await BondedProposal.insert(
            BondedProposal(command_id=context.command_id, premises=premises["id"], branch=premises["branch"], entry=payload.entry_id, release=payload.release_id,
                           clause=clause, text=text, officer=context.actor.id, issued_at=context.issued_at)
        ).returning(BondedProposal.id)
    )[0]["id"]
    return {"proposal_id": proposal_id, "number": row["declaration_number"], "clause": clause, "state": ProposalState.PROPOSED.value}


@command("bonded.decide_inspection", payload=DecideInspection, roles={Role.SUPERVISOR}, label=N_("Head's decision on a proposed physical inspection"))
async def decide_inspection(context: CommandContext, payload: DecideInspection) -> dict[str, Any]:
    row = await BondedProposal.select().where(BondedProposal.id == payload.proposal_id).first()
    if row is None:
        raise policy.not_found()
    premises = await policy.premises_of(row)
    if not policy.may_decide(context.actor, premises):
        raise policy.not_found()
    note = payload.note.strip()
    if payload.decision == "no_inspection" and not note:
        raise DomainError("note_required", N_("Say why no physical inspection is needed."))
    await decide(row["id"], payload.decision, by=context.actor.id, at=context.issued_at, note=note)
    return {"proposal_id": row["id"], "clause": row["clause"], "decision": payload.decision, "state": payload.decision}


# --- the logbook's words for these commands ---------------------------------------------------------------------


def _summary(payload: dict[str, Any], result: dict[str, Any]) -> Summary:
    parts = [str(result[key]) for key in ("number", "note_number", "serial") if result.get(key)]
    if result.get("clause"):
        parts.append(gettext("Art %(clause)s", clause=result["clause"]))
    return Summary(detail=" · ".join(parts), text=str(payload.get("text") or payload.get("note") or "").strip())


for _type in ("bonded.supervise_entry", "bonded.create_release", "bonded.check_release", "bonded.attach_record", "bonded.propose_inspection", "bonded.decide_inspection"):
    SUMMARIES[_type] = _summary
