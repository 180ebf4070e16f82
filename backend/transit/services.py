"""The transit read side: a case and its timeline, the officer's lists, the departure branch's overdue list, the
letters a destination branch is asked to answer. Commands write (commands.py); these only read.

"Overdue" (Art 41.1.4.b): departed (BOA) and past the deadline (departure + the registered transit time) with no
arrival confirmed. Goods confirmed in the exit gate's area, or found in violation at the destination, have
arrived there and are not overdue. The clock is a parameter (`now`), the server's clock by default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.declarations.services import parse_number
from backend.lib import clock
from backend.lib.errors import N_, NotFound
from backend.lib.i18n import gettext
from backend.officers.schemas import Actor
from backend.officers.tables import Branch, Officer, Role
from backend.outbox.tables import OutboxMessage
from backend.transit import policy
from backend.transit.schemas import TransitCaseView, TransitEventView, TransitListItem, TransitLists, VerificationView
from backend.transit.tables import ArrivalCheck, RiskNote, TransitCase, TransitEvent, VerificationRequest
from backend.transit.workflow import STATE_LABELS, TransitState

LIST_LIMIT = 200


async def case_by_number(number_text: str) -> dict[str, Any] | None:
    return await TransitCase.select().where(TransitCase.number == parse_number(number_text)).first()


async def visible_case(actor: Actor, number_text: str) -> dict[str, Any]:
    """The case, if the actor's branch may see it (policy.may_see); "no such transit declaration" (404) otherwise."""
    number = parse_number(number_text)
    case = await case_by_number(number)
    if case is None or not policy.may_see(actor, case):
        raise policy.not_found(number)
    return case


async def notice_faxes_due(actor: Actor) -> list[dict[str, Any]]:
    """The lots the actor's branch confirmed in its exit gate's area whose confirmation "trên Hệ thống" (the outbox
    message of their transit.confirm_exit_area) is not delivered, and whose notice fax is not recorded, oldest first
    (Art 41.2.b.1.1.1: then the approval notice's first page is signed, stamped, dated and faxed to the departure
    branch). A confirmation delivered later takes the lot off the list; one the System refused keeps it there."""
    if actor.branch_id is None:
        return []
    pending = await OutboxMessage.select(OutboxMessage.command_id, OutboxMessage.state).where(
        (OutboxMessage.branch == actor.branch_id) & (OutboxMessage.command_type == "transit.confirm_exit_area")
        & (OutboxMessage.state != "delivered")
    )
    if not pending:
        return []
    states = {str(row["command_id"]): row["state"] for row in pending}
    events = await TransitEvent.select(TransitEvent.case, TransitEvent.command_id).where(
        (TransitEvent.to_state == TransitState.AT_EXIT_AREA.value) & TransitEvent.command_id.is_in([row["command_id"] for row in pending])
    )
    if not events:
        return []
    state_of = {event["case"]: states.get(str(event["command_id"]), "") for event in events}
    rows = await TransitCase.select(
        TransitCase.id, TransitCase.number, TransitCase.departure_branch.code.as_alias("departure"), TransitCase.exit_area_at,
    ).where(
        TransitCase.id.is_in(list(state_of)) & (TransitCase.destination_branch == actor.branch_id) & TransitCase.notice_faxed_at.is_null()
    ).order_by(TransitCase.exit_area_at)
    return [{**row, "outbox_state": state_of[row["id"]]} for row in rows]


def is_overdue(case: dict[str, Any], now: datetime) -> bool:
    return case["state"] == TransitState.DEPARTED and case["deadline"] is not None and case["deadline"] < now


async def case_view(actor: Actor, number_text: str, now: datetime | None = None) -> TransitCaseView:
    """A case with its timeline, for its departure branch or (once departed) its destination branch; 404 otherwise."""
    case = await visible_case(actor, number_text)
    now = now or clock.now()
    events = await TransitEvent.select(
        *TransitEvent.all_columns(), TransitEvent.officer.code.as_alias("officer_code"), TransitEvent.officer.full_name.as_alias("officer_name")
    ).where(TransitEvent.case == case["id"]).order_by(TransitEvent.id)
    codes = {
        row["id"]: row["code"]
        for row in await Branch.select(Branch.id, Branch.code).where(Branch.id.is_in([case["departure_branch"]]))
    }
    assigned = (
        await Officer.select(Officer.code).where(Officer.id == case["assigned_officer"]).first()
        if case["assigned_officer"] is not None
        else None
    )
    return TransitCaseView(
        number=case["number"], kind=case["kind"], state=case["state"], state_label=gettext(STATE_LABELS[case["state"]]),
        departure_branch_code=codes[case["departure_branch"]], destination_code=case["destination_code"],
        transit_hours=case["transit_hours"], exit_mode=case["exit_mode"], combined_case=case["combined_case"],
        assigned_officer_code=assigned["code"] if assigned else None, instructions=case["instructions"],
        decision_code=case["decision_code"], decision_reason=case["decision_reason"],
        departed_at=case["departed_at"], deadline=case["deadline"], overdue=is_overdue(case, now),
        exit_area_at=case["exit_area_at"], arrived_at=case["arrived_at"],
        violation_note=case["violation_note"], penalty_note=case["penalty_note"],
        amendment_kind=case["amendment_kind"], amendment_proposal=case["amendment_proposal"],
        amendment_decision=case["amendment_decision"], trace_opened_at=case["trace_opened_at"], trace_outcome=case["trace_outcome"],
        arrival_check=case["arrival_check"],
        timeline=[
            TransitEventView(
                from_state=e["from_state"], to_state=e["to_state"], officer_code=e["officer_code"], officer_name=e["officer_name"],
                made_at=e["made_at"], recorded_at=e["recorded_at"], clause=e["clause"], note=e["note"],
            )
            for e in events
        ],
    )


async def _items(where: Any, now: datetime) -> list[TransitListItem]:
    rows = await TransitCase.select(
        TransitCase.number, TransitCase.kind, TransitCase.state, TransitCase.deadline, TransitCase.changed_at,
        TransitCase.destination_code, TransitCase.departure_branch.code.as_alias("departure_branch_code"),
    ).where(where).order_by(TransitCase.changed_at).limit(LIST_LIMIT)
    return [
        TransitListItem(
            number=row["number"], kind=row["kind"], state=row["state"], state_label=gettext(STATE_LABELS[row["state"]]),
            departure_branch_code=row["departure_branch_code"], destination_code=row["destination_code"],
            deadline=row["deadline"], overdue=is_overdue(row, now), changed_at=row["changed_at"],
        )
        for row in rows
    ]


def _states(*states: TransitState) -> list[str]:
    return [state.value for state in states]


async def transit_lists(actor: Actor, now: datetime | None = None) -> TransitLists:
    """What waits for the officer (assigned to me) and for the branch (to assign, to seal, to depart, to confirm
    arriving), oldest change first, at most LIST_LIMIT each. Supervisors see "to assign"; others get it empty."""
    now = now or clock.now()
    branch = actor.branch_id
    if branch is None or actor.role not in policy.TRANSIT_ROLES:
        return TransitLists(assigned_to_me=[], to_assign=[], to_seal=[], to_depart=[], to_confirm_arriving=[])
    departing = TransitCase.departure_branch == branch
    return TransitLists(
        assigned_to_me=await _items(
            departing & (TransitCase.assigned_officer == actor.id)
            & TransitCase.state.is_in(_states(TransitState.ASSIGNED, TransitState.AMENDMENT_ASSIGNED, TransitState.AMENDMENT_ACCEPTED, TransitState.AMENDMENT_REFUSED)),
            now,
        ),
        to_assign=await _items(
            departing & TransitCase.state.is_in(_states(TransitState.YELLOW, TransitState.AMENDMENT_RECEIVED, TransitState.AMENDMENT_PROPOSED)), now
        ) if actor.role == Role.SUPERVISOR else [],
        to_seal=await _items(departing & TransitCase.state.is_in(_states(TransitState.GREEN, TransitState.APPROVED)), now),
        to_depart=await _items(departing & (TransitCase.state == TransitState.SEALED.value), now),
        to_confirm_arriving=await _items(
            (TransitCase.destination_branch == branch)
            & TransitCase.state.is_in(_states(TransitState.DEPARTED, TransitState.AT_EXIT_AREA, TransitState.PENALTY_CARRIED_OUT)),
            now,
        ),
    )


async def overdue_list(actor: Actor, now: datetime | None = None) -> list[TransitListItem]:
    """The departure branch's lots past their deadline without arrival (41.1.4.b), oldest deadline first."""
    now = now or clock.now()
    if actor.branch_id is None or actor.role not in policy.TRANSIT_ROLES:
        return []
    rows = await TransitCase.select(
        TransitCase.number, TransitCase.kind, TransitCase.state, TransitCase.deadline, TransitCase.changed_at,
        TransitCase.destination_code, TransitCase.departure_branch.code.as_alias("departure_branch_code"),
    ).where(
        (TransitCase.departure_branch == actor.branch_id)
        & (TransitCase.state == TransitState.DEPARTED.value)
        & (TransitCase.deadline < now)
    ).order_by(TransitCase.deadline).limit(LIST_LIMIT)
    return [
        TransitListItem(
            number=row["number"], kind=row["kind"], state=row["state"], state_label=gettext(STATE_LABELS[row["state"]]),
            departure_branch_code=row["departure_branch_code"], destination_code=row["destination_code"],
            deadline=row["deadline"], overdue=True, changed_at=row["changed_at"],
        )
        for row in rows
    ]


async def verification_requests_for(actor: Actor) -> list[VerificationView]:
    """The letters other branches sent the actor's branch about lots addressed to it (41.1.4.b), unanswered first."""
    if actor.branch_id is None or actor.role not in policy.TRANSIT_ROLES:
        return []
    rows = await VerificationRequest.select(
        *VerificationRequest.all_columns(),
        VerificationRequest.case.number.as_alias("number"),
        VerificationRequest.from_branch.code.as_alias("from_branch_code"),
        VerificationRequest.to_branch.code.as_alias("to_branch_code"),
    ).where(VerificationRequest.to_branch == actor.branch_id).order_by(VerificationRequest.id, ascending=False).limit(LIST_LIMIT)
    views = [
        VerificationView(
            id=row["id"], number=row["number"], from_branch_code=row["from_branch_code"], to_branch_code=row["to_branch_code"],
            letter=row["letter"], requested_at=row["requested_at"], answer=row["answer"], answered_at=row["answered_at"],
        )
        for row in rows
    ]
    return sorted(views, key=lambda view: view.answered_at is not None)


async def letters_about(actor: Actor, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The letters about one case that the actor's branch sent or was sent (41.1.4.b), oldest first."""
    if actor.branch_id is None:
        return []
    return await VerificationRequest.select(
        *VerificationRequest.all_columns(),
        VerificationRequest.from_branch.code.as_alias("from_branch_code"),
        VerificationRequest.to_branch.code.as_alias("to_branch_code"),
    ).where(
        (VerificationRequest.case == case["id"])
        & ((VerificationRequest.from_branch == actor.branch_id) | (VerificationRequest.to_branch == actor.branch_id))
    ).order_by(VerificationRequest.id)


async def risk_notes(case: dict[str, Any]) -> list[dict[str, str]]:
    """What the destination is to watch closely (41.2.a.3), as giamsat holds it: the departure branch's notes for
    the destination (`transit.add_risk_note`, oldest first, with who and when), the declaration's warnings (risk
    management, X-ray findings) and the departure head's instructions for the document check. Each with its source."""
    from backend.declarations.tables import DeclarationWarning

    warnings = await DeclarationWarning.select(DeclarationWarning.text, DeclarationWarning.source).where(
        DeclarationWarning.declaration == case["declaration"]
    ).order_by(DeclarationWarning.position)
    notes = [
        {"source": "departure", "text": row["text"], "by": f"{row['officer_name']} ({row['officer_code']})", "at": row["made_at"]}
        for row in await RiskNote.select(
            RiskNote.text, RiskNote.made_at, RiskNote.officer.code.as_alias("officer_code"), RiskNote.officer.full_name.as_alias("officer_name")
        ).where(RiskNote.case == case["id"]).order_by(RiskNote.id)
    ]
    notes += [{"source": row["source"], "text": row["text"]} for row in warnings]
    if case["instructions"].strip():
        notes.append({"source": "instructions", "text": case["instructions"].strip()})
    return notes


async def assignable_officers(branch_id: int) -> list[dict[str, Any]]:
    """Whom CES may name: the active officers and supervisors of the departure branch (commands._assignee)."""
    return await Officer.select(Officer.id, Officer.code, Officer.full_name).where(
        (Officer.branch == branch_id) & (Officer.active == True) & Officer.role.is_in([Role.OFFICER.value, Role.SUPERVISOR.value])  # noqa: E712
    ).order_by(Officer.code)


async def violations_to_handle(actor: Actor, now: datetime | None = None) -> list[TransitListItem]:
    """For the departure branch's supervisors: lots found in violation at the destination, waiting for the penalty
    carried out (41.2.b.2)."""
    now = now or clock.now()
    if actor.branch_id is None or actor.role != Role.SUPERVISOR:
        return []
    return await _items((TransitCase.departure_branch == actor.branch_id) & (TransitCase.state == TransitState.VIOLATION.value), now)


async def overdue_follow_up(actor: Actor, now: datetime | None = None) -> list[dict[str, Any]]:
    """The overdue list (overdue_list) with what the departure branch did about each lot: its trace case and the
    letters sent to the destination branch with their answers (41.1.4.b)."""
    now = now or clock.now()
    items = await overdue_list(actor, now)
    if not items:
        return []
    rows = {
        row["number"]: row
        for row in await TransitCase.select().where(TransitCase.number.is_in([item.number for item in items]))
    }
    letters: dict[int, list[dict[str, Any]]] = {}
    for letter in await VerificationRequest.select(
        *VerificationRequest.all_columns(), VerificationRequest.to_branch.code.as_alias("to_branch_code")
    ).where(VerificationRequest.case.is_in([row["id"] for row in rows.values()])).order_by(VerificationRequest.id):
        letters.setdefault(letter["case"], []).append(letter)
    return [
        {
            "item": item,
            "case": rows[item.number],
            "hours_late": int((now - item.deadline).total_seconds() // 3600) if item.deadline else 0,
            "letters": letters.get(rows[item.number]["id"], []),
        }
        for item in items
    ]


async def arrival_check_of(case: dict[str, Any]) -> dict[str, Any] | None:
    """The destination's arrival check of the case (41.2.a.1-2) with its lines decoded and who made it, or None."""
    row = await ArrivalCheck.select(
        *ArrivalCheck.all_columns(), ArrivalCheck.officer.code.as_alias("officer_code"),
        ArrivalCheck.officer.full_name.as_alias("officer_name"), ArrivalCheck.location.name.as_alias("location_name"),
    ).where(ArrivalCheck.case == case["id"]).first()
    if row is not None:
        row["lines"] = msgspec.json.decode(row["lines"] or "[]")
    return row


async def letter_view(actor: Actor, request_id: int) -> dict[str, Any]:
    """A letter asking the destination branch to verify a lot (41.1.4.b) with what it is about: both branches, the
    declaration, its containers and their seals at departure, BOA and the deadline, the head who asked. Only for
    the departure branch that sent it and the destination branch it was sent to; "no such letter" (404) otherwise."""
    from backend.transit.arrival import expected  # arrival imports the seals domain, read only

    letter = await VerificationRequest.select(
        *VerificationRequest.all_columns(),
        VerificationRequest.from_branch.code.as_alias("from_branch_code"), VerificationRequest.from_branch.name.as_alias("from_branch_name"),
        VerificationRequest.to_branch.code.as_alias("to_branch_code"), VerificationRequest.to_branch.name.as_alias("to_branch_name"),
        VerificationRequest.requested_by.code.as_alias("requested_by_code"), VerificationRequest.requested_by.full_name.as_alias("requested_by_name"),
        VerificationRequest.answered_by.code.as_alias("answered_by_code"), VerificationRequest.answered_by.full_name.as_alias("answered_by_name"),
    ).where(VerificationRequest.id == request_id).first()
    if letter is None or not policy.may_read_letter(actor, letter):
        raise NotFound("letter_not_found", N_("Your branch sent or was sent no such letter."))
    case = await TransitCase.select().where(TransitCase.id == letter["case"]).first()
    facts = await expected(case)
    return {"letter": letter, "case": case, "facts": facts}
