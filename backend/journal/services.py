"""apply() — the only way state changes — and the audit of the hash chains.

Chains are per branch (the actor's branch code; "HQ" for staff without a branch). Appending to a chain
must be serialized, because each row covers the previous row's hash; one national chain would make
every gate in the country wait for every other. A branch's gates share one chain, which a single
database lock per chain serializes (PostgreSQL: a transaction-level advisory lock; SQLite: BEGIN
IMMEDIATE, which serializes all writers anyway).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Iterable

import msgspec
from piccolo.engine.base import Engine

from backend import db
from backend.journal.envelope import CommandEnvelope, CommandOutcome
from backend.journal.registry import COMMANDS, CommandContext
from backend.journal.tables import JournalChainHead, JournalEntry
from backend.lib import clock
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.officers.schemas import Actor
from backend.officers.tables import ROLE_LABELS

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "chain",
    "seq",
    "command_id",
    "command_type",
    "actor_code",
    "device_id",
    "issued_at",
    "received_at",
    "payload",
    "result",
    "signature",
)


def chain_of(actor: Actor) -> str:
    return actor.branch_code or "HQ"


def canonical_json(value: Any) -> str:
    return msgspec.json.encode(value, order="sorted").decode()


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    fields = {name: row[name] for name in HASHED_FIELDS}
    fields["command_id"] = str(fields["command_id"])
    fields["prev_hash"] = prev_hash
    return hashlib.sha256(msgspec.json.encode(fields, order="sorted")).hexdigest()


class Rejected(DomainError):
    pass


def _rejected(envelope: CommandEnvelope, error: DomainError) -> CommandOutcome:
    return CommandOutcome(
        id=envelope.id, status="rejected", code=error.code, reason=gettext(error.message, **error.params)
    )


def _check(envelope: CommandEnvelope, actor: Actor) -> Any:
    """Everything that can be refused without the database: type, role, signature, payload shape."""
    spec = COMMANDS.get(envelope.type)
    if spec is None:
        raise Rejected("unknown_type", N_("Unknown command type: %(type)s"), type=envelope.type)
    if actor.role not in spec.roles:
        raise Rejected("forbidden_role", N_("Your role (%(role)s) may not do this."), role=gettext(ROLE_LABELS.get(actor.role, actor.role)))
    if envelope.signature is not None and not spec.signed:
        raise Rejected("signature_not_expected", N_("This action does not take a signature."))
    if spec.signed and envelope.signature is None:
        raise Rejected("signature_required", N_("This action must be signed with your passkey."))
    try:
        return msgspec.convert(envelope.payload, spec.payload)
    except msgspec.ValidationError as exc:
        raise Rejected("invalid_payload", N_("The data is not valid: %(detail)s"), detail=str(exc)) from exc


async def _lock_chain(engine: Engine, chain: str) -> None:
    if db.kind(engine) == "postgresql":
        await JournalEntry.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"journal:{chain}")


@dataclass
class _Head:
    seq: int
    hash: str
    exists: bool


async def apply_commands(engine: Engine, envelopes: Iterable[CommandEnvelope], actor: Actor) -> list[CommandOutcome]:
    """Apply commands in order, each all-or-nothing, and answer for each one.

    - A command id seen before answers `duplicate` with the stored result; it is never applied twice.
    - A refused command (`rejected`) changes nothing and leaves no journal row.
    - An applied command's handler runs inside a savepoint of the batch's transaction, and its journal row
      (server time, actor, result, hash over the previous row's hash) is written in that same savepoint.
    The whole batch is one transaction: if the connection fails midway nothing is kept and the device,
    which has had no answer, sends the batch again.
    """
    envelopes = list(envelopes)
    chain = chain_of(actor)
    outcomes: list[CommandOutcome] = []
    async with db.write_transaction(engine) as transaction:
        await _lock_chain(engine, chain)
        stored = await JournalChainHead.select(JournalChainHead.seq, JournalChainHead.hash).where(
            JournalChainHead.chain == chain
        ).first()
        head = _Head(stored["seq"], stored["hash"], True) if stored else _Head(0, GENESIS_HASH, False)
        start_seq = head.seq
        for envelope in envelopes:
            outcomes.append(await _apply_one(transaction, envelope, actor, chain, head))
        if head.seq != start_seq:
            if head.exists:
                await JournalChainHead.update({JournalChainHead.seq: head.seq, JournalChainHead.hash: head.hash}).where(
                    JournalChainHead.chain == chain
                )
            else:
                await JournalChainHead.insert(JournalChainHead(chain=chain, seq=head.seq, hash=head.hash))
    return outcomes


async def _apply_one(transaction: Any, envelope: CommandEnvelope, actor: Actor, chain: str, head: _Head) -> CommandOutcome:
    seen = await JournalEntry.select(JournalEntry.actor_code, JournalEntry.result).where(
        JournalEntry.command_id == envelope.id
    ).first()
    if seen is not None:
        if seen["actor_code"] != actor.code:
            return _rejected(envelope, Rejected("id_conflict", N_("This command id was already used by someone else.")))
        return CommandOutcome(id=envelope.id, status="duplicate", result=msgspec.json.decode(seen["result"]))
    try:
        payload = _check(envelope, actor)
    except DomainError as error:
        return _rejected(envelope, error)

    spec = COMMANDS[envelope.type]
    received_at = clock.now()
    context = CommandContext(
        command_id=envelope.id,
        actor=actor,
        issued_at=envelope.issued_at,
        received_at=received_at,
        device_id=envelope.device_id,
    )
    savepoint = await transaction.savepoint()
    try:
        result = await spec.handler(context, payload)
    except DomainError as error:
        await savepoint.rollback_to()
        return _rejected(envelope, error)
    row = {
        "chain": chain,
        "seq": head.seq + 1,
        "command_id": envelope.id,
        "command_type": envelope.type,
        "actor_code": actor.code,
        "device_id": envelope.device_id,
        "issued_at": envelope.issued_at.isoformat(),
        "received_at": clock.iso(received_at),
        "payload": canonical_json(payload),
        "result": canonical_json(result),
        "signature": canonical_json(envelope.signature) if envelope.signature is not None else None,
    }
    row["prev_hash"] = head.hash
    row["hash"] = row_hash(head.hash, row)
    await JournalEntry.insert(JournalEntry(**row))
    await savepoint.release()
    head.seq, head.hash = row["seq"], row["hash"]
    return CommandOutcome(id=envelope.id, status="applied", result=result)


@dataclass
class AuditReport:
    chains: int
    rows: int
    problem: str | None  # the first broken row, or None when every chain is intact

    @property
    def intact(self) -> bool:
        return self.problem is None


async def verify_journal(page_size: int = 2000) -> AuditReport:
    """Recompute every chain from its first row: seq without gaps, each prev_hash equal to the previous
    row's hash, each hash equal to the hash of the row's fields, and the last row equal to the chain head."""
    heads = {row["chain"]: row for row in await JournalChainHead.select()}
    chains = {row["chain"] for row in await JournalEntry.select(JournalEntry.chain).distinct()} | set(heads)
    total = 0
    for chain in sorted(chains):
        expected_seq, prev_hash = 1, GENESIS_HASH
        while True:
            rows = (
                await JournalEntry.select()
                .where((JournalEntry.chain == chain) & (JournalEntry.seq >= expected_seq))
                .order_by(JournalEntry.seq)
                .limit(page_size)
            )
            for row in rows:
                where = f"chain {chain}, row seq {row['seq']} (id {row['id']}, command {row['command_id']})"
                if row["seq"] != expected_seq:
                    return AuditReport(len(chains), total, f"{where}: row seq {expected_seq} is missing before it")
                if row["prev_hash"] != prev_hash:
                    return AuditReport(len(chains), total, f"{where}: prev_hash does not match the previous row")
                if row_hash(prev_hash, row) != row["hash"]:
                    return AuditReport(len(chains), total, f"{where}: contents were altered (hash mismatch)")
                prev_hash, expected_seq, total = row["hash"], expected_seq + 1, total + 1
            if len(rows) < page_size:
                break
        head = heads.get(chain)
        if head is None:
            return AuditReport(len(chains), total, f"chain {chain}: head record is missing")
        if head["seq"] != expected_seq - 1 or head["hash"] != prev_hash:
            return AuditReport(
                len(chains),
                total,
                f"chain {chain}, row seq {head['seq']}: the last row(s) after seq {expected_seq - 1} were removed "
                "or the head was altered",
            )
    return AuditReport(len(chains), total, None)
