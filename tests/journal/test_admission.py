"""Admission control of POST /api/v1/commands (backend/lib/admission.py; docs/security.md, "Many devices at once"):
beyond GIAMSAT_MAX_BATCHES_IN_FLIGHT batches in flight in a process, a batch is refused at once with 503, a
Retry-After and the typed body, and nothing of it is done; sent again when there is room, it is applied."""

from __future__ import annotations

import math
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any, Iterator

import pytest
from litestar.testing import TestClient

from backend.lib import admission
from backend.lib.i18n import translate_in
from tests.conftest import ORIGIN, World, in_app, sign_in_as


@pytest.fixture
def client(app_env: dict[str, str]) -> Iterator[TestClient]:
    from backend.app import create_app
    from backend.settings import load_settings

    settings = load_settings({**app_env, "GIAMSAT_MAX_BATCHES_IN_FLIGHT": "1", "GIAMSAT_COMMANDS_BURST": "5"})
    with TestClient(create_app(settings), base_url=ORIGIN) as test_client:
        yield test_client


def batch(location_id: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "type": "logbook.add_entry",
            "issued_at": datetime.now(UTC).isoformat(),
            "device_id": "device-1",
            "offline": True,
            "payload": {"location_id": location_id, "text": f"entry {i}"},
        }
        for i in range(count)
    ]


async def journal_ids() -> list[str]:
    from backend.journal.tables import JournalEntry

    return [str(row["command_id"]) for row in await JournalEntry.select(JournalEntry.command_id)]


def test_batch_beyond_the_limit_is_refused_then_applied_when_sent_again(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    commands = batch(world["gate"], 3)
    in_flight = admission.of(client.app.state)

    with in_flight.admitted():  # another device's batch, being applied (as post_commands holds it)
        refused = client.post("/api/v1/commands", json=commands)
    applied_after = in_app(client, journal_ids)
    again = client.post("/api/v1/commands", json=commands)

    assert refused.status_code == 503, refused.text
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= admission.MAX_RETRY_AFTER
    assert refused.json() == {
        "error": "server_busy",
        "message": translate_in("vi", admission.MESSAGE, seconds=wait),
        "detail": {"retry_after": wait},
    }
    assert applied_after == []  # nothing of the refused batch was done
    assert [result["status"] for result in again.json()["results"]] == ["applied"] * 3
    assert sorted(in_app(client, journal_ids)) == sorted(command["id"] for command in commands)


def test_a_refused_batch_costs_the_officer_no_quota(client: TestClient, world: World) -> None:
    """The quota (a burst of 5 here) is taken only from a batch the server had room for."""
    sign_in_as(client, world["officer"])
    commands = batch(world["gate"], 5)
    in_flight = admission.of(client.app.state)

    with in_flight.admitted():
        statuses = [client.post("/api/v1/commands", json=commands).status_code for _ in range(3)]
    again = client.post("/api/v1/commands", json=commands)

    assert statuses == [503, 503, 503]
    assert [result["status"] for result in again.json()["results"]] == ["applied"] * 5


def test_the_api_description_documents_the_busy_answer(client: TestClient) -> None:
    schema = client.get("/schema/openapi.json").json()

    busy = schema["paths"]["/api/v1/commands"]["post"]["responses"]["503"]

    assert "Retry-After" in busy["description"]


def full(limit: int, **kwargs: Any) -> tuple[admission.Admission, ExitStack]:
    gate = admission.Admission(limit, clock=lambda: 0.0, **kwargs)
    stack = ExitStack()
    for _ in range(limit):
        stack.enter_context(gate.admitted())
    return gate, stack


def refusal(gate: admission.Admission, key: Any) -> int:
    with pytest.raises(admission.ServerBusy) as refused:
        gate.check(key)
    return refused.value.detail["retry_after"]


def test_retry_after_spreads_the_waiting_over_the_time_their_batches_need() -> None:
    """At most (devices waiting) x (batch time / limit), capped at 30 s (the device's own backoff cap): 50 devices,
    2 at a time, 1 s a batch: up to 25 s; past the cap, 30 s."""
    gate, stack = full(2, jitter=lambda: 1.0)  # the longest wait the jitter can draw
    gate.batch_seconds = 1.0

    waits = [refusal(gate, key) for key in range(100)]
    again = refusal(gate, 0)  # the first device back too early: it is not counted twice

    assert admission.MAX_RETRY_AFTER == 30
    assert waits == [min(30, max(1, math.ceil((n + 1) * 0.5))) for n in range(100)]
    assert again == 30
    stack.close()


def test_retry_after_is_at_least_one_second_and_at_most_the_cap() -> None:
    shortest, held = full(1, jitter=lambda: 0.0)
    longest, also_held = full(1, jitter=lambda: 1.0)  # (kept: a slot's context, once collected, gives it back)
    longest.batch_seconds = 10.0

    assert refusal(shortest, "a") == 1
    assert [refusal(longest, key) for key in range(20)][-1] == admission.MAX_RETRY_AFTER
    held.close()
    also_held.close()


def test_an_admitted_device_stops_counting_as_waiting() -> None:
    gate, stack = full(1, jitter=lambda: 1.0)
    refusal(gate, "a")
    refusal(gate, "b")
    stack.close()
    gate.batch_seconds = 4.0

    gate.check("a")  # room again: admitted
    with gate.admitted(), gate.admitted():
        assert refusal(gate, "c") == 8  # b and c wait, 4 s each


def test_batches_in_flight_setting_below_one_is_refused() -> None:
    from backend.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="GIAMSAT_MAX_BATCHES_IN_FLIGHT"):
        load_settings({"GIAMSAT_SECRET_KEY": "x", "GIAMSAT_MAX_BATCHES_IN_FLIGHT": "0"})
