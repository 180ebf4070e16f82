"""A message's states and the only code that changes them (docs/outbox.md, "States").

    waiting ──claim──> delivering ──accepted──> delivered
       ^                  │  └──────refused──> refused ──outbox.retry──> waiting
       └──not now (backoff), or released untried──┘

A `delivering` message whose lease ran out (its process died mid-send) is claimed again, as a waiting one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

import aiosqlite
from piccolo.engine.base import Engine

from backend import db
from backend.outbox.tables import OutboxMessage


class State(StrEnum):
    WAITING = "waiting"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    REFUSED = "refused"


TRANSITIONS: frozenset[tuple[State, State]] = frozenset(
    {
        (State.WAITING, State.DELIVERING),  # claimed by a delivery pass
        (State.DELIVERING, State.DELIVERING),  # claimed again once its lease ran out
        (State.DELIVERING, State.DELIVERED),  # the upstream accepted it
        (State.DELIVERING, State.REFUSED),  # the upstream refused it
        (State.DELIVERING, State.WAITING),  # no answer (backoff), or released untried at the end of a pass
        (State.REFUSED, State.WAITING),  # a supervisor retries it (outbox.retry)
    }
)


class IllegalTransition(Exception):
    pass


def allowed(source: State, target: State) -> bool:
    return (source, target) in TRANSITIONS


# Claimable: waiting and due, or delivering with its lease run out; and not behind an earlier message of the same
# declaration that is not delivered (order per declaration); and not of a branch in contingency mode, nor while a
# national period is open (backend/sync/contingency.py: the messages wait for restoration).
_CLAIMABLE = """
SELECT m.id FROM outbox_message m
WHERE ((m.state = 'waiting' AND m.next_attempt_ms <= {}) OR (m.state = 'delivering' AND m.lease_until_ms < {}))
  AND NOT EXISTS (
    SELECT 1 FROM outbox_message e
    WHERE m.declaration_number <> '' AND e.declaration_number = m.declaration_number AND e.id < m.id
      AND e.state <> 'delivered')
  AND NOT EXISTS (
    SELECT 1 FROM contingency_period p WHERE p.ended_at IS NULL AND (p.branch IS NULL OR p.branch = m.branch))
ORDER BY m.id LIMIT {}"""


async def claim(engine: Engine, token: UUID, now_ms: int, lease_ms: int, limit: int) -> list[dict[str, Any]]:
    """Move up to `limit` claimable messages to `delivering` for the pass `token`; their rows, oldest first.

    PostgreSQL: the rows are locked FOR UPDATE SKIP LOCKED, so passes of several processes claim disjoint rows
    without waiting for each other; the claim commits at once, and the lease (not a held lock) keeps others off
    while the pass sends. SQLite: the write transaction (BEGIN IMMEDIATE) serializes the passes.
    """
    lock = " FOR UPDATE OF m SKIP LOCKED" if db.kind(engine) == "postgresql" else ""
    async with db.write_transaction(engine):
        ids = [row["id"] for row in await OutboxMessage.raw(_CLAIMABLE + lock, now_ms, now_ms, limit)]
        if not ids:
            return []
        await OutboxMessage.update(
            {OutboxMessage.state: State.DELIVERING.value, OutboxMessage.claim: token,
             OutboxMessage.lease_until_ms: now_ms + lease_ms}
        ).where(OutboxMessage.id.is_in(ids))
        return await OutboxMessage.select().where(OutboxMessage.id.is_in(ids)).order_by(OutboxMessage.id)


async def transition(message_pk: int, source: State, target: State, *, claim: UUID | None = None, **fields: Any) -> bool:
    """Move one message from `source` to `target`, setting `fields` (column name -> value). Only if it is still in
    `source` (and, from `delivering`, still held by the pass `claim`): False when another pass or person moved it
    first, and nothing is written.

    Side effects by target: delivered / refused / waiting from delivering drop the claim and the lease; the caller
    gives delivered_at and upstream_reference, refusal_reason and refused_at, or attempts, next_attempt_ms and
    last_error. refused -> waiting (outbox.retry) is given attempts 0, next_attempt_ms and who retried it."""
    if not allowed(source, target):
        raise IllegalTransition(f"{source} -> {target}")
    values: dict[Any, Any] = {getattr(OutboxMessage, name): value for name, value in fields.items()}
    values[OutboxMessage.state] = target.value
    if source == State.DELIVERING:
        values[OutboxMessage.claim] = None
        values[OutboxMessage.lease_until_ms] = 0
    where = (OutboxMessage.id == message_pk) & (OutboxMessage.state == source.value)
    if source == State.DELIVERING:
        where &= OutboxMessage.claim == claim
    changed = await OutboxMessage.update(values).where(where).returning(OutboxMessage.id)
    return bool(changed)


async def transition_many(transaction: Any, claim: UUID, moves: list[tuple[int, State, dict[str, Any]]]) -> None:
    """Move a pass's messages out of `delivering`, each `(message pk, target, fields)` as `transition` would from
    `delivering` with `claim` (same side effects; a row no longer held by `claim` is left as it is), inside
    `transaction` (backend/db.py write_transaction), with one prepared statement per target and set of fields
    executed for all its messages: asyncpg pipelines it, sqlite3 loops in its thread, so a batch of answers costs
    a round trip to the database or a few, not one per message (bench/README.md, "Transit and the outbox")."""
    groups: dict[tuple[State, tuple[str, ...]], list[tuple[Any, ...]]] = {}
    for pk, target, fields in moves:
        if not allowed(State.DELIVERING, target):
            raise IllegalTransition(f"{State.DELIVERING} -> {target}")
        names = tuple(fields)
        groups.setdefault((target, names), []).append((*fields.values(), pk, claim))
    connection = transaction.connection
    sqlite = isinstance(connection, aiosqlite.Connection)
    for (target, names), rows in groups.items():
        marks = ["?" if sqlite else f"${n}" for n in range(1, len(names) + 3)]
        assignments = ", ".join(f'"{getattr(OutboxMessage, name)._meta.db_column_name}" = {mark}' for name, mark in zip(names, marks))
        statement = (
            f"UPDATE outbox_message SET state = '{target.value}', claim = NULL, lease_until_ms = 0"
            f"{', ' if names else ''}{assignments} "
            f"WHERE id = {marks[-2]} AND state = '{State.DELIVERING.value}' AND claim = {marks[-1]}"
        )
        await connection.executemany(statement, rows)


async def release(token: UUID) -> None:
    """Put the messages a pass claimed and did not try back to waiting, untouched (attempts, due time)."""
    await OutboxMessage.update(
        {OutboxMessage.state: State.WAITING.value, OutboxMessage.claim: None, OutboxMessage.lease_until_ms: 0}
    ).where((OutboxMessage.claim == token) & (OutboxMessage.state == State.DELIVERING.value))
