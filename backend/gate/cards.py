"""Gate cards: what the gate must see of each declaration, computed from the declarations mirror.

A card (`check.GateCard`) is self-contained and JSON-friendly: the device keeps its branch's cards (the `gate_cards`
replica dataset, `backend/gate/replica.py`) and runs the same check as the server, online or offline.

The queries are plain SQL: a replica page builds up to 2,000 cards, and Piccolo's query building and row handling
would dominate the time (as measured for the journal, backend/journal/services.py). One query for the cards, one for
all their containers, one for all their warnings, whatever the number of cards. One card by its number (the check, a
confirmation) is one query, its containers and warnings as JSON arrays (bench/README.md, `bench/gate.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from backend import db
from backend.declarations.services import parse_number
from backend.declarations.tables import Declaration
from backend.gate.check import CardContainer, CardWarning, GateCard
from backend.lib import clock
from backend.lib.errors import N_, NotFound

# Seal requirement and sealing: upstream's flags, and the officers' own word on them (backend/seals): the latest
# proposal or withdrawal of the requirement wins over upstream's; "confirm sealed" makes the goods sealed. In the
# card's one statement, so that a card still costs one round trip.
_SEALING = (
    "COALESCE((SELECT r.required FROM seals_requirement r WHERE r.declaration = d.id ORDER BY r.id DESC LIMIT 1), "
    "d.seal_required) AS seal_required, "
    "(d.sealed OR EXISTS (SELECT 1 FROM seals_confirmation s WHERE s.declaration = d.id)) AS sealed"
)
_CARD_COLUMNS = (
    "d.id, d.number, d.kind, d.version, d.status_code, d.allows_passage, d.lane, b.code AS branch_code, "
    f"{_SEALING}, d.cargo_type, d.weight_g, d.package_count, d.goods_description, d.updated_at"
)
_FROM = "FROM declaration d JOIN branch b ON b.id = d.branch"


def _engine() -> Engine:
    return Declaration._meta.db


def as_datetime(value: Any) -> datetime:
    """A timestamp as either database returns it from a raw query (SQLite may answer text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _by_declaration(table: str, columns: str, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Rows of a child table (containers, warnings) of the given declarations, in their declared order."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return found
    if db.kind(_engine()) == "postgresql":
        where, param = "declaration = ANY({})", ids
    else:
        where, param = "declaration IN (SELECT value FROM json_each({}))", "[" + ",".join(map(str, ids)) + "]"
    rows = await Declaration.raw(
        f"SELECT declaration, {columns} FROM {table} WHERE {where} ORDER BY declaration, position", param
    )
    for row in rows:
        found[row["declaration"]].append(row)
    return found


async def cards_where(condition: str, *params: Any, limit: int | None = None) -> list[tuple[int, datetime, GateCard]]:
    """`(declaration id, updated_at, card)` of the declarations matching `condition` (SQL on `d`, with `{}`
    placeholders), ordered by `(updated_at, id)` — the declarations' change order."""
    sql = f"SELECT {_CARD_COLUMNS} {_FROM} WHERE {condition} ORDER BY d.updated_at, d.id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = await Declaration.raw(sql, *params)
    ids = [row["id"] for row in rows]
    containers = await _by_declaration("declaration_container", "number, seal_number", ids)
    warnings = await _by_declaration("declaration_warning", "text, source", ids)
    cards = []
    for row in rows:
        card = _card(
            row,
            [CardContainer(number=c["number"], seal=c["seal_number"]) for c in containers[row["id"]]],
            [CardWarning(text=w["text"], source=w["source"]) for w in warnings[row["id"]]],
        )
        cards.append((row["id"], as_datetime(row["updated_at"]), card))
    return cards


# One card in one round trip (the check and the confirmation ask for one card at a time, up to hundreds a second):
# the containers and warnings come with the card as JSON arrays, in their declared order.
_ONE_CARD = {
    "postgresql": (
        f"SELECT {_CARD_COLUMNS}, "
        "(SELECT json_agg(json_build_array(c.number, c.seal_number) ORDER BY c.position, c.id) "
        "FROM declaration_container c WHERE c.declaration = d.id) AS containers, "
        "(SELECT json_agg(json_build_array(w.text, w.source) ORDER BY w.position, w.id) "
        "FROM declaration_warning w WHERE w.declaration = d.id) AS warnings "
        f"{_FROM} WHERE d.number = {{}}"
    ),
    # SQLite before 3.44 has no ORDER BY inside an aggregate: an ordered subquery feeds json_group_array.
    "sqlite": (
        f"SELECT {_CARD_COLUMNS}, "
        "(SELECT json_group_array(json_array(number, seal_number)) FROM (SELECT number, seal_number "
        "FROM declaration_container WHERE declaration = d.id ORDER BY position, id)) AS containers, "
        "(SELECT json_group_array(json_array(text, source)) FROM (SELECT text, source "
        "FROM declaration_warning WHERE declaration = d.id ORDER BY position, id)) AS warnings "
        f"{_FROM} WHERE d.number = {{}}"
    ),
}


def _card(row: dict[str, Any], containers: list[Any], warnings: list[Any]) -> GateCard:
    return GateCard(
        number=row["number"],
        version=row["version"],
        kind=row["kind"],
        status_code=row["status_code"],
        allows_passage=bool(row["allows_passage"]),
        lane=row["lane"],
        branch_code=row["branch_code"],
        seal_required=bool(row["seal_required"]),
        sealed=bool(row["sealed"]),
        cargo_type=row["cargo_type"],
        containers=containers,
        weight_kg=None if row["weight_g"] is None else row["weight_g"] / 1000,
        package_count=row["package_count"],
        goods_description=row["goods_description"],
        warnings=warnings,
        updated_at=clock.iso(as_datetime(row["updated_at"])),
    )


_ONE_CARD_ASYNCPG = _ONE_CARD["postgresql"].replace("{}", "$1")


async def _one_card_row(number: str) -> Any:
    """The card's row, or None. On PostgreSQL straight through asyncpg (in the caller's transaction when there is
    one): Piccolo's raw() would compile its query string and copy the row into a dict, a tenth of a check's time."""
    engine = _engine()
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        transaction = engine.current_transaction.get()
        if transaction is not None:
            return await transaction.connection.fetchrow(_ONE_CARD_ASYNCPG, number)
        async with engine.pool.acquire() as connection:
            return await connection.fetchrow(_ONE_CARD_ASYNCPG, number)
    rows = await Declaration.raw(_ONE_CARD[db.kind(engine)], number)
    return rows[0] if rows else None


async def card_with_id(number: str) -> tuple[int, GateCard]:
    """`(declaration id, card)` of a declaration by its well-formed number; 404 `declaration_not_found`."""
    row = await _one_card_row(number)
    if row is None:
        raise NotFound("declaration_not_found", N_("No declaration %(number)s in giamsat."), number=number)
    containers = [CardContainer(number=n, seal=seal) for n, seal in msgspec.json.decode(row["containers"] or "[]")]
    warnings = [CardWarning(text=text, source=source) for text, source in msgspec.json.decode(row["warnings"] or "[]")]
    return row["id"], _card(row, containers, warnings)


async def card_for(number: str) -> GateCard:
    """The gate card of a declaration, by its number as typed or scanned.

    Malformed: 400 `bad_number`; unknown: 404 `declaration_not_found`. Any branch's declaration: goods registered at
    one branch pass the gates of another, so every gate must see every card.
    """
    return (await card_with_id(parse_number(number)))[1]
