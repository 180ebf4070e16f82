"""Transit commands (Decision 1966, Arts 41-42): each a thin handler over workflow.transition(), asking policy.py who
may take the step.

Signed (they replace a signature on the System: SIGNED_COMMANDS, journal/registry.py): the head's CES
(`transit.assign`) and decision on an amendment or cancellation (`transit.decide_amendment`), the officer's CET A / C
/ X (`transit.decide`), BOA (`transit.register_departure`) and BIA (`transit.confirm_arrival`).

What upstream does (registration, classification, COT, COR/CAN) and the sealing confirmation (seals.confirm_sealed)
reach the case through upstream.py, not through these commands. Made offline, a command is judged like any other:
being offline never widens what it may do (a page that queues a CET must expect a refusal when the case moved).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from backend.journal.registry import CommandContext, command
from backend.lib.errors import N_, DomainError, Forbidden
from backend.lib.structs import RowId, Struct
from backend.officers.services import location_of_branch
from backend.officers.tables import Officer, Role
from backend.barcodes.services import configured_keyring
from backend.transit import arrival, policy, services, upstream, workflow
from backend.transit.tables import ArrivalCheck, RiskNote, TransitCase, VerificationRequest
from backend.transit.workflow import TransitState

STAFF = {Role.OFFICER, Role.SUPERVISOR}
HEADS = {Role.SUPERVISOR}

Number = Annotated[str, msgspec.Meta(max_length=40)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]


class Assign(Struct, kw_only=True):
    """CES: the head assigns an officer to check the documents of a yellow-lane declaration (41.1.b.1) or of an
    amendment / cancellation received (41.3.a), with the instructions ("Nội dung giao việc", if any)."""

    number: Number
    officer_code: Annotated[str, msgspec.Meta(max_length=32)]
    instructions: Text = ""


class Decide(Struct, kw_only=True):
    """CET by the assigned officer: A approve, C ask for a supplement, X refuse, with the reason (41.1.b.2); after the
    head decided on an amendment or cancellation, A when accepted, X when refused (41.3.b)."""

    number: Number
    code: Literal["A", "C", "X"]
    reason: Text = ""


class Propose(Struct, kw_only=True):
    """The assigned officer's written proposal to the head on an amendment or cancellation (41.3.b)."""

    number: Number
    proposal: Literal["accept", "refuse"]
    reason: Text = ""


class DecideAmendment(Struct, kw_only=True):
    """The head accepts or refuses the amendment or cancellation, on the officer's proposal (41.3.b)."""

    number: Number
    decision: Literal["accept", "refuse"]
    reason: Text = ""


class RecordNoticeFax(Struct, kw_only=True):
    """The destination could not confirm the arrival in the exit gate's area on the System, so it signed, stamped and
    dated the approval notice's first page and faxed it to the departure branch (Art 41.2.b.1.1.1)."""

    number: Number
    fax_to: Annotated[str, msgspec.Meta(max_length=200)]


class AtLocation(Struct, kw_only=True):
    """BOA at departure (41.1.4.a); at the destination: arrived in the exit gate's area (41.2.b.1.1.1), BIA (41.2.b.1)."""

    location_id: RowId
    number: Number


class RecordViolation(Struct, kw_only=True):
    """The violation record made at the destination, sent to the departure branch (41.2.b.2)."""

    location_id: RowId
    number: Number
    note: Text


class RecordPenalty(Struct, kw_only=True):
    """The departure branch records that the declarant carried out the penalty decision, and the outcome it enters
    for risk management (41.2.b.2): the destination may then confirm arrival."""

    number: Number
    note: Text


class RequestVerification(Struct, kw_only=True):
    """The head's letter asking the destination branch to verify a lot past its deadline (41.1.4.b)."""

    number: Number
    letter: Text


class AnswerVerification(Struct, kw_only=True):
    """The destination branch's answer to that letter."""

    request_id: RowId
    answer: Text


class OpenTrace(Struct, kw_only=True):
    """A lot past its deadline that has not arrived: the departure branch traces it (41.1.4.b)."""

    number: Number
    note: Text = ""


class CloseTrace(Struct, kw_only=True):
    """The trace case's outcome: the lot was found (it may then still arrive and be confirmed), or not."""

    number: Number
    outcome: Literal["found", "not_found"]
    note: Text


class RecordArrivalCheck(Struct, kw_only=True):
    """The destination's check on arrival (41.2.a.1-2): the approval notice as read (its barcode, or the number
    typed), one line per container (wagon, package) with its seal as sealed at departure and what was found
    (intact / broken or different / missing; a form sends "<unit>|<seal>|<finding>"), the goods' details when not
    sealed (as_recorded / different), and a note."""

    location_id: RowId
    number: Number
    notice: Annotated[str, msgspec.Meta(max_length=80)]
    lines: Annotated[list[arrival.CheckLine | str], msgspec.Meta(max_length=500)] = []
    goods_finding: Annotated[str, msgspec.Meta(max_length=16)] = ""
    note: Text = ""


class AddRiskNote(Struct, kw_only=True):
    """The departure branch tells the destination what to watch closely when the goods arrive (41.2.a.3)."""

    number: Number
    text: Text


def _result(case: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"number": case["number"], "case_id": case["id"], "state": case["state"], **more}


async def take(context: CommandContext, number: str, target: TransitState, **details: Any) -> dict[str, Any]:
    """One step of the state machine by an officer: the case must be visible to the actor's branch (404 otherwise),
    the step allowed from its state (workflow.check, citing the clause), and the actor the step's party (policy)."""
    case = await services.visible_case(context.actor, number)
    found = workflow.check(case, target, details)
    policy.require(context.actor, case, found.party)
    return await workflow.transition(
        case, target, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at, command_id=context.command_id, **details
    )


async def _assignee(case: dict[str, Any], code: str) -> int:
    """CES names an active officer or supervisor of the departure branch."""
    row = await Officer.select(Officer.id, Officer.role, Officer.branch, Officer.active).where(Officer.code == code.strip()).first()
    if row is None or not row["active"] or row["role"] not in (Role.OFFICER, Role.SUPERVISOR) or row["branch"] != case["departure_branch"]:
        raise DomainError("unknown_officer", N_("No active officer %(code)s in the departure branch."), code=code.strip()[:32])
    return row["id"]


@command("transit.assign", payload=Assign, roles=HEADS, label=N_("Transit declaration assigned for checking (CES)"))
async def assign(context: CommandContext, payload: Assign) -> dict[str, Any]:
    case = await services.visible_case(context.actor, payload.number)
    target = TransitState.AMENDMENT_ASSIGNED if case["state"] == TransitState.AMENDMENT_RECEIVED else TransitState.ASSIGNED
    policy.require(context.actor, case, workflow.Party.DEPARTURE_HEAD)
    officer_id = await _assignee(case, payload.officer_code)
    case = await take(context, payload.number, target, officer_id=officer_id, instructions=payload.instructions)
    return _result(case, officer_code=payload.officer_code.strip())


def _cet_target(case: dict[str, Any], code: str) -> TransitState:
    """Which state a CET code leads to from where the case is; a code the state has no step for is refused by
    workflow.check with the clause of what comes first."""
    state = TransitState(case["state"])
    if state is TransitState.AMENDMENT_ACCEPTED and code == "A":
        if case["amendment_kind"] == "CAN":
            return TransitState.CANCELLED
        return TransitState.SEALED if case["resume_state"] == TransitState.SEALED else TransitState.APPROVED
    if state is TransitState.AMENDMENT_REFUSED and code == "X":
        return TransitState(case["resume_state"])
    if state in (TransitState.AMENDMENT_ACCEPTED, TransitState.AMENDMENT_REFUSED):
        raise DomainError(
            "cet_against_decision",
            N_("The head accepted this amendment or cancellation: send CET A; refused it: send CET X (Decision 1966, Art 41.3.b.1, b.2)."),
        )
    return {"A": TransitState.APPROVED, "C": TransitState.SUPPLEMENT_REQUESTED, "X": TransitState.REFUSED}[code]


@command("transit.decide", payload=Decide, roles=STAFF, label=N_("Transit declaration decided (CET)"))
async def decide(context: CommandContext, payload: Decide) -> dict[str, Any]:
    case = await services.visible_case(context.actor, payload.number)
    case = await take(context, payload.number, _cet_target(case, payload.code), reason=payload.reason)
    if case["state"] == TransitState.APPROVED:
        await upstream.follow_upstream(case["declaration"])  # goods the seals domain already confirmed sealed
        case = await services.case_by_number(case["number"]) or case
    return _result(case, code=payload.code)


@command("transit.propose", payload=Propose, roles=STAFF, label=N_("Amendment or cancellation proposed to the head"))
async def propose(context: CommandContext, payload: Propose) -> dict[str, Any]:
    case = await take(context, payload.number, TransitState.AMENDMENT_PROPOSED, proposal=payload.proposal, reason=payload.reason)
    return _result(case, proposal=payload.proposal)


@command("transit.decide_amendment", payload=DecideAmendment, roles=HEADS, label=N_("Amendment or cancellation decided by the head"))
async def decide_amendment(context: CommandContext, payload: DecideAmendment) -> dict[str, Any]:
    target = TransitState.AMENDMENT_ACCEPTED if payload.decision == "accept" else TransitState.AMENDMENT_REFUSED
    case = await take(context, payload.number, target, reason=payload.reason)
    return _result(case, decision=payload.decision)


@command("transit.register_departure", payload=AtLocation, roles=STAFF, label=N_("Transit departure registered (BOA)"))
async def register_departure(context: CommandContext, payload: AtLocation) -> dict[str, Any]:
    await location_of_branch(context.actor, payload.location_id)
    case = await take(context, payload.number, TransitState.DEPARTED)
    return _result(case, deadline=case["deadline"].isoformat())


@command("transit.confirm_exit_area", payload=AtLocation, roles=STAFF, label=N_("Transit goods arrived at the exit gate area"))
async def confirm_exit_area(context: CommandContext, payload: AtLocation) -> dict[str, Any]:
    await location_of_branch(context.actor, payload.location_id)
    return _result(await take(context, payload.number, TransitState.AT_EXIT_AREA))


@command("transit.record_notice_fax", payload=RecordNoticeFax, roles=STAFF, label=N_("Approval notice faxed to the departure branch"))
async def record_notice_fax(context: CommandContext, payload: RecordNoticeFax) -> dict[str, Any]:
    """Art 41.2.b.1.1.1: "Trường hợp Hệ thống chưa hỗ trợ chức năng xác nhận điện tử, công chức hải quan ký tên, đóng
    dấu công chức, ghi ngày tháng năm xác nhận trên trang đầu tiên Thông báo phê duyệt khai báo vận chuyển ... và fax
    cho Chi cục Hải quan nơi hàng hóa vận chuyển đi". Recorded once, by the destination, after the gate-area step."""
    case = await services.visible_case(context.actor, payload.number)
    policy.require(context.actor, case, workflow.Party.DESTINATION_OFFICER)
    if case["exit_area_at"] is None:
        raise DomainError(
            "exit_area_not_confirmed",
            N_("Confirm the arrival in the exit gate's area first: the faxed notice carries that confirmation (Art 41.2.b.1.1.1)."),
        )
    if case["notice_faxed_at"] is not None:
        raise DomainError("notice_fax_already_recorded", N_("The fax of this notice is already recorded."))
    fax_to = payload.fax_to.strip()
    if not fax_to:
        raise DomainError("fax_to_required", N_("Write where the fax went: the departure branch's fax number."))
    await TransitCase.update(
        {
            TransitCase.notice_faxed_at: context.issued_at, TransitCase.notice_faxed_by: context.actor.id,
            TransitCase.notice_fax_to: fax_to, TransitCase.changed_at: context.received_at,
        }
    ).where(TransitCase.id == case["id"])
    return _result(case, fax_to=fax_to)


@command("transit.confirm_arrival", payload=AtLocation, roles=STAFF, label=N_("Transit arrival confirmed (BIA)"))
async def confirm_arrival(context: CommandContext, payload: AtLocation) -> dict[str, Any]:
    await location_of_branch(context.actor, payload.location_id)
    return _result(await take(context, payload.number, TransitState.ARRIVED))


@command("transit.record_violation", payload=RecordViolation, roles=STAFF, label=N_("Transit violation recorded at the destination"))
async def record_violation(context: CommandContext, payload: RecordViolation) -> dict[str, Any]:
    await location_of_branch(context.actor, payload.location_id)
    return _result(await take(context, payload.number, TransitState.VIOLATION, note=payload.note))


@command("transit.record_penalty", payload=RecordPenalty, roles=HEADS, label=N_("Transit penalty recorded as carried out"))
async def record_penalty(context: CommandContext, payload: RecordPenalty) -> dict[str, Any]:
    return _result(await take(context, payload.number, TransitState.PENALTY_CARRIED_OUT, note=payload.note))


def _require_overdue(context: CommandContext, case: dict[str, Any]) -> None:
    if not services.is_overdue(case, context.received_at):
        raise DomainError(
            "not_overdue",
            N_("Declaration %(number)s is not past its registered transit time without arrival (Decision 1966, Art 41.1.4.b)."),
            number=case["number"],
        )


@command("transit.request_verification", payload=RequestVerification, roles=HEADS, label=N_("Destination branch asked to verify a transit lot"))
async def request_verification(context: CommandContext, payload: RequestVerification) -> dict[str, Any]:
    case = await services.visible_case(context.actor, payload.number)
    if not policy.may_request_verification(context.actor, case):
        raise Forbidden("not_your_step", policy.PARTY_REFUSALS[workflow.Party.DEPARTURE_HEAD])
    _require_overdue(context, case)
    if case["destination_branch"] is None:
        raise DomainError(
            "destination_not_in_giamsat",
            N_("The destination branch %(code)s does not use giamsat: send the letter on paper (Decision 1966, Art 41.1.4.b)."),
            code=case["destination_code"],
        )
    if not payload.letter.strip():
        raise DomainError("letter_required", N_("Write the letter to the destination branch (Decision 1966, Art 41.1.4.b)."))
    request_id = (
        await VerificationRequest.insert(
            VerificationRequest(
                command_id=context.command_id, case=case["id"], from_branch=case["departure_branch"], to_branch=case["destination_branch"],
                letter=payload.letter.strip(), requested_by=context.actor.id, requested_at=context.issued_at,
            )
        ).returning(VerificationRequest.id)
    )[0]["id"]
    await workflow.note(
        case, "41.1.4.b", payload.letter.strip(), by=context.actor.id, at=context.issued_at, recorded_at=context.received_at, command_id=context.command_id
    )
    return _result(case, request_id=request_id)


@command("transit.answer_verification", payload=AnswerVerification, roles=STAFF, label=N_("Verification of a transit lot answered"))
async def answer_verification(context: CommandContext, payload: AnswerVerification) -> dict[str, Any]:
    request = await VerificationRequest.select(
        *VerificationRequest.all_columns(), VerificationRequest.case.number.as_alias("number")
    ).where(VerificationRequest.id == payload.request_id).first()
    if request is None or not policy.may_answer_verification(context.actor, request):
        raise DomainError("unknown_request", N_("Your branch was sent no such letter."))
    if request["answered_at"] is not None:
        raise DomainError("already_answered", N_("This letter was already answered."))
    if not payload.answer.strip():
        raise DomainError("answer_required", N_("Write what the destination branch found."))
    await VerificationRequest.update(
        {VerificationRequest.answer: payload.answer.strip(), VerificationRequest.answered_by: context.actor.id, VerificationRequest.answered_at: context.issued_at}
    ).where(VerificationRequest.id == request["id"])
    case = await TransitCase.select().where(TransitCase.id == request["case"]).first()
    await workflow.note(
        case, "41.1.4.b", payload.answer.strip(), by=context.actor.id, at=context.issued_at, recorded_at=context.received_at, command_id=context.command_id
    )
    return _result(case, request_id=request["id"])


@command("transit.open_trace", payload=OpenTrace, roles=STAFF, label=N_("Trace case opened for a transit lot"))
async def open_trace(context: CommandContext, payload: OpenTrace) -> dict[str, Any]:
    case = await services.visible_case(context.actor, payload.number)
    if not policy.may_trace(context.actor, case):
        raise Forbidden("not_your_step", policy.PARTY_REFUSALS[workflow.Party.DEPARTURE_OFFICER])
    _require_overdue(context, case)
    if case["trace_opened_at"] is not None:
        raise DomainError("trace_open", N_("A trace case is already open for declaration %(number)s."), number=case["number"])
    await TransitCase.update(
        {TransitCase.trace_opened_by: context.actor.id, TransitCase.trace_opened_at: context.issued_at, TransitCase.trace_note: payload.note.strip()}
    ).where(TransitCase.id == case["id"])
    await workflow.note(
        case, "41.1.4.b", payload.note.strip() or "trace", by=context.actor.id, at=context.issued_at, recorded_at=context.received_at, command_id=context.command_id
    )
    return _result(case, trace="open")


@command("transit.close_trace", payload=CloseTrace, roles=HEADS, label=N_("Trace case of a transit lot closed"))
async def close_trace(context: CommandContext, payload: CloseTrace) -> dict[str, Any]:
    case = await services.visible_case(context.actor, payload.number)
    if not policy.is_departure_head(context.actor, case):
        raise Forbidden("not_your_step", policy.PARTY_REFUSALS[workflow.Party.DEPARTURE_HEAD])
    if case["trace_opened_at"] is None or case["trace_outcome"]:
        raise DomainError("no_open_trace", N_("Declaration %(number)s has no open trace case."), number=case["number"])
    if not payload.note.strip():
        raise DomainError("outcome_required", N_("Write the trace case's outcome."))
    await TransitCase.update(
        {TransitCase.trace_outcome: payload.outcome, TransitCase.trace_closed_by: context.actor.id, TransitCase.trace_closed_at: context.issued_at,
         TransitCase.trace_note: payload.note.strip()}
    ).where(TransitCase.id == case["id"])
    await workflow.note(
        case, "41.1.4.b", f"{payload.outcome}: {payload.note.strip()}", by=context.actor.id, at=context.issued_at,
        recorded_at=context.received_at, command_id=context.command_id,
    )
    return _result(case, trace=payload.outcome)


@command("transit.record_arrival_check", payload=RecordArrivalCheck, roles=STAFF, label=N_("Transit goods checked on arrival"))
async def record_arrival_check(context: CommandContext, payload: RecordArrivalCheck) -> dict[str, Any]:
    """41.2.a.1-2, at the destination, once per case, while the goods are departed (before BIA, the exit gate's
    area or a violation record). The lines must name exactly the units the departure branch recorded, each with its
    seal at departure (arrival.judge); what was found decides what may follow (workflow.check): BIA when all is as
    recorded (41.2.b.1), otherwise the violation record first (41.2.b.2)."""
    await location_of_branch(context.actor, payload.location_id)
    case = await services.visible_case(context.actor, payload.number)
    policy.require(context.actor, case, workflow.Party.DESTINATION_OFFICER)
    if case["state"] != TransitState.DEPARTED or case["arrival_check"]:
        raise DomainError(
            "check_not_now",
            N_("Declaration %(number)s is “%(current)s”: the arrival check is made once, when departed goods arrive, before BIA or a violation record (Decision 1966, Art 41.2.a)."),
            number=case["number"], current=workflow.label(case["state"]),
        )
    facts = await arrival.expected(case)
    read, version = arrival.read_notice(configured_keyring(), payload.notice, case, facts["declaration"]["version"])
    lines = arrival.parse_lines(payload.lines)
    goods_finding = payload.goods_finding.strip()
    passed = arrival.judge(lines, goods_finding, facts)
    kinds = {unit["unit"]: unit["unit_kind"] for unit in facts["units"]}
    stored = [{"unit_kind": kinds[line.unit], "unit": line.unit, "seal_number": line.seal_number, "finding": line.finding} for line in lines]
    declaration = facts["declaration"]
    await ArrivalCheck.insert(
        ArrivalCheck(
            command_id=context.command_id, case=case["id"], notice_read=read, notice_version=version,
            status_code=declaration["status_code"], allows_passage=declaration["allows_passage"],
            lines=msgspec.json.encode(stored).decode(), goods_finding=goods_finding, note=payload.note.strip(), passed=passed,
            location=payload.location_id, officer=context.actor.id, checked_at=context.issued_at,
        )
    )
    outcome = "passed" if passed else "failed"
    changed = await TransitCase.update({TransitCase.arrival_check: outcome}).where(
        (TransitCase.id == case["id"]) & (TransitCase.arrival_check == "")
    ).returning(TransitCase.id)
    if not changed:
        raise workflow.TransitionRefused("state_changed", N_("This transit declaration was changed meanwhile. Reload the page."))
    summary = ", ".join(f"{line.unit} {line.seal_number or '-'}: {line.finding}" for line in lines)
    if goods_finding:
        summary = f"{summary}; goods: {goods_finding}" if summary else f"goods: {goods_finding}"
    text = f"{outcome} ({read}) · {summary}" + (f" · {payload.note.strip()}" if payload.note.strip() else "")
    await workflow.note(case, "41.2.a.2", text, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at, command_id=context.command_id)
    return _result(case, check=outcome, notice=read)


@command("transit.add_risk_note", payload=AddRiskNote, roles=STAFF, label=N_("Risk note for the destination added"))
async def add_risk_note(context: CommandContext, payload: AddRiskNote) -> dict[str, Any]:
    """41.2.a.3: an officer or supervisor of the departure branch, in any state before arrival; shown first on the
    destination's page with the declaration's warnings and the head's instructions."""
    case = await services.visible_case(context.actor, payload.number)
    if not policy.may_add_risk_note(context.actor, case):
        raise Forbidden("not_your_step", policy.PARTY_REFUSALS[workflow.Party.DEPARTURE_OFFICER])
    if TransitState(case["state"]) not in workflow.BEFORE_ARRIVAL:
        raise DomainError(
            "risk_note_too_late",
            N_("Declaration %(number)s is “%(current)s”: notes for the destination are written before the goods arrive (Decision 1966, Art 41.2.a.3)."),
            number=case["number"], current=workflow.label(case["state"]),
        )
    text = payload.text.strip()
    if not text:
        raise DomainError("risk_note_required", N_("Write what the destination branch should watch closely (Decision 1966, Art 41.2.a.3)."))
    await RiskNote.insert(
        RiskNote(command_id=context.command_id, case=case["id"], text=text, officer=context.actor.id, made_at=context.issued_at)
    )
    await workflow.note(case, "41.2.a.3", text, by=context.actor.id, at=context.issued_at, recorded_at=context.received_at, command_id=context.command_id)
    return _result(case)
