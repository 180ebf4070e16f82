"""The transit state machine (Decision 1966, Arts 41-42), pair by pair: every allowed transition with its clause and
the party who takes it, every other pair refused, and the guards beyond the table, each naming its clause. No
database: workflow.check() decides, and transition() only writes what check() allowed (tests/transit/test_commands.py)."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from backend.lib.errors import DomainError
from backend.lib.i18n import translate_in
from backend.transit.workflow import TRANSITIONS, Party, TransitionRefused, TransitState, check

S, P = TransitState, Party

# (from, to, clause, party, what the case must be for the step): written out here, not read from the module.
ALLOWED: list[tuple[TransitState, TransitState, str, Party, dict[str, Any]]] = [
    (S.REGISTERED, S.GREEN, "41.1.a.2", P.UPSTREAM, {}),
    (S.REGISTERED, S.YELLOW, "41.1.a.2", P.UPSTREAM, {}),
    (S.REGISTERED, S.GATE_SUPERVISION, "42.2", P.UPSTREAM, {"kind": "combined_transit"}),
    (S.YELLOW, S.ASSIGNED, "41.1.b.1", P.DEPARTURE_HEAD, {}),
    (S.ASSIGNED, S.REFUSED, "41.1.b.2.1", P.CHECKING_OFFICER, {}),
    (S.ASSIGNED, S.SUPPLEMENT_REQUESTED, "41.1.b.2.2", P.CHECKING_OFFICER, {}),
    (S.SUPPLEMENT_REQUESTED, S.ASSIGNED, "41.1.b.2.2", P.UPSTREAM, {}),
    (S.ASSIGNED, S.APPROVED, "41.1.b.2.3", P.CHECKING_OFFICER, {}),
    (S.GREEN, S.SEALED, "41.1.c.1", P.DEPARTURE_OFFICER, {}),
    (S.APPROVED, S.SEALED, "41.1.c.1", P.DEPARTURE_OFFICER, {}),
    (S.SEALED, S.DEPARTED, "41.1.4.a", P.DEPARTURE_OFFICER, {}),
    (S.DEPARTED, S.AT_EXIT_AREA, "41.2.b.1.1.1", P.DESTINATION_OFFICER, {"exit_mode": "road", "arrival_check": "passed"}),
    (S.AT_EXIT_AREA, S.ARRIVED, "41.2.b.1.1.2", P.DESTINATION_OFFICER, {"exit_mode": "rail", "exit_area_at": "set"}),
    (S.DEPARTED, S.ARRIVED, "41.2.b.1.2", P.DESTINATION_OFFICER, {"arrival_check": "passed"}),
    (S.DEPARTED, S.VIOLATION, "41.2.b.2", P.DESTINATION_OFFICER, {}),
    (S.AT_EXIT_AREA, S.VIOLATION, "41.2.b.2", P.DESTINATION_OFFICER, {"exit_mode": "river", "exit_area_at": "set"}),
    (S.VIOLATION, S.PENALTY_CARRIED_OUT, "41.2.b.2", P.DEPARTURE_HEAD, {}),
    (S.PENALTY_CARRIED_OUT, S.AT_EXIT_AREA, "41.2.b.2", P.DESTINATION_OFFICER, {"exit_mode": "inland_waterway"}),
    (S.PENALTY_CARRIED_OUT, S.ARRIVED, "41.2.b.2", P.DESTINATION_OFFICER, {}),
    *[(source, S.AMENDMENT_RECEIVED, "41.3", P.UPSTREAM, {}) for source in (S.GREEN, S.YELLOW, S.ASSIGNED, S.SUPPLEMENT_REQUESTED, S.APPROVED, S.SEALED)],
    (S.AMENDMENT_RECEIVED, S.AMENDMENT_ASSIGNED, "41.3.a", P.DEPARTURE_HEAD, {}),
    (S.AMENDMENT_ASSIGNED, S.AMENDMENT_PROPOSED, "41.3.b", P.CHECKING_OFFICER, {}),
    (S.AMENDMENT_PROPOSED, S.AMENDMENT_ACCEPTED, "41.3.b", P.DEPARTURE_HEAD, {}),
    (S.AMENDMENT_PROPOSED, S.AMENDMENT_REFUSED, "41.3.b", P.DEPARTURE_HEAD, {}),
    (S.AMENDMENT_ACCEPTED, S.APPROVED, "41.3.b.2", P.CHECKING_OFFICER, {"amendment_kind": "COR", "resume_state": "approved"}),
    (S.AMENDMENT_ACCEPTED, S.SEALED, "41.3.b.2", P.CHECKING_OFFICER, {"amendment_kind": "COR", "resume_state": "sealed"}),
    (S.AMENDMENT_ACCEPTED, S.CANCELLED, "41.3.b.2", P.CHECKING_OFFICER, {"amendment_kind": "CAN", "resume_state": "yellow"}),
    *[
        (S.AMENDMENT_REFUSED, source, "41.3.b.1", P.CHECKING_OFFICER, {"resume_state": source.value})
        for source in (S.GREEN, S.YELLOW, S.ASSIGNED, S.SUPPLEMENT_REQUESTED, S.APPROVED, S.SEALED)
    ],
]

# What every action brings that needs it: an officer for CES, a reason for CET X/C, a proposal, a violation text...
DETAILS = {"officer_id": 7, "reason": "lý do", "note": "ghi chú", "proposal": "accept", "amendment_kind": "CAN"}


def case(state: TransitState, **facts: Any) -> dict[str, Any]:
    return {
        "id": 1, "number": "501000000001", "kind": "independent_transit", "state": state.value, "exit_mode": "",
        "exit_area_at": None, "transit_hours": 24, "resume_state": "", "amendment_kind": "", "arrival_check": "", **facts,
    }


@pytest.mark.parametrize(("current", "target", "clause", "party", "facts"), ALLOWED, ids=[f"{a.value}->{b.value} ({c})" for a, b, c, _, _ in ALLOWED])
def test_allowed_transition_names_its_clause_and_party(current: TransitState, target: TransitState, clause: str, party: Party, facts: dict[str, Any]) -> None:
    step = check(case(current, **facts), target, DETAILS)

    assert (step.clause, step.party) == (clause, party)


def test_the_table_is_exactly_the_allowed_list() -> None:
    assert {(a, b): (c, p) for a, b, c, p, _ in ALLOWED} == {pair: (s.clause, s.party) for pair, s in TRANSITIONS.items()}


FORBIDDEN = [pair for pair in product(TransitState, TransitState) if pair not in {(a, b) for a, b, *_ in ALLOWED}]


@pytest.mark.parametrize(("current", "target"), FORBIDDEN, ids=[f"{a.value}->{b.value}" for a, b in FORBIDDEN])
def test_every_other_pair_is_refused_citing_what_comes_first(current: TransitState, target: TransitState) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check(case(current), target, DETAILS)

    assert refused.value.code == "transition_refused"
    worded = translate_in("vi", refused.value.message, **refused.value.params)
    assert "Quyết định 1966, Điều 4" in worded and "501000000001" in worded


# Guards beyond the table: (case, target, details, refusal code, the clause the refusal cites).
GUARDS = [
    pytest.param(case(S.SEALED, kind="combined_transit"), S.DEPARTED, DETAILS, "no_boa_nor_bia", "42.2", id="combined: no BOA (42.2)"),
    pytest.param(case(S.DEPARTED, kind="combined_transit"), S.ARRIVED, DETAILS, "no_boa_nor_bia", "42.2", id="combined: no BIA (42.2)"),
    pytest.param(case(S.SEALED, transit_hours=0), S.DEPARTED, DETAILS, "transit_time_unknown", "41.1.4.b", id="BOA without a registered transit time (41.1.4.b)"),
    pytest.param(case(S.DEPARTED, exit_mode="road"), S.ARRIVED, DETAILS, "transition_refused", "41.2.b.1", id="road exit gate: BIA after the gate area (41.2.b.1.1)"),
    pytest.param(case(S.PENALTY_CARRIED_OUT, exit_mode="rail"), S.ARRIVED, DETAILS, "transition_refused", "41.2.b.1", id="rail exit gate after a penalty: the gate area first (41.2.b.2, b.1.1)"),
    pytest.param(case(S.DEPARTED), S.AT_EXIT_AREA, DETAILS, "transition_refused", "41.2.b.1.1.1", id="no two-step exit gate: no gate-area step (41.2.b.1.2)"),
    pytest.param(case(S.DEPARTED), S.ARRIVED, DETAILS, "arrival_not_checked", "41.2.a.1", id="no BIA before the destination's check (41.2.a.1-2)"),
    pytest.param(case(S.DEPARTED, exit_mode="road"), S.AT_EXIT_AREA, DETAILS, "arrival_not_checked", "41.2.a.1", id="nor the exit gate's area (41.2.a.1-2)"),
    pytest.param(case(S.DEPARTED, arrival_check="failed"), S.ARRIVED, DETAILS, "arrival_check_failed", "41.2.b.2", id="a check that found a broken seal: no BIA before the penalty (41.2.b.2)"),
    pytest.param(case(S.DEPARTED, exit_mode="rail", arrival_check="failed"), S.AT_EXIT_AREA, DETAILS, "arrival_check_failed", "41.2.b.2", id="nor the exit gate's area (41.2.b.2)"),
    pytest.param(case(S.AT_EXIT_AREA, exit_mode="road", exit_area_at="set"), S.AT_EXIT_AREA, DETAILS, "transition_refused", "41.2.b.1.1.1", id="the gate area once (41.2.b.1.1.1)"),
    pytest.param(case(S.YELLOW), S.AMENDMENT_RECEIVED, {"amendment_kind": "COR"}, "transition_refused", "41.3", id="COR before approval (41.3, 41.1.b.2.2)"),
    pytest.param(case(S.AMENDMENT_ACCEPTED, amendment_kind="COR", resume_state="approved"), S.CANCELLED, DETAILS, "transition_refused", "41.3.b.2", id="an accepted COR does not cancel (41.3.b.2)"),
    pytest.param(case(S.AMENDMENT_ACCEPTED, amendment_kind="CAN", resume_state="approved"), S.APPROVED, DETAILS, "transition_refused", "41.1.b.2.3", id="an accepted CAN does not re-approve (41.3.b.2)"),
    pytest.param(case(S.AMENDMENT_ACCEPTED, amendment_kind="COR", resume_state="approved"), S.SEALED, DETAILS, "transition_refused", "41.1.c", id="a re-approved COR of unsealed goods goes to sealing (41.3.b.2)"),
    pytest.param(case(S.AMENDMENT_REFUSED, resume_state="approved"), S.SEALED, DETAILS, "transition_refused", "41.1.c", id="a refused amendment returns where the case was (41.3.b.1)"),
]


@pytest.mark.parametrize(("row", "target", "details", "code", "clause"), GUARDS)
def test_guard_refuses_citing_its_clause(row: dict[str, Any], target: TransitState, details: dict[str, Any], code: str, clause: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check(row, target, details)

    assert refused.value.code == code
    assert clause in translate_in("vi", refused.value.message, **refused.value.params)


# What an action must bring (a reason, an officer, a text), each refusal citing its clause.
MISSING = [
    pytest.param(case(S.YELLOW), S.ASSIGNED, {}, "officer_required", "41.1.b.1.1", id="CES names the officer (41.1.b.1.1)"),
    pytest.param(case(S.ASSIGNED), S.REFUSED, {"reason": " "}, "reason_required", "41.1.b.2.1", id="CET X gives the reason (41.1.b.2.1)"),
    pytest.param(case(S.ASSIGNED), S.SUPPLEMENT_REQUESTED, {}, "reason_required", "41.1.b.2.2", id="CET C says what to supplement (41.1.b.2.2)"),
    pytest.param(case(S.AMENDMENT_ASSIGNED), S.AMENDMENT_PROPOSED, {"proposal": "refuse"}, "reason_required", "41.3.b.1", id="a proposal to refuse gives the reason (41.3.b.1)"),
    pytest.param(case(S.AMENDMENT_PROPOSED), S.AMENDMENT_REFUSED, {}, "reason_required", "41.3.b.1", id="the head's refusal gives the reason (41.3.b.1)"),
    pytest.param(case(S.DEPARTED), S.VIOLATION, {}, "violation_required", "41.2.b.2", id="a violation record says what (41.2.b.2)"),
    pytest.param(case(S.VIOLATION), S.PENALTY_CARRIED_OUT, {}, "penalty_required", "41.2.b.2", id="the penalty and its outcome (41.2.b.2)"),
]


@pytest.mark.parametrize(("row", "target", "details", "code", "clause"), MISSING)
def test_missing_detail_is_refused_citing_its_clause(row: dict[str, Any], target: TransitState, details: dict[str, Any], code: str, clause: str) -> None:
    with pytest.raises(DomainError) as refused:
        check(row, target, details)

    assert refused.value.code == code
    assert clause in translate_in("vi", refused.value.message, **refused.value.params)
