"""Gate commands (Art 35.2.b, 36.2.c): confirm passage, cancel a confirmation, report a mismatch, refuse exit at a
land border, and the supervisor closing a report.

The device checks the goods against its replicated gate card at once (online or offline); the server checks again
here, on its current card, when it applies the command:
- made online and the server's check refuses → the command is refused with the server's reasons, nothing changes;
- made offline or in contingency mode (`context.contingency`) → applied anyway, because the goods have gone
  through on the officer's word; the server's reasons are kept on the passage and the command shows on
  /reconciliation with them (`RECONCILE_CHECKS` below), for the branch to check the lot (domain.md W9).
At most one confirmation of a container (or a lot) stands at a time, whatever the branch: a unique key in the
database, not only a read before the write (two branches' journal chains are written concurrently).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from backend.barcodes import iso6346
from backend.barcodes import payload as barcode_payload
from backend.barcodes.payload import BarcodeError
from backend.barcodes.services import configured_keyring
from backend.declarations.services import parse_number
from backend.declarations.tables import Declaration
from backend.gate import services
from backend.gate.card_states import seen_card_could_pass
from backend.gate.cards import card_with_id
from backend.gate.check import DIRECT_KINDS, GateCard, OutsideState, Presented, Reason, Severity, check_passage
from backend.gate.tables import LOT, GateReport, Passage, ReportKind
from backend.journal.registry import CommandContext, command
from backend.lib import clock
from backend.lib.errors import N_, DomainError, Forbidden, NotFound
from backend.lib.i18n import gettext
from backend.lib.structs import RowId, Struct
from backend.logbook.services import SUMMARIES, Summary
from backend.officers.services import location_of_branch
from backend.officers.tables import Role
from backend.sync.reconciliation import RECONCILE_CHECKS

GATE_ROLES = {Role.OFFICER, Role.SUPERVISOR}
MAX_UNITS = 10  # containers confirmed by one command: one truck, or a few passing together

ContainerNumber = Annotated[str, msgspec.Meta(max_length=20)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]


class ConfirmPassage(Struct):
    """The officer confirms that goods pass (signs and stamps the list, 35.2.b.1): the containers on one truck, or
    the whole lot of bulk, liquid or loose cargo."""

    location_id: RowId
    number: Annotated[str, msgspec.Meta(max_length=40)]
    barcode: Annotated[str, msgspec.Meta(max_length=200)] = ""  # the scanned code; "" when typed (35.2.c)
    containers: Annotated[list[ContainerNumber], msgspec.Meta(max_length=MAX_UNITS)] = []
    lot: bool = False  # bulk / loose cargo: the whole lot
    weight_kg: Annotated[float, msgspec.Meta(ge=0)] | None = None
    package_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    outside_state: OutsideState | None = None  # border gates (Art 36)
    seals_intact: bool | None = None  # border gates (Art 36)
    # The stamp (`updated_at`) of the card the device checked: signed with the rest, so that a confirmation made
    # offline can prove the goods could pass on what the device saw (card_states.py, docs/offline.md).
    card_seen: Annotated[str, msgspec.Meta(max_length=40)] = ""


class CancelPassage(Struct):
    """A confirmation is cancelled (35.2.b.2.2), with the reason."""

    location_id: RowId
    number: Annotated[str, msgspec.Meta(max_length=40)]
    unit: Annotated[str, msgspec.Meta(max_length=20)]  # the container number, or LOT
    reason: Note


class ReportGoods(Struct):
    """A report to the supervisor: a mismatch (35.2.b.2.3), or goods refused exit at a land border (36.2.c.2.3)."""

    location_id: RowId
    number: Annotated[str, msgspec.Meta(max_length=40)]
    reasons: Annotated[list[Annotated[str, msgspec.Meta(max_length=40)]], msgspec.Meta(max_length=40)] = []
    containers: Annotated[list[ContainerNumber], msgspec.Meta(max_length=500)] = []
    note: Note = ""
    # Not a choice: "Thực hiện hủy xác nhận trên Hệ thống (trong trường hợp đã xác nhận)" (35.2.b.2.2, 36.2.c.2.2) —
    # a report always cancels the confirmations this branch made for the declaration. The field stays only so that
    # reports queued by an older page (which sent it) still apply; its value changes nothing.
    cancel_confirmations: bool = True


class CloseReport(Struct):
    report_id: RowId
    note: Note = ""


# --- helpers -------------------------------------------------------------------------------------------------------


class _Reasons:
    """The server's reasons, worded when the refusal is shown (in the reader's language, like i18n.Deferred)."""

    def __init__(self, reasons: list[Reason]) -> None:
        self.reasons = reasons

    def __str__(self) -> str:
        # Each reason with its clause, as the gate page shows them (gate/_result.html): a refusal names its rule.
        return " ".join(f"{reason.text()} ({_clause_words(reason)})" for reason in self.reasons)


def _clause_words(reason: Reason) -> str:
    if reason.by_analogy:
        return gettext(
            "Clause %(clause)s, applied by analogy: the articles for export goods are not in the procedure text",
            clause=reason.clause,
        )
    return gettext("Clause %(clause)s", clause=reason.clause)


def _scanned_version(barcode: str, number: str, *, border_gate: bool, kind: str) -> tuple[int | None, list[Reason]]:
    """The version the scanned list was printed for, and the reasons the barcode itself is refused (forged,
    unknown key, of another declaration). A typed number (35.2.c) has no version and vouches for nothing.

    Reading the barcode and comparing it with the list presented is the lead-in of Art 35.2.a at a port gate and
    of Art 36.2.b at a land border gate ("sử dụng máy đọc mã vạch kiểm tra thông tin mã vạch in trên Danh sách
    container…"), not the status check of 35.2.a.1; an export's reasons cite it by analogy (gate/check.py)."""
    if not barcode.strip():
        return None, []
    clause = "36.2.b" if border_gate else "35.2.a"
    by_analogy = kind not in DIRECT_KINDS
    try:
        decoded = barcode_payload.decode(configured_keyring(), barcode)
    except BarcodeError as error:
        return None, [Reason(code=error.code, clause=clause, severity=Severity.BLOCKING, message=error.message,
                             params=error.params, by_analogy=by_analogy)]
    if decoded.number != number:
        reason = Reason(
            code="barcode_other_declaration",
            clause=clause,
            severity=Severity.BLOCKING,
            message=N_("The barcode is for declaration %(scanned)s, not %(number)s."),
            params={"scanned": decoded.number, "number": number},
            by_analogy=by_analogy,
        )
        return None, [reason]
    return decoded.version, []


def _units(card: GateCard, payload: ConfirmPassage) -> list[str]:
    """What this confirmation covers: normalised container numbers, or the lot."""
    if card.cargo_type == "containers":
        if payload.lot or not payload.containers:
            raise DomainError("containers_required", N_("Choose the containers that pass: this declaration is for container cargo."))
        units = []
        for raw in payload.containers:
            verdict = iso6346.check(raw)
            if not verdict.valid:  # the device checks this too: an invalid number is never confirmed, even offline
                raise DomainError(
                    "container_invalid",
                    N_("%(number)s is not an ISO 6346 container number. Did you mean: %(hints)s?"),
                    number=raw.strip()[:20],
                    hints=", ".join(verdict.hints) or "-",
                )
            units.append(verdict.number)
        return units
    if payload.containers or not payload.lot:
        raise DomainError("lot_required", N_("This declaration is for %(cargo)s cargo: confirm the whole lot."), cargo=card.cargo_type)
    if card.cargo_type == "bulk" and payload.weight_kg is None:
        raise DomainError("weight_required", N_("Enter the weighed weight of the lot."))
    if card.cargo_type == "loose" and payload.package_count is None:
        raise DomainError("packages_required", N_("Enter the number of packages counted."))
    return [LOT]


async def _declaration_id(number: str) -> int:
    row = await Declaration.select(Declaration.id).where(Declaration.number == number).first()
    if row is None:
        raise NotFound("declaration_not_found", N_("No declaration %(number)s in giamsat."), number=number)
    return row["id"]


def _reason_refs(reasons: list[Reason]) -> list[dict[str, Any]]:
    return [{"code": r.code, "clause": r.clause, "message": r.message, "params": r.params} for r in reasons]


# --- commands ------------------------------------------------------------------------------------------------------

# Plain SQL (as the journal's rows): Piccolo's insert of a Table instance cost more than the statement.
_INSERT_PASSAGE = (
    "INSERT INTO gate_passage (command_id, declaration, unit, standing_key, version, scanned, presented, location, "
    "officer, confirmed_at, recorded_at, server_reasons, changed_at, cancelled_command_id, cancelled_by, cancelled_at, "
    "cancel_reason) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, NULL, NULL, '')"
)


@command("gate.confirm_passage", payload=ConfirmPassage, roles=GATE_ROLES, label=N_("Passage confirmed"))
async def confirm_passage(context: CommandContext, payload: ConfirmPassage) -> dict[str, Any]:
    location = await location_of_branch(context.actor, payload.location_id)
    number = parse_number(payload.number)
    declaration_id, card = await card_with_id(number)
    units = _units(card, payload)
    scanned_version, barcode_reasons = _scanned_version(
        payload.barcode, number, border_gate=bool(location["border_gate"]), kind=card.kind
    )
    presented = Presented(
        containers=units if units != [LOT] else None,
        weight_kg=payload.weight_kg,
        package_count=payload.package_count,
        outside_state=payload.outside_state,
        seals_intact=payload.seals_intact,
    )
    verdict = check_passage(
        card, presented, scanned_version=scanned_version, border_gate=bool(location["border_gate"]),
        rules=services.configured_rules(),
    )
    blocking = barcode_reasons + [r for r in verdict.reasons if r.severity == Severity.BLOCKING]
    # Offline (or in contingency mode) the goods went through on the officer's word: applied against a refusing check
    # only when the device provably checked a card they could pass on. "Offline" alone widens nothing.
    if blocking and not (context.contingency and await seen_card_could_pass(declaration_id, payload.card_seen)):
        raise DomainError("not_eligible", N_("The server's check refuses this: %(reasons)s"), reasons=_Reasons(blocking))

    standing = {p.unit: p for p in await services.standing_passages(declaration_id)}
    for unit in units:
        if unit in standing:
            earlier = standing[unit]
            raise DomainError(
                "already_passed",
                N_("%(unit)s already passed: confirmed by %(officer)s at %(location)s, %(time)s."),
                unit=unit if unit != LOT else number,
                officer=earlier.officer,
                location=earlier.location,
                time=clock.iso(earlier.confirmed_at),
            )
    presented_json = msgspec.json.encode(
        {k: v for k, v in msgspec.to_builtins(presented).items() if k != "containers" and v not in (None, False)}
    ).decode()
    server_reasons = msgspec.json.encode(_reason_refs(blocking)).decode()
    for unit in units:
        await Passage.raw(
            _INSERT_PASSAGE,
            context.command_id,
            declaration_id,
            unit,
            services.standing_key(declaration_id, unit),
            card.version,
            scanned_version is not None,
            presented_json,
            payload.location_id,
            context.actor.id,
            context.issued_at,
            context.received_at,
            server_reasons,
            context.received_at,
        )
    total = len(card.containers) if card.cargo_type == "containers" else 1
    return {
        "number": number,
        "units": units,
        "passed": len(standing) + len(units),
        "total": total,
        "server_reasons": [r.code for r in blocking],
    }


@command("gate.cancel_passage", payload=CancelPassage, roles=GATE_ROLES, label=N_("Passage confirmation cancelled"))
async def cancel_passage(context: CommandContext, payload: CancelPassage) -> dict[str, Any]:
    await location_of_branch(context.actor, payload.location_id)
    reason = payload.reason.strip()
    if not reason:
        raise DomainError("reason_required", N_("Write why the confirmation is cancelled."))
    number = parse_number(payload.number)
    declaration_id = await _declaration_id(number)
    unit = payload.unit.strip().upper()
    if unit != LOT:
        unit = iso6346.check(unit).number
    row = await Passage.select(Passage.id, Passage.location.branch.as_alias("branch")).where(
        Passage.standing_key == services.standing_key(declaration_id, unit)
    ).first()
    if row is None:
        raise DomainError("not_confirmed", N_("%(unit)s has no confirmation to cancel."), unit=unit if unit != LOT else number)
    if row["branch"] != context.actor.branch_id:
        raise Forbidden("other_branch", N_("This confirmation was made by another branch; only they may cancel it."))
    await Passage.update(
        {
            Passage.standing_key: None,
            Passage.cancelled_command_id: context.command_id,
            Passage.cancelled_by: context.actor.id,
            Passage.cancelled_at: context.issued_at,
            Passage.cancel_reason: reason,
            Passage.changed_at: context.received_at,
        }
    ).where(Passage.id == row["id"])
    return {"number": number, "unit": unit, "passed": len(await services.standing_passages(declaration_id))}


def cancel_clause(border_gate: bool) -> str:
    """The clause that makes a report cancel the confirmations already made: 35.2.b.2.2, at a border gate 36.2.c.2.2."""
    return "36.2.c.2.2" if border_gate else "35.2.b.2.2"


async def _report(context: CommandContext, payload: ReportGoods, kind: ReportKind) -> dict[str, Any]:
    """A report to the branch head (35.2.b.2.3 / 36.2.c.2.3). The procedure makes cancelling the confirmations
    already made part of every mismatch, "in case they were made" (35.2.b.2.2 / 36.2.c.2.2): this branch's standing
    confirmations of the declaration are cancelled, whatever the payload says; another branch's are theirs."""
    location = await location_of_branch(context.actor, payload.location_id)
    if kind == ReportKind.EXIT_REFUSED and not location["border_gate"]:
        raise DomainError("not_border_gate", N_("Exit is refused only at a road, river or rail border gate (Art 36)."))
    number = parse_number(payload.number)
    note = payload.note.strip()
    if not note and not payload.reasons:
        raise DomainError("note_required", N_("Write what does not match."))
    row = await Declaration.select(Declaration.id).where(Declaration.number == number).first()
    declaration_id = row["id"] if row else None
    cancelled = 0
    clause = cancel_clause(bool(location["border_gate"]))
    if declaration_id is not None:
        # Only this branch's confirmations: another branch's are theirs to cancel.
        standing = await Passage.select(Passage.id).where(
            (Passage.declaration == declaration_id)
            & Passage.standing_key.is_not_null()
            & (Passage.location.branch == context.actor.branch_id)
        )
        ids = [r["id"] for r in standing]
        if ids:
            await Passage.update(
                {
                    Passage.standing_key: None,
                    Passage.cancelled_command_id: context.command_id,
                    Passage.cancelled_by: context.actor.id,
                    Passage.cancelled_at: context.issued_at,
                    # The clause, then what the officer wrote (or the reasons' codes): kept as written, in no language.
                    Passage.cancel_reason: f"{clause} · {note or ', '.join(payload.reasons)}"[:2000],
                    Passage.changed_at: context.received_at,
                }
            ).where(Passage.id.is_in(ids))
        cancelled = len(ids)
    report_id = (
        await GateReport.insert(
            GateReport(
                command_id=context.command_id,
                kind=kind,
                number=number,
                declaration=declaration_id,
                branch=context.actor.branch_id,
                location=payload.location_id,
                officer=context.actor.id,
                reasons=msgspec.json.encode([{"code": code} for code in payload.reasons]).decode(),
                containers=msgspec.json.encode([c.strip().upper() for c in payload.containers]).decode(),
                note=note,
                cancelled_passages=cancelled,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(GateReport.id)
    )[0]["id"]
    return {"report_id": report_id, "number": number, "cancelled_passages": cancelled, "cancel_clause": clause}


@command("gate.report_mismatch", payload=ReportGoods, roles=GATE_ROLES, label=N_("Mismatch reported"))
async def report_mismatch(context: CommandContext, payload: ReportGoods) -> dict[str, Any]:
    return await _report(context, payload, ReportKind.MISMATCH)


@command("gate.refuse_exit", payload=ReportGoods, roles=GATE_ROLES, label=N_("Exit refused"))
async def refuse_exit(context: CommandContext, payload: ReportGoods) -> dict[str, Any]:
    return await _report(context, payload, ReportKind.EXIT_REFUSED)


@command("gate.close_report", payload=CloseReport, roles={Role.SUPERVISOR}, label=N_("Gate report closed"))
async def close_report(context: CommandContext, payload: CloseReport) -> dict[str, Any]:
    branch_id = await services.report_branch(payload.report_id)
    if not services.may_close_reports(context.actor, branch_id):
        raise NotFound("report_not_found", N_("There is no such report."))  # another branch's: not theirs to see
    updated = await GateReport.update(
        {GateReport.closed_by: context.actor.id, GateReport.closed_at: context.issued_at, GateReport.closing_note: payload.note.strip()}
    ).where((GateReport.id == payload.report_id) & GateReport.closed_at.is_null()).returning(GateReport.id)
    if not updated:
        raise DomainError("report_closed", N_("This report is already closed."))
    return {"report_id": payload.report_id}


# --- reconciliation ------------------------------------------------------------------------------------------------


async def _recheck_confirmation(row: dict[str, Any]) -> list[str]:
    """What a supervisor must know of a confirmation made offline or in contingency mode: the server's check when
    it was applied, whether it still stands, and whether the declaration changed since it was confirmed."""
    passages = await Passage.select(
        Passage.unit,
        Passage.version,
        Passage.server_reasons,
        Passage.cancelled_at,
        Passage.cancel_reason,
        Passage.declaration.number.as_alias("number"),
        Passage.declaration.version.as_alias("current_version"),
        Passage.declaration.allows_passage.as_alias("allows_passage"),
        Passage.declaration.status_code.as_alias("status_code"),
    ).where(Passage.command_id == row["command_id"])
    notes: list[str] = []
    if not passages:
        return notes
    first = passages[0]
    for reason in msgspec.json.decode(first["server_reasons"]):
        text = Reason(code=reason["code"], clause=reason["clause"], severity=Severity.BLOCKING, message=reason["message"], params=reason["params"]).text()
        notes.append(gettext("When applied, the server's check refused it (%(clause)s): %(reason)s", clause=reason["clause"], reason=text))
    if first["current_version"] != first["version"]:
        notes.append(
            gettext(
                "The declaration changed since: confirmed at version %(confirmed)s, now version %(current)s.",
                confirmed=first["version"],
                current=first["current_version"],
            )
        )
    if not first["allows_passage"]:
        notes.append(gettext("The declaration's status is now %(status)s, which does not allow passage.", status=first["status_code"]))
    for passage in passages:
        if passage["cancelled_at"] is not None:
            notes.append(gettext("%(unit)s: confirmation cancelled later (%(reason)s).", unit=passage["unit"], reason=passage["cancel_reason"]))
    return notes


RECONCILE_CHECKS["gate.confirm_passage"] = _recheck_confirmation


# --- how the logbook and reconciliation name a gate action -------------------------------------------------------


def _summary(payload: dict[str, Any], result: dict[str, Any]) -> Summary:
    """"Declaration 305900000002 · GSTU2000015 · the reason or note", in the reader's language."""
    parts = [gettext("Declaration %(number)s", number=result.get("number") or payload.get("number") or "")]
    units = result.get("units") or payload.get("containers") or ([payload["unit"]] if payload.get("unit") else [])
    parts += [str(unit) for unit in units]
    note = str(payload.get("reason") or payload.get("note") or "").strip()
    if note:
        parts.append(note)
    return Summary(text=" · ".join(parts))


for _type in ("gate.confirm_passage", "gate.cancel_passage", "gate.report_mismatch", "gate.refuse_exit"):
    SUMMARIES[_type] = _summary
