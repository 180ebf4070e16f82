"""The outbox: messages made with the commands that cause them, and delivered to the national system.

- `record_messages` is the journal's after-apply hook (journal/registry.py AFTER_APPLY): for an applied command
  whose type a domain registered (registry.py), it writes the messages in the command's own transaction.
- `deliver_pass` claims a batch of due messages (workflow.claim), sends it through the adapter in one request, and
  records the answers in one transaction: delivered only after the upstream accepted it; refused, for a person; no
  answer, sent again later with exponential backoff and jitter. Messages of one declaration leave in the order they were made; a branch in
  contingency mode (or a national period) holds its messages until restoration.
- The page's queries (`messages_of`, `counts_of`) ask policy.py what an actor may see.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from backend import db
from backend.journal.registry import CommandContext
from backend.lib import clock
from backend.officers.schemas import Actor
from backend.outbox import policy
from backend.outbox.adapter import Accepted, Adapter, NotNow, Refused
from backend.outbox.registry import OUTBOUND
from backend.outbox.schemas import OutboundMessage, OutboxMessageView
from backend.outbox.tables import OutboxMessage
from backend.outbox.workflow import State, claim, release, transition_many
from backend.sync import contingency

logger = logging.getLogger("giamsat.outbox")

# Message ids are derived from the command id and the kind: the same application always makes the same id.
_MESSAGE_IDS = uuid.UUID("3b0f3c86-2f7e-4e43-a1f5-5b7d4e0a9c21")

# Backoff after no answer: 2 s, 4 s, 8 s, ... up to 5 minutes, each taken between half and all of it (equal jitter),
# so that the processes and messages that failed together do not all come back at the same instant.
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
LEASE_SECONDS = 60.0  # a pass's hold on the messages it claimed: longer than a send may take (the adapter's timeout)
BATCH = 100  # messages per pass, sent in one request (GIAMSAT_OUTBOX_BATCH_SIZE in the app)


def message_id(command_id: uuid.UUID, kind: str) -> uuid.UUID:
    return uuid.uuid5(_MESSAGE_IDS, f"{command_id}/{kind}")


def backoff_seconds(attempts: int, rng: random.Random | None = None) -> float:
    """The wait before the next try after `attempts` tries without an answer."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return ceiling * (rng or random).uniform(0.5, 1.0)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_INSERT = (
    "INSERT INTO outbox_message (message_id, command_id, command_type, kind, clause, declaration_number, branch, "
    "branch_code, officer_code, made_at, contingency, payload, created_at, state, attempts, next_attempt_ms, "
    "lease_until_ms, claim, last_error, delivered_at, upstream_reference, refusal_reason, refused_at, retried_by, "
    "retried_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'waiting', 0, 0, 0, NULL, '', NULL, '', "
    "'', NULL, NULL, NULL)"
)


async def record_messages(context: CommandContext, command_type: str, payload: Any, result: dict[str, Any]) -> None:
    """The journal's after-apply hook: the messages an applied command makes, in its transaction (registry.py)."""
    specs = OUTBOUND.get(command_type)
    if not specs:
        return
    number = result.get("number") if isinstance(result, dict) else None
    for spec in specs:
        body = await spec.build(context, payload, result)
        if body is None:
            continue
        await OutboxMessage.raw(
            _INSERT,
            message_id(context.command_id, spec.kind),
            context.command_id,
            command_type,
            spec.kind,
            spec.clause,
            number if isinstance(number, str) else "",
            context.actor.branch_id,
            context.actor.branch_code or "",
            context.actor.code,
            context.issued_at,
            context.contingency,
            msgspec.json.encode(body).decode(),
            context.received_at,
        )


def outbound_message(row: dict[str, Any]) -> OutboundMessage:
    return OutboundMessage(
        message_id=str(row["message_id"]),
        kind=row["kind"],
        clause=row["clause"],
        declaration=row["declaration_number"] or None,
        command_id=str(row["command_id"]),
        command_type=row["command_type"],
        branch=row["branch_code"],
        officer=row["officer_code"],
        made_at=clock.iso(row["made_at"]),
        contingency=bool(row["contingency"]),
        payload=msgspec.json.decode(row["payload"]),
    )


@dataclass
class PassReport:
    """What one delivery pass did."""

    claimed: int = 0
    delivered: int = 0
    refused: int = 0
    not_now: int = 0


async def deliver_pass(
    engine: Engine, adapter: Adapter, *, now: datetime | None = None, batch: int = BATCH,
    lease_seconds: float = LEASE_SECONDS, rng: random.Random | None = None,
) -> PassReport:
    """Claim up to `batch` due messages, send them to the upstream in one request, and record every answer in one
    transaction.

    The claim takes at most one message per declaration, the oldest not delivered, and only once every earlier one
    is delivered (workflow.claim): so no message of a batch can overtake another of its declaration, whatever
    the upstream does with the batch, and a refused or not-now message holds back the later ones of its declaration
    only. Each message is marked delivered only after the upstream accepted it; a refusal is kept for a person (the
    page, outbox.retry); no answer (for the whole batch, or for one message) puts the message back with a backoff.
    `now` is for tests (a time after the backoff)."""
    now = now or clock.now()
    token = uuid.uuid4()
    rows = await claim(engine, token, epoch_ms(now), int(lease_seconds * 1000), batch)
    report = PassReport(claimed=len(rows))
    if not rows:
        return report
    recorded = False
    try:
        try:
            answers: list[Any] = list(await adapter.deliver_batch([outbound_message(row) for row in rows]))
            if len(answers) != len(rows):
                raise NotNow(f"the adapter answered {len(answers)} outcomes for {len(rows)} messages")
        except Exception as error:  # no answer for the batch, whatever the cause: not now for each message
            answers = [error if isinstance(error, NotNow) else NotNow(f"{type(error).__name__} {error}".strip())] * len(rows)
        await _record(engine, token, rows, answers, now, rng, report)
        recorded = True
    finally:
        if not recorded:  # the database failed while recording: the claimed messages wait again, untouched
            await release(token)
    return report


async def _record(
    engine: Engine, token: uuid.UUID, rows: list[dict[str, Any]], answers: list[Any], now: datetime,
    rng: random.Random | None, report: PassReport,
) -> None:
    """Write a batch's outcomes, in one transaction and a few statements (workflow.transition_many). A row another
    pass took meanwhile (its lease ran out) is left to that pass."""
    answered_at = clock.now()
    moves: list[tuple[int, State, dict[str, Any]]] = []
    not_now: list[str] = []
    for row, answer in zip(rows, answers):
        attempts = row["attempts"] + 1
        if isinstance(answer, Accepted):
            moves.append((row["id"], State.DELIVERED, {
                "attempts": attempts, "delivered_at": answered_at, "upstream_reference": answer.reference[:120],
                "last_error": "",
            }))
            report.delivered += 1
        elif isinstance(answer, Refused):
            moves.append((row["id"], State.REFUSED, {
                "attempts": attempts, "refusal_reason": answer.reason[:2000], "refused_at": answered_at, "last_error": "",
            }))
            report.refused += 1
        else:
            reason = (str(answer) or type(answer).__name__)[:500]
            due = now + timedelta(seconds=backoff_seconds(attempts, rng))
            moves.append((row["id"], State.WAITING, {
                "attempts": attempts, "next_attempt_ms": epoch_ms(due), "last_error": reason,
            }))
            report.not_now += 1
            not_now.append(reason)
    async with db.write_transaction(engine) as transaction:
        await transition_many(transaction, token, moves)
    if not_now:
        logger.info("outbox: the upstream did not take %d of %d messages (%s); they are sent again after a backoff",
                    len(not_now), len(rows), not_now[0])


async def deliver_until_idle(
    engine: Engine, adapter: Adapter, *, now: datetime | None = None, batch: int = BATCH, max_passes: int = 1000
) -> PassReport:
    """Passes one after another while they deliver something (a declaration's next message needs the next pass)."""
    total = PassReport()
    for _ in range(max_passes):
        report = await deliver_pass(engine, adapter, now=now, batch=batch)
        total.claimed += report.claimed
        total.delivered += report.delivered
        total.refused += report.refused
        total.not_now += report.not_now
        if report.delivered == 0 and report.refused == 0:
            break
    return total


# --- the page ------------------------------------------------------------------------------------------------------

SHOWN = 100  # messages listed per state on the page (the newest)


def _view(row: dict[str, Any], held: str = "") -> OutboxMessageView:
    next_ms = row["next_attempt_ms"] or 0
    return OutboxMessageView(
        id=row["id"], message_id=str(row["message_id"]), kind=row["kind"], clause=row["clause"],
        declaration=row["declaration_number"], officer=row["officer_code"], made_at=row["made_at"],
        state=row["state"], attempts=row["attempts"],
        next_attempt_at=datetime.fromtimestamp(next_ms / 1000, UTC) if next_ms else None,
        last_error=row["last_error"], delivered_at=row["delivered_at"], upstream_reference=row["upstream_reference"],
        refusal_reason=row["refusal_reason"], refused_at=row["refused_at"], held=held,
    )


async def counts_of(actor: Actor) -> dict[str, int]:
    """How many of the actor's visible messages are in each state."""
    rows = await OutboxMessage.select(OutboxMessage.state).where(policy.visible_messages(actor))
    counts = {state.value: 0 for state in State}
    for row in rows:
        counts[row["state"]] += 1
    return counts


async def messages_of(actor: Actor, state: State) -> list[OutboxMessageView]:
    """The actor's visible messages in `state` (waiting includes delivering), newest first; a waiting one says why it
    is not sent yet."""
    states = [State.WAITING.value, State.DELIVERING.value] if state == State.WAITING else [state.value]
    rows = (
        await OutboxMessage.select()
        .where(policy.visible_messages(actor) & OutboxMessage.state.is_in(states))
        .order_by(OutboxMessage.id, ascending=state == State.WAITING)
        .limit(SHOWN)
    )
    if state != State.WAITING:
        return [_view(row) for row in rows]
    held_branch = (await contingency.open_period(actor.branch_id)) is not None
    numbers = list({row["declaration_number"] for row in rows if row["declaration_number"]})
    first_open: dict[str, int] = {}
    if numbers:
        earlier = await OutboxMessage.select(OutboxMessage.declaration_number, OutboxMessage.id).where(
            OutboxMessage.declaration_number.is_in(numbers) & (OutboxMessage.state != State.DELIVERED.value)
        )
        for row in earlier:
            number = row["declaration_number"]
            first_open[number] = min(first_open.get(number, row["id"]), row["id"])
    now_ms = epoch_ms(clock.now())
    views = []
    for row in rows:
        if held_branch:
            held = "contingency"
        elif row["declaration_number"] and first_open.get(row["declaration_number"], row["id"]) < row["id"]:
            held = "behind"
        elif row["state"] == State.WAITING.value and row["next_attempt_ms"] > now_ms:
            held = "backoff"
        else:
            held = ""
        views.append(_view(row, held))
    return views


async def message_row(message_uuid: uuid.UUID) -> dict[str, Any] | None:
    return await OutboxMessage.select().where(OutboxMessage.message_id == message_uuid).first()
