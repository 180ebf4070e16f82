"""Benchmark of the live inbox (issue 15): supervisors' devices on the live stream while items arrive, and the
inbox page under load beside the trivial endpoint.

    .venv/bin/python -m bench.inbox                                  # SQLite and PostgreSQL
    .venv/bin/python -m bench.inbox --databases postgresql --devices 200 --rate 50 --seconds 20

For each database: a fresh database (`giamsat db upgrade`), --branches branches, each with a gate, one officer and
--devices / --branches supervisors, every one with an API token (made in a child process by the services the
`giamsat token create` command calls). Then the real app (`giamsat serve`, one worker, pinned to CPU 0 with
taskset) and, from this process pinned to CPU 1:

  - **the live stream**: every supervisor opens `GET /inbox/stream` (its own connection, as one phone each);
    once all are open and idle, the server's resident memory is read again: (after - before) / devices is the
    memory per connection. Then officers send `paper.request_export_exit` (Art 38.2.a: each makes one item in its
    branch's inbox) at --rate a second in all, spread over the branches, for --seconds, each on its own request
    (`POST /api/v1/commands`). The delivery latency of an item to a device is the time from the moment its command
    was sent to the moment that device's stream delivered the item (so it includes applying the command, the
    refresher's turn, drawing the item, and the send). Every item must reach every stream of its branch: missing
    deliveries fail the run.
  - **the inbox page** (`GET /inbox`, a supervisor's, with the items the stream phase left: about
    rate × seconds / branches per branch) at 16 and 64 concurrent clients, and the trivial endpoint
    (`GET /manifest.webmanifest`) in the same run: closed loop, each client its own connection.

Load goes only to 127.0.0.1; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    free_port,
    plain_counter,
    python,
    request_head,
    run_phase,
    table,
)
from bench.gate import giamsat, log, server_env  # noqa: E402

KIND = "paper.export_exit_request"


def branch_code(number: int) -> str:
    return f"INBOX{number:02d}"


# --- setting up (in a child process, with the server's environment) ----------------------------------------------


async def _provision(branches: int, devices: int) -> dict[str, Any]:
    from backend.auth.services import create_api_token
    from backend.officers.services import create_officer, ensure_branch, ensure_location
    from backend.officers.tables import LocationKind

    made: dict[str, Any] = {"officers": [], "supervisors": []}
    for b in range(1, branches + 1):
        code = branch_code(b)
        branch_id = await ensure_branch(code, f"Chi cục Hải quan bench {b}")
        gate_id = await ensure_location(f"{code}-G1", f"Cổng {b}", LocationKind("gate"), branch_id)
        officer_id = await create_officer(f"{code}-CB", f"Nguyễn Văn Bench {b}", "officer", code)
        made["officers"].append({"branch": code, "gate_id": gate_id, "token": await create_api_token(officer_id)})
    for n in range(devices):
        code = branch_code(n % branches + 1)
        supervisor_id = await create_officer(f"{code}-GS{n:03d}", f"Trần Thị Bench {n}", "supervisor", code)
        made["supervisors"].append({"branch": code, "token": await create_api_token(supervisor_id)})
    return made


def provision_main(branches: int, devices: int) -> int:
    os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
    from backend.cli import _run

    async def action() -> int:
        print(json.dumps(await _provision(branches, devices)))
        return 0

    return _run(action)


def provision(env: dict[str, str], branches: int, devices: int) -> dict[str, Any]:
    done = subprocess.run(
        [python(), "-m", "bench.inbox", "--provision", f"{branches},{devices}"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"provisioning failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- a supervisor's phone on the stream --------------------------------------------------------------------------


@dataclass
class Stream:
    """One device's stream: a raw connection, the chunked body decoded, each 'changes' message's new items noted
    with the moment they arrived."""

    branch: str
    token: str
    port: int
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    received: dict[str, float] = field(default_factory=dict)  # item key -> perf_counter at arrival
    messages: int = 0
    failed: str = ""

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.port, limit=1 << 22)
        try:
            head = request_head("GET", "/inbox/stream?after=0", self.port, self.token).replace(
                b"\r\n\r\n", b"\r\nAccept: text/event-stream\r\n\r\n", 1
            )
            writer.write(head)
            headers = await reader.readuntil(b"\r\n\r\n")
            if not headers.startswith(b"HTTP/1.1 200"):
                self.failed = headers.split(b"\r\n", 1)[0].decode()
                self.opened.set()
                return
            buffer = b""
            while True:  # until the stream ends or the bench cancels this task
                buffer += (await read_chunk(reader)).replace(b"\r\n", b"\n")  # Litestar ends lines with CRLF
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    self._message(block.decode())
        except (OSError, asyncio.IncompleteReadError) as error:
            self.failed = self.failed or repr(error)
        finally:
            self.opened.set()
            writer.close()

    def _message(self, block: str) -> None:
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            if name == "" and value.startswith(" giamsat inbox"):
                self.opened.set()
            fields[name] = value.removeprefix(" ")
        if fields.get("event") == "changes":
            now = time.perf_counter()
            self.messages += 1
            for added in json.loads(fields["data"])["added"]:
                self.received.setdefault(added["key"], now)


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """One chunk of a chunked body (a stream's messages come as chunks)."""
    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
    if size == 0:
        raise asyncio.IncompleteReadError(b"", None)  # the stream ended
    data = await reader.readexactly(size + 2)
    return data[:-2]


# --- one database -----------------------------------------------------------------------------------------------


@dataclass
class Live:
    database: str
    devices: int
    sent: int
    applied: int
    rate: float
    deliveries: int
    missing: int
    latencies: list[float]
    kib_per_connection: float
    messages: int
    failed_streams: int
    page_items: int = 0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def live_phase(port: int, pid: int, made: dict[str, Any], args: argparse.Namespace, kind: str) -> Live:
    streams = [Stream(s["branch"], s["token"], port) for s in made["supervisors"]]
    rss_before = resident_kib(pid)
    tasks = [asyncio.ensure_future(stream.run()) for stream in streams]
    await asyncio.wait_for(asyncio.gather(*(stream.opened.wait() for stream in streams)), timeout=120)
    await asyncio.sleep(3)  # all idle on their stream
    rss_after = resident_kib(pid)
    failed = [stream for stream in streams if stream.failed]
    log(kind, f"{len(streams) - len(failed)} streams open, server RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB")

    sent_at: dict[str, float] = {}  # item key -> perf_counter when its command was sent
    branch_of: dict[str, str] = {}
    applied = 0
    sent = 0
    officers = made["officers"]
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(16):
        pool.put_nowait(Connection(port))

    async def send(number: int) -> None:
        nonlocal applied
        officer = officers[number % len(officers)]
        envelope = {
            "id": str(uuid.uuid4()), "type": "paper.request_export_exit",
            "issued_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "device_id": "bench", "offline": False,
            "payload": {
                "location_id": officer["gate_id"], "declarant_name": "Công ty TNHH Bench", "declarant_tax_code": "0301234567",
                "request_number": f"{number}/2026/CV-BENCH", "request_date": "2026-12-01", "operator_name": "Cảng Bench",
                "operator_confirmation_number": f"{number}/XN", "operator_confirmation_date": "2026-12-02",
                "containers": "CSQU3054383", "goods": "Hạt điều nhân; 18; tấn; 18000; 720; BENCH",
            },
        }
        body = json.dumps([envelope]).encode()
        connection = await pool.get()
        t0 = time.perf_counter()
        try:
            status, data = await asyncio.wait_for(connection.request(request_head("POST", "/api/v1/commands", port, officer["token"], len(body)), body), 30)
            if status == 200:
                (outcome,) = json.loads(data)["results"]
                if outcome["status"] == "applied":
                    key = f"{KIND}:{outcome['result']['request_id']}"
                    sent_at[key], branch_of[key] = t0, officer["branch"]
                    applied += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HTTPError, ValueError):
            connection.close()
        finally:
            pool.put_nowait(connection)

    loop = asyncio.get_running_loop()
    start = loop.time()
    senders = []
    while loop.time() - start < args.seconds:
        senders.append(asyncio.ensure_future(send(sent)))
        sent += 1
        await asyncio.sleep(max(0.0, start + sent / args.rate - loop.time()))
    elapsed = loop.time() - start
    await asyncio.gather(*senders)

    def missing() -> int:
        return sum(1 for stream in streams if not stream.failed for key, branch in branch_of.items()
                   if branch == stream.branch and key not in stream.received)

    deadline = loop.time() + 15
    while missing() and loop.time() < deadline:
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    latencies = [stream.received[key] - sent_at[key] for stream in streams for key in sent_at if key in stream.received]
    return Live(
        database=kind, devices=len(streams), sent=sent, applied=applied, rate=applied / elapsed, deliveries=len(latencies),
        missing=missing(), latencies=latencies, kib_per_connection=(rss_after - rss_before) / max(1, len(streams)),
        messages=sum(stream.messages for stream in streams), failed_streams=len(failed),
    )


def bench_database(database: Database, workdir: Path, args: argparse.Namespace, pin: bool) -> tuple[Live, list[PhaseResult]]:
    kind = database.kind
    port = free_port()
    env = server_env(database, workdir, f"http://localhost:{port}")
    env.update(GIAMSAT_COMMANDS_PER_MINUTE="1000000", GIAMSAT_COMMANDS_BURST="1000000")
    giamsat(env, "db", "upgrade")
    made = provision(env, args.branches, args.devices)
    log(kind, f"{args.branches} branches, {len(made['supervisors'])} supervisors with a device each")
    server = Server(env, port, pin, workdir / f"server-{kind}.log")
    results: list[PhaseResult] = []
    try:
        server.wait_ready()
        live = asyncio.run(live_phase(port, server.pid, made, args, kind))
        log(kind, f"live: {live.applied} items in {args.seconds:g} s, {live.deliveries} deliveries, {live.missing} missing")
        head = made["supervisors"][0]["token"]
        page = request_head("GET", "/inbox", port, head)
        trivial = request_head("GET", "/manifest.webmanifest", port)

        async def count_items() -> int:
            connection = Connection(port)
            try:
                status, data = await connection.request(page)
                return data.count(b'class="list-item inbox-item"') if status == 200 else -1
            finally:
                connection.close()

        live.page_items = asyncio.run(count_items())
        for scenario, head_bytes in (("trivial (manifest)", trivial), ("inbox page", page)):
            for concurrency in args.concurrency:
                rate, latencies, errors, server_cpu, client_cpu = asyncio.run(run_phase(
                    port=port, server_pid=server.pid, concurrency=concurrency,
                    make_request=lambda number, h=head_bytes: (h, b"", []), count_answer=plain_counter,
                    warmup=args.warmup, seconds=args.page_seconds, totals=None,
                ))
                results.append(PhaseResult(kind, scenario, concurrency, "req/s", rate, latencies, errors, server_cpu, client_cpu))
                log(kind, f"{scenario} x{concurrency}: {rate:,.0f} req/s")
    finally:
        server.stop()
    return live, results


def live_table(lives: list[Live], args: argparse.Namespace) -> str:
    header = ["database", "devices", "items sent / applied", "items/s", "deliveries", "missing", "p50", "p99", "max",
              "messages", "memory per connection"]
    rows = [header]
    for live in lives:
        rows.append([
            live.database, str(live.devices - live.failed_streams), f"{live.sent} / {live.applied}", f"{live.rate:.1f}",
            f"{live.deliveries:,}", str(live.missing), f"{percentile(live.latencies, 50) * 1000:.0f} ms",
            f"{percentile(live.latencies, 99) * 1000:.0f} ms", f"{max(live.latencies or [0]) * 1000:.0f} ms",
            f"{live.messages:,}", f"{live.kib_per_connection:.1f} KiB",
        ])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("GIAMSAT_BENCH_POSTGRES_URL", "postgresql://postgres@localhost:5432/postgres"),
        help="a PostgreSQL URL allowed to CREATE DATABASE; the bench database is created beside it and dropped",
    )
    parser.add_argument("--devices", type=int, default=200, help="supervisors' devices on the live stream")
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--rate", type=float, default=50.0, help="new items a second, in all")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long items arrive")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64])
    parser.add_argument("--page-seconds", type=float, default=10.0, help="measured time per page phase")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--no-pin", action="store_true", help="don't pin the server to CPU 0 and the generator to CPU 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs, SQLite file)")
    parser.add_argument("--provision", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.provision:
        branches, devices = (int(x) for x in args.provision.split(","))
        return provision_main(branches, devices)

    started = time.monotonic()
    load_before = os.getloadavg()
    pin = not args.no_pin and shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2
    if pin:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[1]})
    workdir = Path(tempfile.mkdtemp(prefix="giamsat-bench-inbox-"))
    lives: list[Live] = []
    results: list[PhaseResult] = []
    try:
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            database: Database = SQLiteDatabase(workdir) if kind == "sqlite" else PostgresDatabase(args.postgres_url)
            try:
                live, phases = bench_database(database, workdir, args, pin)
                lives.append(live)
                results.extend(phases)
            finally:
                database.drop()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"giamsat inbox benchmark — {os.cpu_count()} CPUs, server {'pinned to CPU 0, clients to CPU 1' if pin else 'not pinned'}; "
        f"{args.devices} devices on the live stream over {args.branches} branches, {args.rate:g} new items/s for {args.seconds:g} s; "
        "latency = from sending the command to the device's stream delivering the item"
    )
    print(f"load average before {load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f} (1/5/15 min), after {os.getloadavg()[0]:.1f}")
    print(live_table(lives, args))
    print()
    print(f"the inbox page: a supervisor's /inbox with {', '.join(f'{live.page_items} items ({live.database})' for live in lives)}")
    print(table(results))
    print(f"total time {time.monotonic() - started:.0f} s")
    ok = all(live.missing == 0 and live.failed_streams == 0 and live.applied == live.sent for live in lives)
    if not ok:
        print("FAILED: an item did not reach every stream of its branch, a stream did not open, or a command was not applied")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
