"""Benchmark of transit (issue 14): the overdue list and the officer's transit lists with 10,000 transit declarations
in flight, and the outbox draining 10,000 messages to the upstream simulator after a 16-hour outage.

    .venv/bin/python -m bench.transit                                   # SQLite and PostgreSQL (~8 min)
    .venv/bin/python -m bench.transit --databases sqlite --seconds 5 --messages 2000
    .venv/bin/python -m bench.transit --profile /tmp/pyspy/bin/py-spy   # a py-spy profile of the server while it drains
    .venv/bin/python -m bench.transit --phases outbox                   # the outbox drain only (~1.5 min)

For each database: a fresh database (`giamsat db upgrade`), --branches branches (TRA01 ... with a gate each), --officers
staff spread over them (two supervisors in every eight, the others officers; each enrolls a passkey through the real
ceremony and then sends what a phone sends: its session cookie), a national admin with an API token, and --transits
transit declarations in flight, bulk-inserted in one transaction each into the declarations mirror (`declaration`,
`declaration_container`) and the transit tables (`transit_case` and its timeline `transit_event`) as upstream and the
officers' commands would have left them — the way bench/gate.py loads its 100,000 declarations in bulk rather than
through commands. Departures are spread unevenly over the branches (40/30/20/10 % with 4), each lot to another branch;
the states: green, yellow, assigned (to the departure branch's officers), supplement requested, approved, sealed,
departed (transit time 8-72 h; about one departed lot in six past its deadline: a few hundred overdue), in an exit
gate's area, and the amendment states (SHARES below).

Then the real app (`giamsat serve`, one worker, pinned to CPU 0 with taskset) and, from this process pinned to CPU 1,
closed-loop keep-alive clients, each its own signed-in officer or supervisor (client n is staff n: branches in turn):

  - `GET /manifest.webmanifest` x16, x64: the trivial endpoint of the same run (no database);
  - the overdue list x16, x64: the departure branch's lots past their deadline, `GET /api/v1/transit/overdue`, and
    the page `GET /transit/overdue` too if the app serves one by the time the bench runs (--surfaces);
  - the officer's transit lists x16, x64: assigned to me, to assign (supervisors), to seal, to depart, to confirm
    arriving, `GET /api/v1/transit/lists`, and the page `GET /transit` if there is one.
Every request asks for gzip, as a browser does. Only 200 answers count.

The outbox after an outage: with the server stopped, --messages waiting messages are bulk-inserted into
`outbox_message` (kinds CES, CET, sealed, BOA, exit area, BIA in their order, 2-6 for each of ~2,500 declarations,
made over the 16 hours before now and inserted in that order: the ids order each declaration's messages), with a
national contingency period open since 16 hours ago, as an admin declares while the national system is down (the
outbox holds every message during it: docs/outbox.md). `giamsat upstream-sim` starts on a free port (pinned to CPU 1,
in memory: see below), the server starts again with GIAMSAT_UPSTREAM_URL pointing at it and
GIAMSAT_OUTBOX_INTERVAL_SECONDS=1 (and GIAMSAT_OUTBOX_BATCH_SIZE=--batch-size if given: messages per request; with
--no-batch-endpoint the simulator answers 404 to POST /messages/batch, as a gateway that speaks only the
single-message contract, and the outbox falls back to one message per request); after a few seconds with nothing delivered, the admin ends the contingency period
(`sync.end_contingency`, POST /api/v1/commands) and the clock runs until the last message is delivered (the largest
`delivered_at`). Then the simulator's store is read (`GET /messages`): every message must be there once, none
missing, none other, each declaration's in the order of their ids; receipts beyond one per message (a resend after a
lost answer) are counted. The simulator keeps its store in memory: with `--store` it rewrites the whole JSON file
for every message it accepts (10,000 rewrites of a file growing to several MB), which would measure the simulator.
--drain-timeout bounds the wait: a drain not finished by then is reported with the rate of what was delivered.

Load goes only to 127.0.0.1; every phase is bounded in time. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.commands import (  # noqa: E402
    Database,
    PhaseResult,
    PostgresDatabase,
    Server,
    SQLiteDatabase,
    free_port,
    process_cpu_seconds,
    python,
    table,
)
from bench.gate import Phone, giamsat, gzip_head, log, measure_pages, rows, server_env  # noqa: E402

NUMBER_BASE = 305_000_000_000  # the bench's transit declaration numbers: 305000000000 + n
OUTAGE_HOURS = 16

# The states of the declarations in flight (shares of --transits), and how each came to be: the timeline's path.
SHARES: list[tuple[str, float]] = [
    ("green", 0.08),
    ("yellow", 0.07),
    ("assigned", 0.15),
    ("supplement_requested", 0.03),
    ("approved", 0.12),
    ("sealed", 0.12),
    ("departed", 0.36),
    ("at_exit_area", 0.02),
    ("amendment_received", 0.015),
    ("amendment_assigned", 0.015),
    ("amendment_proposed", 0.01),
    ("amendment_accepted", 0.005),
    ("amendment_refused", 0.005),
]
OVERDUE_SHARE = 1 / 6  # of the departed lots: past their deadline
CLAUSES = {
    "registered": "41.1.a.1", "green": "41.1.a.2", "yellow": "41.1.a.2", "assigned": "41.1.b.1",
    "supplement_requested": "41.1.b.2.2", "approved": "41.1.b.2.3", "sealed": "41.1.c.1", "departed": "41.1.4.a",
    "at_exit_area": "41.2.b.1.1.1", "amendment_received": "41.3", "amendment_assigned": "41.3.a",
    "amendment_proposed": "41.3.b", "amendment_accepted": "41.3.b", "amendment_refused": "41.3.b",
}
# The outbox messages of one declaration, in the order the procedure makes them (backend/transit/outbound.py, seals).
MESSAGE_KINDS = [
    ("transit.assign", "transit.CES", "Art 41.1.b.1, 41.3.a (nghiệp vụ CES)"),
    ("transit.decide", "transit.CET", "Art 41.1.b.2, 41.3.b (nghiệp vụ CET)"),
    ("seals.confirm_sealed", "seals.sealed_confirmed", "Art 35.1.a.3, 36.1.a.3"),
    ("transit.register_departure", "transit.BOA", "Art 41.1.4.a (nghiệp vụ BOA)"),
    ("transit.confirm_exit_area", "transit.exit_area", "Art 41.2.b.1.1.1 (e-Customs, “Tờ khai vận chuyển độc lập”)"),
    ("transit.confirm_arrival", "transit.BIA", "Art 41.2.b.1 (nghiệp vụ BIA)"),
]
AT_DESTINATION = {"transit.exit_area", "transit.BIA"}


def branch_code(number: int) -> str:
    return f"TRA{number:02d}"


def branch_weights(branches: int) -> list[float]:
    """Departures per branch: 40/30/20/10 % with 4 branches; falling linearly with any other count."""
    raw = [branches - b for b in range(branches)]
    return [w / sum(raw) for w in raw]


# --- the data, made in a child process with the server's environment ------------------------------------------------


def _full_row(table: Any, **values: Any) -> dict[str, Any]:
    """Every column of `table` but the id, with its default, then `values` (insert_many inserts exactly these)."""
    row = {}
    for column in table._meta.columns:
        if column._meta.primary_key:
            continue
        row[column._meta.db_column_name] = column.get_default_value()
    unknown = set(values) - set(row)
    if unknown:
        raise KeyError(f"{table._meta.tablename} has no column {sorted(unknown)}")
    row.update(values)
    return row


def _path(state: str, rng: random.Random) -> list[str]:
    """The states a case went through to `state`, from registered."""
    checked = ["registered", "yellow", "assigned", "approved"]
    if state in ("green", "yellow"):
        return ["registered", state]
    if state in ("assigned", "approved"):
        return checked[: checked.index(state) + 1]
    if state == "supplement_requested":
        return ["registered", "yellow", "assigned", "supplement_requested"]
    to_seal = ["registered", "green"] if rng.random() < 0.5 else checked
    if state == "sealed":
        return [*to_seal, "sealed"]
    if state == "departed":
        return [*to_seal, "sealed", "departed"]
    if state == "at_exit_area":
        return [*to_seal, "sealed", "departed", "at_exit_area"]
    amendment = ["amendment_received", "amendment_assigned", "amendment_proposed"]
    before = [*to_seal, "sealed"] if rng.random() < 0.5 else checked
    if state in amendment:
        return [*before, *amendment[: amendment.index(state) + 1]]
    return [*before, *amendment, state]  # amendment_accepted / _refused


async def _provision(spec: dict[str, Any]) -> dict[str, Any]:
    from backend import db
    from backend.auth.services import create_api_token, create_enrollment
    from backend.declarations.tables import Declaration, DeclarationContainer
    from backend.officers.services import create_officer, ensure_branch, ensure_location
    from backend.officers.tables import LocationKind
    from backend.settings import get_settings
    from backend.transit.tables import TransitCase, TransitEvent

    rng = random.Random(20261205)
    branches, officers, transits = spec["branches"], spec["officers"], spec["transits"]
    now = datetime.now(UTC)
    branch_ids, gate_ids = {}, {}
    for b in range(1, branches + 1):
        branch_ids[b] = await ensure_branch(branch_code(b), f"Chi cục Hải quan bench {b}")
        gate_ids[b] = await ensure_location(f"{branch_code(b)}-G1", "Cổng 1", LocationKind("gate"), branch_ids[b])
    staff = []
    for n in range(officers):
        b = n % branches + 1
        role = "supervisor" if (n // branches) % 8 in (0, 4) else "officer"
        code = f"TRA-{role[:3].upper()}-{n:02d}"
        officer_id = await create_officer(code, f"Nguyễn Văn Bench {n}", role, branch_code(b))
        link = await create_enrollment(officer_id, get_settings().web)
        staff.append({"number": n, "code": code, "id": officer_id, "role": role, "branch": b, "enrollment": link.rsplit("/", 1)[1]})
    admin_id = await create_officer("TRA-ADMIN", "Quản trị quốc gia", "admin", None)
    admin_token = await create_api_token(admin_id, "bench", days=1)
    officers_of = {b: [s for s in staff if s["branch"] == b and s["role"] == "officer"] for b in branch_ids}
    supervisors_of = {b: [s for s in staff if s["branch"] == b and s["role"] == "supervisor"] or officers_of[b] for b in branch_ids}

    states = [state for state, share in SHARES for _ in range(round(share * transits))]
    states = (states + ["departed"] * transits)[:transits]
    rng.shuffle(states)
    weights = branch_weights(branches)
    declarations, containers, cases, events = [], [], [], []
    overdue = collections.Counter()
    for n, state in enumerate(states):
        number = f"{NUMBER_BASE + n:012d}"
        departure = rng.choices(list(branch_ids), weights)[0]
        destination = rng.choice([b for b in branch_ids if b != departure])
        hours = rng.choice([8, 12, 24, 24, 48, 72])
        exit_mode = "road" if state == "at_exit_area" or rng.random() < 0.05 else ""
        path = _path(state, rng)
        # When each step was taken: the case registered 1-10 days ago, the steps after it in order.
        if state in ("departed", "at_exit_area"):
            if state == "departed" and rng.random() < OVERDUE_SHARE:
                departed_at = now - timedelta(hours=hours + rng.uniform(0.5, 96))
                overdue[departure] += 1
            else:
                departed_at = now - timedelta(hours=rng.uniform(0.05, hours * 0.95))
            span = rng.uniform(2, 72)
            times = [departed_at - timedelta(hours=span * (1 - i / (len(path) - 2))) for i in range(len(path) - 1)]
            times.append(departed_at)
            if state == "at_exit_area":
                times[-1] = departed_at + timedelta(hours=rng.uniform(0.01, 0.9) * (now - departed_at).total_seconds() / 3600)
        else:
            start = now - timedelta(days=rng.uniform(0.05, 10))
            step = (now - start) / len(path)
            times = [start + step * i * rng.uniform(0.6, 1.0) for i in range(len(path))]
        at = dict(zip(path, times))
        changed = times[-1]
        officer = rng.choice(officers_of[departure]) if officers_of[departure] else None
        head = rng.choice(supervisors_of[departure])
        fields: dict[str, Any] = {}
        if "assigned" in at:
            fields.update(assigned_officer=officer["id"], instructions="Kiểm tra hồ sơ, đối chiếu số container và số seal hãng tàu.",
                          assigned_by=head["id"], assigned_at=at["assigned"])
        if "approved" in at:
            fields.update(decision_code="A", decided_by=officer["id"], decided_at=at["approved"])
        if "supplement_requested" in at:
            fields.update(decision_code="C", decision_reason="Bổ sung vận đơn và bảng kê hàng hóa", decided_by=officer["id"],
                          decided_at=at["supplement_requested"])
        if "sealed" in at:
            fields.update(sealed_by=officer["id"] if officer else head["id"], sealed_at=at["sealed"])
        if "departed" in at:
            fields.update(departed_by=officer["id"] if officer else head["id"], departed_at=at["departed"],
                          deadline=at["departed"] + timedelta(hours=hours))
        if "at_exit_area" in at:
            fields.update(exit_area_at=at["at_exit_area"])
        if "amendment_received" in at:
            fields.update(amendment_kind=rng.choice(["COR", "COR", "CAN"]),
                          resume_state="sealed" if "sealed" in at else "approved", amendments_seen=1)
            if "amendment_assigned" in at:
                fields.update(assigned_officer=officer["id"], assigned_by=head["id"], assigned_at=at["amendment_assigned"])
            if "amendment_proposed" in at:
                fields.update(amendment_proposal="accept", amendment_reason="Đề nghị chấp nhận sửa đổi")
            if state in ("amendment_accepted", "amendment_refused"):
                fields["amendment_decision"] = "accept" if state == "amendment_accepted" else "refuse"
        facts = {"destination_branch_code": branch_code(destination), "transit_hours": hours, "exit_mode": exit_mode,
                 "combined_case": "", "supplements": 0, "amendment_kind": fields.get("amendment_kind", ""),
                 "amendments": fields.get("amendments_seen", 0)}
        sealed = "sealed" in at
        declarations.append(_full_row(
            Declaration, number=number, kind="independent_transit", version=1, status_code="VCDL", allows_passage=True,
            lane=1 if "green" in at else 2, branch=branch_ids[departure], seal_required=True, sealed=sealed,
            cargo_type="containers", goods_description="Linh kiện điện tử, hàng mới 100%", places="[]",
            transit=json.dumps(facts), source="bench", updated_at=changed,
        ))
        cases.append(_full_row(
            TransitCase, number=number, kind="independent_transit", departure_branch=branch_ids[departure],
            destination_branch=branch_ids[destination], destination_code=branch_code(destination), transit_hours=hours,
            exit_mode=exit_mode, state=state, created_at=times[0], changed_at=changed, **fields,
        ))
        for i in range(rng.randint(1, 2)):
            containers.append((n, i))
        for i, (step_state, step_at) in enumerate(zip(path, times)):
            events.append((n, path[i - 1] if i else "", step_state, step_at))

    started = time.perf_counter()
    engine = Declaration._meta.db  # the engine backend.cli._run bound every table to

    async with db.write_transaction(engine) as txn:
        await db.insert_many(txn, Declaration, declarations)
    declaration_ids = {
        row["number"]: row["id"]
        for row in await Declaration.select(Declaration.id, Declaration.number).where(Declaration.source == "bench")
    }
    numbers = [row["number"] for row in declarations]
    container_rows = []
    from backend.barcodes import iso6346

    for n, position in containers:
        first_ten = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + "U" + f"{rng.randrange(1_000_000):06d}"
        container_rows.append(_full_row(
            DeclarationContainer, declaration=declaration_ids[numbers[n]], position=position,
            number=first_ten + str(iso6346.check_digit(first_ten)), seal_number=f"VN{n:07d}{position}",
        ))
    for case in cases:
        case["declaration"] = declaration_ids[case["number"]]
    async with db.write_transaction(engine) as txn:
        await db.insert_many(txn, DeclarationContainer, container_rows)
        await db.insert_many(txn, TransitCase, cases)
    case_ids = {row["number"]: row["id"] for row in await TransitCase.select(TransitCase.id, TransitCase.number)}
    event_rows = []
    for n, from_state, to_state, made_at in events:
        case = cases[n]
        by = None if to_state in ("registered", "green", "yellow", "amendment_received") else (
            case["assigned_by"] if to_state in ("assigned", "amendment_assigned") else case["assigned_officer"] or case["departed_by"]
        )
        event_rows.append(_full_row(
            TransitEvent, case=case_ids[case["number"]], from_state=from_state, to_state=to_state, officer=by,
            made_at=made_at, recorded_at=made_at, clause=CLAUSES[to_state],
            command_id=uuid.uuid4() if by is not None else None,
        ))
    async with db.write_transaction(engine) as txn:
        await db.insert_many(txn, TransitEvent, event_rows)
    return {
        "staff": staff,
        "admin_token": admin_token,
        "gates": gate_ids,
        "numbers": {n: [case["departure_branch"], case["destination_branch"]] for n, case in zip(numbers, cases)},
        "states": collections.Counter(states),
        "overdue": {branch_code(b): overdue[b] for b in branch_ids},
        "departures": {branch_code(b): sum(1 for c in cases if c["departure_branch"] == branch_ids[b]) for b in branch_ids},
        "rows": {"declaration": len(declarations), "declaration_container": len(container_rows), "transit_case": len(cases),
                 "transit_event": len(event_rows)},
        "insert_seconds": time.perf_counter() - started,
    }


async def _outbox(spec: dict[str, Any]) -> dict[str, Any]:
    """--messages waiting messages made over the last 16 hours, and the national contingency period that held them."""
    from backend import db
    from backend.officers.tables import Branch, Officer
    from backend.outbox.services import message_id
    from backend.outbox.tables import OutboxMessage
    from backend.sync.tables import ContingencyPeriod
    from backend.transit.tables import TransitCase

    rng = random.Random(16)
    now = datetime.now(UTC)
    window = timedelta(hours=OUTAGE_HOURS)
    start = now - window
    codes = {row["id"]: row["code"] for row in await Branch.select(Branch.id, Branch.code)}
    staff: dict[int, list[str]] = collections.defaultdict(list)
    for row in await Officer.select(Officer.code, Officer.branch).where(Officer.branch.is_not_null()):
        staff[row["branch"]].append(row["code"])
    cases = await TransitCase.select(TransitCase.number, TransitCase.departure_branch, TransitCase.destination_branch)
    rng.shuffle(cases)
    made = []
    for case in cases:
        if len(made) >= spec["messages"]:
            break
        count = min(rng.randint(2, 6), spec["messages"] - len(made))
        first = rng.randrange(0, len(MESSAGE_KINDS) - count + 1)
        at = start + timedelta(seconds=rng.uniform(0, window.total_seconds() * 0.7))
        for command_type, kind, clause in MESSAGE_KINDS[first : first + count]:
            at = min(at + timedelta(minutes=rng.uniform(3, 180)), now - timedelta(seconds=rng.uniform(1, 60)))
            branch = case["destination_branch"] if kind in AT_DESTINATION else case["departure_branch"]
            command_id = uuid.uuid4()
            payload = {"transit.CES": {"state": "assigned", "officer_code": rng.choice(staff[branch]), "instructions": "Kiểm tra hồ sơ"},
                       "transit.CET": {"code": "A", "reason": "", "state": "approved"},
                       "seals.sealed_confirmed": {"seal_count": 2, "record_id": None, "server_notes": [], "location_id": 1},
                       "transit.BOA": {"deadline": (at + timedelta(hours=24)).isoformat(), "location_id": 1}}.get(kind, {"location_id": 1})
            made.append((at, case["number"], command_type, kind, clause, branch, command_id, payload))
    made.sort(key=lambda item: item[0])  # made in this order over the 16 hours: the ids follow it
    rows_ = [
        _full_row(
            OutboxMessage, message_id=message_id(command_id, kind), command_id=command_id, command_type=command_type, kind=kind,
            clause=clause, declaration_number=number, branch=branch, branch_code=codes[branch], officer_code=rng.choice(staff[branch]),
            made_at=at, contingency=True, payload=json.dumps(payload, ensure_ascii=False), created_at=at + timedelta(seconds=rng.uniform(0.05, 2)),
            state="waiting", attempts=0, next_attempt_ms=0, lease_until_ms=0, claim=None, delivered_at=None, refused_at=None,
            retried_by=None, retried_at=None,
        )
        for at, number, command_type, kind, clause, branch, command_id, payload in made
    ]
    admin = await Officer.select(Officer.id).where(Officer.code == "TRA-ADMIN").first()
    engine = OutboxMessage._meta.db  # the engine backend.cli._run bound every table to
    started = time.perf_counter()
    async with db.write_transaction(engine) as txn:
        await db.insert_many(txn, OutboxMessage, rows_)
        await db.insert_many(txn, ContingencyPeriod, [_full_row(
            ContingencyPeriod, branch=None, reason="Hệ thống VNACCS/VCIS ngừng hoạt động (bench)", started_at=start,
            started_by=admin["id"], start_command_id=uuid.uuid4(), ended_at=None, ended_by=None, end_command_id=None,
        )])
    per_declaration = collections.Counter(item[1] for item in made)
    return {
        "messages": len(rows_),
        "declarations": len(per_declaration),
        "per_declaration": dict(sorted(collections.Counter(per_declaration.values()).items())),
        "insert_seconds": time.perf_counter() - started,
    }


def child_main(spec_path: str) -> int:
    os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
    from backend.cli import _run

    spec = json.loads(Path(spec_path).read_text())

    async def action() -> int:
        done = await (_provision(spec) if spec["action"] == "provision" else _outbox(spec))
        print(json.dumps(done, default=str))
        return 0

    return _run(action)


def child(env: dict[str, str], workdir: Path, spec: dict[str, Any]) -> dict[str, Any]:
    path = workdir / f"spec-{spec['action']}.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run(
        [python(), "-m", "bench.transit", "--child", str(path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.transit --child {spec['action']} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the outbox drain --------------------------------------------------------------------------------------------------


@dataclass
class Drain:
    database: str
    messages: int = 0
    declarations: int = 0
    delivered: int = 0
    seconds: float = 0.0
    finished: bool = False
    server_cpu: float = 0.0  # share of a core while draining
    simulator_cpu: float = 0.0
    receipts: int = 0
    accepted: int = 0
    missing: int = 0
    unknown: int = 0
    out_of_order: int = 0  # declarations whose messages the simulator accepted in another order than their ids
    attempts_above_one: int = 0
    held_before: int = 0  # delivered while the contingency period was still open (must be 0)
    requests: str = ""  # messages per request: the batch size, or "1 (fallback)"
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return (self.finished and not self.missing and not self.unknown and not self.out_of_order
                and self.accepted == self.messages and self.held_before == 0)


def parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Simulator:
    def __init__(self, env: dict[str, str], port: int, pin: bool, log_path: Path) -> None:
        command = [python(), "-m", "backend.cli", "upstream-sim", "--port", str(port)]
        if pin:
            command = ["taskset", "-c", str(sorted(os.sched_getaffinity(0))[-1]), *command]
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the simulator exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the simulator did not answer in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


def count_delivered(database: Database) -> int:
    return rows(database, "SELECT count(*) FROM outbox_message WHERE state = 'delivered'")[0][0]


def drain(database: Database, env: dict[str, str], workdir: Path, args: argparse.Namespace, pin: bool, admin_token: str) -> Drain:
    kind = database.kind
    result = Drain(kind)
    made = child(env, workdir, {"action": "outbox", "messages": args.messages})
    result.messages, result.declarations = made["messages"], made["declarations"]
    log(kind, f"outbox: {made['messages']:,} waiting messages of {made['declarations']:,} declarations "
        f"(messages per declaration: {made['per_declaration']}) made over {OUTAGE_HOURS} h, inserted in "
        f"{made['insert_seconds']:.1f} s; a national contingency period open since {OUTAGE_HOURS} h ago")
    simulator = Simulator(env, free_port(), pin, workdir / f"simulator-{kind}.log")
    port = free_port()
    server_env = {**env, "GIAMSAT_ORIGIN": f"http://localhost:{port}", "GIAMSAT_UPSTREAM_URL": simulator.url,
                  "GIAMSAT_OUTBOX_INTERVAL_SECONDS": str(args.outbox_interval)}
    if args.batch_size:
        server_env["GIAMSAT_OUTBOX_BATCH_SIZE"] = str(args.batch_size)
    if args.no_batch_endpoint:
        httpx.post(f"{simulator.url}/control", json={"batch": False}, timeout=10).raise_for_status()
    result.requests = "1 (fallback)" if args.no_batch_endpoint else f"≤{args.batch_size or 100}"
    server = Server(server_env, port, pin, workdir / f"server-outbox-{kind}.log")
    profiler = None
    try:
        server.wait_ready(60)
        time.sleep(max(3.0, 3 * args.outbox_interval))  # a few passes with the period open: nothing may leave
        result.held_before = count_delivered(database) + len(httpx.get(f"{simulator.url}/messages", timeout=30).json()["receipts"])
        if args.profile:
            profile_path = workdir / f"outbox-{kind}.txt"
            profiler = subprocess.Popen(
                [args.profile, "record", "--pid", str(server.pid), "--format", "raw", "--rate", "200", "--idle", "--nonblocking",
                 "--output", str(profile_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5)
        envelope = {"id": str(uuid.uuid4()), "type": "sync.end_contingency", "issued_at": datetime.now(UTC).isoformat(),
                    "device_id": "bench-admin", "payload": {"note": "Hệ thống hoạt động trở lại"}}
        cpu_server, cpu_sim = process_cpu_seconds(server.pid), process_cpu_seconds(simulator.process.pid)
        started_wall, started = datetime.now(UTC), time.monotonic()
        answer = httpx.post(f"http://127.0.0.1:{port}/api/v1/commands", json=envelope, timeout=30,
                            headers={"Authorization": f"Bearer {admin_token}", "Host": f"localhost:{port}"})
        outcome = answer.json()["results"][0] if answer.status_code == 200 else {"status": f"http {answer.status_code}"}
        if outcome["status"] != "applied":
            raise RuntimeError(f"sync.end_contingency: {outcome}")
        delivered = 0
        while time.monotonic() - started < args.drain_timeout:
            delivered = count_delivered(database)
            if delivered >= result.messages:
                break
            time.sleep(0.25)
        waited = time.monotonic() - started
        result.server_cpu = (process_cpu_seconds(server.pid) - cpu_server) / waited
        result.simulator_cpu = (process_cpu_seconds(simulator.process.pid) - cpu_sim) / waited
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
            profiler = None
            result.notes += profile_summary(workdir / f"outbox-{kind}.txt")
        result.delivered = delivered
        result.finished = delivered >= result.messages
        last = rows(database, "SELECT max(delivered_at) FROM outbox_message WHERE state = 'delivered'")[0][0]
        result.seconds = (parse_time(last) - started_wall).total_seconds() if result.finished and last else waited
        result.attempts_above_one = rows(database, "SELECT count(*) FROM outbox_message WHERE attempts > 1")[0][0]
        states = dict(rows(database, "SELECT state, count(*) FROM outbox_message GROUP BY state"))
        log(kind, f"outbox: {delivered:,} of {result.messages:,} delivered in {result.seconds:.1f} s "
            f"({result.rate:,.0f} messages/s){'' if result.finished else f', NOT FINISHED within {args.drain_timeout:g} s'}; "
            f"states {states}; server CPU {result.server_cpu:.0%}, simulator CPU {result.simulator_cpu:.0%}")

        store = httpx.get(f"{simulator.url}/messages", timeout=60).json()
        ours = rows(database, "SELECT message_id, declaration_number FROM outbox_message ORDER BY id")
        expected = {str(m): d for m, d in ours}
        accepted = [item["message_id"] for item in store["messages"]]
        result.accepted, result.receipts = len(accepted), len(store["receipts"])
        result.missing = len(set(expected) - set(accepted)) if result.finished else 0
        result.unknown = len(set(accepted) - set(expected))
        by_declaration: dict[str, list[str]] = collections.defaultdict(list)
        for message, number in expected.items():
            by_declaration[number].append(message)
        seen: dict[str, list[str]] = collections.defaultdict(list)
        for message in accepted:
            if message in expected:
                seen[expected[message]].append(message)
        result.out_of_order = sum(1 for number, got in seen.items() if got != by_declaration[number][: len(got)])
        duplicates = sum(count - 1 for count in collections.Counter(store["receipts"]).values() if count > 1)
        log(kind, f"simulator: {result.accepted:,} accepted ({len(set(accepted)):,} distinct), {result.receipts:,} receipts "
            f"({duplicates} resends); missing {result.missing}, unknown {result.unknown}; declarations out of order "
            f"{result.out_of_order} of {len(seen):,}; messages tried more than once {result.attempts_above_one}; "
            f"delivered while the period was open {result.held_before}")
    finally:
        if profiler is not None:
            profiler.kill()
        server.stop()
        simulator.stop()
    return result


def profile_summary(path: Path) -> list[str]:
    """Where the server's main thread spent the drain (py-spy's collapsed stacks, idle samples included: --idle), and
    how busy SQLite's connection threads were. Each sample goes to the first category whose frame is on its stack."""
    if not path.exists():
        return ["profile: py-spy wrote nothing"]
    categories = [
        ("httpx's INFO log line for every request (written to the server's log)", "Logger.info (logging"),
        ("HTTP POST to the simulator (httpx; encoding the batch)", "(httpx/"),
        ("HTTP POST to the simulator (httpx; encoding the batch)", "deliver_batch (backend/outbox/adapter.py"),
        ("recording a batch's answers: one transaction, one statement per outcome executed for all its messages (services._record)", "_record (backend/outbox/services.py"),
        ("claiming the next messages (workflow.claim)", "claim (backend/outbox/workflow.py"),
        ("releasing the pass's claim (workflow.release)", "release (backend/outbox/workflow.py"),
        ("the rest of the pass (building each message, logging)", "deliver_pass (backend/outbox/services.py"),
    ]
    main: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if "_connection_worker_thread (aiosqlite" in stack:
            threads["busy" if "_execute" in frames[-1] else "waiting"] += n
            continue
        if not frames[0].startswith("_run_module_as_main"):
            continue
        main["all"] += n
        leaf = frames[-1]
        if leaf.startswith(("Runner.run (asyncio/runners.py", "select (selectors.py", "run (uvloop", "run_forever (asyncio")):
            main["idle: waiting for an answer (the simulator, the database)"] += n
            continue
        for label, needle in categories:
            if needle in stack and (needle != "Logger.info (logging" or "(httpx/" in stack):
                main[label] += n
                break
        else:
            main["other work (the HTTP server, the bench's end_contingency command, the worker's loop)"] += n
    if not main["all"]:
        return ["profile: no samples of the main thread"]
    total = main.pop("all")
    lines = [f"profile of the server while draining ({path.name}; main thread {total:,} samples at 200 Hz, idle included):"]
    lines += [f"  {share / total:6.1%}  {label}" for label, share in main.most_common()]
    if threads:
        busy = threads["busy"] / max(1, threads["busy"] + threads["waiting"])
        lines.append(f"  SQLite's connection threads: executing SQL {threads['busy']:,} samples ({busy:.0%} of theirs)")
    return lines


# --- one database ---------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    results: list[PhaseResult]
    drain: Drain | None
    checks: list[str]
    ok: bool
    paths: dict[str, str]
    answer_sizes: dict[str, float]


def serves_page(phone: Phone, origin: str, page: str) -> bool:
    """Whether the app serves `page` (200, HTML) to a signed-in officer."""
    with httpx.Client(base_url=origin, cookies={"gs_session": phone.session}, timeout=30) as client:
        response = client.get(page)
        return response.status_code == 200 and response.headers.get("content-type", "").startswith("text/html")


def bench_database(database: Database, workdir: Path, args: argparse.Namespace, pin: bool) -> Outcome:
    kind = database.kind
    port = free_port()
    origin = f"http://localhost:{port}"
    env = server_env(database, workdir, origin)
    step = time.monotonic()
    giamsat(env, "db", "upgrade")
    made = child(env, workdir, {"action": "provision", "branches": args.branches, "officers": args.officers, "transits": args.transits})
    log(kind, f"database ready in {time.monotonic() - step:.0f} s (bulk insert {made['insert_seconds']:.1f} s): {made['rows']}; "
        f"states {dict(sorted(made['states'].items(), key=lambda kv: -kv[1]))}; departures per branch {made['departures']}; "
        f"overdue per departure branch {made['overdue']}; {len(made['staff'])} staff")

    results: list[PhaseResult] = []
    checks: list[str] = []
    ok = True
    sizes: dict[str, float] = {}
    paths: dict[str, str] = {}
    server = Server(env, port, pin, workdir / f"server-{kind}.log")
    try:
        server.wait_ready(60)
        phones = []
        for person in made["staff"]:
            phone = Phone(port, origin, person["number"], made["gates"][str(person["branch"])])
            phone.enroll(person["enrollment"])
            phones.append(phone)
        log(kind, f"server pid {server.pid} on port {port}; {len(phones)} passkeys enrolled and signed in")
        # The JSON API always; the page too when the app serves one (200, HTML) by the time the bench runs.
        paths["overdue API"], paths["lists API"] = "/api/v1/transit/overdue", "/api/v1/transit/lists"
        if "page" in args.surfaces:
            for name, page in (("overdue page", "/transit/overdue"), ("lists page", "/transit")):
                if serves_page(phones[0], origin, page):
                    paths[name] = page
        if "api" not in args.surfaces:
            del paths["overdue API"], paths["lists API"]
        log(kind, "measured: " + ", ".join(f"{name} GET {path}" for name, path in paths.items()))

        # What each branch's overdue list answers: min(LIST_LIMIT, its overdue lots).
        from backend.transit.services import LIST_LIMIT

        seen = {}
        for phone, person in zip(phones, made["staff"]):
            code = branch_code(person["branch"])
            if code not in seen:
                with httpx.Client(base_url=origin, cookies={"gs_session": phone.session}, timeout=30) as client:
                    seen[code] = len(client.get("/api/v1/transit/overdue").json())
        expected = {code: min(LIST_LIMIT, count) for code, count in made["overdue"].items()}
        good = seen == expected
        ok &= good
        checks.append(f"[{kind}] overdue list (API) items per branch {seen} (expected {expected}): {'OK' if good else 'FAILED'}")

        labels = {"overdue API": "overdue list, API", "overdue page": "overdue list, page",
                  "lists API": "officer's transit lists, API", "lists page": "officer's transit lists, page"}
        plan: list[tuple[str, str, list[bytes] | None]] = [("GET /manifest.webmanifest", "trivial", None)]
        plan += [(f"{labels[name]}: GET {path}", name, [gzip_head(phone, path) for phone in phones]) for name, path in paths.items()]
        plan = [step for step in plan if step[1].split()[0] in args.phases]
        if plan and max(args.concurrency) > len(phones):
            raise SystemExit(f"--officers must be at least {max(args.concurrency)}: each client is its own officer")
        pages = measure_pages(kind, port, server.pid, plan, args.concurrency, args.warmup, args.seconds)
        results, sizes = pages.results, pages.sizes
        ok &= pages.ok
    finally:
        server.stop()

    drained = None
    if "outbox" in args.phases and args.messages > 0:
        drained = drain(database, env, workdir, args, pin, made["admin_token"])
        ok &= drained.ok
        checks.append(f"[{kind}] outbox: every message delivered once, none unknown, in order per declaration: {'OK' if drained.ok else 'FAILED'}")
    return Outcome(results, drained, checks, ok, paths, sizes)


# --- output ---------------------------------------------------------------------------------------------------------


def phase_table(results: list[PhaseResult]) -> str:
    lines = table(results).splitlines()
    lines[0] += " server CPU per request |"
    lines[1] += "-----------------------:|"
    for i, r in enumerate(results, start=2):
        lines[i] += f" {r.server_cpu / r.rate * 1000 if r.rate else 0:>19.2f} ms |"
    return "\n".join(lines)


def drain_table(drains: list[Drain]) -> str:
    lines = [
        "| database   | messages (declarations) | messages per request | delivered | time | messages/s | server CPU | simulator CPU | lost | twice (receipts - accepted) | out of order | check |",
        "|------------|------------------------:|---------------------:|----------:|-----:|-----------:|-----------:|--------------:|-----:|----------------------------:|-------------:|-------|",
    ]
    for d in drains:
        lines.append(
            f"| {d.database:<10} | {d.messages:,} ({d.declarations:,}) | {d.requests} | {d.delivered:,} | {d.seconds:.1f} s"
            f"{'' if d.finished else ' (not finished)'} | {d.rate:,.0f} | {d.server_cpu:.0%} | {d.simulator_cpu:.0%} | {d.missing} | "
            f"{d.receipts - d.accepted} | {d.out_of_order} | {'OK' if d.ok else 'FAILED'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("GIAMSAT_BENCH_POSTGRES_URL", "postgresql://postgres@localhost:5432/postgres"),
        help="a PostgreSQL URL allowed to CREATE DATABASE; the bench database is created beside it and dropped",
    )
    parser.add_argument("--transits", type=int, default=10_000, help="transit declarations in flight")
    parser.add_argument("--branches", type=int, default=4)
    parser.add_argument("--officers", type=int, default=64, help="staff, one per client (two supervisors in every eight)")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time before each phase")
    parser.add_argument("--messages", type=int, default=10_000, help="outbox messages waiting after the outage")
    parser.add_argument("--outbox-interval", type=float, default=1.0, help="GIAMSAT_OUTBOX_INTERVAL_SECONDS of the draining server")
    parser.add_argument("--batch-size", type=int, default=0, help="GIAMSAT_OUTBOX_BATCH_SIZE of the draining server (default: the app's, 100)")
    parser.add_argument("--no-batch-endpoint", action="store_true",
                        help="the simulator answers 404 to POST /messages/batch: the outbox sends one message per request")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds to wait for the drain")
    parser.add_argument("--profile", default="", help="path of py-spy: record the server while it drains (collapsed stacks)")
    parser.add_argument(
        "--phases", type=lambda s: set(s.split(",")), default={"trivial", "overdue", "lists", "outbox"},
        help="comma-separated subset of: trivial, overdue, lists, outbox",
    )
    parser.add_argument(
        "--surfaces", type=lambda s: set(s.split(",")), default={"api", "page"},
        help="the overdue list and the transit lists through: api, page (the page only if the app serves one)",
    )
    parser.add_argument("--no-pin", action="store_true", help="don't pin the server to CPU 0 and the generator to CPU 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs, SQLite file, profile)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.officers < 2 * args.branches:  # the first of each branch is its head: each branch needs an officer too
        parser.error(f"--officers must be at least twice --branches ({2 * args.branches})")
    if args.child:
        return child_main(args.child)
    if not 0 < args.seconds <= 300 or not 0 <= args.warmup <= 60:
        parser.error("--seconds must be in (0, 300] and --warmup in [0, 60]")
    if args.branches < 2:
        parser.error("--branches must be at least 2 (each lot goes to another branch)")

    started = time.monotonic()
    load_before = os.getloadavg()
    pin = not args.no_pin and shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2
    if pin:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[1]})
    workdir = Path(tempfile.mkdtemp(prefix="giamsat-bench-transit-"))
    outcomes: list[Outcome] = []
    try:
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            database: Database
            if kind == "sqlite":
                database = SQLiteDatabase(workdir)
            elif kind in ("postgresql", "postgres"):
                database = PostgresDatabase(args.postgres_url)
            else:
                parser.error(f"unknown database {kind!r}")
            try:
                outcomes.append(bench_database(database, workdir, args, pin))
            finally:
                database.drop()
            log(kind, f"1-minute load average now {os.getloadavg()[0]:.1f}")
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"giamsat transit benchmark — {os.cpu_count()} CPUs, server {'pinned to CPU 0, clients and simulator to CPU 1' if pin else 'not pinned'}, "
        f"{args.seconds:g} s per phase after {args.warmup:g} s warm-up; {args.transits:,} transit declarations in flight, "
        f"{args.messages:,} outbox messages; latency = time to the whole answer"
    )
    print(f"load average before {load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f} (1/5/15 min), "
          f"after {os.getloadavg()[0]:.1f} (1 min)")
    print(phase_table([r for o in outcomes for r in o.results]))
    for o in outcomes:
        if o.answer_sizes:
            print(f"[{o.results[0].database if o.results else '?'}] average answer (gzip): "
                  + ", ".join(f"{name} {size / 1000:.1f} kB" for name, size in o.answer_sizes.items()))
    drains = [o.drain for o in outcomes if o.drain is not None]
    if drains:
        print()
        print(drain_table(drains))
        for d in drains:
            for note in d.notes:
                print(f"[{d.database}] {note}")
    print()
    for o in outcomes:
        for line in o.checks:
            print(line)
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
