"""Which next steps a transit case offers an officer: what its page shows as forms.

A step is offered when the state machine has it from the case's state (workflow.TRANSITIONS, its guards through
workflow.check) and the officer is the step's party (policy.may_take); nothing else is. A step that is the officer's
but that a guard refuses for now (BOA without a registered transit time, a letter to a destination branch that does
not use giamsat) is offered with its refusal, in the officer's language with its clause, instead of a form. Steps
that change no state follow their own rules: asking the destination branch to verify and opening a trace case for an
overdue lot, closing the trace case, answering a letter (41.1.4.b); at the destination the arrival check of departed
goods not yet checked (41.2.a.1-2), first; at the departure branch a note for the destination before arrival
(41.2.a.3).

The page never trusts this list: each form is a command that the server judges again when it arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.lib.errors import DomainError
from backend.lib.i18n import gettext
from backend.officers.schemas import Actor
from backend.transit import policy, workflow
from backend.transit.workflow import Party, TransitState

S = TransitState

# The form (and command) that takes the case to each target; "seal" is the seals domain's step (41.1.c), a link.
FORM_OF_TARGET: dict[TransitState, str] = {
    S.ASSIGNED: "assign",
    S.AMENDMENT_ASSIGNED: "assign",
    S.APPROVED: "decide",
    S.SUPPLEMENT_REQUESTED: "decide",
    S.REFUSED: "decide",
    S.CANCELLED: "decide",
    S.AMENDMENT_PROPOSED: "propose",
    S.AMENDMENT_ACCEPTED: "decide_amendment",
    S.AMENDMENT_REFUSED: "decide_amendment",
    S.SEALED: "seal",
    S.DEPARTED: "register_departure",
    S.AT_EXIT_AREA: "confirm_exit_area",
    S.ARRIVED: "confirm_arrival",
    S.VIOLATION: "record_violation",
    S.PENALTY_CARRIED_OUT: "record_penalty",
}
COMMAND_OF_FORM: dict[str, str] = {
    "assign": "transit.assign",
    "decide": "transit.decide",
    "propose": "transit.propose",
    "decide_amendment": "transit.decide_amendment",
    "seal": "seals.confirm_sealed",
    "register_departure": "transit.register_departure",
    "confirm_exit_area": "transit.confirm_exit_area",
    "confirm_arrival": "transit.confirm_arrival",
    "record_violation": "transit.record_violation",
    "record_penalty": "transit.record_penalty",
    "request_verification": "transit.request_verification",
    "open_trace": "transit.open_trace",
    "close_trace": "transit.close_trace",
    "answer_verification": "transit.answer_verification",
    "record_arrival_check": "transit.record_arrival_check",
    "add_risk_note": "transit.add_risk_note",
    "record_notice_fax": "transit.record_notice_fax",  # from the transit page's list (41.2.b.1.1.1)
}
# What a step brings, filled in so that check() judges the step itself, not the text the form will ask for.
_PLACEHOLDER_DETAILS = {"officer_id": 0, "reason": "-", "note": "-", "proposal": "accept"}


class NextStep(msgspec.Struct, kw_only=True):
    form: str  # a key of COMMAND_OF_FORM: which form the page shows
    command: str
    clause: str  # Decision 1966
    codes: list[str] = []  # decide: the CET codes offered (A, C, X)
    blocked: str = ""  # the officer's step, refused for now: why, in their language (no form then)
    request_id: int | None = None  # answer_verification: the letter answered


def _cet_code(current: TransitState, target: TransitState) -> str:
    if current is S.AMENDMENT_REFUSED:
        return "X"  # back where the case was, with the reason (41.3.b.1)
    return {S.SUPPLEMENT_REQUESTED: "C", S.REFUSED: "X"}.get(target, "A")


def _refusal(error: DomainError) -> str:
    return gettext(error.message, **error.params)


def state_steps(actor: Actor, case: dict[str, Any]) -> list[NextStep]:
    """The state machine's next steps from the case's state that `actor` is the party of, in the table's order."""
    current = TransitState(case["state"])
    steps: dict[str, NextStep] = {}
    for (source, target), found in workflow.TRANSITIONS.items():
        if source is not current or found.party is Party.UPSTREAM or not policy.may_take(actor, case, found.party):
            continue
        try:
            workflow.check(case, target, _PLACEHOLDER_DETAILS)
            blocked = ""
        except DomainError as refusal:
            if refusal.code == "transition_refused":
                continue  # not a next step from here (e.g. BIA before the exit gate's area)
            blocked = _refusal(refusal)
        form = FORM_OF_TARGET[target]
        step = steps.setdefault(form, NextStep(form=form, command=COMMAND_OF_FORM[form], clause=found.clause, blocked=blocked))
        if form == "decide":
            code = _cet_code(current, target)
            if code not in step.codes:
                step.codes.append(code)
    for step in steps.values():
        step.codes.sort()  # A, C, X: as the System lists them
    return list(steps.values())


def follow_up_steps(actor: Actor, case: dict[str, Any], now: datetime, letters: list[dict[str, Any]]) -> list[NextStep]:
    """The steps that change no state: for an overdue lot, ask the destination branch to verify (the head) and open
    a trace case (the departure branch); close an open trace case (the head); answer a letter addressed to the
    actor's branch (41.1.4.b). `letters`: the case's letters (services.letters_about)."""
    from backend.transit.services import is_overdue

    steps: list[NextStep] = []
    overdue = is_overdue(case, now)
    if overdue and policy.may_request_verification(actor, case):
        blocked = ""
        if case["destination_branch"] is None:
            blocked = gettext(
                "The destination branch %(code)s does not use giamsat: send the letter on paper (Decision 1966, Art 41.1.4.b).",
                code=case["destination_code"],
            )
        steps.append(NextStep(form="request_verification", command=COMMAND_OF_FORM["request_verification"], clause="41.1.4.b", blocked=blocked))
    if overdue and policy.may_trace(actor, case) and case["trace_opened_at"] is None:
        steps.append(NextStep(form="open_trace", command=COMMAND_OF_FORM["open_trace"], clause="41.1.4.b"))
    if case["trace_opened_at"] is not None and not case["trace_outcome"] and policy.is_departure_head(actor, case):
        steps.append(NextStep(form="close_trace", command=COMMAND_OF_FORM["close_trace"], clause="41.1.4.b"))
    for letter in letters:
        if letter["answered_at"] is None and policy.may_answer_verification(actor, letter):
            steps.append(
                NextStep(form="answer_verification", command=COMMAND_OF_FORM["answer_verification"], clause="41.1.4.b", request_id=letter["id"])
            )
    return steps


def arrival_steps(actor: Actor, case: dict[str, Any]) -> list[NextStep]:
    """At the destination, departed goods not yet checked: the arrival check (41.2.a.1-2), before BIA or a violation
    record (workflow.check refuses BIA until it is made)."""
    if case["state"] == S.DEPARTED and not case["arrival_check"] and policy.at_destination(actor, case):
        return [NextStep(form="record_arrival_check", command=COMMAND_OF_FORM["record_arrival_check"], clause="41.2.a.1")]
    return []


def note_steps(actor: Actor, case: dict[str, Any]) -> list[NextStep]:
    """The departure branch's note for the destination, in any state before arrival (41.2.a.3)."""
    if S(case["state"]) in workflow.BEFORE_ARRIVAL and policy.may_add_risk_note(actor, case):
        return [NextStep(form="add_risk_note", command=COMMAND_OF_FORM["add_risk_note"], clause="41.2.a.3")]
    return []


def next_steps(actor: Actor, case: dict[str, Any], now: datetime, letters: list[dict[str, Any]]) -> list[NextStep]:
    """Every next step the case's page offers `actor` (module docstring); `case` is its row, visible to the actor.
    The arrival check comes first: what the destination does before anything else (41.2.a). The departure
    branch's note for the destination is not among them: the page offers it with the notes (note_steps)."""
    return arrival_steps(actor, case) + state_steps(actor, case) + follow_up_steps(actor, case, now, letters)
