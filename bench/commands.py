"""Benchmark of the command journal: `POST /api/v1/commands` on SQLite and PostgreSQL.

    .venv/bin/python -m bench.commands                      # both databases, 10 s per phase
    .venv/bin/python -m bench.commands --seconds 5 --databases sqlite

For each database it makes a fresh database (SQLite: a file in a temporary directory; PostgreSQL: a new
database created through --postgres-url and dropped at the end), migrates it and creates a branch, a gate,
an officer and an API token with the `giamsat` CLI, starts the real app (`giamsat serve`, one worker, pinned
to CPU 0 when `taskset` exists) and measures, in the same run, with the load generator pinned to CPU 1:

  (a) a trivial endpoint (GET /manifest.webmanifest: no database) at 16 and 64 concurrent clients, and
      GET /healthz (one `SELECT 1`) at 16, as the ceiling the same server reaches on this machine;
  (b) applied `logbook.add_entry` commands per second in batches of 100 (4 clients, each sending batches);
  (c) single-command POSTs at 16 and 64 concurrent clients: commands/s and latency percentiles;
  (d) with --branches N (default 4), the 64 single-command clients once more, spread over N branches: one
      hash chain per branch, so their commands are applied side by side instead of in one queue.
(a)-(c) put every client in the same branch: one chain, the worst case for the journal.

Each phase runs for --seconds after a --warmup. Only answers with status "applied" count as commands.
Afterwards the server is stopped and the journal is checked: `giamsat audit verify` must exit 0, and
every command the server answered `applied` (warm-ups included) must be in the journal, once, with its
logbook entry; a benchmark that loses a command fails (exit status 1).

The load generator is a lean HTTP/1.1 keep-alive client over asyncio streams (uvloop when installed): one
connection per simulated client, a client sends its next request when the previous answer has arrived
(closed loop). The table shows the CPU share of the server and of the generator during each phase: a
generator near 100 % means the figure measures the generator, not the app.

Load goes only to 127.0.0.1; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

import msgspec

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def branch_codes(n: int) -> list[tuple[str, str, str]]:
    """(branch, gate, officer) codes of the bench's branches."""
    return [(f"BENCH{i:02d}", f"BENCH{i:02d}-G1", f"BENCH-OFF-{i}") for i in range(1, n + 1)]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


# --- a lean HTTP/1.1 keep-alive client ----------------------------------------------------------------


class HTTPError(Exception):
    pass


class Connection:
    """One keep-alive connection; requests are sent one after the other (no pipelining)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(head + body if body else head)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        lower = raw.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            data = await self.reader.readexactly(int(lower[at + 17 : end]))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            data = b"".join(chunks)
        else:
            raise HTTPError("response without a length")
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, data


def request_head(method: str, path: str, port: int, token: str | None = None, length: int | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: localhost:{port}", "User-Agent: giamsat-bench"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if length is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {length}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- phases -------------------------------------------------------------------------------------------


@dataclass
class Totals:
    """Across a whole database run (warm-ups included), for the journal check."""

    applied: set[str] = field(default_factory=set)
    applied_answers: int = 0
    sent_commands: int = 0
    unanswered_commands: int = 0  # sent, but the connection failed before an answer: may or may not be applied
    other_outcomes: dict[str, int] = field(default_factory=dict)


@dataclass
class PhaseResult:
    database: str
    scenario: str
    concurrency: int
    unit: str  # "req/s" or "cmd/s"
    rate: float
    latencies: list[float]
    errors: int
    server_cpu: float
    client_cpu: float
    note: str = ""

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def process_cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    return 0.0


# A request maker, given the client's number, returns (head, body, command ids in it); an answer
# handler returns the units counted (-1: an error).
MakeRequest = Callable[[int], tuple[bytes, bytes, list[str]]]


async def run_phase(
    *,
    port: int,
    server_pid: int,
    concurrency: int,
    make_request: MakeRequest,
    count_answer: Callable[[int, bytes, list[str]], int],
    warmup: float,
    seconds: float,
    totals: Totals | None,
) -> tuple[float, list[float], int, float, float]:
    """Closed loop: `concurrency` clients, each with its own connection, send a request as soon as the
    previous answer arrived. Counts units finished inside the measured window."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start = start + warmup
    window_end = window_start + seconds
    counted = 0
    latencies: list[float] = []
    errors = 0
    cpu_marks: dict[str, float] = {}

    async def client(number: int) -> None:
        nonlocal counted, errors
        connection = Connection(port)
        try:
            while True:
                now = loop.time()
                if now >= window_end:
                    return
                head, body, ids = make_request(number)
                if totals is not None:
                    totals.sent_commands += len(ids)
                t0 = time.perf_counter()
                try:
                    status, data = await asyncio.wait_for(connection.request(head, body), timeout=30)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HTTPError, ValueError):
                    connection.close()
                    errors += 1
                    if totals is not None:
                        totals.unanswered_commands += len(ids)
                    await asyncio.sleep(0.01)
                    continue
                elapsed = time.perf_counter() - t0
                units = count_answer(status, data, ids)
                if units < 0:
                    errors += 1
                    units = 0
                done = loop.time()
                if window_start <= now and done <= window_end:
                    counted += units
                    latencies.append(elapsed)
        finally:
            connection.close()

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, window_start - loop.time()))
        cpu_marks["server0"], cpu_marks["client0"] = process_cpu_seconds(server_pid), time.process_time()
        await asyncio.sleep(max(0.0, window_end - loop.time()))
        cpu_marks["server1"], cpu_marks["client1"] = process_cpu_seconds(server_pid), time.process_time()

    await asyncio.gather(mark_cpu(), *(client(number) for number in range(concurrency)))
    server_cpu = (cpu_marks["server1"] - cpu_marks["server0"]) / seconds
    client_cpu = (cpu_marks["client1"] - cpu_marks["client0"]) / seconds
    return counted / seconds, latencies, errors, server_cpu, client_cpu


class CommandMaker:
    """Envelopes of `logbook.add_entry` with fresh ids, as JSON bytes, built by string formatting."""

    def __init__(self, port: int, token: str, location_id: int) -> None:
        self.port, self.token = port, token
        self.issued_at = datetime.now(timezone.utc).isoformat()
        self.location_id = location_id
        self.serial = 0

    def envelope(self) -> tuple[str, str]:
        self.serial += 1
        command_id = str(uuid.uuid4())
        text = (
            f'{{"id":"{command_id}","type":"logbook.add_entry","issued_at":"{self.issued_at}",'
            f'"device_id":"bench-device-{self.serial % 64}","payload":{{"location_id":{self.location_id},'
            f'"text":"Bench entry {self.serial}: container checked at the gate, seal intact.",'
            f'"representative_name":"Nguyễn Văn A","representative_id_number":"0790{self.serial:08d}"}}}}'
        )
        return command_id, text

    def single(self) -> tuple[bytes, bytes, list[str]]:
        command_id, text = self.envelope()
        body = text.encode()
        return request_head("POST", "/api/v1/commands", self.port, self.token, len(body)), body, [command_id]

    def batch(self, size: int) -> tuple[bytes, bytes, list[str]]:
        ids, texts = [], []
        for _ in range(size):
            command_id, text = self.envelope()
            ids.append(command_id)
            texts.append(text)
        body = ("[" + ",".join(texts) + "]").encode()
        return request_head("POST", "/api/v1/commands", self.port, self.token, len(body)), body, ids


_results_decoder = msgspec.json.Decoder()


def command_counter(totals: Totals) -> Callable[[int, bytes, list[str]], int]:
    def count(status: int, data: bytes, ids: list[str]) -> int:
        if status != 200:
            totals.unanswered_commands += 0  # a 4xx/5xx for the whole request: nothing applied
            key = f"http {status}"
            totals.other_outcomes[key] = totals.other_outcomes.get(key, 0) + len(ids)
            return -1
        applied = 0
        for outcome in _results_decoder.decode(data)["results"]:
            if outcome["status"] == "applied":
                applied += 1
                totals.applied.add(outcome["id"])
            else:
                key = f"{outcome['status']} {outcome.get('code', '')}".strip()
                totals.other_outcomes[key] = totals.other_outcomes.get(key, 0) + 1
        totals.applied_answers += applied
        return applied

    return count


def plain_counter(status: int, data: bytes, ids: list[str]) -> int:
    return 1 if status == 200 else -1


# --- setting up a database and the server ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [python(), "-m", "backend.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"giamsat {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def pg_admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def pg_fetch(url: str, query: str, *args: Any) -> list[Any]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return await connection.fetch(query, *args)
    finally:
        await connection.close()


class Database:
    kind: str
    url: str

    def location_id(self, gate: str) -> int: ...

    def journal_command_ids(self) -> list[str]: ...

    def logbook_count(self) -> int: ...

    def drop(self) -> None: ...


class SQLiteDatabase(Database):
    kind = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "bench.db"
        self.url = f"sqlite:///{self.path}"

    def _query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.path)) as connection:
            return connection.execute(sql, args).fetchall()

    def location_id(self, gate: str) -> int:
        return self._query("SELECT id FROM location WHERE code = ?", gate)[0][0]

    def journal_command_ids(self) -> list[str]:
        return [str(row[0]) for row in self._query("SELECT command_id FROM journal_entry")]

    def logbook_count(self) -> int:
        return self._query("SELECT count(*) FROM logbook_entry")[0][0]

    def drop(self) -> None:
        pass  # the temporary directory goes


class PostgresDatabase(Database):
    kind = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"giamsat_bench_{os.getpid()}"
        self.url = with_database(admin_url, self.name)
        asyncio.run(pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{self.name}"'))
        asyncio.run(pg_admin(admin_url, f'CREATE DATABASE "{self.name}"'))

    def location_id(self, gate: str) -> int:
        return asyncio.run(pg_fetch(self.url, "SELECT id FROM location WHERE code = $1", gate))[0][0]

    def journal_command_ids(self) -> list[str]:
        return [str(row[0]) for row in asyncio.run(pg_fetch(self.url, "SELECT command_id FROM journal_entry"))]

    def logbook_count(self) -> int:
        return asyncio.run(pg_fetch(self.url, "SELECT count(*) FROM logbook_entry"))[0][0]

    def drop(self) -> None:
        asyncio.run(pg_admin(self.admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


class Server:
    def __init__(self, env: dict[str, str], port: int, pin: bool, log: Path) -> None:
        command = [python(), "-m", "backend.cli", "serve", "--port", str(port), "--log-level", "warning"]
        if pin:
            command = ["taskset", "-c", "0", *command]
        self.log = log.open("wb")
        # taskset execs the program, so the pid is the server's own
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = port

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        head = request_head("GET", "/healthz", self.port)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")

            async def probe() -> int:
                connection = Connection(self.port)
                try:
                    return (await asyncio.wait_for(connection.request(head), 2))[0]
                finally:
                    connection.close()

            with contextlib.suppress(OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                if asyncio.run(probe()) == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz in time")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


# --- one database -------------------------------------------------------------------------------------------


@dataclass
class Check:
    ok: bool
    lines: list[str]


def new_loop_runner() -> Callable[[Awaitable[Any]], Any]:
    try:
        import uvloop

        return uvloop.run  # type: ignore[return-value]
    except ImportError:
        return asyncio.run


def bench_database(database: Database, workdir: Path, args: argparse.Namespace, pin: bool) -> tuple[list[PhaseResult], Check]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIAMSAT_", "DATABASE_URL", "PICCOLO_"))}
    env.update(
        DATABASE_URL=database.url,
        GIAMSAT_DATA_DIR=str(workdir / f"data-{database.kind}"),
        GIAMSAT_ORIGIN=f"http://localhost:{port}",
        PYTHONUNBUFFERED="1",
        # One officer's token plays every client here: without this the per-officer quotas (docs/security.md, Quotas)
        # would refuse and serialize it as the flood it is.
        GIAMSAT_COMMANDS_PER_MINUTE=str(10**9),
        GIAMSAT_COMMANDS_BURST=str(10**9),
        GIAMSAT_COMMANDS_AT_ONCE=str(10**6),
    )
    step = time.monotonic()
    cli(env, "db", "upgrade")
    identities: list[tuple[str, int]] = []  # (API token, the gate of the officer's branch)
    for number, (branch, gate, officer) in enumerate(branch_codes(max(1, args.branches)), start=1):
        cli(env, "branch", "add", "--code", branch, "--name", f"Chi cục Hải quan bench {number}")
        cli(env, "location", "add", "--code", gate, "--name", "Cổng 1", "--kind", "gate", "--branch", branch)
        cli(env, "officer", "add", "--code", officer, "--name", f"Trần Thị Bench {number}", "--role", "officer", "--branch", branch)
        token = cli(env, "token", "create", "--officer", officer, "--name", "bench").strip().splitlines()[-1].strip()
        identities.append((token, database.location_id(gate)))
    print(f"[{database.kind}] database ready in {time.monotonic() - step:.1f} s; starting the server on port {port}", flush=True)

    server = Server(env, port, pin, workdir / f"server-{database.kind}.log")
    results: list[PhaseResult] = []
    totals = Totals()
    try:
        server.wait_ready()
        makers = [CommandMaker(port, token, location_id) for token, location_id in identities]
        maker = makers[0]  # the main scenarios: every client is an officer of the same branch (one chain)
        counter = command_counter(totals)
        manifest = request_head("GET", "/manifest.webmanifest", port)
        health = request_head("GET", "/healthz", port)

        phases: list[tuple[str, int, str, MakeRequest, Callable[[int, bytes, list[str]], int], bool]] = []
        for concurrency in args.trivial_concurrency:
            phases.append(("GET /manifest.webmanifest", concurrency, "req/s", lambda n: (manifest, b"", []), plain_counter, False))
        phases.append(("GET /healthz (SELECT 1)", 16, "req/s", lambda n: (health, b"", []), plain_counter, False))
        phases.append(
            (f"batches of {args.batch_size}", args.batch_clients, "cmd/s", lambda n: maker.batch(args.batch_size), counter, True)
        )
        for concurrency in args.single_concurrency:
            phases.append(("single commands", concurrency, "cmd/s", lambda n: maker.single(), counter, True))
        if len(makers) > 1:
            # The same load spread over several branches: one hash chain each, applied side by side.
            phases.append(
                (f"single commands, {len(makers)} branches", max(args.single_concurrency), "cmd/s",
                 lambda n: makers[n % len(makers)].single(), counter, True)
            )

        for scenario, concurrency, unit, make, count, commands in phases:
            rate, latencies, errors, server_cpu, client_cpu = new_loop_runner()(
                run_phase(
                    port=port,
                    server_pid=server.pid,
                    concurrency=concurrency,
                    make_request=make,
                    count_answer=count,
                    warmup=args.warmup,
                    seconds=args.seconds,
                    totals=totals if commands else None,
                )
            )
            result = PhaseResult(database.kind, scenario, concurrency, unit, rate, latencies, errors, server_cpu, client_cpu)
            results.append(result)
            print(
                f"[{database.kind}] {scenario} x{concurrency}: {rate:,.0f} {unit}, p99 {fmt_ms(result.percentile(99))}, "
                f"errors {errors}, server CPU {server_cpu:.0%}, generator CPU {client_cpu:.0%}",
                flush=True,
            )
    finally:
        server.stop()

    return results, check_journal(database, env, totals)


def check_journal(database: Database, env: dict[str, str], totals: Totals) -> Check:
    lines: list[str] = []
    ok = True
    audit = subprocess.run(
        [python(), "-m", "backend.cli", "audit", "verify"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    report = (audit.stdout + audit.stderr).strip()
    lines.append(f"audit verify: exit {audit.returncode}: {report}")
    ok &= audit.returncode == 0
    journal = database.journal_command_ids()
    in_journal = set(journal)
    missing = totals.applied - in_journal
    lines.append(
        f"commands sent {totals.sent_commands:,}; answered applied {totals.applied_answers:,} "
        f"({len(totals.applied):,} distinct ids); journal rows {len(journal):,}; logbook entries {database.logbook_count():,}; "
        f"applied but missing from the journal: {len(missing)}"
    )
    if totals.other_outcomes:
        lines.append("other outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(totals.other_outcomes.items())))
    ok &= not missing
    ok &= len(journal) == len(in_journal)  # no command twice
    ok &= totals.applied_answers == len(totals.applied)  # no id answered applied twice
    # Rows without an "applied" answer can only come from requests whose answer never arrived.
    extra = len(in_journal - totals.applied)
    if extra > totals.unanswered_commands:
        lines.append(f"{extra} journal rows were never answered applied")
        ok = False
    ok &= database.logbook_count() == len(journal)
    lines.append("journal check: " + ("OK" if ok else "FAILED"))
    return Check(ok, lines)


# --- output --------------------------------------------------------------------------------------------------


def fmt_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def table(results: list[PhaseResult]) -> str:
    header = ["database", "scenario", "concurrency", "commands/s or req/s", "p50", "p95", "p99", "errors", "server CPU", "generator CPU"]
    rows = [
        [
            r.database,
            r.scenario,
            str(r.concurrency),
            f"{r.rate:,.0f} {r.unit}",
            fmt_ms(r.percentile(50)),
            fmt_ms(r.percentile(95)),
            fmt_ms(r.percentile(99)),
            str(r.errors),
            f"{r.server_cpu:.0%}",
            f"{r.client_cpu:.0%}",
        ]
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4, 5, 6, 7, 8, 9}

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    separator = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), separator, *(line(row) for row in rows)])


def targets(results: list[PhaseResult]) -> list[str]:
    lines = []
    for r in results:
        if r.database == "postgresql" and r.scenario.startswith("batches"):
            verdict = "met" if r.rate >= 1000 else "MISSED"
            lines.append(f"target >= 1,000 commands/s in batches on PostgreSQL: {r.rate:,.0f}/s -> {verdict}")
    for r in results:
        if r.scenario == "single commands" and r.concurrency == 64:
            p99 = r.percentile(99)
            verdict = "met" if p99 is not None and p99 < 0.1 else "MISSED"
            lines.append(f"target p99 < 100 ms, single commands x64 on {r.database}: {fmt_ms(p99)} -> {verdict}")
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
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--batch-clients", type=int, default=4)
    parser.add_argument("--trivial-concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64])
    parser.add_argument("--single-concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64])
    parser.add_argument(
        "--branches", type=int, default=4,
        help="branches (one officer and token each); above 1 adds a phase spreading the single commands over them",
    )
    parser.add_argument("--no-pin", action="store_true", help="don't pin the server to CPU 0 and the generator to CPU 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs, SQLite file)")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 300 or not 0 <= args.warmup <= 60:
        parser.error("--seconds must be in (0, 300] and --warmup in [0, 60]")

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    pin = not args.no_pin and shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2
    if pin:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[1]})
    workdir = Path(tempfile.mkdtemp(prefix="giamsat-bench-"))
    all_results: list[PhaseResult] = []
    checks: list[tuple[str, Check]] = []
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
                results, check = bench_database(database, workdir, args, pin)
            finally:
                database.drop()
            all_results += results
            checks.append((database.kind, check))
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"giamsat command benchmark — {os.cpu_count()} CPUs, server {'pinned to CPU 0, generator to CPU 1' if pin else 'not pinned'}, "
        f"{args.seconds:g} s per phase after {args.warmup:g} s warm-up; latency = time to the whole answer"
    )
    print(
        f"1-minute load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} "
        "(above ~1 means other processes shared the CPUs: compare with the trivial endpoint of the same run)"
    )
    print(table(all_results))
    print()
    for kind, check in checks:
        for line in check.lines:
            print(f"[{kind}] {line}")
    for line in targets(all_results):
        print(line)
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0 if all(check.ok for _, check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
