"""Paper commands (Arts 35.3, 36.3, 37, 38). Every payload has `location_id`, so each command is in the
logbook of its location (the journal-based sổ theo dõi, Art 38.1.b) with its label and a summary.

A paper declaration is handled by the article of the gate it is presented at:
- at a seaport, inland port, ICD or airport, Art 35.3: box 36 and a form 07 (`paper.confirm_declaration`), or a
  report when the confirmation is missing (`paper.report_declaration`);
- at a road, river or rail border gate, Art 36.3: the declaration is compared with the goods' outside state; if it
  matches the officer supervises the goods out and signs box 36, no form 07 (`paper.sign_box36`); if not, the goods
  may not leave and the branch head is told (`paper.refuse_exit`, 36.3.b).

Signed (they replace the officer's or the branch head's signature and stamp): confirm a paper declaration
(box 36 and form 07), sign box 36 at a border gate, record a special case (form 07), decide a request (the head's
approval on it), issue form 07 for an approved request. See `SIGNED_COMMANDS` in backend/journal/registry.py.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec

from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.lib.structs import RowId, Struct
from backend.logbook.services import SUMMARIES, Summary
from backend.officers.tables import Role
from backend.paper import services
from backend.paper.schemas import DeclarationKind, GoodsInput, GoodsLine, clean_goods, goods_from_json, goods_json
from backend.paper.tables import BorderCheck, ExportExitRequest, Form07, PaperReport
from backend.paper.workflow import STATE_LABELS, RequestState, check, transition

RECORDERS = {Role.OFFICER, Role.SUPERVISOR}

Name = Annotated[str, msgspec.Meta(max_length=200)]
Number = Annotated[str, msgspec.Meta(max_length=64)]
TaxCode = Annotated[str, msgspec.Meta(max_length=20)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]


class ConfirmPaperDeclaration(Struct, kw_only=True):
    """Art 35.3.a / 36.3.a: the paper declaration carries the confirmation that the goods may leave the zone.
    The officer signs box 36 and makes form 07 listing the goods."""

    location_id: RowId
    declaration_number: Number
    declaration_date: date
    declaration_kind: DeclarationKind
    declarant_name: Name
    declarant_tax_code: TaxCode = ""
    eligible_confirmed: str = ""  # "yes": the officer saw the eligibility confirmation on the paper
    vehicle: Annotated[str, msgspec.Meta(max_length=100)] = ""
    containers: Note = ""
    goods: GoodsInput


OutsideStateInput = Literal["intact", "damaged", ""]  # Art 36.3: the goods' outside state as the officer saw it
SealsInput = Literal["intact", "broken", "none"]  # the seals on the goods: intact, broken, or none to see


class BorderDeclaration(Struct, kw_only=True):
    """Art 36.3: a paper declaration at a land border gate and what the officer compared it with: "kiểm tra, đối
    chiếu thông tin trên tờ khai … với thực tế tình trạng bên ngoài hàng hóa"."""

    location_id: RowId
    declaration_number: Number
    declaration_date: date
    declaration_kind: DeclarationKind
    declarant_name: Name
    declarant_tax_code: TaxCode = ""
    vehicle: Annotated[str, msgspec.Meta(max_length=100)] = ""
    containers: Note = ""
    goods_description: Note = ""
    outside_state: OutsideStateInput = ""
    seals: SealsInput = "none"
    outside_note: Note = ""  # what was compared, what differs


class SignBox36(BorderDeclaration, kw_only=True):
    """Art 36.3.a: the declaration carries the confirmation that the goods may leave, and their outside state matches
    it: the officer supervises the goods out of the zone (a.1) and signs, stamps and dates box 36 (a.2). No form 07."""

    eligible_confirmed: str = ""  # "yes": the officer saw the eligibility confirmation on the paper


class RefuseExit(BorderDeclaration, kw_only=True):
    """Art 36.3.b: the comparison does not match (or the declaration lacks the confirmation): the goods may not leave
    the supervision zone, and the officer reports to the branch head."""

    reason: Note


class ReportPaperDeclaration(Struct, kw_only=True):
    """Art 35.3.b / 36.3.b: no eligibility confirmation (or the goods do not match): nothing is confirmed, the
    officer reports to the branch head."""

    location_id: RowId
    declaration_number: Number
    declaration_date: date
    declaration_kind: DeclarationKind
    declarant_name: Name
    declarant_tax_code: TaxCode = ""
    reason: Note


class RecordSpecialCase(Struct, kw_only=True):
    """Art 37.1-2 → 38.1: goods allowed in or out by a competent authority's document; form 07 is made."""

    location_id: RowId
    document_issuer: Name
    document_number: Number
    document_date: date
    document_allows: Note
    declarant_name: Name
    declarant_tax_code: TaxCode = ""
    vehicle: Annotated[str, msgspec.Meta(max_length=100)] = ""
    containers: Note = ""
    goods: GoodsInput


class RequestExportExit(Struct, kw_only=True):
    """Art 37.3 → 38.2: the declarant's written request, confirmed by the port or warehouse operator, to take
    export goods brought in without customs procedure out again. Waits for the branch head's approval."""

    location_id: RowId
    declarant_name: Name
    declarant_tax_code: TaxCode = ""
    request_number: Number
    request_date: date
    operator_name: Name
    operator_confirmation_number: Number
    operator_confirmation_date: date
    vehicle: Annotated[str, msgspec.Meta(max_length=100)] = ""
    containers: Note = ""
    goods: GoodsInput


class DecideRequest(Struct, kw_only=True):
    """The branch head approves the request (signing it, Art 38.2.a) or rejects it with a reason."""

    location_id: RowId  # the request's location: the decision is in that location's logbook
    request_id: RowId
    decision: Literal["approve", "reject"]
    reason: Note = ""


class IssueForm07(Struct, kw_only=True):
    """Form 07 for an approved request (Art 38.2.b → 38.1.a)."""

    location_id: RowId
    request_id: RowId


class WithdrawRequest(Struct, kw_only=True):
    """The declarant withdraws a request before the branch head decides it."""

    location_id: RowId
    request_id: RowId
    reason: Note


def _text(value: str, code: str, message: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise DomainError(code, message)
    return cleaned


def _declarant(payload: Any) -> tuple[str, str]:
    name = _text(payload.declarant_name, "declarant_required", N_("Write the declarant's or enterprise's name."))
    tax_code = payload.declarant_tax_code.strip()
    if tax_code and not tax_code.replace("-", "").isdigit():
        raise DomainError("invalid_tax_code", N_("A tax code is digits (10, or 10-3): %(value)s"), value=tax_code[:20])
    return name, tax_code


async def _issue(
    context: CommandContext,
    *,
    location_id: int,
    basis: str,
    basis_number: str,
    basis_date: date | None,
    basis_issuer: str = "",
    basis_detail: str = "",
    request_id: int | None = None,
    declarant: tuple[str, str],
    vehicle: str,
    containers: str,
    goods: list[GoodsLine],
) -> dict[str, Any]:
    """Make the form 07: the branch's next serial of the year, in this command's transaction."""
    year, seq, serial = await services.next_serial(context.actor, context.issued_at)
    form_id = (
        await Form07.insert(
            Form07(
                command_id=context.command_id,
                serial=serial,
                branch=context.actor.branch_id,
                year=year,
                seq=seq,
                basis=basis,
                basis_number=basis_number,
                basis_date=basis_date,
                basis_issuer=basis_issuer,
                basis_detail=basis_detail,
                request=request_id,
                declarant_name=declarant[0],
                declarant_tax_code=declarant[1],
                vehicle=vehicle.strip(),
                containers=containers,
                goods=goods_json(goods),
                location=location_id,
                officer=context.actor.id,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(Form07.id)
    )[0]["id"]
    return {"form07_id": form_id, "serial": serial}


@command(
    "paper.confirm_declaration",
    payload=ConfirmPaperDeclaration,
    roles=RECORDERS,
    label=N_("Paper declaration confirmed (box 36, form 07)"),
)
async def confirm_declaration(context: CommandContext, payload: ConfirmPaperDeclaration) -> dict[str, Any]:
    location = await services.check_location(context.actor, payload.location_id)
    if location["border_gate"]:
        # Art 36.3 has no form 07: at a land border gate box 36 is signed after comparing the goods' outside state.
        raise DomainError(
            "border_gate_36_3",
            N_("At a land border gate Art 36.3 applies: compare the goods' outside state with the declaration and sign box 36; no form 07 is made."),
        )
    if payload.eligible_confirmed != "yes":
        raise DomainError(
            "eligibility_not_confirmed",
            N_("Confirm only a declaration that carries the confirmation that the goods may leave the supervision zone. Otherwise report it."),
        )
    number = _text(payload.declaration_number, "declaration_required", N_("Write the declaration number."))
    # One form 07 per paper declaration (Art 35.3.a.2 "lập 01 Danh sách"): box 36 is signed once.
    earlier = await (
        Form07.select(Form07.serial)
        .where(
            (Form07.branch == context.actor.branch_id)
            & (Form07.basis == services.BASIS_PAPER_DECLARATION)
            & (Form07.basis_number == number)
            & (Form07.basis_date == payload.declaration_date)
        )
        .first()
    )
    if earlier is not None:
        raise DomainError(
            "already_confirmed",
            N_("This declaration was already confirmed: form 07 %(serial)s. Print that one again if needed."),
            serial=earlier["serial"],
        )
    declarant = _declarant(payload)
    containers = services.clean_containers(payload.containers)
    goods = clean_goods(payload.goods)
    return await _issue(
        context,
        location_id=payload.location_id,
        basis=services.BASIS_PAPER_DECLARATION,
        basis_number=number,
        basis_date=payload.declaration_date,
        basis_detail=payload.declaration_kind.value,
        declarant=declarant,
        vehicle=payload.vehicle,
        containers=containers,
        goods=goods,
    )


def _border_fields(payload: BorderDeclaration, location: dict[str, Any]) -> dict[str, Any]:
    """What a border check records, checked: the location is a land border gate, the declarant and containers."""
    if not location["border_gate"]:
        raise DomainError(
            "not_border_gate",
            N_("Art 36.3 applies at a road, river or rail border gate. At this location a paper declaration is confirmed with form 07 (Art 35.3)."),
        )
    number = _text(payload.declaration_number, "declaration_required", N_("Write the declaration number."))
    declarant = _declarant(payload)
    return {
        "declaration_number": number,
        "declaration_date": payload.declaration_date,
        "declaration_kind": payload.declaration_kind.value,
        "declarant_name": declarant[0],
        "declarant_tax_code": declarant[1],
        "vehicle": payload.vehicle.strip(),
        "containers": services.clean_containers(payload.containers),
        "goods_description": payload.goods_description.strip(),
        "outside_state": payload.outside_state,
        "seals_intact": {"intact": True, "broken": False}.get(payload.seals),
        "outside_note": payload.outside_note.strip(),
    }


async def _border_check(context: CommandContext, payload: BorderDeclaration, outcome: str, fields: dict[str, Any], reason: str = "") -> dict[str, Any]:
    check_id = (
        await BorderCheck.insert(
            BorderCheck(
                command_id=context.command_id,
                branch=context.actor.branch_id,
                location=payload.location_id,
                officer=context.actor.id,
                outcome=outcome,
                reason=reason,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
                **fields,
            )
        ).returning(BorderCheck.id)
    )[0]["id"]
    return {"border_check_id": check_id, "outcome": outcome}


@command(
    "paper.sign_box36",
    payload=SignBox36,
    roles=RECORDERS,
    label=N_("Paper declaration at a border gate: outside state matches, box 36 signed"),
)
async def sign_box36(context: CommandContext, payload: SignBox36) -> dict[str, Any]:
    """Art 36.3.a. Refused unless the location is a land border gate, the declaration carries the eligibility
    confirmation, and the goods' outside state was checked and matches (intact, no broken seal); box 36 of a
    declaration is signed once in a branch."""
    location = await services.check_location(context.actor, payload.location_id)
    fields = _border_fields(payload, location)
    if payload.eligible_confirmed != "yes":
        raise DomainError(
            "eligibility_not_confirmed",
            N_("Art 36.3 compares a declaration that carries the confirmation that the goods may leave the supervision zone. Without it, refuse exit and report (Art 36.3.b)."),
        )
    if payload.outside_state == "":
        raise DomainError("outside_state_required", N_("Check the goods' outside state against the declaration first (Art 36.3)."))
    if payload.outside_state == "damaged" or payload.seals == "broken":
        raise DomainError(
            "outside_state_mismatch",
            N_("The goods' outside state does not match the declaration: do not sign box 36; refuse exit and report to the branch head (Art 36.3.b)."),
        )
    earlier = await (
        BorderCheck.select(BorderCheck.issued_at, BorderCheck.location.name.as_alias("location_name"))
        .where(
            (BorderCheck.branch == context.actor.branch_id)
            & (BorderCheck.outcome == services.BOX36_SIGNED)
            & (BorderCheck.declaration_number == fields["declaration_number"])
            & (BorderCheck.declaration_date == payload.declaration_date)
        )
        .first()
    )
    if earlier is not None:
        raise DomainError(
            "already_signed",
            N_("Box 36 of this declaration was already signed at %(location)s (Art 36.3.a.2)."),
            location=earlier["location_name"],
        )
    return await _border_check(context, payload, services.BOX36_SIGNED, fields)


@command(
    "paper.refuse_exit",
    payload=RefuseExit,
    roles=RECORDERS,
    label=N_("Paper declaration at a border gate: exit refused, reported"),
)
async def refuse_exit(context: CommandContext, payload: RefuseExit) -> dict[str, Any]:
    """Art 36.3.b: the goods may not leave; the record reaches the branch head's list on /paper."""
    location = await services.check_location(context.actor, payload.location_id)
    fields = _border_fields(payload, location)
    reason = _text(payload.reason, "reason_required", N_("Give the reason."))
    return await _border_check(context, payload, services.EXIT_REFUSED, fields, reason)


@command(
    "paper.report_declaration",
    payload=ReportPaperDeclaration,
    roles=RECORDERS,
    label=N_("Paper declaration not eligible, reported"),
)
async def report_declaration(context: CommandContext, payload: ReportPaperDeclaration) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    number = _text(payload.declaration_number, "declaration_required", N_("Write the declaration number."))
    declarant = _declarant(payload)
    reason = _text(payload.reason, "reason_required", N_("Give the reason."))
    report_id = (
        await PaperReport.insert(
            PaperReport(
                command_id=context.command_id,
                branch=context.actor.branch_id,
                location=payload.location_id,
                officer=context.actor.id,
                declaration_number=number,
                declaration_date=payload.declaration_date,
                declaration_kind=payload.declaration_kind.value,
                declarant_name=declarant[0],
                declarant_tax_code=declarant[1],
                reason=reason,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(PaperReport.id)
    )[0]["id"]
    return {"report_id": report_id}


@command(
    "paper.record_special_case",
    payload=RecordSpecialCase,
    roles=RECORDERS,
    label=N_("Special case recorded (form 07)"),
)
async def record_special_case(context: CommandContext, payload: RecordSpecialCase) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    issuer = _text(payload.document_issuer, "issuer_required", N_("Write which authority issued the document."))
    number = _text(payload.document_number, "document_required", N_("Write the document's number."))
    allows = _text(payload.document_allows, "allows_required", N_("Write what the document allows."))
    declarant = _declarant(payload)
    containers = services.clean_containers(payload.containers)
    goods = clean_goods(payload.goods)
    return await _issue(
        context,
        location_id=payload.location_id,
        basis=services.BASIS_AUTHORITY_DOCUMENT,
        basis_number=number,
        basis_date=payload.document_date,
        basis_issuer=issuer,
        basis_detail=allows,
        declarant=declarant,
        vehicle=payload.vehicle,
        containers=containers,
        goods=goods,
    )


@command(
    "paper.request_export_exit",
    payload=RequestExportExit,
    roles=RECORDERS,
    label=N_("Request to take export goods out of the port recorded"),
)
async def request_export_exit(context: CommandContext, payload: RequestExportExit) -> dict[str, Any]:
    await services.check_location(context.actor, payload.location_id)
    declarant = _declarant(payload)
    request_number = _text(payload.request_number, "request_number_required", N_("Write the request's number."))
    operator = _text(payload.operator_name, "operator_required", N_("Write the port or warehouse operator's name."))
    confirmation = _text(
        payload.operator_confirmation_number,
        "operator_confirmation_required",
        N_("Write the number of the operator's confirmation that the goods are export goods."),
    )
    containers = services.clean_containers(payload.containers)
    goods = clean_goods(payload.goods)
    request_id = (
        await ExportExitRequest.insert(
            ExportExitRequest(
                command_id=context.command_id,
                branch=context.actor.branch_id,
                location=payload.location_id,
                officer=context.actor.id,
                declarant_name=declarant[0],
                declarant_tax_code=declarant[1],
                request_number=request_number,
                request_date=payload.request_date,
                operator_name=operator,
                operator_confirmation_number=confirmation,
                operator_confirmation_date=payload.operator_confirmation_date,
                vehicle=payload.vehicle.strip(),
                containers=containers,
                goods=goods_json(goods),
                state=RequestState.REQUESTED.value,
                issued_at=context.issued_at,
                recorded_at=context.received_at,
            )
        ).returning(ExportExitRequest.id)
    )[0]["id"]
    return {"request_id": request_id, "state": RequestState.REQUESTED.value}


async def _request_of_branch(context: CommandContext, request_id: int, location_id: int) -> dict[str, Any]:
    """The request, if it is one of the actor's branch and the command names its location."""
    row = (
        await ExportExitRequest.select()
        .where((ExportExitRequest.id == request_id) & (ExportExitRequest.branch == context.actor.branch_id))
        .first()
    )
    if row is None or context.actor.branch_id is None:
        raise DomainError("unknown_request", N_("There is no such request in your branch."))
    if row["location"] != location_id:
        raise DomainError("wrong_location", N_("This request was made at another location."))
    return row


@command(
    "paper.decide_request",
    payload=DecideRequest,
    roles={Role.SUPERVISOR},
    label=N_("Branch head's decision on a request to take export goods out"),
)
async def decide_request(context: CommandContext, payload: DecideRequest) -> dict[str, Any]:
    row = await _request_of_branch(context, payload.request_id, payload.location_id)
    target = RequestState.APPROVED if payload.decision == "approve" else RequestState.REJECTED
    await transition(
        row["id"], row["state"], target, by=context.actor.id, at=context.issued_at, reason=payload.reason
    )
    return {"request_id": row["id"], "state": target.value}


@command(
    "paper.issue_form07",
    payload=IssueForm07,
    roles=RECORDERS,
    label=N_("Form 07 issued for an approved request"),
)
async def issue_form07(context: CommandContext, payload: IssueForm07) -> dict[str, Any]:
    row = await _request_of_branch(context, payload.request_id, payload.location_id)
    if row["state"] != RequestState.APPROVED.value:
        # Refused before a serial is taken: the transition would refuse it too, after the form was inserted.
        check(row["state"], RequestState.FORM_ISSUED)
    issued = await _issue(
        context,
        location_id=row["location"],
        basis=services.BASIS_EXPORT_EXIT_REQUEST,
        basis_number=row["request_number"],
        basis_date=row["request_date"],
        basis_issuer=row["operator_name"],
        basis_detail=row["operator_confirmation_number"],
        request_id=row["id"],
        declarant=(row["declarant_name"], row["declarant_tax_code"]),
        vehicle=row["vehicle"],
        containers=row["containers"],
        goods=goods_from_json(row["goods"]),
    )
    await transition(
        row["id"], row["state"], RequestState.FORM_ISSUED, by=context.actor.id, at=context.issued_at,
        form07_id=issued["form07_id"],
    )
    return {**issued, "request_id": row["id"], "state": RequestState.FORM_ISSUED.value}


@command(
    "paper.withdraw_request",
    payload=WithdrawRequest,
    roles=RECORDERS,
    label=N_("Request to take export goods out withdrawn"),
)
async def withdraw_request(context: CommandContext, payload: WithdrawRequest) -> dict[str, Any]:
    row = await _request_of_branch(context, payload.request_id, payload.location_id)
    await transition(
        row["id"], row["state"], RequestState.WITHDRAWN, by=context.actor.id, at=context.issued_at, reason=payload.reason
    )
    return {"request_id": row["id"], "state": RequestState.WITHDRAWN.value}


# --- the logbook's words for these commands -------------------------------------------------------------------


def _summary(payload: dict[str, Any], result: dict[str, Any]) -> Summary:
    parts = []
    if result.get("serial"):
        parts.append(f"{result['serial']}")
    if result.get("outcome") in OUTCOME_LABELS:
        parts.append(gettext(OUTCOME_LABELS[result["outcome"]]))
    for key in ("declaration_number", "document_number", "request_number"):
        if payload.get(key):
            parts.append(str(payload[key]))
    if payload.get("declarant_name"):
        parts.append(str(payload["declarant_name"]))
    state_label = STATE_LABELS.get(str(result.get("state")))
    if state_label and "serial" not in result:
        parts.append(gettext(state_label))  # read in the reader's language
    text = str(payload.get("reason") or "").strip()
    return Summary(detail=" · ".join(parts), text=text)


OUTCOME_LABELS = {
    services.BOX36_SIGNED: N_("Box 36 signed (Art 36.3.a)"),
    services.EXIT_REFUSED: N_("Exit refused (Art 36.3.b)"),
}

for _type in (
    "paper.sign_box36",
    "paper.refuse_exit",
    "paper.confirm_declaration",
    "paper.report_declaration",
    "paper.record_special_case",
    "paper.request_export_exit",
    "paper.decide_request",
    "paper.issue_form07",
    "paper.withdraw_request",
):
    SUMMARIES[_type] = _summary
