"""Messages are made in the same transaction as the command that causes them (SQLite and PostgreSQL): a confirmed
passage makes exactly one, a refused command none, a command rolled back in a batch none; the registry cites the
clause that does each "trên Hệ thống"."""

from __future__ import annotations

import json
import uuid

from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.outbox.helpers import NUMBER, cancel, confirm, declarations, gate_officer, messages


def test_confirmed_passage_makes_exactly_one_message_naming_its_command(client: TestClient, world: World) -> None:
    declarations(client)
    officer = gate_officer(client, world)

    outcome = confirm(officer, world["gate"], C1)

    assert outcome["status"] == "applied"
    (row,) = messages(client)
    assert (row["kind"], row["command_type"], row["declaration_number"], row["state"]) == (
        "gate.passage_confirmed", "gate.confirm_passage", NUMBER, "waiting"
    )
    assert str(row["command_id"]) == outcome["id"] and row["branch"] == world["branch"] and row["officer_code"] == "CB1"
    assert row["clause"] == "Art 35.2.b.2.1.1, 36.2.c.2.1.1"
    assert json.loads(row["payload"]) == {"units": [C1], "location_id": world["gate"], "passed": 1, "total": 3}
    from backend.outbox.services import message_id

    assert row["message_id"] == message_id(uuid.UUID(outcome["id"]), "gate.passage_confirmed")


def test_refused_command_makes_no_message(client: TestClient, world: World) -> None:
    declarations(client)
    officer = gate_officer(client, world)
    confirm(officer, world["gate"], C1)

    again = confirm(officer, world["gate"], C1)  # already passed: refused by the handler

    assert again["status"] == "rejected" and again["code"] == "already_passed"
    assert [row["kind"] for row in messages(client)] == ["gate.passage_confirmed"]


def test_batch_with_a_refused_command_keeps_the_applied_ones_messages_once(client: TestClient, world: World) -> None:
    """The refusal makes the journal roll the whole group back and apply it again with savepoints: the applied
    command's message is made once, the refused command's never (it is rolled back with its handler's writes)."""
    declarations(client)
    officer = gate_officer(client, world)
    payload = {"location_id": world["gate"], "number": NUMBER, "containers": [C1]}

    outcomes = officer.post(
        officer.envelope("gate.confirm_passage", payload),
        officer.envelope("gate.confirm_passage", payload),
        officer.envelope("gate.confirm_passage", {**payload, "containers": [C2]}),
    )

    assert [o["status"] for o in outcomes] == ["applied", "rejected", "applied"]
    assert [str(row["command_id"]) for row in messages(client)] == [outcomes[0]["id"], outcomes[2]["id"]]


def test_replayed_command_makes_no_second_message(client: TestClient, world: World) -> None:
    declarations(client)
    officer = gate_officer(client, world)
    envelope = officer.envelope("gate.confirm_passage", {"location_id": world["gate"], "number": NUMBER, "containers": [C1]})

    first, again = officer.post(envelope)[0], officer.post(envelope)[0]

    assert (first["status"], again["status"]) == ("applied", "duplicate")
    assert len(messages(client)) == 1


def test_cancelled_passage_tells_the_system_after_the_confirmation(client: TestClient, world: World) -> None:
    declarations(client)
    officer = gate_officer(client, world)
    confirm(officer, world["gate"], C1)

    cancel(officer, world["gate"], C1)

    assert [(row["kind"], row["clause"]) for row in messages(client)] == [
        ("gate.passage_confirmed", "Art 35.2.b.2.1.1, 36.2.c.2.1.1"),
        ("gate.passage_cancelled", "Art 35.2.b.2.2, 36.2.c.2.2"),
    ]
    assert json.loads(messages(client)[1]["payload"])["reason"] == "Nhầm xe"


def test_commands_not_done_on_the_system_make_no_message(client: TestClient, world: World) -> None:
    officer = gate_officer(client, world)

    outcome = officer.do("logbook.add_entry", {"location_id": world["gate"], "text": "Xe vào cổng"})

    assert outcome["status"] == "applied" and messages(client) == []


def test_every_registered_kind_cites_its_clause_and_names_a_registered_command() -> None:
    from backend.journal.registry import load_commands
    from backend.outbox.registry import load_outbound

    commands = load_commands()
    specs = [spec for specs in load_outbound().values() for spec in specs]

    assert {spec.command_type for spec in specs} <= set(commands)
    assert all(spec.clause.startswith("Art ") for spec in specs)
    assert {spec.command_type for spec in specs} >= {"gate.confirm_passage", "gate.cancel_passage", "seals.confirm_sealed"}
