"""apply() — the only way state changes — and the audit of the hash chains.

Chains are per branch (the actor's branch code; "HQ" for staff without a branch). Appending to a chain
must be serialized, because each row covers the previous row's hash; one national chain would make
every gate in the country wait for every other. A branch's gates share one chain, which a single
database lock per chain serializes (PostgreSQL: a transaction-level advisory lock; SQLite: BEGIN
IMMEDIATE, which serializes all writers anyway). Within a process, the requests waiting for a chain are
applied together in one transaction (group commit, `_ChainWriter`), so the lock, the chain head and the
commit are paid once per group instead of once per request.

Journal rows are written at the end of their transaction, so a command handler must not read the journal
(handlers read and write their own domain's tables).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable
from uuid import UUID

import msgspec
from piccolo.engine.base import Engine

from backend import db
from backend.journal import envelope as envelope_module
from backend.journal.envelope import CommandEnvelope, CommandOutcome
from backend.journal import signing
from backend.journal.registry import AFTER_APPLY, AFTER_COMMIT, COMMANDS, CommandContext
from backend.journal.tables import JournalChainHead, JournalEntry
from backend.lib import clock
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.lib.structs import first_unsafe_integer
from backend.officers.schemas import Actor
from backend.officers.tables import role_label
from backend.sync import contingency

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
    "offline",
    "contingency",
)


def chain_of(actor: Actor) -> str:
    return actor.branch_code or "HQ"


def canonical_json(value: Any) -> str:
    return msgspec.json.encode(value, order="sorted").decode()


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    fields = {name: row[name] for name in HASHED_FIELDS}
    # The device's clock offset is hashed only when the device gave one: the rows written before it existed (and
    # those of devices that never measured their clock) hash exactly as they always did.
    if row.get("clock_offset_ms") is not None:
        fields["clock_offset_ms"] = int(row["clock_offset_ms"])
    fields["command_id"] = str(fields["command_id"])
    # SQLite gives booleans back as 0/1: hash what they mean, not how a database spells them.
    fields["offline"], fields["contingency"] = bool(fields["offline"]), bool(fields["contingency"])
    fields["prev_hash"] = prev_hash
    return hashlib.sha256(msgspec.json.encode(fields, order="sorted")).hexdigest()


def placement(location_id: Any, result: Any, issued_at: datetime) -> dict[str, Any]:
    """The unhashed columns that place a row (a location's logbook day, a declaration's evidence), from the command's
    location, its result and its device time: written by `_apply_one`, checked by the audit (`derived_columns`)."""
    number = result.get("number") if isinstance(result, dict) else None
    return {
        "location_id": location_id if isinstance(location_id, int) else None,
        "issued_at_utc": clock.iso(issued_at),
        "declaration_number": number if isinstance(number, str) and len(number) <= 12 else None,
    }


MILLISECOND = timedelta(milliseconds=1)


def clock_estimate(issued_at: datetime, clock_offset_ms: int | None, received_at: datetime) -> dict[str, Any]:
    """The server's estimate of when a command was made (`made_at_utc`) and how long it waited (`wait_ms`).

    The device time corrected by the device's measured offset (none: the device time), and never after the server
    received it. There is no lower bound: a command the device did not mark offline may still have waited (the
    device believed it was online while the server was unreachable). `wait_ms` is received_at minus the corrected
    time, unbounded, so that a corrected time after the receipt (a wrong clock or offset) stays visible. Both are
    derived from hashed fields: `_apply_one` writes them, the audit checks them (`derived_columns`)."""
    corrected = issued_at + timedelta(milliseconds=clock_offset_ms or 0)
    return {"made_at_utc": clock.iso(min(corrected, received_at)), "wait_ms": (received_at - corrected) // MILLISECOND}


def derived_columns(row: dict[str, Any]) -> dict[str, Any]:
    """The stored columns that are not hashed, as they follow from the hashed ones.

    `location_id`, `issued_at_utc` and `declaration_number` decide where a row appears (a location's logbook
    day, a declaration's evidence), so they are verified rather than trusted: each must be what `_apply_one`
    derives from the hashed payload, issued_at and result. Checking the derivation, rather than hashing the
    columns too, leaves the hash of every row already written unchanged. `made_at_utc` and `wait_ms` likewise
    follow from issued_at, clock_offset_ms and received_at (`clock_estimate`)."""
    payload = msgspec.json.decode(row["payload"])
    location_id = payload.get("location_id") if isinstance(payload, dict) else None
    issued_at = datetime.fromisoformat(row["issued_at"])
    return {
        **placement(location_id, msgspec.json.decode(row["result"]), issued_at),
        **clock_estimate(issued_at, row["clock_offset_ms"], datetime.fromisoformat(row["received_at"])),
    }


def derived_problem(row: dict[str, Any]) -> str | None:
    """None when the row's unhashed columns are derived exactly from its hashed fields, else which one is not."""
    try:
        expected = derived_columns(row)
    except (msgspec.DecodeError, ValueError, TypeError):
        return "payload, result or issued_at cannot be read"
    for name, value in expected.items():
        if row[name] != value:
            return f"{name} is {row[name]!r}, but its hashed fields make it {value!r} (edited)"
    return None


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
        raise Rejected("forbidden_role", N_("Your role (%(role)s) may not do this."), role=role_label(actor.role))
    if envelope.signature is not None and not spec.signed:
        raise Rejected("signature_not_expected", N_("This action does not take a signature."))
    if spec.signed and envelope.signature is None:
        raise Rejected("signature_required", N_("This action must be signed with your passkey."))
    if not envelope_module.ISSUED_AT_WINDOW.admits(envelope.issued_at, clock.now()):
        raise Rejected(
            "issued_at_implausible",
            N_("The time this action was made (%(time)s) is not plausible. Set the right time on the device."),
            time=envelope.issued_at.isoformat(),
        )
    offset = envelope.clock_offset_ms
    if offset is not None and abs(offset) > envelope_module.MAX_CLOCK_OFFSET // MILLISECOND:
        raise Rejected(
            "clock_offset_implausible",
            N_("The device's clock offset (%(offset)s ms) is not plausible. Set the right time on the device."),
            offset=str(offset),
        )
    unsafe = first_unsafe_integer(envelope.payload)
    if unsafe is not None:
        raise Rejected("number_out_of_range", N_("The number %(number)s is too large."), number=str(unsafe))
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


@dataclass
class _Group:
    """What the commands of one group commit share while they are applied."""

    transaction: Any
    chain: str
    head: _Head
    seen: dict[UUID, tuple[str, Any]]  # every id seen before: id -> (actor code, result)
    rows: list[dict[str, Any]]  # journal rows to write at the end of the transaction
    savepoints: bool
    contingency: contingency.Periods  # contingency periods of the chain's branch, to mark commands


# What applying one command gives: an outcome, or the refusal still to be put in the caller's words.
_Result = CommandOutcome | tuple[CommandEnvelope, DomainError]
_Job = tuple[list[CommandEnvelope], Actor]

GROUP_LIMIT = 1000  # commands in one group commit (a request's batch is never split)
SAVEPOINT = "gs_command"


async def apply_commands(engine: Engine, envelopes: Iterable[CommandEnvelope], actor: Actor) -> list[CommandOutcome]:
    """Apply commands in order, each all-or-nothing, and answer for each one.

    - A command id seen before answers `duplicate` with the stored result; it is never applied twice.
    - A refused command (`rejected`) changes nothing and leaves no journal row.
    - An applied command's handler and its journal row (server time, actor, result, hash over the previous
      row's hash) are written in the same transaction. A handler that refuses a command may already have
      written: see `_apply_jobs` for how that is undone.
    - Group commit: the requests waiting for the same chain are applied together, in arrival order, in
      one transaction (one chain lock, one head read and write, one journal INSERT, one commit for all);
      see `_ChainWriter`. Each request's answer is sent only after that transaction committed. If the
      connection fails midway nothing is kept and the device, which has had no answer, sends again.
    """
    envelopes = list(envelopes)
    if not envelopes:
        return []
    chain = chain_of(actor)
    if engine.current_transaction.get() is not None:
        # Inside the caller's own transaction: apply there, so it commits or rolls back with it.
        (results,) = await _apply_jobs(engine, chain, [(envelopes, actor)], nested=True)
    else:
        results = await _ChainWriter.submit(engine, chain, envelopes, actor)
    # Refusals are worded here, in the caller's context (language), not in the writer's.
    outcomes = [result if isinstance(result, CommandOutcome) else _rejected(*result) for result in results]
    if engine.current_transaction.get() is None and any(outcome.status == "applied" for outcome in outcomes):
        for listener in AFTER_COMMIT:
            listener(actor, outcomes)
    return outcomes


class _ChainWriter:
    """Group commit for one chain of one engine in this process.

    A chain is a sequence: each row covers the previous row's hash, so its writers take turns (the
    chain lock). Taking a turn per request costs a transaction, a lock, a head read and write and a
    commit, and the lock is held across every round trip of the request; with 64 devices sending at once
    the queue for the lock, not the work, made the latency. Instead, requests queue here and one task
    applies everything queued, in arrival order, in one transaction, then answers each request. Commands
    stay all-or-nothing (see `_apply_jobs`), so a refused command still changes nothing; if the group's
    transaction fails for any other reason, each request of the group is retried alone, so one request's
    failure cannot fail another's.
    """

    _writers: dict[tuple[int, str], "_ChainWriter"] = {}

    def __init__(self, engine: Engine, chain: str, loop: asyncio.AbstractEventLoop) -> None:
        self.engine, self.chain, self.loop = engine, chain, loop
        self.queue: deque[tuple[_Job, asyncio.Future[list[_Result]]]] = deque()
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def submit(cls, engine: Engine, chain: str, envelopes: list[CommandEnvelope], actor: Actor) -> list[_Result]:
        loop = asyncio.get_running_loop()
        key = (id(engine), chain)
        writer = cls._writers.get(key)
        if writer is None or writer.engine is not engine or writer.loop is not loop:
            writer = cls._writers[key] = _ChainWriter(engine, chain, loop)
        future: asyncio.Future[list[_Result]] = loop.create_future()
        writer.queue.append(((envelopes, actor), future))
        if writer.task is None:
            # A fresh context: the writer must not inherit this request's transaction or language.
            writer.task = loop.create_task(writer._run(), context=contextvars.Context())
        return await future

    async def _run(self) -> None:
        group: list[tuple[_Job, asyncio.Future[list[_Result]]]] = []
        try:
            while self.queue:
                group = self._take()
                if group:
                    await self._apply_group(group)
                group = []
        finally:
            self.task = None
            if self._writers.get((id(self.engine), self.chain)) is self:
                del self._writers[(id(self.engine), self.chain)]
            # Only when the writer itself was cancelled (shutdown): nobody may wait forever.
            for _, future in [*group, *self.queue]:
                if not future.done():
                    future.set_exception(RuntimeError("the journal writer stopped"))
            self.queue.clear()

    def _take(self) -> list[tuple[_Job, asyncio.Future[list[_Result]]]]:
        group: list[tuple[_Job, asyncio.Future[list[_Result]]]] = []
        size = 0
        while self.queue:
            job, future = self.queue[0]
            if future.done():  # the request went away before its turn: nothing to apply
                self.queue.popleft()
                continue
            if group and size + len(job[0]) > GROUP_LIMIT:
                break
            self.queue.popleft()
            group.append((job, future))
            size += len(job[0])
        return group

    async def _apply_group(self, group: list[tuple[_Job, asyncio.Future[list[_Result]]]]) -> None:
        try:
            results = await _apply_jobs(self.engine, self.chain, [job for job, _ in group])
        except Exception as error:
            if len(group) == 1:
                _settle(group[0][1], error=error)
                return
            for job, future in group:  # each request alone: a failure stays with the request that caused it
                try:
                    (result,) = await _apply_jobs(self.engine, self.chain, [job])
                except Exception as alone:
                    _settle(future, error=alone)
                else:
                    _settle(future, result=result)
            return
        for (_, future), result in zip(group, results):
            _settle(future, result=result)


def _settle(future: asyncio.Future[list[_Result]], *, result: list[_Result] | None = None, error: BaseException | None = None) -> None:
    if future.done():  # the request was cancelled meanwhile; what was applied stays applied (a resend is a duplicate)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result or [])


class _NeedSavepoints(Exception):
    """A handler refused a command in a transaction run without savepoints: it may have written already."""


async def _apply_jobs(engine: Engine, chain: str, jobs: list[_Job], *, nested: bool = False) -> list[list[_Result]]:
    """Apply requests' commands in order in one transaction; a result list per request.

    A savepoint per command costs a round trip under the chain lock, a third of a command's. Handlers
    seldom refuse (most refusals come from `_check`, before the handler), so the transaction first runs
    without savepoints; when a handler refuses, the whole transaction is rolled back and run again with
    a savepoint around every handler, rolled back to when it refuses. Inside a caller's transaction
    (`nested`) there is nothing of ours to roll back, so savepoints are used from the start.
    """
    if not nested:
        try:
            return await _apply_jobs_once(engine, chain, jobs, savepoints=False)
        except _NeedSavepoints:
            pass
    return await _apply_jobs_once(engine, chain, jobs, savepoints=True)


async def _apply_jobs_once(engine: Engine, chain: str, jobs: list[_Job], *, savepoints: bool) -> list[list[_Result]]:
    ids = [envelope.id for envelopes, _ in jobs for envelope in envelopes]
    answers: list[list[_Result]] = []
    async with db.write_transaction(engine) as transaction:
        await _lock_chain(engine, chain)
        # The queries of this function are plain SQL: with Piccolo's query builder they took ~5 ms of CPU
        # per group under the chain lock (the id list alone ~3 ms for 64 ids), measured.
        stored = await JournalChainHead.raw("SELECT seq, hash FROM journal_chain_head WHERE chain = {}", chain)
        head = _Head(stored[0]["seq"], stored[0]["hash"], True) if stored else _Head(0, GENESIS_HASH, False)
        start_seq = head.seq
        # Every id seen before, in one query: id -> (actor code, result). Ids applied in this
        # transaction are added as they are applied, so an id sent twice is applied once.
        seen: dict[UUID, tuple[str, Any]] = {}
        for row in await _seen_before(engine, ids):
            seen[row["command_id"]] = (row["actor_code"], msgspec.json.decode(row["result"]))
        oldest = min(envelope.issued_at for envelopes, _ in jobs for envelope in envelopes)
        periods = await contingency.periods_for_marking(jobs[0][1].branch_id, oldest)  # one branch per chain
        group = _Group(transaction, chain, head, seen, [], savepoints, periods)
        for envelopes, actor in jobs:
            answers.append([await _apply_one(group, envelope, actor) for envelope in envelopes])
        rows = group.rows
        await db.insert_many(transaction, JournalEntry, rows)
        if head.seq != start_seq:
            if head.exists:
                await JournalChainHead.raw(
                    "UPDATE journal_chain_head SET seq = {}, hash = {} WHERE chain = {}", head.seq, head.hash, chain
                )
            else:
                await JournalChainHead.insert(JournalChainHead(chain=chain, seq=head.seq, hash=head.hash))
    return answers


async def _seen_before(engine: Engine, ids: list[UUID]) -> list[dict[str, Any]]:
    """Journal rows (command_id, actor_code, result) of those ids, with one statement whatever their number."""
    if db.kind(engine) == "postgresql":
        return await JournalEntry.raw(
            "SELECT command_id, actor_code, result FROM journal_entry WHERE command_id = ANY({})", ids
        )
    return await JournalEntry.raw(
        "SELECT command_id, actor_code, result FROM journal_entry WHERE command_id IN (SELECT value FROM json_each({}))",
        msgspec.json.encode([str(command_id) for command_id in ids]).decode(),
    )


async def _after_apply(context: CommandContext, command_type: str, payload: Any, result: dict[str, Any]) -> None:
    """The registered after-apply hooks (registry.AFTER_APPLY: the outbox's messages), inside the handler's try: what
    they write is kept or rolled back with the command, and a hook's refusal refuses the command."""
    for hook in AFTER_APPLY:
        await hook(context, command_type, payload, result)


async def _apply_one(group: _Group, envelope: CommandEnvelope, actor: Actor) -> _Result:
    if envelope.id in group.seen:
        actor_code, stored_result = group.seen[envelope.id]
        if actor_code != actor.code:
            return envelope, Rejected("id_conflict", N_("This command id was already used by someone else."))
        return CommandOutcome(id=envelope.id, status="duplicate", result=stored_result)
    try:
        payload = _check(envelope, actor)
    except DomainError as error:
        return envelope, error

    spec = COMMANDS[envelope.type]
    received_at = clock.now()
    # When the action was made, as best the server knows: the device's time corrected by the device's measured clock
    # offset, never after it arrived (clock_estimate). Handlers record this time, not a wrong device clock's (a
    # passage confirmed on a phone 2 hours ahead is not confirmed in the future); the journal keeps both.
    made_at = datetime.fromisoformat(clock_estimate(envelope.issued_at, envelope.clock_offset_ms, received_at)["made_at_utc"])
    # Offline is a marking, not a permission: a handler may act on what the device knew (context.contingency) only
    # when the branch's contingency period covers the command, or when it really waited on the device. The row
    # keeps the device's claim (`offline`) either way.
    waited = envelope.offline and received_at - made_at >= envelope_module.OFFLINE_GRACE
    contingent = waited or group.contingency.covers(made_at)
    context = CommandContext(
        command_id=envelope.id,
        actor=actor,
        issued_at=made_at,
        received_at=received_at,
        device_id=envelope.device_id,
        contingency=contingent,
    )
    if not group.savepoints:
        try:
            signature = await signing.verify_and_use(envelope, actor) if spec.signed else None
            result = await spec.handler(context, payload)
            await _after_apply(context, envelope.type, payload, result)
        except DomainError as error:
            raise _NeedSavepoints() from error
    else:
        # One savepoint name for all: ROLLBACK TO names the newest one, this command's. Savepoints of applied
        # commands are not released one by one (a round trip each, under the chain lock); COMMIT ends them all.
        await db.execute_in(group.transaction, f"SAVEPOINT {SAVEPOINT}")
        try:
            signature = await signing.verify_and_use(envelope, actor) if spec.signed else None
            result = await spec.handler(context, payload)
            await _after_apply(context, envelope.type, payload, result)
        except DomainError as error:
            await db.execute_in(group.transaction, f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            return envelope, error
    head = group.head
    location_id = getattr(payload, "location_id", None)
    row = {
        "chain": group.chain,
        "seq": head.seq + 1,
        "command_id": envelope.id,
        "command_type": envelope.type,
        "actor_code": actor.code,
        "device_id": envelope.device_id,
        "issued_at": envelope.issued_at.isoformat(),
        "received_at": clock.iso(received_at),
        "payload": canonical_json(payload),
        "result": canonical_json(result),
        "signature": canonical_json(signature) if signature is not None else None,
        "offline": envelope.offline,
        "contingency": contingent,
        "clock_offset_ms": envelope.clock_offset_ms,
    }
    row["prev_hash"] = head.hash
    row["hash"] = row_hash(head.hash, row)
    row.update(placement(location_id, result, envelope.issued_at))
    row.update(clock_estimate(envelope.issued_at, envelope.clock_offset_ms, received_at))
    group.rows.append(row)  # written with the others at the end of the transaction
    head.seq, head.hash = row["seq"], row["hash"]
    group.seen[envelope.id] = (actor.code, msgspec.json.decode(row["result"]))  # as a later duplicate will see it
    return CommandOutcome(id=envelope.id, status="applied", result=result)


@dataclass
class ChainEnd:
    """A chain's last row as the audit found it (what `giamsat audit anchor` signs)."""

    chain: str
    seq: int
    hash: str
    row_id: int
    command_id: str
    command_type: str


@dataclass
class AuditReport:
    chains: int
    rows: int
    problem: str | None  # the first broken row, or None when every chain is intact
    ends: dict[str, ChainEnd] = field(default_factory=dict)  # each verified chain's last row, by chain
    anchors: int = 0  # checkpoints checked against the chains

    @property
    def intact(self) -> bool:
        return self.problem is None


def _where(row: dict[str, Any]) -> str:
    return (
        f"chain {row['chain']}, row seq {row['seq']} "
        f"(id {row['row_id'] if 'row_id' in row else row['id']}, command {row['command_type']} {row['command_id']})"
    )


async def verify_journal(origin: str, rp_id: str, page_size: int = 2000, anchors: Iterable[Any] = ()) -> AuditReport:
    """Recompute every chain from its first row and compare it with its head and its anchors; the first problem.

    For each row: seq without gaps, prev_hash equal to the previous row's hash, hash equal to the hash of the
    row's fields, the unhashed columns equal to what they are derived from (`derived_problem`), a signed
    command's passkey assertion valid again (`origin`, `rp_id`: the site's, as signed). Then the last row must
    be the chain head. Every anchor (a checkpoint, backend/journal/anchors.py, whose signature the caller has
    verified) must name a row that is still there with the anchored hash: a chain cut below an anchored row, or
    a row at or before it rewritten and the chain re-hashed, is found here and nowhere else.

    The journal may be written to meanwhile: a command's rows and its chain head are committed together, so the
    head is read after the rows and, when it has moved on, the rows up to it are read too.
    """
    anchored: dict[str, list[Any]] = {}
    for anchor in anchors:
        anchored.setdefault(anchor.chain, []).append(anchor)
    chains = {row["chain"] for row in await JournalEntry.select(JournalEntry.chain).distinct()}
    chains |= {row["chain"] for row in await JournalChainHead.select(JournalChainHead.chain)} | set(anchored)
    report = AuditReport(len(chains), 0, None, anchors=sum(len(items) for items in anchored.values()))

    def broken(problem: str) -> AuditReport:
        report.problem = problem
        return report

    for chain in sorted(chains):
        pending = deque(sorted(anchored.get(chain, []), key=lambda anchor: anchor.seq))
        expected_seq, prev_hash, last = 1, GENESIS_HASH, None
        held = 0  # the highest anchored seq found intact so far
        head_seen: int | None = None
        while True:
            rows = (
                await JournalEntry.select()
                .where((JournalEntry.chain == chain) & (JournalEntry.seq >= expected_seq))
                .order_by(JournalEntry.seq)
                .limit(page_size)
            )
            for row in rows:
                where = _where(row)
                if row["seq"] != expected_seq:
                    return broken(f"{where}: row seq {expected_seq} is missing before it")
                if row["prev_hash"] != prev_hash:
                    return broken(f"{where}: prev_hash does not match the previous row")
                if row_hash(prev_hash, row) != row["hash"]:
                    return broken(f"{where}: contents were altered (hash mismatch)")
                problem = derived_problem(row)
                if problem is not None:
                    return broken(f"{where}: {problem}")
                if row["signature"] is not None:
                    problem = await signing.audit_signature(row, origin, rp_id)
                    if problem is not None:
                        return broken(f"{where}: signature: {problem}")
                while pending and pending[0].seq == row["seq"]:
                    anchor = pending.popleft()
                    if anchor.hash != row["hash"]:
                        return broken(
                            f"{where}: its hash is not the one in the checkpoint signed at {anchor.anchored_at} "
                            f"(key {anchor.key_id}): a row from seq {held + 1} to {row['seq']} was rewritten "
                            "and the chain re-hashed from it"
                        )
                    held = row["seq"]
                prev_hash, expected_seq, last = row["hash"], expected_seq + 1, row
                report.rows += 1
            if len(rows) == page_size:
                continue
            head = await JournalChainHead.select().where(JournalChainHead.chain == chain).first()
            if head is not None and head["seq"] > expected_seq - 1 and head["seq"] != head_seen:
                head_seen = head["seq"]  # rows committed since they were read: read on to the head once more
                continue
            break
        if pending:  # anchored rows past the chain's end: the first of them names the cut
            anchor = pending[0]
            return broken(
                f"{_where(msgspec.structs.asdict(anchor))}: removed: the chain ends at seq {expected_seq - 1}, below "
                f"the checkpoint signed at {anchor.anchored_at} (key {anchor.key_id}); the rows from seq "
                f"{expected_seq} on were deleted"
            )
        if head is None:
            return broken(f"chain {chain}: head record is missing")
        if head["seq"] != expected_seq - 1 or head["hash"] != prev_hash:
            return broken(
                f"chain {chain}, row seq {head['seq']}: the last row(s) after seq {expected_seq - 1} were removed "
                "or the head was altered"
            )
        if last is not None:
            report.ends[chain] = ChainEnd(
                chain, last["seq"], last["hash"], last["id"], str(last["command_id"]), last["command_type"]
            )
    return report
