"""The Art 38.2 request's state machine: every allowed and every forbidden pair, on both databases."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime

import pytest
from litestar.testing import TestClient

from backend.lib.errors import DomainError
from backend.paper.workflow import TRANSITIONS, RequestState, TransitionRefused, allowed, check
from tests.conftest import World, in_app

PAIRS = list(itertools.product(RequestState, RequestState))
EXPECTED = {
    (RequestState.REQUESTED, RequestState.APPROVED),
    (RequestState.REQUESTED, RequestState.REJECTED),
    (RequestState.REQUESTED, RequestState.WITHDRAWN),
    (RequestState.APPROVED, RequestState.FORM_ISSUED),
}


def test_transition_table_is_the_documented_one() -> None:
    assert set(TRANSITIONS) == EXPECTED


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_check_allows_exactly_the_table(current: RequestState, target: RequestState) -> None:
    if (current, target) in EXPECTED:
        assert allowed(current, target)
        check(current, target, reason="vì lý do")
    else:
        assert not allowed(current, target)
        with pytest.raises(TransitionRefused) as refused:
            check(current, target, reason="vì lý do")
        assert refused.value.code == "transition_refused" and refused.value.status_code == 409


@pytest.mark.parametrize("target", [RequestState.REJECTED, RequestState.WITHDRAWN])
def test_check_rejecting_or_withdrawing_needs_a_reason(target: RequestState) -> None:
    with pytest.raises(DomainError) as refused:
        check(RequestState.REQUESTED, target, reason="   ")
    assert refused.value.code == "reason_required"


async def _request_in(world_ids: dict[str, int], state: RequestState) -> int:
    from backend.paper.tables import ExportExitRequest

    row = ExportExitRequest(
        command_id=uuid.uuid4(), branch=world_ids["branch"], location=world_ids["gate"], officer=world_ids["officer"],
        declarant_name="Công ty A", request_number="1/CV", request_date=date(2026, 11, 24), operator_name="Cảng",
        operator_confirmation_number="2/XN", operator_confirmation_date=date(2026, 11, 25), goods="[]",
        state=state.value, issued_at=datetime.now(UTC),
    )
    return (await ExportExitRequest.insert(row).returning(ExportExitRequest.id))[0]["id"]


async def _walk(world_ids: dict[str, int], current: RequestState, target: RequestState) -> tuple[str, dict | None]:
    from backend.paper.tables import ExportExitRequest
    from backend.paper.workflow import transition

    request_id = await _request_in(world_ids, current)
    outcome = "moved"
    try:
        await transition(request_id, current, target, by=world_ids["supervisor"], at=datetime.now(UTC), reason="lý do", form07_id=7)
    except TransitionRefused as refused:
        outcome = refused.code
    row = await ExportExitRequest.select().where(ExportExitRequest.id == request_id).first()
    return outcome, row


def test_transition_walks_every_pair_in_the_database(client: TestClient, world: World) -> None:
    for current, target in PAIRS:
        outcome, row = in_app(client, _walk, world.ids, current, target)
        assert row is not None
        if (current, target) in EXPECTED:
            assert outcome == "moved" and row["state"] == target.value, (current, target)
            assert (row["decided_by"] == world["supervisor"]) == (target in (RequestState.APPROVED, RequestState.REJECTED))
            assert (row["reason"] == "lý do") == (target in (RequestState.REJECTED, RequestState.WITHDRAWN))
            assert (row["form07"] == 7) == (target is RequestState.FORM_ISSUED)
        else:
            assert outcome == "transition_refused" and row["state"] == current.value, (current, target)
            assert row["decided_by"] is None and row["reason"] == "" and row["form07"] is None


def test_transition_refuses_when_the_state_changed_meanwhile(client: TestClient, world: World) -> None:
    from backend.paper.tables import ExportExitRequest
    from backend.paper.workflow import transition

    async def scenario() -> tuple[str, str]:
        request_id = await _request_in(world.ids, RequestState.REQUESTED)
        await transition(request_id, RequestState.REQUESTED, RequestState.WITHDRAWN, by=world["officer"], at=datetime.now(UTC), reason="rút")
        try:  # a decision made on the state read before the withdrawal
            await transition(request_id, RequestState.REQUESTED, RequestState.APPROVED, by=world["supervisor"], at=datetime.now(UTC))
        except TransitionRefused as refused:
            code = refused.code
        row = await ExportExitRequest.select(ExportExitRequest.state).where(ExportExitRequest.id == request_id).first()
        return code, row["state"]

    assert in_app(client, scenario) == ("state_changed", "withdrawn")
