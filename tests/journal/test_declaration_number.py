"""journal_entry.declaration_number: a command whose result names a declaration (`number`) is findable by it
without reading every result (the evidence view); the migration fills it for rows written before it existed
(SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1
from tests.journal.device import Person
from tests.journal.test_services import envelope, journal_rows
from tests.seals.helpers import NUMBER, declare, seal


def test_a_command_about_a_declaration_is_marked_with_its_number_and_others_are_not(client: TestClient, world: World) -> None:
    declare(client)
    officer = Person(client, world["officer"])
    assert seal(officer, world, C1, "HQ-000101")["status"] == "applied"
    sign_in_as(officer.client, world["officer"])
    assert officer.client.post("/api/v1/commands", json=envelope(world["gate"])).json()["results"][0]["status"] == "applied"

    rows = in_app(client, journal_rows)

    assert [(row["command_type"], row["declaration_number"]) for row in rows] == [
        ("seals.record_seal", NUMBER), ("logbook.add_entry", None),
    ]


def test_the_migration_fills_earlier_rows_from_their_result_and_only_a_declaration_number(client: TestClient, world: World) -> None:
    declare(client)
    officer = Person(client, world["officer"])
    seal(officer, world, C1, "HQ-000101")
    sign_in_as(officer.client, world["officer"])
    officer.client.post("/api/v1/commands", json=envelope(world["gate"]))

    async def forget_then_migrate() -> list[tuple[str, Any]]:
        from backend.journal.tables import JournalEntry

        # As the rows were before the column: none marked; one result with a number that is no declaration's.
        await JournalEntry.update({JournalEntry.declaration_number: None}, force=True)
        await JournalEntry.update({JournalEntry.result: '{"entry_id":1,"number":7}'}).where(JournalEntry.command_type == "logbook.add_entry")
        module = importlib.import_module("backend.journal.piccolo_migrations.journal_2026_11_26t05_10_30_000000")
        await JournalEntry.raw(module.backfill_sql(JournalEntry._meta.db.engine_type))
        rows = await JournalEntry.select(JournalEntry.command_type, JournalEntry.declaration_number).order_by(JournalEntry.id)
        return [(row["command_type"], row["declaration_number"]) for row in rows]

    assert in_app(client, forget_then_migrate) == [("seals.record_seal", NUMBER), ("logbook.add_entry", None)]
