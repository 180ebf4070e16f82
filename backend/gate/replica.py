"""The `gate_cards` replica dataset: the gate cards a device keeps so that the check runs at once, online or offline.

Which cards: the declarations registered at the officer's branch that are eligible to pass, or that changed in the
last `RECENT_DAYS` days (so a card that became ineligible still reaches the device, and says so). Goods registered
elsewhere that pass this branch's gates (transit, ports served by several branches) are not in it yet: transit
routing (issue 4 item 5+, Art 41) will add the declarations headed for the branch. Until then the device asks the
server (`GET /api/v1/gate/cards/{number}`) for a card it does not hold.

Incremental: the cursor is a position in the declarations' change order, `gc1:<updated_at ISO>|<declaration id>`
(`updated_at` then `id`, compared as a pair, which works on SQLite and PostgreSQL alike). Every upstream change sets
`updated_at` inside the serialized upsert transaction (backend/declarations/services.py), so a change always lands
after every position a device already holds. Pages hold at most `PAGE_SIZE` cards; `complete=False` means "ask
again with the new cursor". `replace=True` only on the first page of a full load (no cursor, or one this server
cannot read): the device drops what it holds, then upserts every following page by `key` (the number).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from backend.gate.cards import as_datetime, cards_where
from backend.lib import clock
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.sync.replica import ReplicaPage, dataset, snapshot

NAME = "gate_cards"
PAGE_SIZE = 2000
RECENT_DAYS = 30
CURSOR_PREFIX = "gc1:"
START = (datetime(1970, 1, 1, tzinfo=UTC), 0)
GATE_ROLES = (Role.OFFICER, Role.SUPERVISOR)


def encode_cursor(updated_at: datetime, declaration_id: int) -> str:
    return f"{CURSOR_PREFIX}{clock.iso(updated_at)}|{declaration_id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The position a cursor names, or None when there is none or it cannot be read (then: a full load)."""
    if not cursor or not cursor.startswith(CURSOR_PREFIX):
        return None
    moment, _, ident = cursor[len(CURSOR_PREFIX) :].partition("|")
    try:
        at = datetime.fromisoformat(moment)
        return (at if at.tzinfo else at.replace(tzinfo=UTC)), int(ident)
    except ValueError:
        return None


@dataset(NAME)
async def gate_cards(actor: Actor, since: str | None) -> ReplicaPage:
    """The branch's gate cards changed after `since`, at most `PAGE_SIZE` of them, in change order."""
    if actor.role not in GATE_ROLES or not actor.branch_id:
        return snapshot(NAME, [], since)  # no gate work, no cards
    position = decode_cursor(since)
    full_load = position is None
    after, after_id = position or START
    recent = clock.now() - timedelta(days=RECENT_DAYS)
    found = await cards_where(
        "d.branch = {} AND (d.allows_passage OR d.updated_at >= {}) "
        "AND (d.updated_at > {} OR (d.updated_at = {} AND d.id > {}))",
        actor.branch_id,
        recent,
        after,
        after,
        after_id,
        limit=PAGE_SIZE + 1,  # one more than a page: whether there is more, without an empty last page
    )
    complete = len(found) <= PAGE_SIZE
    found = found[:PAGE_SIZE]
    if not found and not full_load:
        return ReplicaPage(dataset=NAME, cursor=since or "", changed=False, replace=False, items=[])
    if found:
        last_id, last_at, _ = found[-1]
        cursor = encode_cursor(last_at, last_id)
    else:
        cursor = encode_cursor(*START)
    items = [{"key": card.number, **msgspec.to_builtins(card)} for _, _, card in found]
    return ReplicaPage(
        dataset=NAME, cursor=cursor, changed=True, replace=full_load, items=items, complete=complete
    )


# --- passages ----------------------------------------------------------------------------------------------------

PASSAGES = "gate_passages"
PASSAGES_CURSOR_PREFIX = "gp1:"


def passage_key(number: str, unit: str) -> str:
    return f"{number}/{unit}"


def _decode_passage_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor or not cursor.startswith(PASSAGES_CURSOR_PREFIX):
        return None
    return decode_cursor(CURSOR_PREFIX + cursor[len(PASSAGES_CURSOR_PREFIX) :])


@dataset(PASSAGES)
async def gate_passages(actor: Actor, since: str | None) -> ReplicaPage:
    """The standing confirmations the device needs to show "7 / 10 passed" offline: those of the branch's
    declarations, and those made at the branch's locations, changed in the last `RECENT_DAYS` days.

    Incremental like `gate_cards`, on `(changed_at, id)`: a confirmation or a cancellation moves its row to the end.
    Within a page the last state of each container wins (cancelled then confirmed again → an item; confirmed then
    cancelled → a removed key), so the device may apply items then removals, as it does.
    """
    from backend.gate.tables import Passage

    if actor.role not in GATE_ROLES or not actor.branch_id:
        return snapshot(PASSAGES, [], since)
    position = _decode_passage_cursor(since)
    full_load = position is None
    after, after_id = position or START
    recent = clock.now() - timedelta(days=RECENT_DAYS)
    rows = await Passage.raw(
        "SELECT p.id, p.unit, p.standing_key, p.changed_at, p.confirmed_at, d.number, o.full_name AS officer, "
        "l.name AS location FROM gate_passage p JOIN declaration d ON d.id = p.declaration "
        "JOIN location l ON l.id = p.location JOIN officer o ON o.id = p.officer "
        "WHERE (d.branch = {} OR l.branch = {}) AND p.changed_at >= {} "
        "AND (p.changed_at > {} OR (p.changed_at = {} AND p.id > {})) "
        + ("AND p.standing_key IS NOT NULL " if full_load else "")
        + f"ORDER BY p.changed_at, p.id LIMIT {PAGE_SIZE + 1}",
        actor.branch_id,
        actor.branch_id,
        recent,
        after,
        after,
        after_id,
    )
    complete = len(rows) <= PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if not rows and not full_load:
        return ReplicaPage(dataset=PASSAGES, cursor=since or "", changed=False, replace=False, items=[])
    latest: dict[str, dict[str, object] | None] = {}
    for row in rows:
        key = passage_key(row["number"], row["unit"])
        latest[key] = (
            {
                "key": key,
                "number": row["number"],
                "unit": row["unit"],
                "officer": row["officer"],
                "location": row["location"],
                "confirmed_at": clock.iso(as_datetime(row["confirmed_at"])),
            }
            if row["standing_key"] is not None
            else None
        )
    if rows:
        last = rows[-1]
        cursor = PASSAGES_CURSOR_PREFIX + encode_cursor(as_datetime(last["changed_at"]), last["id"])[len(CURSOR_PREFIX) :]
    else:
        cursor = PASSAGES_CURSOR_PREFIX + encode_cursor(*START)[len(CURSOR_PREFIX) :]
    return ReplicaPage(
        dataset=PASSAGES,
        cursor=cursor,
        changed=True,
        replace=full_load,
        items=[item for item in latest.values() if item is not None],
        removed=[key for key, item in latest.items() if item is None and not full_load],
        complete=complete,
    )
