"""Benchmark of the gate (issue 4): the server's check, signed confirmations, gate-card sync and photo decoding.

    .venv/bin/python -m bench.gate                                   # SQLite and PostgreSQL, 10 s per phase
    .venv/bin/python -m bench.gate --databases postgresql --seconds 5
    .venv/bin/python -m bench.gate --declarations 100000 --officers 64 --photos 100

For each database: a fresh database (`giamsat db upgrade`), --branches branches, --officers officers spread over
them, each with a gate of their own, and --declarations declarations loaded with `giamsat declarations import`
(bench/gate_cards.py's generator: 1–3 containers for most, some bulk and loose cargo, one in ten with an X-ray
warning); the first branch holds exactly --cards of them (the gate-card sync's 10,000). Then the real app
(`giamsat serve`, one worker, pinned to CPU 0 with taskset) and, from this process pinned to CPU 1:

  - every officer registers a passkey through the real enrollment ceremony (`/auth/register/options` and
    `/verify`, the software authenticator of the tests playing the phone), which signs them in: the clients then
    send what a phone sends, the session cookie and the CSRF header;
  - `GET /manifest.webmanifest` x16, x64: the trivial endpoint of the same run (no database);
  - `POST /api/v1/gate/check` x16, x64: random existing declarations, with what an officer presents (one declared
    container, or all of them as the whole lot; a weight or a package count for bulk and loose cargo; mostly a
    scanned version);
  - `gate.confirm_passage` x16, x64: one signed command per POST /api/v1/commands, one container each, every
    container confirmed at most once (distinct eligible declarations and containers). Each client is its own
    officer at its own gate. The envelopes are signed before they are needed, as a phone signs when the officer
    taps: every officer starts with 50 envelopes signed with its phone's signing ticket before the timed phases;
    when a client's stock falls under 15, it asks for its ticket again on its own connection (the same one comes
    back) and signs 50 more, inside the phase window (that load is on the server during the window; the request
    is not counted as a confirmation nor in its latency; the count of these refills is printed). Only `applied`
    answers count;
  - gate-card sync: a device's first full load of its branch's 10,000 cards (bench/gate_cards.full_load);
  - server decode: photos made by tests/barcodes/photos.py (QR with the deployment's signed payload, and Code 128
    of a bare number; on a printed sheet, turned, slanted, blurred, noisy, small, JPEG), sent one at a time to
    `POST /api/v1/barcodes/decode`: time to the answer and whether the code was read.

Afterwards the server is stopped: `giamsat audit verify` must exit 0, and every confirmation answered `applied`
must be in the journal once and in gate_passage once, for its container; otherwise the run fails (exit 1).

Load goes only to 127.0.0.1; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx
import msgspec

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.commands import (  # noqa: E402
    HOST,
    Connection,
    Database,
    HTTPError,
    PhaseResult,
    PostgresDatabase,
    Server,
    SQLiteDatabase,
    fmt_ms,
    free_port,
    new_loop_runner,
    pg_fetch,
    process_cpu_seconds,
    python,
    table,
)
from bench.gate_cards import declarations as make_declarations  # noqa: E402
from bench.gate_cards import full_load  # noqa: E402

SECRET_KEY = "giamsat bench secret key, not for production"
SIGNED_AHEAD = 50  # envelopes a client signs at a time, with its phone's signing ticket (journal/signing.py)
SIGN_LOW = 15  # a client signs more when its stock of signed envelopes falls under this


def log(kind: str, text: str) -> None:
    print(f"[{kind}] {text}", flush=True)


# --- setting up ------------------------------------------------------------------------------------------------


def giamsat(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        [python(), "-m", "backend.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"giamsat {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def branch_code(number: int) -> str:
    return f"GATE{number:02d}"


async def _provision(branches: int, officers: int) -> list[dict[str, Any]]:
    """Runs in a child process with the server's environment: branches, one gate per officer, officers with an
    enrollment link each (as `giamsat officer add` makes them, without 3 × 64 CLI start-ups)."""
    from backend.auth.services import create_enrollment
    from backend.officers.services import create_officer, ensure_branch, ensure_location
    from backend.officers.tables import LocationKind
    from backend.settings import get_settings

    ids = {}
    for b in range(1, branches + 1):
        ids[b] = await ensure_branch(branch_code(b), f"Chi cục Hải quan bench {b}")
    made = []
    for n in range(officers):
        b = n % branches + 1
        gate_id = await ensure_location(f"{branch_code(b)}-G{n:02d}", f"Cổng {n}", LocationKind("gate"), ids[b])
        officer_id = await create_officer(f"GATE-OFF-{n:02d}", f"Nguyễn Văn Bench {n}", "officer", branch_code(b))
        link = await create_enrollment(officer_id, get_settings().web)
        made.append({"number": n, "branch": branch_code(b), "gate_id": gate_id, "enrollment": link.rsplit("/", 1)[1]})
    return made


def provision_main(branches: int, officers: int) -> int:
    os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
    from backend.cli import _run

    async def action() -> int:
        print(json.dumps(await _provision(branches, officers)))
        return 0

    return _run(action)


@dataclass
class Loaded:
    items: list[dict[str, Any]]
    units: list[tuple[str, str]]  # (number, container) that the server's check lets pass: the confirmations' pool


def load_declarations(env: dict[str, str], workdir: Path, args: argparse.Namespace, kind: str) -> Loaded:
    rng = random.Random(20261126)
    items: list[dict[str, Any]] = []
    rest = args.declarations - args.cards
    plan = [(branch_code(1), args.cards)]
    for b in range(2, args.branches + 1):
        share = rest // (args.branches - 1) + (1 if b - 2 < rest % (args.branches - 1) else 0)
        plan.append((branch_code(b), share))
    for branch, count in plan:
        items += make_declarations(count, branch, len(items), rng)
    for offset in range(0, len(items), 20_000):
        path = workdir / f"declarations-{kind}-{offset}.json"
        path.write_text(json.dumps(items[offset : offset + 20_000]))
        giamsat(env, "declarations", "import", str(path))
        path.unlink()
    units = [
        (item["number"], container["number"])
        for item in items
        if item["cargo_type"] == "containers" and item["allows_passage"] and not item["warnings"] and not item["seal_required"]
        for container in item["containers"]
    ]
    rng.shuffle(units)
    return Loaded(items, units)


# --- the officers' phones ------------------------------------------------------------------------------------


class Phone:
    """One officer's phone: its passkey, its session, its stock of signed confirmations."""

    def __init__(self, port: int, origin: str, number: int, gate_id: int) -> None:
        from tests.auth.soft_authenticator import SoftAuthenticator

        self.port, self.origin, self.number, self.gate_id = port, origin, number, gate_id
        self.device = SoftAuthenticator(origin)
        self.session = ""
        self.csrf = ""
        self.stock: collections.deque[tuple[str, str, str, bytes]] = collections.deque()  # (id, number, unit, body)

    def enroll(self, token: str) -> None:
        with httpx.Client(base_url=self.origin, timeout=30) as client:
            client.get("/offline")
            self.csrf = client.cookies.get("gs_csrf") or ""
            # Each phone its own address: the auth ceremonies are rate-limited per client address (the bench plays
            # the reverse proxy at 127.0.0.1: GIAMSAT_TRUSTED_PROXIES below).
            headers = {"x-csrf-token": self.csrf, "x-forwarded-for": f"10.77.{self.number // 250}.{self.number % 250 + 1}"}
            options = client.post("/auth/register/options", json={"enrollment_token": token}, headers=headers)
            options.raise_for_status()
            done = client.post(
                "/auth/register/verify", json={"credential": self.device.create(options.json()), "label": "bench"}, headers=headers
            )
            done.raise_for_status()
            self.session = client.cookies.get("gs_session") or ""
            client.get("/offline")  # the CSRF token is bound to the session just opened: the next page's
            self.csrf = client.cookies.get("gs_csrf") or ""
        if not self.session or not self.csrf:
            raise RuntimeError("enrollment gave no session or CSRF cookie")

    def head(self, method: str, path: str, length: int | None = None) -> bytes:
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: localhost:{self.port}",
            "User-Agent: giamsat-bench",
            f"Cookie: gs_session={self.session}; gs_csrf={self.csrf}",
            f"X-CSRF-Token: {self.csrf}",
        ]
        if length is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {length}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def ticket_request(self) -> tuple[bytes, bytes]:
        body = msgspec.json.encode({"device_id": f"bench-phone-{self.number}"})
        return self.head("POST", "/api/v1/signing/ticket", len(body)), body

    def sign(self, nonces: list[str], units: collections.deque[tuple[str, str]]) -> None:
        """Envelopes of gate.confirm_passage, one container each, signed as gate-page.js signs them."""
        from backend.lib.canonical import canonical_json
        from tests.auth.soft_authenticator import b64url, unb64url

        for nonce in nonces:
            if not units:
                return
            number, unit = units.popleft()
            issued = datetime.now(UTC)
            envelope: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "type": "gate.confirm_passage",
                "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%S.") + f"{issued.microsecond // 1000:03d}Z",
                "device_id": f"bench-phone-{self.number}",
                "payload": {"location_id": self.gate_id, "number": number, "containers": [unit]},
            }
            signed = {name: envelope[name] for name in ("device_id", "id", "issued_at", "payload", "type")}
            challenge = hashlib.sha256(unb64url(nonce) + canonical_json(signed).encode()).digest()
            credential = self.device.get({"challenge": b64url(challenge), "rpId": "localhost"})
            envelope["signature"] = {"nonce": nonce, "credential": credential}
            self.stock.append((envelope["id"], number, unit, json.dumps(envelope).encode()))

    async def refill(self, connection: Connection, units: collections.deque[tuple[str, str]]) -> None:
        head, body = self.ticket_request()
        status, data = await connection.request(head, body)
        if status != 200:
            raise HTTPError(f"signing ticket: HTTP {status} {data[:200]!r}")
        ticket = msgspec.json.decode(data)["ticket"]["nonce"]
        self.sign([ticket] * (SIGNED_AHEAD - len(self.stock)), units)


# --- phases --------------------------------------------------------------------------------------------------


@dataclass
class Confirmations:
    applied: dict[str, tuple[str, str]] = field(default_factory=dict)  # command id -> (number, container)
    applied_answers: int = 0
    sent: int = 0
    unanswered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    refills: int = 0


Prepare = Callable[[int, Connection], Awaitable[tuple[bytes, bytes, Any]]]
Count = Callable[[int, bytes, Any], int]


async def run_phase(
    *, port: int, server_pid: int, concurrency: int, prepare: Prepare, count: Count, warmup: float, seconds: float,
    on_unanswered: Callable[[Any], None] | None = None,
) -> tuple[float, list[float], int, float, float]:
    """bench.commands.run_phase, with a request maker that may first use the client's connection (the signing
    refills): closed loop, `concurrency` keep-alive connections, units finished inside the window counted."""
    loop = asyncio.get_running_loop()
    window_start = loop.time() + warmup
    window_end = window_start + seconds
    counted, errors = 0, 0
    latencies: list[float] = []
    marks: dict[str, float] = {}

    async def client(number: int) -> None:
        nonlocal counted, errors
        connection = Connection(port)
        try:
            while loop.time() < window_end:
                try:
                    head, body, meta = await prepare(number, connection)
                except (OSError, asyncio.IncompleteReadError, HTTPError, ValueError):
                    connection.close()
                    errors += 1
                    await asyncio.sleep(0.01)
                    continue
                now = loop.time()
                t0 = time.perf_counter()
                try:
                    status, data = await asyncio.wait_for(connection.request(head, body), timeout=30)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HTTPError, ValueError):
                    connection.close()
                    errors += 1
                    if on_unanswered is not None:
                        on_unanswered(meta)
                    await asyncio.sleep(0.01)
                    continue
                elapsed = time.perf_counter() - t0
                units = count(status, data, meta)
                if units < 0:
                    errors, units = errors + 1, 0
                if window_start <= now and loop.time() <= window_end:
                    counted += units
                    latencies.append(elapsed)
        finally:
            connection.close()

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, window_start - loop.time()))
        marks["s0"], marks["c0"] = process_cpu_seconds(server_pid), time.process_time()
        await asyncio.sleep(max(0.0, window_end - loop.time()))
        marks["s1"], marks["c1"] = process_cpu_seconds(server_pid), time.process_time()

    await asyncio.gather(mark_cpu(), *(client(n) for n in range(concurrency)))
    return counted / seconds, latencies, errors, (marks["s1"] - marks["s0"]) / seconds, (marks["c1"] - marks["c0"]) / seconds


def gzip_head(phone: Phone, path: str) -> bytes:
    """A signed-in phone's GET of `path`, asking for gzip as a browser does."""
    return phone.head("GET", path)[:-2] + b"Accept-Encoding: gzip, deflate\r\n\r\n"


@dataclass
class Pages:
    """What measure_pages measured: a PhaseResult per scenario and concurrency, whether none had an error, and the
    mean size of each answer (bytes, as sent: gzipped)."""

    results: list[PhaseResult]
    ok: bool
    sizes: dict[str, float]


def measure_pages(
    kind: str, port: int, server_pid: int, plan: list[tuple[str, str, list[bytes] | None]], concurrency: list[int],
    warmup: float, seconds: float,
) -> Pages:
    """GET phases, closed loop: `plan` is (scenario, name, the request heads its clients send in turn); heads None is
    the trivial endpoint (GET /manifest.webmanifest), the server's ceiling in the same run. Client n sends heads[n %
    len(heads)] (one phone each, when there are as many phones as clients)."""
    manifest = (f"GET /manifest.webmanifest HTTP/1.1\r\nHost: localhost:{port}\r\nUser-Agent: giamsat-bench\r\n"
                "Accept-Encoding: gzip, deflate\r\n\r\n").encode()
    answer_bytes: collections.Counter[str] = collections.Counter()
    answers: collections.Counter[str] = collections.Counter()

    def counter(name: str) -> Count:
        def count(status: int, data: bytes, meta: Any) -> int:
            if status != 200:
                return -1
            answer_bytes[name] += len(data)
            answers[name] += 1
            return 1

        return count

    def prepare(heads: list[bytes] | None) -> Prepare:
        async def make(n: int, connection: Connection) -> tuple[bytes, bytes, Any]:
            return (manifest if heads is None else heads[n % len(heads)]), b"", None

        return make

    results: list[PhaseResult] = []
    ok = True
    for scenario, name, heads in plan:
        for clients in concurrency:
            rate, latencies, errors, server_cpu, client_cpu = new_loop_runner()(
                run_phase(port=port, server_pid=server_pid, concurrency=clients, prepare=prepare(heads),
                          count=counter(name), warmup=warmup, seconds=seconds)
            )
            result = PhaseResult(kind, scenario, clients, "req/s", rate, latencies, errors, server_cpu, client_cpu)
            results.append(result)
            log(kind, f"{scenario} x{clients}: {rate:,.0f} req/s, p50 {fmt_ms(result.percentile(50))}, "
                f"p99 {fmt_ms(result.percentile(99))}, errors {errors}, server CPU {server_cpu:.0%}, generator CPU "
                f"{client_cpu:.0%}, server CPU per request {server_cpu / rate * 1000 if rate else 0:.2f} ms")
            ok &= errors == 0
    return Pages(results, ok, {name: answer_bytes[name] / answers[name] for name in answers})


def check_bodies(items: list[dict[str, Any]], count: int, rng: random.Random) -> list[bytes]:
    """What officers present at the gate, for random existing declarations."""
    bodies = []
    for _ in range(count):
        item = rng.choice(items)
        body: dict[str, Any] = {"number": item["number"]}
        if rng.random() < 0.8:
            body["scanned_version"] = item["version"]
        if item["cargo_type"] == "containers":
            containers = [c["number"] for c in item["containers"]]
            if rng.random() < 0.8:
                body["containers"] = [rng.choice(containers)]
            else:
                body.update(containers=containers, whole_lot=True)
        elif item["cargo_type"] == "bulk":
            body.update(whole_lot=True, weight_kg=round(item["weight_kg"] * rng.uniform(0.99, 1.01), 3))
        else:
            body.update(whole_lot=True, package_count=item["package_count"])
        bodies.append(msgspec.json.encode(body))
    return bodies


# --- the checks afterwards -------------------------------------------------------------------------------------


def rows(database: Database, sql: str) -> list[tuple[Any, ...]]:
    if isinstance(database, SQLiteDatabase):
        return database._query(sql)
    return [tuple(r) for r in asyncio.run(pg_fetch(database.url, sql))]


def check_confirmations(database: Database, env: dict[str, str], totals: Confirmations) -> tuple[bool, list[str]]:
    lines: list[str] = []
    audit = subprocess.run(
        [python(), "-m", "backend.cli", "audit", "verify"], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )
    ok = audit.returncode == 0
    lines.append(f"audit verify: exit {audit.returncode}: {(audit.stdout + audit.stderr).strip()}")
    journal = [str(r[0]) for r in rows(database, "SELECT command_id FROM journal_entry WHERE command_type = 'gate.confirm_passage'")]
    passages = rows(
        database,
        "SELECT p.command_id, d.number, p.unit, p.standing_key IS NOT NULL FROM gate_passage p "
        "JOIN declaration d ON d.id = p.declaration",
    )
    by_command: dict[str, list[tuple[str, str, bool]]] = {}
    for command_id, number, unit, standing in passages:
        by_command.setdefault(str(command_id), []).append((number, unit, bool(standing)))
    in_journal = collections.Counter(journal)
    wrong = [
        command_id
        for command_id, (number, unit) in totals.applied.items()
        if in_journal[command_id] != 1 or by_command.get(command_id) != [(number, unit, True)]
    ]
    extra = len(set(journal) - set(totals.applied))
    lines.append(
        f"confirmations sent {totals.sent:,}; answered applied {totals.applied_answers:,} ({len(totals.applied):,} distinct); "
        f"journal rows {len(journal):,}; gate_passage rows {len(passages):,}; applied but not in the journal and "
        f"gate_passage exactly once: {len(wrong)}; journal rows never answered applied: {extra} "
        f"(requests without an answer: {totals.unanswered}); signing refills during the phases: {totals.refills}"
    )
    if totals.outcomes:
        lines.append("other outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(totals.outcomes.items())))
    ok &= not wrong and extra <= totals.unanswered and len(journal) == len(in_journal) == len(passages)
    ok &= totals.applied_answers == len(totals.applied)
    lines.append("confirmation check: " + ("OK" if ok else "FAILED"))
    return ok, lines


# --- one database ----------------------------------------------------------------------------------------------


@dataclass
class Extra:
    """The gate-card sync and the decode figures of one database."""

    database: str
    sync_times: list[float] = field(default_factory=list)
    sync_cards: int = 0
    sync_pages: int = 0
    sync_wire: int = 0
    decode: dict[str, tuple[int, int, list[float]]] = field(default_factory=dict)  # kind -> (read, photos, times)
    decode_cpu: float = 0.0  # the server's CPU seconds per photo, on average


def make_photos(keyring: Any, count: int) -> list[tuple[str, str, bytes]]:
    """(kind, expected text, JPEG) — tests/barcodes/test_decode.py's photos, the QR signed with the server's key."""
    from backend.barcodes import payload
    from backend.barcodes.payload import DocumentKind
    from tests.barcodes import photos
    from tests.barcodes.test_decode import CODE_WIDTH

    made = []
    for kind in ("qr", "code128"):
        rng = random.Random(f"20261126-{kind}")
        for _ in range(count):
            number = str(rng.randrange(10**11, 10**12))
            if kind == "qr":
                text = payload.encode(keyring, number, rng.randint(1, 9), rng.choice(list(DocumentKind)))
                code = photos.qr(text)
            else:
                text, code = number, photos.code128(number)
            made.append((kind, text, photos.photo_of(code, rng, CODE_WIDTH[kind]).jpeg))
    return made


def server_env(database: Database, workdir: Path, origin: str) -> dict[str, str]:
    """The app's environment for a bench: this process's, without any giamsat setting, then the database, a data
    directory of its own, the origin the phones use, and the bench as the reverse proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIAMSAT_", "DATABASE_URL", "PICCOLO_"))}
    env.update(
        DATABASE_URL=database.url,
        GIAMSAT_DATA_DIR=str(workdir / f"data-{database.kind}"),
        GIAMSAT_ORIGIN=origin,
        GIAMSAT_SECRET_KEY=SECRET_KEY,
        GIAMSAT_TRUSTED_PROXIES="127.0.0.1",  # the bench plays the reverse proxy: X-Forwarded-For names each phone
        PICCOLO_CONF="backend.piccolo_conf",
        PYTHONUNBUFFERED="1",
    )
    return env


def bench_database(database: Database, workdir: Path, args: argparse.Namespace, pin: bool) -> tuple[list[PhaseResult], Extra, bool, list[str]]:
    kind = database.kind
    port = free_port()
    origin = f"http://localhost:{port}"
    env = server_env(database, workdir, origin)
    step = time.monotonic()
    giamsat(env, "db", "upgrade")
    made = json.loads(
        subprocess.run(
            [python(), "-m", "bench.gate", "--provision", f"{args.branches},{args.officers}"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True,
        ).stdout.strip().splitlines()[-1]
    )
    loaded = load_declarations(env, workdir, args, kind)
    log(kind, f"database ready in {time.monotonic() - step:.0f} s: {len(loaded.items):,} declarations, "
        f"{len(loaded.units):,} containers that may pass, {len(made)} officers over {args.branches} branches")

    server = Server(env, port, pin, workdir / f"server-{kind}.log")
    results: list[PhaseResult] = []
    extra = Extra(kind)
    totals = Confirmations()
    try:
        server.wait_ready(60)
        log(kind, f"server pid {server.pid} on port {port}")
        phones = []
        for officer in made:
            phone = Phone(port, origin, officer["number"], officer["gate_id"])
            phone.enroll(officer["enrollment"])
            phones.append(phone)
        units = collections.deque(loaded.units)

        async def first_stock() -> None:
            for phone in phones:
                connection = Connection(port)
                try:
                    await phone.refill(connection, units)
                finally:
                    connection.close()

        asyncio.run(first_stock())
        log(kind, f"{len(phones)} passkeys enrolled, {sum(len(p.stock) for p in phones):,} confirmations signed ahead")

        def record(result: PhaseResult) -> None:
            results.append(result)
            log(kind, f"{result.scenario} x{result.concurrency}: {result.rate:,.0f} {result.unit}, p50 {fmt_ms(result.percentile(50))}, "
                f"p99 {fmt_ms(result.percentile(99))}, errors {result.errors}, server CPU {result.server_cpu:.0%}, "
                f"generator CPU {result.client_cpu:.0%}, server CPU per unit "
                f"{result.server_cpu / result.rate * 1000 if result.rate else 0:.2f} ms")

        def phase(scenario: str, unit: str, concurrency: int, prepare: Prepare, count: Count,
                  on_unanswered: Callable[[Any], None] | None = None) -> None:
            rate, latencies, errors, server_cpu, client_cpu = new_loop_runner()(
                run_phase(port=port, server_pid=server.pid, concurrency=concurrency, prepare=prepare, count=count,
                          warmup=args.warmup, seconds=args.seconds, on_unanswered=on_unanswered)
            )
            record(PhaseResult(kind, scenario, concurrency, unit, rate, latencies, errors, server_cpu, client_cpu))

        # the trivial endpoint
        manifest = f"GET /manifest.webmanifest HTTP/1.1\r\nHost: localhost:{port}\r\nUser-Agent: giamsat-bench\r\n\r\n".encode()

        async def prepare_manifest(n: int, connection: Connection) -> tuple[bytes, bytes, Any]:
            return manifest, b"", None

        def count_plain(status: int, data: bytes, meta: Any) -> int:
            return 1 if status == 200 else -1

        for concurrency in args.concurrency if "trivial" in args.phases else []:
            phase("GET /manifest.webmanifest", "req/s", concurrency, prepare_manifest, count_plain)

        # the server's check
        bodies = check_bodies(loaded.items, 20_000, random.Random(7))
        heads: list[dict[int, bytes]] = [{} for _ in phones]
        check_at = [0] * len(phones)

        async def prepare_check(n: int, connection: Connection) -> tuple[bytes, bytes, Any]:
            check_at[n] = (check_at[n] + 1) % len(bodies)
            body = bodies[(check_at[n] * 7919 + n * 104729) % len(bodies)]
            head = heads[n].get(len(body))
            if head is None:
                head = heads[n][len(body)] = phones[n].head("POST", "/api/v1/gate/check", len(body))
            return head, body, None

        def count_check(status: int, data: bytes, meta: Any) -> int:
            return 1 if status == 200 and data.startswith(b'{"number"') else -1

        for concurrency in args.concurrency if "check" in args.phases else []:
            phase("POST /api/v1/gate/check", "req/s", concurrency, prepare_check, count_check)

        # signed confirmations
        decoder = msgspec.json.Decoder()

        async def prepare_confirm(n: int, connection: Connection) -> tuple[bytes, bytes, Any]:
            phone = phones[n]
            if len(phone.stock) < SIGN_LOW and units:
                totals.refills += 1
                await phone.refill(connection, units)
            if not phone.stock:
                raise HTTPError("no container left to confirm: load more declarations")
            command_id, number, unit, body = phone.stock.popleft()
            totals.sent += 1
            return phone.head("POST", "/api/v1/commands", len(body)), body, (command_id, number, unit)

        def count_confirm(status: int, data: bytes, meta: Any) -> int:
            if status != 200:
                totals.outcomes[f"http {status}"] = totals.outcomes.get(f"http {status}", 0) + 1
                return -1
            (outcome,) = decoder.decode(data)["results"]
            if outcome["status"] == "applied":
                totals.applied_answers += 1
                totals.applied[outcome["id"]] = (meta[1], meta[2])
                return 1
            key = f"{outcome['status']} {outcome.get('code') or ''}".strip()
            totals.outcomes[key] = totals.outcomes.get(key, 0) + 1
            return -1

        def unanswered(meta: Any) -> None:
            totals.unanswered += 1

        for concurrency in args.concurrency if "confirm" in args.phases else []:
            if concurrency > len(phones):
                raise SystemExit(f"--officers must be at least {concurrency}: each client is its own officer")
            phase("gate.confirm_passage (signed)", "cmd/s", concurrency, prepare_confirm, count_confirm, unanswered)

        # gate-card sync: a device of the first branch, which holds --cards declarations
        with httpx.Client(
            base_url=origin, cookies={"gs_session": phones[0].session}, headers={"Accept-Encoding": "gzip"}, timeout=60
        ) as client:
            full_load(client)  # warm-up
            for _ in range(args.sync_runs if "sync" in args.phases else 0):
                seconds, pages, cards, wire, _decoded, _cursor = full_load(client)
                extra.sync_times.append(seconds)
                extra.sync_cards, extra.sync_pages, extra.sync_wire = cards, pages, wire
        if extra.sync_times:
            log(kind, f"gate-card sync: {extra.sync_cards:,} cards in {extra.sync_pages} pages, "
                f"min {min(extra.sync_times):.2f} s, median {statistics.median(extra.sync_times):.2f} s")

        # server decode
        if args.photos and "decode" in args.phases:
            from backend.barcodes.services import keyring_for
            from backend.settings import load_settings

            photos = make_photos(keyring_for(load_settings(env)), args.photos)
            with httpx.Client(
                base_url=origin, cookies={"gs_session": phones[0].session, "gs_csrf": phones[0].csrf},
                headers={"x-csrf-token": phones[0].csrf}, timeout=60,
            ) as client:
                for kind_, text, jpeg in photos[:3]:  # warm-up
                    client.post("/api/v1/barcodes/decode", content=jpeg, headers={"content-type": "image/jpeg"})
                cpu_before = process_cpu_seconds(server.pid)
                for kind_, text, jpeg in photos:
                    started = time.perf_counter()
                    response = client.post("/api/v1/barcodes/decode", content=jpeg, headers={"content-type": "image/jpeg"})
                    elapsed = time.perf_counter() - started
                    read = response.status_code == 200 and any(
                        code["text"] == text and (kind_ != "qr" or code["payload"] is not None) for code in response.json()["codes"]
                    )
                    ok, total, times = extra.decode.get(kind_, (0, 0, []))
                    extra.decode[kind_] = (ok + read, total + 1, [*times, elapsed])
                extra.decode_cpu = (process_cpu_seconds(server.pid) - cpu_before) / len(photos)
            for kind_, (ok, total, times) in extra.decode.items():
                log(kind, f"decode {kind_}: {ok}/{total} read, median {statistics.median(times) * 1000:.0f} ms")
            log(kind, f"decode: server CPU {extra.decode_cpu * 1000:.0f} ms per photo on average (wall time above)")
    finally:
        server.stop()
    ok, lines = check_confirmations(database, env, totals)
    return results, extra, ok, lines


# --- output ----------------------------------------------------------------------------------------------------


def phase_table(results: list[PhaseResult]) -> str:
    """bench.commands.table, with the server's CPU time per request or command: the figure that holds when other
    processes share the server's core (a starved server answers fewer requests, each costing the same)."""
    lines = table(results).splitlines()
    lines[0] += " server CPU per unit |"
    lines[1] += "--------------------:|"
    for i, r in enumerate(results, start=2):
        lines[i] += f" {r.server_cpu / r.rate * 1000 if r.rate else 0:>16.2f} ms |"
    return "\n".join(lines)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def extra_table(extras: list[Extra]) -> str:
    lines = [
        "| database   | gate-card sync, 10,000 cards (min / median) | pages | on the wire | decode | photos read | median | p95 |",
        "|------------|--------------------------------------------:|------:|------------:|--------|------------:|-------:|----:|",
    ]
    for e in extras:
        sync = f"{min(e.sync_times):.2f} s / {statistics.median(e.sync_times):.2f} s" if e.sync_times else "-"
        decode = list(e.decode.items())
        every = [t for _, (_, _, times) in decode for t in times]
        if every:
            decode.append(("all", (sum(d[1][0] for d in decode), sum(d[1][1] for d in decode), every)))
        for i, (kind, (ok, total, times)) in enumerate(decode or [("-", (0, 0, []))]):
            head = [e.database, sync, str(e.sync_pages), f"{e.sync_wire / 1e6:.2f} MB"] if i == 0 else ["", "", "", ""]
            figures = [kind, f"{ok}/{total} ({ok / total:.1%})", f"{statistics.median(times) * 1000:.0f} ms",
                       f"{pct(times, 95) * 1000:.0f} ms"] if total else [kind, "-", "-", "-"]
            lines.append("| " + " | ".join(head + figures) + " |")
    return "\n".join(lines)


def targets(results: list[PhaseResult], extras: list[Extra]) -> list[str]:
    lines = []
    by = {(r.database, r.scenario, r.concurrency): r for r in results}
    for r in results:
        if r.scenario.startswith("POST /api/v1/gate/check"):
            trivial = by.get((r.database, "GET /manifest.webmanifest", r.concurrency))
            if trivial and trivial.rate:
                share = r.rate / trivial.rate
                verdict = ("met" if share >= 0.25 else "MISSED") if r.database == "postgresql" else "(target on PostgreSQL)"
                cpu = (trivial.server_cpu / trivial.rate) / (r.server_cpu / r.rate) if r.rate and r.server_cpu else 0.0
                lines.append(
                    f"check >= 25 % of the trivial endpoint, x{r.concurrency} on {r.database}: {share:.0%} -> {verdict} "
                    f"(by server CPU per request: {cpu:.0%})"
                )
    for r in results:
        if r.scenario.startswith("gate.confirm_passage") and r.concurrency == 64:
            p99 = r.percentile(99)
            met = r.rate >= 1000 and p99 is not None and p99 < 0.1
            verdict = ("met" if met else "MISSED") if r.database == "postgresql" else "(target on PostgreSQL)"
            lines.append(f"confirm >= 1,000/s with p99 < 100 ms at 64 clients on {r.database}: {r.rate:,.0f}/s, p99 {fmt_ms(p99)} -> {verdict}")
    for e in extras:
        if e.sync_times:
            worst = max(e.sync_times)
            lines.append(f"10,000 gate cards in < 3 s on {e.database}: slowest {worst:.2f} s -> {'met' if worst < 3 else 'MISSED'}")
        every = [t for _, (_, _, times) in e.decode.items() for t in times]
        if every:
            ok = sum(v[0] for v in e.decode.values()) / sum(v[1] for v in e.decode.values())
            median = statistics.median(every)
            verdict = "met" if ok >= 0.95 and median < 0.03 else "MISSED"
            lines.append(
                f"decode >= 95 % of photos, median < 30 ms on {e.database}: {ok:.1%}, {median * 1000:.0f} ms -> {verdict} "
                f"(server CPU {e.decode_cpu * 1000:.0f} ms per photo on average)"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("GIAMSAT_BENCH_POSTGRES_URL", "postgresql://postgres@localhost:5432/postgres"),
        help="a PostgreSQL URL allowed to CREATE DATABASE; the bench database is created beside it and dropped",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time before each phase")
    parser.add_argument("--declarations", type=int, default=100_000)
    parser.add_argument("--cards", type=int, default=10_000, help="declarations of the first branch: the gate-card sync's")
    parser.add_argument("--branches", type=int, default=4)
    parser.add_argument("--officers", type=int, default=64, help="one per client, each with a gate of their own")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64])
    parser.add_argument("--sync-runs", type=int, default=5)
    parser.add_argument("--photos", type=int, default=100, help="photos of each kind (QR, Code 128) to decode")
    parser.add_argument("--no-pin", action="store_true", help="don't pin the server to CPU 0 and the generator to CPU 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs, SQLite file)")
    parser.add_argument(
        "--phases", type=lambda s: set(s.split(",")), default={"trivial", "check", "confirm", "sync", "decode"},
        help="comma-separated subset of: trivial, check, confirm, sync, decode",
    )
    parser.add_argument("--provision", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.provision:
        branches, officers = (int(x) for x in args.provision.split(","))
        return provision_main(branches, officers)
    if not 0 < args.seconds <= 300 or not 0 <= args.warmup <= 60:
        parser.error("--seconds must be in (0, 300] and --warmup in [0, 60]")
    if args.branches < 2 or args.cards >= args.declarations:
        parser.error("--branches must be at least 2 and --cards below --declarations")

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    pin = not args.no_pin and shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2
    if pin:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[1]})
    workdir = Path(tempfile.mkdtemp(prefix="giamsat-bench-gate-"))
    results: list[PhaseResult] = []
    extras: list[Extra] = []
    checks: list[tuple[str, bool, list[str]]] = []
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
                phase_results, extra, ok, lines = bench_database(database, workdir, args, pin)
            finally:
                database.drop()
            results += phase_results
            extras.append(extra)
            checks.append((database.kind, ok, lines))
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"giamsat gate benchmark — {os.cpu_count()} CPUs, server {'pinned to CPU 0, generator to CPU 1' if pin else 'not pinned'}, "
        f"{args.seconds:g} s per phase after {args.warmup:g} s warm-up; {args.declarations:,} declarations; latency = time to the whole answer"
    )
    print(f"1-minute load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} (HOST {HOST})")
    print(phase_table(results))
    print()
    print(extra_table(extras))
    print()
    for kind, _ok, lines in checks:
        for line in lines:
            print(f"[{kind}] {line}")
    for line in targets(results, extras):
        print(line)
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
