"""Delivery to the simulator (SQLite and PostgreSQL): once, marked delivered only after the upstream's answer; while
the upstream is down messages wait with backoff and leave once each, in order per declaration, when it is back; a
lost answer is sent again and the upstream's dedupe keeps it once; contingency mode holds them until restoration;
two passes racing never deliver a message twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2
from tests.outbox.helpers import (
    NUMBER, OTHER, adapter_for, cancel, confirm, control, declarations, deliver, drain, gate_officer, messages,
    received, simulator,
)
from tests.sync.test_contingency import declare, end

HOUR = timedelta(hours=1)


def test_a_pass_delivers_a_message_once_to_the_simulator(client: TestClient, world: World) -> None:
    declarations(client)
    confirm(gate_officer(client, world), world["gate"], C1)
    sim = simulator()
    adapter = adapter_for(sim)

    first = deliver(client, adapter)
    second = deliver(client, adapter)

    assert (first.delivered, second.claimed) == (1, 0)
    (row,) = messages(client)
    assert (row["state"], row["upstream_reference"], row["attempts"]) == ("delivered", "SIM-000001", 1)
    assert row["delivered_at"] is not None and row["claim"] is None
    assert received(sim) == [str(row["message_id"])] and sim.state.store.receipts == [str(row["message_id"])]
    (sent,) = sim.state.store.accepted.values()
    assert sent["message"]["kind"] == "gate.passage_confirmed" and sent["message"]["declaration"] == NUMBER
    assert sent["message"]["branch"] == "B1" and sent["message"]["payload"]["units"] == [C1]


def test_upstream_down_messages_wait_with_backoff_then_leave_once_each_in_order(client: TestClient, world: World) -> None:
    declarations(client)
    officer = gate_officer(client, world)
    confirm(officer, world["gate"], C1)
    confirm(officer, world["gate"], C2)
    cancel(officer, world["gate"], C1)
    confirm(officer, world["gate"], C1, number=OTHER)
    sim = simulator()
    adapter = adapter_for(sim)
    control(sim, mode="down")

    down = deliver(client, adapter)
    again = deliver(client, adapter)  # within the backoff: nothing is tried again, the later messages wait behind

    assert (down.claimed, down.not_now, down.delivered) == (2, 2, 0)  # one per declaration, both in one batch
    assert again.claimed == 0
    rows = messages(client)
    assert [row["state"] for row in rows] == ["waiting"] * 4
    assert [row["attempts"] for row in rows] == [1, 0, 0, 1]
    assert rows[0]["next_attempt_ms"] > 0 and "HTTP 503" in rows[0]["last_error"]
    assert received(sim) == []

    control(sim, mode="accept")
    report = drain(client, adapter, later=HOUR)

    rows = messages(client)
    assert report.delivered == 4 and [row["state"] for row in rows] == ["delivered"] * 4
    ids = [str(row["message_id"]) for row in rows]
    of_number = [i for i in received(sim) if i in ids[:3]]
    assert of_number == ids[:3]  # confirm C1, confirm C2, cancel C1: in the order they were made
    assert sorted(received(sim)) == sorted(ids) and len(sim.state.store.receipts) == 4  # each once


def test_lost_answer_is_sent_again_and_kept_once_by_the_upstream(client: TestClient, world: World) -> None:
    declarations(client)
    confirm(gate_officer(client, world), world["gate"], C1)
    sim = simulator()
    control(sim, mode="timeout", delay_seconds=5)

    lost = deliver(client, adapter_for(sim, timeout=0.2))
    control(sim, mode="accept")
    resent = deliver(client, adapter_for(sim), later=HOUR)

    assert (lost.not_now, resent.delivered) == (1, 1)
    (row,) = messages(client)
    assert row["state"] == "delivered" and row["upstream_reference"] == "SIM-000001" and row["attempts"] == 2
    assert len(sim.state.store.accepted) == 1 and len(sim.state.store.receipts) == 2  # sent twice, kept once


def test_contingency_holds_delivery_until_it_ends(client: TestClient, world: World) -> None:
    """Decision 1966 Art 35.2.d.2 / 36.2.đ.2 and the 2024 outage instructions (2024.7): a confirmation made during
    contingency is held, and sent to the national system once it is restored and contingency ends."""
    declarations(client)
    confirm(gate_officer(client, world), world["gate"], C1)
    sim = simulator()
    adapter = adapter_for(sim)
    sign_in_as(client, world["supervisor"])
    assert declare(client)["status"] == "applied"

    held = deliver(client, adapter)
    page = client.get("/outbox")

    assert held.claimed == 0 and received(sim) == []
    assert 'data-held="contingency"' in page.text
    assert end(client)["status"] == "applied"
    assert deliver(client, adapter).delivered == 1
    assert [row["state"] for row in messages(client)] == ["delivered"]


def test_national_contingency_holds_every_branch(client: TestClient, world: World) -> None:
    declarations(client)
    confirm(gate_officer(client, world), world["gate"], C1)
    sim = simulator()

    async def national() -> None:
        from backend.lib import clock
        from backend.sync.tables import ContingencyPeriod

        await ContingencyPeriod.insert(
            ContingencyPeriod(branch=None, reason="Hệ thống gặp sự cố", started_at=clock.now(), started_by=world["admin"], start_command_id=uuid.uuid4())
        )

    in_app(client, national)

    assert deliver(client, adapter_for(sim)).claimed == 0


class SlowAdapter:
    """Accepts every message after a pause, counting what it was given: two passes racing would show here."""

    def __init__(self) -> None:
        self.given: list[str] = []

    async def deliver_batch(self, messages: Any) -> Any:
        from backend.outbox.adapter import Accepted

        self.given += [message.message_id for message in messages]
        await asyncio.sleep(0.01)
        return [Accepted(f"R-{message.message_id[:8]}") for message in messages]


async def _many_messages(count: int, branch: int) -> None:
    from backend.lib import clock
    from backend.outbox.tables import OutboxMessage

    now = clock.now()
    for n in range(count):
        await OutboxMessage.insert(
            OutboxMessage(
                message_id=uuid.uuid4(), command_id=uuid.uuid4(), command_type="gate.confirm_passage",
                kind="gate.passage_confirmed", declaration_number=f"10400000{n % 10:04d}", branch=branch,
                branch_code="B1", officer_code="CB1", made_at=now, created_at=now, payload="{}",
            )
        )


def test_two_passes_racing_never_deliver_a_message_twice(client: TestClient, world: World) -> None:
    """Two passes at once (as two app processes on one PostgreSQL; on SQLite they take turns): each message is given
    to the adapter once, and every one is delivered, in order within its declaration."""
    from backend.outbox.services import deliver_pass

    in_app(client, _many_messages, 40, world["branch"])
    adapter = SlowAdapter()
    engine = client.app.state.engine

    async def race() -> None:
        for _ in range(10):  # four messages per declaration: a pass takes one of each
            await asyncio.gather(deliver_pass(engine, adapter, batch=7), deliver_pass(engine, adapter, batch=7))

    in_app(client, race)

    rows = messages(client)
    assert len(adapter.given) == len(set(adapter.given)) == 40
    assert all(row["state"] == "delivered" and row["attempts"] == 1 for row in rows)
    for number in {row["declaration_number"] for row in rows}:
        made = [str(row["message_id"]) for row in rows if row["declaration_number"] == number]
        assert [i for i in adapter.given if i in made] == made


def test_a_lapsed_claim_is_taken_again_and_the_late_answer_changes_nothing(client: TestClient, world: World) -> None:
    """A pass that died mid-send (its lease ran out) does not lose the message: the next pass takes it again."""
    from backend.lib import clock
    from backend.outbox.services import epoch_ms
    from backend.outbox.workflow import claim

    in_app(client, _many_messages, 1, world["branch"])
    engine = client.app.state.engine
    dead = uuid.uuid4()
    in_app(client, lambda: claim(engine, dead, epoch_ms(clock.now()), 1000, 10))  # claimed, never answered

    assert deliver(client, SlowAdapter()).claimed == 0  # still held
    report = deliver(client, SlowAdapter(), later=HOUR)

    async def late_answer() -> None:  # the dead pass's answer arrives after all: a refusal
        from backend import db
        from backend.outbox.workflow import State, transition_many
        from tests.outbox.helpers import rows

        (row,) = await rows()
        async with db.write_transaction(engine) as transaction:
            await transition_many(transaction, dead, [(row["id"], State.REFUSED, {"attempts": 9, "refusal_reason": "late"})])

    in_app(client, late_answer)

    assert report.delivered == 1
    (row,) = messages(client)
    assert (row["state"], row["attempts"], row["refusal_reason"]) == ("delivered", 1, "")
