"""The life of a transit declaration (Decision 1966, Arts 41-42) as one state machine.

Independent transit (Art 41), at the departure branch (the branch of registration) and then at the destination:

    registered ─a.2─▶ green ───────────────────────────────────────────┐
        │     └─a.2─▶ yellow ─CES b.1─▶ assigned ─CET A b.2.3─▶ approved ┴─c.1─▶ sealed ─BOA 4.a─▶ departed
        │                                 │  ▲ COT b.2.2                                               │
        │                     CET C b.2.2 ▼  │                                                         │
        │                          supplement_requested        CET X b.2.1 ─▶ refused                  │
        │                                                                                               │
        │   departed ─2.b.1.2 BIA─▶ arrived                                                             │
        │   departed ─2.b.1.1.1─▶ at_exit_area ─2.b.1.1.2 BIA─▶ arrived   (exports through road, river,   │
        │                                                                   inland-waterway, rail gates) │
        │   departed / at_exit_area ─2.b.2─▶ violation ─2.b.2─▶ penalty_carried_out ─BIA─▶ arrived        │
        │                                                                                               │
        │   amendments and cancellations (41.3), before departure:                                       │
        │   COR/CAN from upstream ─▶ amendment_received ─CES a─▶ amendment_assigned ─b─▶ amendment_proposed│
        │     ─▶ amendment_accepted ─CET A b.2─▶ approved / sealed (COR re-approved) or cancelled (CAN)   │
        │     ─▶ amendment_refused  ─CET X b.1─▶ back where the case was                                  │
        └─42.2─▶ gate_supervision   combined transit (Art 42): supervised at the gates by mode of transport
                                    (Part V, Arts 35-36), with no BOA and no BIA

Each allowed pair is a `Step` in TRANSITIONS naming its clause and the party who takes it (`Party`); who that
party is for a given officer is policy.py's question. Anything not in the table is refused with a message that
cites the clause that says what must come first. Only `transition()` assigns a state (`create_case` sets the
first one); `note()` adds a timeline row that changes no state (a COT that was not asked for, a letter to the
destination branch, a trace case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class TransitState(StrEnum):
    REGISTERED = "registered"  # numbered by the system (41.1.a.1), not yet classified
    GREEN = "green"  # lane 1: straight to sealing (41.1.a.2)
    YELLOW = "yellow"  # lane 2: documents to check (41.1.a.2, step 2)
    ASSIGNED = "assigned"  # CES: an officer checks the documents, with the head's instructions (41.1.b.1)
    SUPPLEMENT_REQUESTED = "supplement_requested"  # CET C: waiting for the declarant's COT (41.1.b.2.2)
    REFUSED = "refused"  # CET X: not eligible for transit, reason given (41.1.b.2.1)
    APPROVED = "approved"  # CET A: approval notice sent, to sealing (41.1.b.2.3)
    SEALED = "sealed"  # sealed and confirmed at departure (41.1.c.1)
    DEPARTED = "departed"  # BOA: the clock runs (41.1.4.a)
    AT_EXIT_AREA = "at_exit_area"  # arrived in the exit gate's supervision area (41.2.b.1.1.1)
    VIOLATION = "violation"  # violation record made at the destination (41.2.b.2)
    PENALTY_CARRIED_OUT = "penalty_carried_out"  # the declarant carried out the penalty decision (41.2.b.2)
    ARRIVED = "arrived"  # BIA (41.2.b.1.1.2, b.1.2)
    AMENDMENT_RECEIVED = "amendment_received"  # a COR or CAN filed upstream (41.3)
    AMENDMENT_ASSIGNED = "amendment_assigned"  # CES for it (41.3.a)
    AMENDMENT_PROPOSED = "amendment_proposed"  # the officer's written proposal to the head (41.3.b)
    AMENDMENT_ACCEPTED = "amendment_accepted"  # the head accepts: the officer sends CET A (41.3.b.2)
    AMENDMENT_REFUSED = "amendment_refused"  # the head refuses: the officer sends CET X (41.3.b.1)
    CANCELLED = "cancelled"  # CAN accepted (41.3.b.2)
    GATE_SUPERVISION = "gate_supervision"  # combined transit: supervised at the gates, no BOA/BIA (42.2)


STATE_LABELS: dict[str, str] = {
    TransitState.REGISTERED: N_("Registered"),
    TransitState.GREEN: N_("Green lane: to sealing"),
    TransitState.YELLOW: N_("Yellow lane: to assign"),
    TransitState.ASSIGNED: N_("Assigned for document check"),
    TransitState.SUPPLEMENT_REQUESTED: N_("Supplement requested"),
    TransitState.REFUSED: N_("Refused"),
    TransitState.APPROVED: N_("Approved: to sealing"),
    TransitState.SEALED: N_("Sealed: departure to register"),
    TransitState.DEPARTED: N_("Departed"),
    TransitState.AT_EXIT_AREA: N_("Arrived at the exit gate area"),
    TransitState.VIOLATION: N_("Violation recorded"),
    TransitState.PENALTY_CARRIED_OUT: N_("Penalty carried out"),
    TransitState.ARRIVED: N_("Arrived"),
    TransitState.AMENDMENT_RECEIVED: N_("Amendment or cancellation received"),
    TransitState.AMENDMENT_ASSIGNED: N_("Amendment or cancellation assigned"),
    TransitState.AMENDMENT_PROPOSED: N_("Amendment or cancellation proposed to the head"),
    TransitState.AMENDMENT_ACCEPTED: N_("Amendment or cancellation accepted by the head"),
    TransitState.AMENDMENT_REFUSED: N_("Amendment or cancellation refused by the head"),
    TransitState.CANCELLED: N_("Cancelled"),
    TransitState.GATE_SUPERVISION: N_("Combined transit: supervised at the gates"),
}

INITIAL = TransitState.REGISTERED
FINAL = frozenset({TransitState.REFUSED, TransitState.ARRIVED, TransitState.CANCELLED, TransitState.GATE_SUPERVISION})
# Before arrival, the departure branch may still tell the destination what to watch closely (41.2.a.3). After BIA
# there is nothing left to watch; a refused or cancelled declaration does not travel; combined transit has no
# destination check (42.2).
BEFORE_ARRIVAL = frozenset(TransitState) - FINAL
# Where an amendment or a cancellation may start: before departure, while the case is not closed (41.3). After BOA
# the goods are on the road: the declaration is no longer cancelled, and its route no longer amended, by this path.
BEFORE_DEPARTURE = (
    TransitState.GREEN,
    TransitState.YELLOW,
    TransitState.ASSIGNED,
    TransitState.SUPPLEMENT_REQUESTED,
    TransitState.APPROVED,
    TransitState.SEALED,
)
# A COR is "phê duyệt lại" on acceptance (41.3.b.2): it amends an approved declaration. Before approval the
# declarant supplements through COT when the officer asks (41.1.b.2.2).
AMENDABLE = (TransitState.GREEN, TransitState.APPROVED, TransitState.SEALED)
# Exit gates whose exports are confirmed arrived in two steps (41.2.b.1.1).
TWO_STEP_EXIT_MODES = frozenset({"road", "river", "inland_waterway", "rail"})


class Party(StrEnum):
    """Who takes a step. Which officers that is for a case: policy.may_take()."""

    UPSTREAM = "upstream"  # the national system: the declarant's registration, COT, COR/CAN
    DEPARTURE_HEAD = "departure_head"  # Chi cục trưởng of the departure branch (a supervisor there)
    CHECKING_OFFICER = "checking_officer"  # the officer CES assigned (41.1.b.2, 41.3.b)
    DEPARTURE_OFFICER = "departure_officer"  # an officer of the departure branch (sealing, BOA)
    DESTINATION_OFFICER = "destination_officer"  # an officer of the destination branch (41.2)


@dataclass(frozen=True)
class Step:
    clause: str  # Decision 1966, as the text numbers it ("41.1.4.a": Step 4 of clause 1 is numbered "4.")
    party: Party


S = TransitState
_ = Party

TRANSITIONS: dict[tuple[TransitState, TransitState], Step] = {
    (S.REGISTERED, S.GREEN): Step("41.1.a.2", _.UPSTREAM),
    (S.REGISTERED, S.YELLOW): Step("41.1.a.2", _.UPSTREAM),
    (S.REGISTERED, S.GATE_SUPERVISION): Step("42.2", _.UPSTREAM),
    (S.YELLOW, S.ASSIGNED): Step("41.1.b.1", _.DEPARTURE_HEAD),
    (S.ASSIGNED, S.REFUSED): Step("41.1.b.2.1", _.CHECKING_OFFICER),
    (S.ASSIGNED, S.SUPPLEMENT_REQUESTED): Step("41.1.b.2.2", _.CHECKING_OFFICER),
    (S.SUPPLEMENT_REQUESTED, S.ASSIGNED): Step("41.1.b.2.2", _.UPSTREAM),
    (S.ASSIGNED, S.APPROVED): Step("41.1.b.2.3", _.CHECKING_OFFICER),
    (S.GREEN, S.SEALED): Step("41.1.c.1", _.DEPARTURE_OFFICER),
    (S.APPROVED, S.SEALED): Step("41.1.c.1", _.DEPARTURE_OFFICER),
    (S.SEALED, S.DEPARTED): Step("41.1.4.a", _.DEPARTURE_OFFICER),
    (S.DEPARTED, S.AT_EXIT_AREA): Step("41.2.b.1.1.1", _.DESTINATION_OFFICER),
    (S.AT_EXIT_AREA, S.ARRIVED): Step("41.2.b.1.1.2", _.DESTINATION_OFFICER),
    (S.DEPARTED, S.ARRIVED): Step("41.2.b.1.2", _.DESTINATION_OFFICER),
    (S.DEPARTED, S.VIOLATION): Step("41.2.b.2", _.DESTINATION_OFFICER),
    (S.AT_EXIT_AREA, S.VIOLATION): Step("41.2.b.2", _.DESTINATION_OFFICER),
    # "chuyển Chi cục Hải quan nơi hàng hóa chuyển đi để xử lý": the departure branch handles the penalty.
    (S.VIOLATION, S.PENALTY_CARRIED_OUT): Step("41.2.b.2", _.DEPARTURE_HEAD),
    (S.PENALTY_CARRIED_OUT, S.AT_EXIT_AREA): Step("41.2.b.2", _.DESTINATION_OFFICER),
    (S.PENALTY_CARRIED_OUT, S.ARRIVED): Step("41.2.b.2", _.DESTINATION_OFFICER),
    **{(source, S.AMENDMENT_RECEIVED): Step("41.3", _.UPSTREAM) for source in BEFORE_DEPARTURE},
    (S.AMENDMENT_RECEIVED, S.AMENDMENT_ASSIGNED): Step("41.3.a", _.DEPARTURE_HEAD),
    (S.AMENDMENT_ASSIGNED, S.AMENDMENT_PROPOSED): Step("41.3.b", _.CHECKING_OFFICER),
    (S.AMENDMENT_PROPOSED, S.AMENDMENT_ACCEPTED): Step("41.3.b", _.DEPARTURE_HEAD),
    (S.AMENDMENT_PROPOSED, S.AMENDMENT_REFUSED): Step("41.3.b", _.DEPARTURE_HEAD),
    (S.AMENDMENT_ACCEPTED, S.APPROVED): Step("41.3.b.2", _.CHECKING_OFFICER),
    (S.AMENDMENT_ACCEPTED, S.SEALED): Step("41.3.b.2", _.CHECKING_OFFICER),
    (S.AMENDMENT_ACCEPTED, S.CANCELLED): Step("41.3.b.2", _.CHECKING_OFFICER),
    **{(S.AMENDMENT_REFUSED, source): Step("41.3.b.1", _.CHECKING_OFFICER) for source in BEFORE_DEPARTURE},
}
del S, _

# Why a target cannot be reached from where the case is: what must come first, with its clause. A refusal shows
# the case's state and this text.
WHAT_COMES_FIRST: dict[TransitState, str] = {
    TransitState.GREEN: N_("Only a newly registered declaration is classified (Decision 1966, Art 41.1.a.2)."),
    TransitState.YELLOW: N_("Only a newly registered declaration is classified (Decision 1966, Art 41.1.a.2)."),
    TransitState.GATE_SUPERVISION: N_("Only a newly registered combined transit declaration goes to gate supervision (Decision 1966, Art 42.2)."),
    TransitState.ASSIGNED: N_("The head assigns a yellow-lane declaration for document check (CES), and the check resumes when the supplement asked for arrives (Decision 1966, Art 41.1.b.1, b.2.2)."),
    TransitState.REFUSED: N_("Only the assigned officer's document check ends in CET X (Decision 1966, Art 41.1.b.2.1)."),
    TransitState.SUPPLEMENT_REQUESTED: N_("Only the assigned officer's document check asks for a supplement with CET C (Decision 1966, Art 41.1.b.2.2)."),
    TransitState.APPROVED: N_("A declaration is approved with CET A after its document check, or re-approved after an accepted amendment (Decision 1966, Art 41.1.b.2.3, 41.3.b.2)."),
    TransitState.SEALED: N_("Goods are sealed once the declaration is in the green lane or approved (Decision 1966, Art 41.1.a.2, 41.1.c)."),
    TransitState.DEPARTED: N_("Departure (BOA) is registered after the goods are sealed and the notices signed (Decision 1966, Art 41.1.4.a)."),
    TransitState.AT_EXIT_AREA: N_("Arrival at the exit gate area is confirmed for departed exports leaving through a road, river, inland-waterway or international rail gate (Decision 1966, Art 41.2.b.1.1.1)."),
    TransitState.ARRIVED: N_("Arrival (BIA) is confirmed for departed goods: at a road, river, inland-waterway or rail exit gate after their arrival in the gate area, and after a violation only once the penalty decision is carried out (Decision 1966, Art 41.2.b.1, b.2)."),
    TransitState.VIOLATION: N_("A violation record is made at the destination for goods that departed (Decision 1966, Art 41.2.b.2)."),
    TransitState.PENALTY_CARRIED_OUT: N_("The penalty is recorded as carried out after a violation record (Decision 1966, Art 41.2.b.2)."),
    TransitState.AMENDMENT_RECEIVED: N_("An amendment (COR) is handled for an approved declaration before departure, a cancellation (CAN) for one not yet departed (Decision 1966, Art 41.3)."),
    TransitState.AMENDMENT_ASSIGNED: N_("The head assigns an amendment or cancellation received for checking (CES) (Decision 1966, Art 41.3.a)."),
    TransitState.AMENDMENT_PROPOSED: N_("The assigned officer proposes a decision on an amendment or cancellation assigned to them (Decision 1966, Art 41.3.b)."),
    TransitState.AMENDMENT_ACCEPTED: N_("The head decides on the officer's proposal (Decision 1966, Art 41.3.b)."),
    TransitState.AMENDMENT_REFUSED: N_("The head decides on the officer's proposal (Decision 1966, Art 41.3.b)."),
    TransitState.CANCELLED: N_("A cancellation (CAN) is accepted with CET A once the head accepted it (Decision 1966, Art 41.3.b.2)."),
    TransitState.REGISTERED: N_("A case starts registered; it never returns there (Decision 1966, Art 41.1.a.1)."),
}

ARRIVAL_NOT_CHECKED = N_(
    "Declaration %(number)s: check the approval notice, the declaration's status, the quantity, the containers and "
    "their seals first (Decision 1966, Art 41.2.a.1, a.2)."
)
ARRIVAL_CHECK_FAILED = N_(
    "Declaration %(number)s: the arrival check found a seal broken or different, a container missing or goods not as "
    "recorded. Make the violation record; arrival (BIA) is confirmed only after the penalty decision is carried out "
    "(Decision 1966, Art 41.2.b.2)."
)
NO_BOA_NOR_BIA = N_("A combined transit declaration has no BOA and no BIA: its goods are supervised at the gates by mode of transport (Decision 1966, Art 42.2).")


class TransitionRefused(DomainError):
    status_code = 409


def step(current: TransitState | str, target: TransitState | str) -> Step | None:
    return TRANSITIONS.get((TransitState(current), TransitState(target)))


def label(state: TransitState | str) -> Deferred:
    return Deferred(STATE_LABELS[TransitState(state)])


def _refuse(code: str, message: str, case: dict[str, Any], **params: Any) -> TransitionRefused:
    return TransitionRefused(code, message, number=case["number"], current=label(case["state"]), **params)


def check(case: dict[str, Any], target: TransitState | str, details: dict[str, Any] | None = None) -> Step:
    """The step from the case's state to `target`, or TransitionRefused / DomainError saying why not, with its clause.

    `case` is the case's row (its state and the facts the guards read); `details` what the action brings (a reason,
    the officer assigned, a proposal, a decision). Guards beyond the table, each citing its clause:
    - combined transit has no BOA and no BIA (42.2);
    - at a road / river / inland-waterway / rail exit gate, BIA only after arrival in the gate area (41.2.b.1.1);
      elsewhere there is no such first step (b.1.2);
    - BOA needs the registered transit time (41.1.4.b: the deadline is computed from it);
    - from departed, no exit gate's area and no BIA before the arrival check (`arrival_check`, 41.2.a.1-2: the
      destination checks, then confirms), nor after one that found a seal broken or different, a container missing
      or goods not as recorded: the violation record and the penalty come first (41.2.b.2);
    - a COR only for an approved declaration (41.3.b.2 "phê duyệt lại"); CET A on an accepted COR returns where
      the case was (approved, or sealed when the goods already were), on an accepted CAN it cancels; CET X on a
      refused one returns exactly where the case was (41.3.b.1);
    - CES names an officer; CET X and CET C, a refused proposal or decision, a violation, a penalty: their text.
    """
    details = details or {}
    current, target = TransitState(case["state"]), TransitState(target)
    if case["kind"] == "combined_transit" and target in (TransitState.DEPARTED, TransitState.AT_EXIT_AREA, TransitState.ARRIVED):
        raise _refuse("no_boa_nor_bia", N_("Declaration %(number)s (“%(current)s”): %(why)s"), case, why=Deferred(NO_BOA_NOR_BIA))
    found = step(current, target)
    two_step = case.get("exit_mode", "") in TWO_STEP_EXIT_MODES
    if found is not None:
        if target is TransitState.AMENDMENT_RECEIVED and details.get("amendment_kind") == "COR" and current not in AMENDABLE:
            found = None
        elif target is TransitState.AT_EXIT_AREA and (not two_step or case.get("exit_area_at") is not None):
            found = None
        elif target is TransitState.ARRIVED and two_step and current is not TransitState.AT_EXIT_AREA and case.get("exit_area_at") is None:
            found = None
        elif current is TransitState.AMENDMENT_ACCEPTED:
            resume = TransitState(case["resume_state"]) if case.get("resume_state") else None
            expected = (
                TransitState.CANCELLED
                if case.get("amendment_kind") == "CAN"
                else (TransitState.SEALED if resume is TransitState.SEALED else TransitState.APPROVED)
            )
            found = found if target is expected else None
        elif current is TransitState.AMENDMENT_REFUSED and case.get("resume_state") != target.value:
            found = None
    if found is None:
        raise _refuse(
            "transition_refused",
            N_("Declaration %(number)s is “%(current)s”: %(why)s"),
            case,
            why=Deferred(WHAT_COMES_FIRST[target]),
        )
    if current is TransitState.DEPARTED and target in (TransitState.AT_EXIT_AREA, TransitState.ARRIVED):
        if case.get("arrival_check") == "failed":
            raise _refuse("arrival_check_failed", ARRIVAL_CHECK_FAILED, case)
        if not case.get("arrival_check"):
            raise _refuse("arrival_not_checked", ARRIVAL_NOT_CHECKED, case)
    if found.clause == "41.1.4.a" and not case.get("transit_hours"):
        raise _refuse(
            "transit_time_unknown",
            N_("Declaration %(number)s has no registered transit time from upstream: the deadline cannot be set (Decision 1966, Art 41.1.4.b)."),
            case,
        )
    _check_details(target, current, details)
    return found


def is_assignment(current: TransitState, target: TransitState) -> bool:
    """CES: the head names the checking officer (41.1.b.1, 41.3.a); a COT's return to checking is not one."""
    return (current, target) in ((TransitState.YELLOW, TransitState.ASSIGNED), (TransitState.AMENDMENT_RECEIVED, TransitState.AMENDMENT_ASSIGNED))


def _required(details: dict[str, Any], key: str, code: str, message: str) -> None:
    if not str(details.get(key) or "").strip():
        raise DomainError(code, message)


def _check_details(target: TransitState, current: TransitState, details: dict[str, Any]) -> None:
    if is_assignment(current, target):
        if details.get("officer_id") is None:
            raise DomainError("officer_required", N_("Name the officer who checks the documents (CES, Decision 1966, Art 41.1.b.1.1, 41.3.a.1)."))
    elif target is TransitState.REFUSED:
        _required(details, "reason", "reason_required", N_("CET X gives the declarant the reason (Decision 1966, Art 41.1.b.2.1)."))
    elif target is TransitState.SUPPLEMENT_REQUESTED:
        _required(details, "reason", "reason_required", N_("CET C tells the declarant what to supplement (Decision 1966, Art 41.1.b.2.2)."))
    elif target is TransitState.AMENDMENT_PROPOSED:
        if details.get("proposal") not in ("accept", "refuse"):
            raise DomainError("proposal_required", N_("Propose to accept or to refuse (Decision 1966, Art 41.3.b)."))
        if details["proposal"] == "refuse":
            _required(details, "reason", "reason_required", N_("A proposal to refuse gives the reason (Decision 1966, Art 41.3.b.1)."))
    elif target is TransitState.AMENDMENT_REFUSED or (current is TransitState.AMENDMENT_REFUSED):
        _required(details, "reason", "reason_required", N_("CET X gives the declarant the reason (Decision 1966, Art 41.3.b.1)."))
    elif target is TransitState.VIOLATION:
        _required(details, "note", "violation_required", N_("Write what the violation record found (Decision 1966, Art 41.2.b.2)."))
    elif target is TransitState.PENALTY_CARRIED_OUT:
        _required(details, "note", "penalty_required", N_("Write the penalty decision and its outcome for risk management (Decision 1966, Art 41.2.b.2)."))


def deadline(departed_at: datetime, transit_hours: int) -> datetime:
    """The end of the registered transit time, counted from departure (41.1.4.b)."""
    return departed_at + timedelta(hours=transit_hours)


async def transition(
    case: dict[str, Any],
    target: TransitState | str,
    *,
    by: int | None,
    at: datetime,
    recorded_at: datetime,
    command_id: UUID | None = None,
    **details: Any,
) -> dict[str, Any]:
    """Move `case` (its row, as `TransitCase.select()` gives it) to `target`; the case's row afterwards.

    `by`: the officer (None: the national system, an upstream fact); `at`: when it was done (the device time as the
    server estimates it, or when upstream said so); `recorded_at`: the server's time. `details` as `check()` reads
    them. Side effects, on the case's row and its timeline and nothing else:
    - `state` becomes `target`, only if it still is the state read (a concurrent change is refused, not overwritten),
      and `changed_at` becomes `recorded_at`;
    - a `TransitEvent` row: from, to, who (`by`, none for upstream), when (`at`, `recorded_at`), the step's clause,
      the note (the reason, the instructions, the proposal, the violation or penalty text) and the command's id;
    - assigned (CES, 41.1.b.1) / amendment_assigned (41.3.a): `assigned_officer`, `instructions` ("Nội dung giao
      việc"), `assigned_by`, `assigned_at`; back to assigned from supplement_requested (COT): nothing else;
    - refused / supplement_requested / approved (CET X / C / A): `decision_code`, `decision_reason`, `decided_by`,
      `decided_at`; CET A after an accepted amendment also clears the amendment (kind, proposal, decision);
    - sealed: `sealed_by`, `sealed_at`;
    - departed (BOA): `departed_by`, `departed_at`, and `deadline` = `at` + the registered transit time (41.1.4.b);
    - at_exit_area: `exit_area_by`, `exit_area_at`; arrived (BIA): `arrived_by`, `arrived_at`;
    - violation: `violation_note`, `violation_by`, `violation_at`; penalty_carried_out: `penalty_note`,
      `penalty_by`, `penalty_at` (the outcome the departure branch enters for risk management);
    - amendment_received: `amendment_kind` (COR / CAN) and `resume_state` (where a refused one returns);
      amendment_proposed: `amendment_proposal` (accept / refuse) and `amendment_reason`; amendment_accepted /
      amendment_refused: `amendment_decision` and `amendment_decision_reason`; cancelled or back from a refused
      amendment (CET X): `decision_code`, `decision_reason` and the amendment cleared.
    Raises what `check()` raises, or TransitionRefused `state_changed` when the row moved meanwhile.
    """
    from backend.transit.tables import TransitCase, TransitEvent  # the tables import this module's states

    current, target = TransitState(case["state"]), TransitState(target)
    found = check(case, target, details)
    values: dict[str, Any] = {"state": target.value, "changed_at": recorded_at}
    text = str(details.get("reason") or details.get("note") or details.get("instructions") or "").strip()
    if is_assignment(current, target):
        values |= {"assigned_officer": details["officer_id"], "instructions": str(details.get("instructions") or "").strip(), "assigned_by": by, "assigned_at": at}
    elif target in (TransitState.REFUSED, TransitState.SUPPLEMENT_REQUESTED, TransitState.APPROVED, TransitState.CANCELLED) or current is TransitState.AMENDMENT_REFUSED:
        code = "X" if target is TransitState.REFUSED or current is TransitState.AMENDMENT_REFUSED else ("C" if target is TransitState.SUPPLEMENT_REQUESTED else "A")
        values |= {"decision_code": code, "decision_reason": str(details.get("reason") or "").strip(), "decided_by": by, "decided_at": at}
        if current in (TransitState.AMENDMENT_ACCEPTED, TransitState.AMENDMENT_REFUSED):
            values |= {"amendment_kind": "", "resume_state": "", "amendment_proposal": "", "amendment_reason": "", "amendment_decision": "", "amendment_decision_reason": ""}
    elif target is TransitState.SEALED:
        values |= {"sealed_by": by, "sealed_at": at}
        if current is TransitState.AMENDMENT_ACCEPTED:  # re-approved, the goods already sealed
            values |= {"decision_code": "A", "decision_reason": "", "decided_by": by, "decided_at": at, "amendment_kind": "", "resume_state": "", "amendment_proposal": "", "amendment_reason": "", "amendment_decision": "", "amendment_decision_reason": ""}
            values.pop("sealed_by"), values.pop("sealed_at")
    elif target is TransitState.DEPARTED:
        values |= {"departed_by": by, "departed_at": at, "deadline": deadline(at, case["transit_hours"])}
    elif target is TransitState.AT_EXIT_AREA:
        values |= {"exit_area_by": by, "exit_area_at": at}
    elif target is TransitState.ARRIVED:
        values |= {"arrived_by": by, "arrived_at": at}
    elif target is TransitState.VIOLATION:
        values |= {"violation_note": text, "violation_by": by, "violation_at": at}
    elif target is TransitState.PENALTY_CARRIED_OUT:
        values |= {"penalty_note": text, "penalty_by": by, "penalty_at": at}
    elif target is TransitState.AMENDMENT_RECEIVED:
        values |= {"amendment_kind": details["amendment_kind"], "resume_state": current.value}
    elif target is TransitState.AMENDMENT_PROPOSED:
        values |= {"amendment_proposal": details["proposal"], "amendment_reason": str(details.get("reason") or "").strip()}
    elif target in (TransitState.AMENDMENT_ACCEPTED, TransitState.AMENDMENT_REFUSED):
        values |= {
            "amendment_decision": "accept" if target is TransitState.AMENDMENT_ACCEPTED else "refuse",
            "amendment_decision_reason": str(details.get("reason") or "").strip(),
        }
    if target is TransitState.AMENDMENT_PROPOSED:
        text = f"{details['proposal']}: {text}" if text else details["proposal"]
    elif target is TransitState.AMENDMENT_RECEIVED:
        text = details["amendment_kind"]
    changed = (
        await TransitCase.update({getattr(TransitCase, name): value for name, value in values.items()})
        .where((TransitCase.id == case["id"]) & (TransitCase.state == current.value))
        .returning(TransitCase.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This transit declaration was changed meanwhile. Reload the page."))
    await TransitEvent.insert(
        TransitEvent(
            case=case["id"], from_state=current.value, to_state=target.value, officer=by, made_at=at,
            recorded_at=recorded_at, clause=found.clause, note=text, command_id=command_id,
        )
    )
    return {**case, **values}


async def note(
    case: dict[str, Any], clause: str, text: str, *, by: int | None, at: datetime, recorded_at: datetime, command_id: UUID | None = None
) -> None:
    """A timeline row that changes no state (from = to = the case's state): something that happened to the case,
    with its clause. Side effect: that one `TransitEvent` row."""
    from backend.transit.tables import TransitEvent

    await TransitEvent.insert(
        TransitEvent(
            case=case["id"], from_state=case["state"], to_state=case["state"], officer=by, made_at=at,
            recorded_at=recorded_at, clause=clause, note=text, command_id=command_id,
        )
    )
