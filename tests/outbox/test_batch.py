"""Delivery in batches (SQLite and PostgreSQL), through the real simulator app: a pass sends its messages in one
request to POST /messages/batch, at most one per declaration, so each declaration's messages reach the upstream in
the order they were made even with declarations interleaved; a refused message in the middle of a batch holds back
the later messages of its declaration only; no answer for the whole batch (upstream down, or its answer lost after it
stored the batch) sends the batch again after the backoff and the upstream keeps each message once; a gateway without
the batch endpoint (404) is sent one message per request."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from tests.conftest import World, sign_in_as
from tests.declarations.helpers import C1, C2, item
from tests.outbox.helpers import (
    NUMBER, OTHER, adapter_for, cancel, confirm, control, declarations, deliver, drain, gate_officer, messages,
    received, simulator, upsert,
)
from tests.outbox.test_pages import retry

THIRD = "104000000003"
HOUR = timedelta(hours=1)


def requests_of(adapter: Any) -> list[tuple[str, list[str]]]:
    """Every request the adapter makes from now on: its path and the message ids it carries (httpx's event hook)."""
    sent: list[tuple[str, list[str]]] = []

    async def record(request: httpx.Request) -> None:
        body = json.loads(request.content)
        ids = [m["message_id"] for m in body["messages"]] if "messages" in body else [body["message_id"]]
        sent.append((request.url.path, ids))

    adapter.client.event_hooks["request"].append(record)
    return sent


def interleaved(client: TestClient, world: World) -> dict[str, list[str]]:
    """Seven messages of three declarations, made in turn: N1 O1 T1 N2 O2 T2 N3. Their ids by declaration, in order."""
    declarations(client)
    upsert(client, item(THIRD, containers=[{"number": c, "seal": ""} for c in (C1, C2)]))
    officer = gate_officer(client, world)
    for unit in (C1, C2):
        for number in (NUMBER, OTHER, THIRD):
            assert confirm(officer, world["gate"], unit, number=number)["status"] == "applied"
    assert cancel(officer, world["gate"], C1)["status"] == "applied"
    by_number: dict[str, list[str]] = {NUMBER: [], OTHER: [], THIRD: []}
    for row in messages(client):
        by_number[row["declaration_number"]].append(str(row["message_id"]))
    assert [len(ids) for ids in by_number.values()] == [3, 2, 2]
    return by_number


def of_declaration(ids: list[str], made: list[str]) -> list[str]:
    return [i for i in ids if i in made]


def test_batches_keep_each_declarations_order_with_declarations_interleaved(client: TestClient, world: World) -> None:
    made = interleaved(client, world)
    sim = simulator()
    adapter = adapter_for(sim)
    sent = requests_of(adapter)

    report = drain(client, adapter)

    assert (report.claimed, report.delivered, report.not_now) == (7, 7, 0)
    n, o, t = made[NUMBER], made[OTHER], made[THIRD]
    # one request per pass, each the oldest undelivered message of every declaration
    assert sent == [("/messages/batch", [n[0], o[0], t[0]]), ("/messages/batch", [n[1], o[1], t[1]]), ("/messages/batch", [n[2]])]
    for ids in made.values():
        assert of_declaration(received(sim), ids) == ids
    rows = messages(client)
    assert all(row["state"] == "delivered" and row["attempts"] == 1 for row in rows)
    references = {str(row["message_id"]): row["upstream_reference"] for row in rows}
    assert references == {i: item["reference"] for i, item in sim.state.store.accepted.items()}
    assert len(sim.state.store.receipts) == 7  # each sent once


def test_a_refused_message_in_the_middle_of_a_batch_holds_back_its_declaration_only(client: TestClient, world: World) -> None:
    made = interleaved(client, world)
    n, o, t = made[NUMBER], made[OTHER], made[THIRD]
    sim = simulator()
    adapter = adapter_for(sim)
    sent = requests_of(adapter)
    control(sim, refuse_declarations=[OTHER], reason="Tờ khai chưa được thông quan trên Hệ thống")

    first = deliver(client, adapter)
    rest = drain(client, adapter)

    assert (first.claimed, first.delivered, first.refused) == (3, 2, 1)  # N1 accepted, O1 refused, T1 accepted
    assert rest.delivered == 3 and rest.refused == 0  # N2, T2, then N3; O2 waits behind O1
    assert [ids for _, ids in sent] == [[n[0], o[0], t[0]], [n[1], t[1]], [n[2]]]
    state = {str(row["message_id"]): row["state"] for row in messages(client)}
    assert [state[i] for i in o] == ["refused", "waiting"]
    assert all(state[i] == "delivered" for i in n + t)
    assert of_declaration(received(sim), o) == []

    control(sim, mode="accept")
    sign_in_as(client, world["supervisor"])
    assert retry(client, o[0])["status"] == "applied"
    after = drain(client, adapter)

    assert after.delivered == 2 and of_declaration(received(sim), o) == o
    assert [ids for _, ids in sent[3:]] == [[o[0]], [o[1]]]
    assert all(row["state"] == "delivered" for row in messages(client))


@pytest.mark.parametrize("mode", ["down", "timeout"])
def test_no_answer_for_the_whole_batch_then_it_is_sent_again_and_kept_once(client: TestClient, world: World, mode: str) -> None:
    """Down: the upstream takes nothing (503). Timeout: it stores the whole batch, and its answer comes after the
    adapter gave up (a lost answer). Either way every message of the batch waits with a backoff, is sent again once
    the upstream answers, and is stored once, with the reference it was first given."""
    made = interleaved(client, world)
    sim = simulator()
    control(sim, mode=mode, delay_seconds=5)

    lost = deliver(client, adapter_for(sim, timeout=0.2))
    within_backoff = deliver(client, adapter_for(sim))

    assert (lost.claimed, lost.not_now, lost.delivered) == (3, 3, 0)
    assert within_backoff.claimed == 0
    rows = messages(client)
    assert [row["state"] for row in rows] == ["waiting"] * 7
    assert [row["attempts"] for row in rows] == [1, 1, 1, 0, 0, 0, 0]
    assert all(row["next_attempt_ms"] > 0 and row["last_error"] for row in rows[:3])
    stored_before = dict(sim.state.store.accepted)
    assert len(stored_before) == (3 if mode == "timeout" else 0)

    control(sim, mode="accept")
    recovered = drain(client, adapter_for(sim), later=HOUR)

    assert recovered.delivered == 7
    rows = messages(client)
    assert all(row["state"] == "delivered" for row in rows)
    assert [row["attempts"] for row in rows] == [2, 2, 2, 1, 1, 1, 1]
    store = sim.state.store
    assert sorted(store.accepted) == sorted(str(row["message_id"]) for row in rows)  # each stored once
    assert len(store.receipts) == (10 if mode == "timeout" else 7)  # the lost batch was received twice
    for message_id, first in stored_before.items():  # a resend answers the first reference, stores nothing new
        assert store.accepted[message_id] == first
    references = {str(row["message_id"]): row["upstream_reference"] for row in rows}
    assert references == {i: entry["reference"] for i, entry in store.accepted.items()}
    for ids in made.values():
        assert of_declaration(received(sim), ids) == ids


def test_a_gateway_without_the_batch_endpoint_is_sent_one_message_per_request(client: TestClient, world: World) -> None:
    """The batch endpoint answers 404: the adapter sends each message of the batch to POST /messages, in order, and
    keeps to single messages for the next passes (it tries the batch endpoint again after SINGLE_FOR_SECONDS)."""
    made = interleaved(client, world)
    n, o, t = made[NUMBER], made[OTHER], made[THIRD]
    sim = simulator()
    adapter = adapter_for(sim)
    sent = requests_of(adapter)
    control(sim, batch=False, refuse_declarations=[THIRD])

    report = drain(client, adapter)

    assert (report.delivered, report.refused) == (5, 1)
    assert sent == [
        ("/messages/batch", [n[0], o[0], t[0]]),  # 404
        ("/messages", [n[0]]), ("/messages", [o[0]]), ("/messages", [t[0]]),
        ("/messages", [n[1]]), ("/messages", [o[1]]),
        ("/messages", [n[2]]),
    ]
    state = {str(row["message_id"]): row["state"] for row in messages(client)}
    assert [state[i] for i in t] == ["refused", "waiting"]
    assert len(sim.state.store.accepted) == 5 and of_declaration(received(sim), n) == n


def test_a_gateway_without_the_batch_endpoint_and_no_answer_sends_the_rest_later(client: TestClient, world: World) -> None:
    """One by one, the first message without an answer ends the batch: the rest are not sent, and wait as it does."""
    interleaved(client, world)
    sim = simulator()
    adapter = adapter_for(sim)
    sent = requests_of(adapter)
    control(sim, batch=False, mode="down")

    report = deliver(client, adapter)

    assert (report.claimed, report.not_now) == (3, 3)
    assert [path for path, _ in sent] == ["/messages/batch", "/messages"]
    rows = messages(client)
    assert [row["attempts"] for row in rows[:3]] == [1, 1, 1]
    assert "HTTP 503" in rows[0]["last_error"] and "not sent" in rows[1]["last_error"]


def test_one_by_one_sending_stops_within_its_budget_and_the_rest_wait(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow single answers do not keep a pass past its lease: after ONE_BY_ONE_BUDGET_SECONDS no new message is sent,
    and the rest of the batch waits for the next pass."""
    from backend.outbox import adapter as adapter_module

    interleaved(client, world)
    sim = simulator()
    adapter = adapter_for(sim)
    sent = requests_of(adapter)
    control(sim, batch=False, mode="timeout", delay_seconds=0.6)  # each answer comes after 0.6 s, in time
    monkeypatch.setattr(adapter_module, "ONE_BY_ONE_BUDGET_SECONDS", 0.5)

    report = deliver(client, adapter)

    assert (report.delivered, report.not_now) == (1, 2)
    assert [path for path, _ in sent] == ["/messages/batch", "/messages"]
    rows = messages(client)
    assert [row["state"] for row in rows[:3]] == ["delivered", "waiting", "waiting"]
    assert "not sent in this pass" in rows[1]["last_error"]


def test_batch_results_not_naming_the_messages_in_order_count_as_no_answer(client: TestClient, world: World) -> None:
    """A gateway whose answer does not follow the contract (results swapped) is no answer: nothing is marked
    delivered on it, and the batch is sent again later."""
    from backend.outbox.adapter import HttpAdapter

    interleaved(client, world)

    def swapped(request: httpx.Request) -> httpx.Response:
        ids = [m["message_id"] for m in json.loads(request.content)["messages"]]
        results = [{"message_id": i, "status": "accepted", "reference": f"X-{i[:4]}"} for i in reversed(ids)]
        return httpx.Response(200, json={"results": results})

    adapter = HttpAdapter("http://upstream.test", transport=httpx.MockTransport(swapped))
    report = deliver(client, adapter)

    assert (report.claimed, report.delivered, report.not_now) == (3, 0, 3)
    rows = messages(client)
    assert [row["state"] for row in rows[:3]] == ["waiting"] * 3
    assert "in their order" in rows[0]["last_error"]


def test_batch_size_setting_defaults_to_100_and_must_be_at_least_1() -> None:
    from backend.settings import SettingsError, load_settings

    base = {"GIAMSAT_SECRET_KEY": "x"}

    assert load_settings(base).outbox.batch_size == 100
    assert load_settings({**base, "GIAMSAT_OUTBOX_BATCH_SIZE": "25"}).outbox.batch_size == 25
    with pytest.raises(SettingsError, match="GIAMSAT_OUTBOX_BATCH_SIZE"):
        load_settings({**base, "GIAMSAT_OUTBOX_BATCH_SIZE": "0"})


def test_a_pass_sends_at_most_the_batch_size(client: TestClient, world: World) -> None:
    made = interleaved(client, world)
    sim = simulator()
    adapter = adapter_for(sim)
    sent = requests_of(adapter)

    from backend.lib import clock
    from backend.outbox.services import deliver_until_idle
    from tests.conftest import in_app

    report = in_app(client, lambda: deliver_until_idle(client.app.state.engine, adapter, now=clock.now(), batch=2))

    assert report.delivered == 7
    assert all(len(ids) <= 2 for _, ids in sent)
    for ids in made.values():
        assert of_declaration(received(sim), ids) == ids
