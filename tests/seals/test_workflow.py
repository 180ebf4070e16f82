"""The handover record's state machine: every allowed and every forbidden pair, in code and in the database."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.errors import DomainError
from backend.seals.workflow import INITIAL, INITIAL_PAPER, TRANSITIONS, RecordState, TransitionRefused, allowed, check
from tests.conftest import World, in_app

PAIRS = list(itertools.product(RecordState, RecordState))
EXPECTED = {
    (RecordState.DRAFT, RecordState.SIGNED),
    (RecordState.SIGNED, RecordState.HANDED_OVER),
    (RecordState.HANDED_OVER, RecordState.RECEIVED),
    (RecordState.HANDED_OVER, RecordState.DISCREPANCY),
}


def test_transition_table_is_the_documented_one() -> None:
    assert set(TRANSITIONS) == EXPECTED
    assert (INITIAL, INITIAL_PAPER) == (RecordState.DRAFT, RecordState.HANDED_OVER)


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_check_allows_exactly_the_table(current: RecordState, target: RecordState) -> None:
    if (current, target) in EXPECTED:
        assert allowed(current, target)
        check(current, target, discrepancy="niêm phong bị cắt")
    else:
        assert not allowed(current, target)
        with pytest.raises(TransitionRefused) as refused:
            check(current, target, discrepancy="niêm phong bị cắt")
        assert refused.value.code == "transition_refused" and refused.value.status_code == 409


def test_check_discrepancy_without_its_description_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        check(RecordState.HANDED_OVER, RecordState.DISCREPANCY, discrepancy="  ")
    assert refused.value.code == "discrepancy_required"


async def _record_in(ids: dict[str, int], state: RecordState) -> int:
    from backend.seals.tables import HandoverRecord

    row = HandoverRecord(
        command_id=uuid.uuid4(), kind="handover", serial=f"10/B1/2026/{uuid.uuid4().hex[:8]}", year=2026, seq=1,
        numbered_by=ids["branch"], from_branch=ids["branch"], to_branch=ids["other_branch"], declaration_number="104000000001",
        state=state.value, location=ids["gate"], officer=ids["officer"], issued_at=datetime.now(UTC),
    )
    return (await HandoverRecord.insert(row).returning(HandoverRecord.id))[0]["id"]


async def _walk(ids: dict[str, int], current: RecordState, target: RecordState) -> tuple[str, dict[str, Any]]:
    from backend.seals.tables import HandoverRecord
    from backend.seals.workflow import transition

    record_id = await _record_in(ids, current)
    outcome = "moved"
    try:
        now = datetime.now(UTC)
        await transition(
            record_id, current, target, by=ids["other_officer"], at=now, changed_at=now, location_id=ids["other_gate"],
            receipt='{"goods_match": true}', discrepancy="niêm phong bị cắt", violation_id=7,
        )
    except TransitionRefused as refused:
        outcome = refused.code
    row = await HandoverRecord.select().where(HandoverRecord.id == record_id).first()
    return outcome, row


def test_transition_walks_every_pair_in_the_database(client: TestClient, world: World) -> None:
    for current, target in PAIRS:
        outcome, row = in_app(client, _walk, world.ids, current, target)
        if (current, target) in EXPECTED:
            assert outcome == "moved" and row["state"] == target.value, (current, target)
            assert (row["signed_by"] == world["other_officer"]) == (target is RecordState.SIGNED)
            assert (row["handed_over_by"] == world["other_officer"]) == (target is RecordState.HANDED_OVER)
            receiving = target in (RecordState.RECEIVED, RecordState.DISCREPANCY)
            assert (row["received_by"] == world["other_officer"]) == receiving
            assert (row["received_location"] == world["other_gate"]) == receiving
            assert (row["violation"] == 7) == (target is RecordState.DISCREPANCY)
            assert row["discrepancy"] == ("niêm phong bị cắt" if target is RecordState.DISCREPANCY else "")
        else:
            assert outcome == "transition_refused", (current, target)
            assert row["state"] == current.value and row["signed_by"] is None and row["received_by"] is None


def test_transition_from_a_state_the_row_left_meanwhile_is_refused(client: TestClient, world: World) -> None:
    async def run() -> tuple[str, str]:
        from backend.seals.tables import HandoverRecord
        from backend.seals.workflow import transition

        record_id = await _record_in(world.ids, RecordState.SIGNED)  # the row is signed, the caller thinks draft
        now = datetime.now(UTC)
        try:
            await transition(record_id, RecordState.DRAFT, RecordState.SIGNED, by=world["officer"], at=now, changed_at=now)
            code = "moved"
        except TransitionRefused as refused:
            code = refused.code
        row = await HandoverRecord.select(HandoverRecord.state, HandoverRecord.signed_by).where(HandoverRecord.id == record_id).first()
        return code, row["state"]

    assert in_app(client, run) == ("state_changed", "signed")
