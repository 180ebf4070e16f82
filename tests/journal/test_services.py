"""The journal: idempotency, refusals, hash chains, audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient

from tests.conftest import ORIGIN, World, giamsat, in_app, sign_in_as


def envelope(location_id: int, text: str = "Xe 15C-123.45 vào cổng", **overrides: Any) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": datetime.now(UTC).isoformat(),
        "device_id": "device-1",
        "payload": {"location_id": location_id, "text": text},
    }
    body.update(overrides)
    return body


async def journal_rows() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)


async def logbook_count() -> int:
    from backend.logbook.tables import LogbookEntry

    return await LogbookEntry.count()


def test_command_applied_writes_entry_and_journal_row(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    command = envelope(world["gate"])

    response = client.post("/api/v1/commands", json=command)

    assert response.status_code == 200
    (outcome,) = response.json()["results"]
    assert outcome["status"] == "applied" and outcome["id"] == command["id"]
    assert "entry_id" in outcome["result"]
    rows = in_app(client, journal_rows)
    assert len(rows) == 1
    assert rows[0]["chain"] == "B1" and rows[0]["seq"] == 1 and rows[0]["actor_code"] == "CB1"
    assert rows[0]["prev_hash"] == "0" * 64 and len(rows[0]["hash"]) == 64
    assert in_app(client, logbook_count) == 1


def test_command_replayed_id_is_duplicate_and_applied_once(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    command = envelope(world["gate"])
    first = client.post("/api/v1/commands", json=command).json()["results"][0]

    again = client.post("/api/v1/commands", json=[command, command]).json()["results"]

    assert [o["status"] for o in again] == ["duplicate", "duplicate"]
    assert again[0]["result"] == first["result"]
    assert len(in_app(client, journal_rows)) == 1
    assert in_app(client, logbook_count) == 1


def test_command_forbidden_role_is_rejected_and_leaves_no_row(client: TestClient, world: World) -> None:
    sign_in_as(client, world["warehouse_user"])

    outcome = client.post("/api/v1/commands", json=envelope(world["gate"])).json()["results"][0]

    assert outcome["status"] == "rejected" and outcome["code"] == "forbidden_role"
    assert outcome["reason"]  # a sentence for the officer, in their language
    assert in_app(client, journal_rows) == []
    assert in_app(client, logbook_count) == 0


def test_command_other_branch_location_is_rejected(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    outcome = client.post("/api/v1/commands", json=envelope(world["other_gate"])).json()["results"][0]

    assert outcome["status"] == "rejected" and outcome["code"] == "location_not_in_branch"
    assert in_app(client, journal_rows) == []


def test_command_batch_keeps_order_and_refusals_change_nothing(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    batch = [
        envelope(world["gate"], "một"),
        envelope(world["gate"], "   "),  # blank after trimming: refused by the handler
        envelope(world["gate"], "ba"),
        envelope(world["gate"], "bốn", payload={"location_id": world["gate"], "text": "x", "extra": 1}),
    ]

    results = client.post("/api/v1/commands", json=batch).json()["results"]

    assert [r["status"] for r in results] == ["applied", "rejected", "applied", "rejected"]
    assert results[1]["code"] == "empty_text" and results[3]["code"] == "invalid_payload"
    rows = in_app(client, journal_rows)
    assert [r["seq"] for r in rows] == [1, 2]
    assert rows[1]["prev_hash"] == rows[0]["hash"]


def test_command_unknown_type_and_signature_are_rejected(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    results = client.post(
        "/api/v1/commands",
        json=[envelope(world["gate"], type="gate.fly"), envelope(world["gate"], signature={"x": 1})],
    ).json()["results"]

    assert [r["code"] for r in results] == ["unknown_type", "signature_not_expected"]


def test_command_malformed_envelope_is_a_typed_400(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/commands", json={"id": "not-a-uuid", "type": "logbook.add_entry"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert in_app(client, journal_rows) == []


def test_command_naive_device_time_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/commands", json=envelope(world["gate"], issued_at="2026-11-25T10:00:00"))

    assert response.status_code == 400


def test_command_id_of_another_officer_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    command = envelope(world["gate"])
    client.post("/api/v1/commands", json=command)
    sign_in_as(client, world["supervisor"])

    outcome = client.post("/api/v1/commands", json=command).json()["results"][0]

    assert outcome["status"] == "rejected" and outcome["code"] == "id_conflict"
    assert "result" not in outcome


def test_chains_are_per_branch(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    client.post("/api/v1/commands", json=envelope(world["gate"]))
    sign_in_as(client, world["other_officer"])
    client.post("/api/v1/commands", json=envelope(world["other_gate"]))

    rows = in_app(client, journal_rows)

    assert {(r["chain"], r["seq"]) for r in rows} == {("B1", 1), ("B2", 1)}


def _audit(app_env: dict[str, str]) -> Any:
    return giamsat(app_env, "audit", "verify", check=False)


def test_audit_verify_passes_on_intact_journal(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    sign_in_as(client, world["officer"])
    client.post("/api/v1/commands", json=[envelope(world["gate"], f"entry {i}") for i in range(5)])

    result = _audit(app_env)

    assert result.returncode == 0, result.stderr
    assert "5 rows" in result.stdout


def test_audit_verify_names_an_altered_row(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    from backend.journal.tables import JournalEntry

    sign_in_as(client, world["officer"])
    client.post("/api/v1/commands", json=[envelope(world["gate"], f"entry {i}") for i in range(4)])
    in_app(
        client,
        lambda: JournalEntry.update({JournalEntry.payload: '{"location_id":1,"text":"forged"}'}).where(JournalEntry.seq == 3),
    )

    result = _audit(app_env)

    assert result.returncode == 1
    assert "row seq 3" in result.stderr and "altered" in result.stderr


def test_audit_verify_names_a_deleted_row(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    from backend.journal.tables import JournalEntry

    sign_in_as(client, world["officer"])
    client.post("/api/v1/commands", json=[envelope(world["gate"], f"entry {i}") for i in range(4)])
    in_app(client, lambda: JournalEntry.delete().where(JournalEntry.seq == 2))

    result = _audit(app_env)

    assert result.returncode == 1
    assert "row seq 3" in result.stderr and "seq 2 is missing" in result.stderr


def test_audit_verify_catches_the_last_row_removed(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    from backend.journal.tables import JournalEntry

    sign_in_as(client, world["officer"])
    client.post("/api/v1/commands", json=[envelope(world["gate"], f"entry {i}") for i in range(3)])
    in_app(client, lambda: JournalEntry.delete().where(JournalEntry.seq == 3))

    result = _audit(app_env)

    assert result.returncode == 1
    assert "removed" in result.stderr


async def _concurrent_burst(engine: Any, officer_id: int, gate: int) -> tuple[list[list[Any]], Any]:
    """Many requests of one branch at once, as 64 devices would send them: they share group commits."""
    import asyncio

    from backend.journal.services import apply_commands, verify_journal
    from backend.officers.services import actor_by_id

    actor = await actor_by_id(officer_id)
    shared = envelope(gate, "gửi hai lần cùng lúc")  # the same id from two requests in flight together
    requests = [[envelope(gate, f"lệnh {i}")] for i in range(40)]
    requests += [[shared], [shared], [envelope(gate, "   ")], [envelope(gate, "a"), envelope(gate, "b")]]
    batches = [[msgspec_convert(body) for body in request] for request in requests]
    answers = await asyncio.gather(*(apply_commands(engine, batch, actor) for batch in batches))
    return [[outcome.status for outcome in answer] for answer in answers], await verify_journal(ORIGIN, "localhost")


def msgspec_convert(body: dict[str, Any]) -> Any:
    import msgspec

    from backend.journal.envelope import CommandEnvelope

    return msgspec.convert(body, CommandEnvelope)


def test_concurrent_requests_are_each_applied_once_and_the_chain_holds(client: TestClient, world: World) -> None:
    statuses, audit = in_app(client, _concurrent_burst, client.app.state.engine, world["officer"], world["gate"])

    assert all(s == ["applied"] for s in statuses[:40])
    assert sorted([statuses[40][0], statuses[41][0]]) == ["applied", "duplicate"]
    assert statuses[42] == ["rejected"]  # a refusal in the same group changes nothing for the others
    assert statuses[43] == ["applied", "applied"]
    assert audit.intact and audit.rows == 43
    assert in_app(client, logbook_count) == 43
