"""Benchmark: many devices come back at once after an outage and replay their queues (issue 12, item 4).

    .venv/bin/python -m bench.stampede                                   # SQLite and PostgreSQL, 1,000 devices x 20
    .venv/bin/python -m bench.stampede --databases sqlite --devices 200 --commands-per-device 50
    .venv/bin/python -m bench.stampede GIAMSAT_MAX_BATCHES_IN_FLIGHT=100000   # any setting for the server
    .venv/bin/python -m bench.sync --stampede ...                        # the same, from bench/sync.py

For each database: a fresh `giamsat serve` (one worker, as tests/browser/conftest.py's `Server` starts it: demo
data, demo sign-in on localhost), pinned to CPU 0 when `taskset` exists; this process and the probe on CPU 1.
--devices officers are added (one device each: a phone belongs to its officer, and the quotas are per officer),
spread over --branches branches with a gate each, and each device signs in the way a phone does (the demo
sign-in, then its session's CSRF token from the `gs_csrf` cookie, sent back as `X-CSRF-Token`). Each holds
--commands-per-device `logbook.add_entry` commands made during the outage (`offline: true`, `issued_at` spread
over the last 30 minutes).

Then the outage ends for every device at the same moment. Each device does what the device's queue does
(service_worker/queue.js): `GET /api/v1/sync/status`, then `POST /api/v1/commands` in batches of up to 100, one
after the other, each request with the device's 20 s timeout. On 429 or 503 it waits Retry-After when the answer
gives one, otherwise (and on a timeout, a network error or another 5xx) exponential backoff with full jitter
(base 1 s, cap 30 s), and sends the same batch again (same command ids: the server answers `duplicate` for what
it had already applied). Any other refusal fails the run.

Meanwhile a separate process (the probe, not sharing this process's event loop) fetches --probe (default
GET /manifest.webmanifest: no database) every --probe-interval seconds on a keep-alive connection: the other
users of the server. Its latencies are reported for the --quiet seconds before the stampede and during it.

Reported: the time until every device's queue is empty, commands/s, answers by status (429, 503, timeouts),
the probe's p50/p95/p99/max before and during, the server's CPU share. Afterwards the server is stopped and the
journal must hold every command exactly once (and its logbook entry), and `giamsat audit verify` must pass;
otherwise the run fails (exit status 1).

The devices are raw HTTP/1.1 keep-alive connections over asyncio streams (one per device, as each phone has
its own), not httpx: on a 2-core machine the load generator must cost far less than the server it loads.
Load goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import http.client
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

HOST = "127.0.0.1"
BATCH = 100  # what the device sends at most per POST (service_worker/queue.js)
TIMEOUT = 20.0  # the device's request timeout (queue.js TIMEOUT_MS)
BACKOFF_BASE, BACKOFF_CAP = 1.0, 30.0
OUTAGE = timedelta(minutes=30)


# --- setting up -------------------------------------------------------------------------------------------------


def branch_code(number: int) -> str:
    return f"STAMP{number:02d}"


async def _provision(devices: int, branches: int) -> list[dict[str, Any]]:
    """Runs in a child process with the server's environment: branches with a gate each, one officer per device
    (as `giamsat officer add` makes them, without a CLI start-up per officer)."""
    from backend.officers.services import create_officer, ensure_branch, ensure_location
    from backend.officers.tables import LocationKind

    gates = {}
    for b in range(1, branches + 1):
        branch_id = await ensure_branch(branch_code(b), f"Chi cục Hải quan stampede {b}")
        gates[b] = await ensure_location(f"{branch_code(b)}-G1", f"Cổng stampede {b}", LocationKind("gate"), branch_id)
    made = []
    for n in range(devices):
        b = n % branches + 1
        officer_id = await create_officer(f"STAMP-{n:04d}", f"Trần Văn Stampede {n}", "officer", branch_code(b))
        made.append({"number": n, "officer_id": officer_id, "location_id": gates[b]})
    return made


def provision_main(devices: int, branches: int) -> int:
    os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
    from backend.cli import _run

    async def action() -> int:
        print(json.dumps(await _provision(devices, branches)))
        return 0

    return _run(action)


def provision(env: dict[str, str], devices: int, branches: int) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.stampede", "--provision", str(devices), "--branches", str(branches)],
        cwd=REPO, env={**os.environ, "PICCOLO_CONF": "backend.piccolo_conf", **env}, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"provisioning failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- a device: one keep-alive HTTP/1.1 connection ---------------------------------------------------------------


class Answer(msgspec.Struct):
    status: int  # -1: no answer (network error or timeout)
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes
    error: str = ""


@dataclass
class Device:
    number: int
    officer_id: int
    location_id: int
    port: int
    session: str = ""
    csrf: str = ""
    commands: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    done_at: float | None = None
    resent: int = 0  # requests sent again at once on a new connection (the reused one was closed under it)

    @property
    def address(self) -> str:  # the phone's own address, as the reverse proxy reports it (the sign-in limit's key)
        return f"10.{70 + self.number // 62500}.{self.number // 250 % 250}.{self.number % 250 + 1}"

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _exchange(self, head: bytes, body: bytes) -> Answer:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 20)
        assert self.reader is not None and self.writer is not None
        self.writer.write(head + body)
        raw = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        lines = raw.split("\r\n")
        status = int(lines[0][9:12])
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key.strip()] = rest.split(";", 1)[0]
            else:
                headers[name] = value
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            data = b"".join(chunks)
        else:
            data = b""
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, headers, cookies, data)

    async def request(self, method: str, path: str, body: bytes = b"", content_type: str = "application/json") -> Answer:
        cookie = "; ".join(f"{k}={v}" for k, v in (("gs_session", self.session), ("gs_csrf", self.csrf)) if v)
        head = [f"{method} {path} HTTP/1.1", f"Host: localhost:{self.port}", f"X-Forwarded-For: {self.address}"]
        if cookie:
            head.append(f"Cookie: {cookie}")
        if method != "GET":
            head += [f"X-CSRF-Token: {self.csrf}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode()
        for fresh in (self.writer is None, True):
            try:
                answer = await asyncio.wait_for(self._exchange(raw, body), TIMEOUT)
                break
            except asyncio.TimeoutError:  # (an OSError since Python 3.11: caught first)
                self.close()  # a connection with an answer still on its way cannot carry the next request
                return Answer(-1, {}, {}, b"", error="timeout")
            except (OSError, asyncio.IncompleteReadError) as exc:
                self.close()
                # The server closes a keep-alive connection idle for 5 s (uvicorn's default), e.g. while the device
                # waits out a Retry-After; a browser then sends again on a new connection, and so does this one.
                if fresh or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                    return Answer(-1, {}, {}, b"", error="network")
                self.resent += 1
            except (asyncio.LimitOverrunError, ValueError):
                self.close()
                return Answer(-1, {}, {}, b"", error="network")
        if "gs_csrf" in answer.cookies:
            self.csrf = answer.cookies["gs_csrf"]
        if "gs_session" in answer.cookies:
            self.session = answer.cookies["gs_session"]
        return answer

    async def sign_in(self) -> None:
        """The demo sign-in as a browser makes it: a CSRF cookie first, the form, then the session's own token."""
        await self.request("GET", "/manifest.webmanifest")
        form = f"officer_id={self.officer_id}&_csrf_token={self.csrf}".encode()
        answer = await self.request("POST", "/auth/demo", form, "application/x-www-form-urlencoded")
        if answer.status != 303 or not self.session:
            raise RuntimeError(f"device {self.number}: demo sign-in answered {answer.status} {answer.body[:200]!r}")
        answer = await self.request("GET", "/api/v1/sync/status")
        if answer.status != 200 or not self.csrf:
            raise RuntimeError(f"device {self.number}: sync status answered {answer.status} {answer.body[:200]!r}")
        self.close()  # the outage: the phone's connection is gone

    def fill_queue(self, count: int, now: datetime) -> None:
        """The commands made during the outage, oldest first, as the device's queue holds them."""
        step = OUTAGE / max(1, count)
        for i in range(count):
            made = now - OUTAGE + i * step
            self.commands.append({
                "id": str(uuid.uuid4()), "type": "logbook.add_entry",
                "issued_at": made.strftime("%Y-%m-%dT%H:%M:%S.") + f"{made.microsecond // 1000:03d}Z",
                "device_id": f"stampede-{self.number:04d}", "offline": True,
                "payload": {"location_id": self.location_id, "text": f"stampede {self.number} {i}"},
            })


# --- the stampede ------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    statuses: collections.Counter[str] = field(default_factory=collections.Counter)  # every answer, by status
    results: collections.Counter[str] = field(default_factory=collections.Counter)  # per command: applied, duplicate
    retry_after: list[float] = field(default_factory=list)
    batch_seconds: list[float] = field(default_factory=list)  # each batch's answered POST, send to answer
    failures: list[str] = field(default_factory=list)
    requests: int = 0


def backoff(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter: anywhere between 0 and base x 2^attempt, capped."""
    return rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


async def send(device: Device, method: str, path: str, body: bytes, tally: Tally, rng: random.Random) -> Answer | None:
    """One request until the server takes it: "not now" answers wait and go again. None: refused for good."""
    attempt = 0
    while True:
        sent = time.perf_counter()
        answer = await device.request(method, path, body)
        tally.requests += 1
        if answer.status == 200 and method == "POST":
            tally.batch_seconds.append(time.perf_counter() - sent)
        tally.statuses[answer.error or str(answer.status)] += 1
        if 200 <= answer.status < 300:
            return answer
        if answer.status in (429, 503) or answer.status >= 500 or answer.status == -1:
            given = answer.headers.get("retry-after", "") if answer.status in (429, 503) else ""
            if given.isdigit():
                wait = float(given)
                tally.retry_after.append(wait)
            else:
                wait = backoff(attempt, rng)
            attempt += 1
            await asyncio.sleep(wait)
            continue
        tally.failures.append(f"device {device.number}: {method} {path} answered {answer.status} {answer.body[:300]!r}")
        return None


async def replay(device: Device, tally: Tally, started: float) -> None:
    rng = random.Random(device.number)
    if await send(device, "GET", "/api/v1/sync/status", b"", tally, rng) is None:
        return
    for start in range(0, len(device.commands), BATCH):
        batch = device.commands[start : start + BATCH]
        answer = await send(device, "POST", "/api/v1/commands", msgspec.json.encode(batch), tally, rng)
        if answer is None:
            return
        results = msgspec.json.decode(answer.body)["results"]
        for command, result in zip(batch, results):
            tally.results[result["status"]] += 1
            if result["status"] not in ("applied", "duplicate") or result.get("id", command["id"]) != command["id"]:
                tally.failures.append(f"device {device.number}: {command['id']} answered {result}")
    device.done_at = time.perf_counter() - started
    device.close()


# --- the probe: another user of the server, in its own process ----------------------------------------------------


def probe(port: int, paths: list[str], interval: float, stop: Any, out: Any) -> None:
    """GET the paths in turn every `interval` seconds (or right after a slower answer) until `stop` is set; puts
    [(wall time, path, seconds, status)] on `out`."""
    samples: list[tuple[float, str, float, int]] = []
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    due = time.monotonic()
    number = 0
    while not stop.is_set():
        path = paths[number % len(paths)]
        number += 1
        wall, started = time.time(), time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = -1
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=60)
        samples.append((wall, path, time.perf_counter() - started, status))
        due += interval
        delay = due - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            due = time.monotonic()
    connection.close()
    out.put(samples)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds == seconds else "-"


# --- one database -------------------------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_wait_seconds(pid: int) -> float:
    """Time the server's threads were ready to run but waited for a CPU (other processes on the machine)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def journal_check(server: Any, ids: set[str]) -> dict[str, Any]:
    rows = server.query("SELECT command_id FROM journal_entry WHERE device_id LIKE 'stampede-%'")
    found = [str(row[0]) for row in rows]
    entries = server.query("SELECT count(*) FROM logbook_entry WHERE text LIKE 'stampede %'")[0][0]
    return {
        "rows": len(found),
        "distinct": len(set(found)),
        "missing": len(ids - set(found)),
        "unexpected": len(set(found) - ids),
        "logbook_entries": entries,
    }


def run_one(database: str, args: argparse.Namespace, settings: dict[str, str], pin: bool) -> dict[str, Any]:
    from tests.browser.conftest import Server, free_port
    from tests.conftest import _pg_admin, _with_database, giamsat, run_async

    data_dir = Path(tempfile.mkdtemp(prefix=f"giamsat-bench-stampede-{database}-"))
    # The reverse proxy's part: each phone has its own address (the sign-in limit counts per address).
    env: dict[str, str] = {"GIAMSAT_DEMO": "1", "GIAMSAT_TRUSTED_PROXIES": HOST, **settings}
    server = Server(data_dir=data_dir, port=free_port(), extra_env=env)
    if database == "postgresql":
        name = f"giamsat_bench_stampede_{os.getpid()}"
        run_async(_pg_admin(args.postgres_url, f'CREATE DATABASE "{name}"'))
        env["DATABASE_URL"] = _with_database(args.postgres_url, name)
        server.postgres = (args.postgres_url, name)
    try:
        server.prepare()
        made = provision(server.env, args.devices, args.branches)
        server.start()
        if pin:
            subprocess.run(["taskset", "-a", "-p", "-c", "0", str(server.process.pid)], check=True, capture_output=True)
        devices = [Device(item["number"], item["officer_id"], item["location_id"], server.port) for item in made]
        result = asyncio.run(stampede(server, devices, args))
        server.stop()
        log = server.log()
        result["server_errors"] = [line for line in log.splitlines() if "Traceback" in line or "ERROR" in line][:5]
        result["journal"] = journal_check(server, result.pop("ids"))
        audit = giamsat(server.env, "audit", "verify", check=False)
        result["audit_ok"] = audit.returncode == 0
        if not result["audit_ok"]:
            result["audit"] = (audit.stdout + audit.stderr)[-2000:]
        result["database"] = database
        return result
    finally:
        server.drop()
        shutil.rmtree(data_dir, ignore_errors=True)


async def stampede(server: Any, devices: list[Device], args: argparse.Namespace) -> dict[str, Any]:
    signing_in = asyncio.Semaphore(32)

    async def sign_in(device: Device) -> None:
        async with signing_in:
            await device.sign_in()

    began = time.perf_counter()
    await asyncio.gather(*(sign_in(device) for device in devices))
    print(f"  {len(devices)} devices signed in in {time.perf_counter() - began:.1f} s", flush=True)
    now = datetime.now(UTC)
    for device in devices:
        device.fill_queue(args.commands_per_device, now)
    ids = {command["id"] for device in devices for command in device.commands}

    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Queue()
    prober = context.Process(target=probe, args=(server.port, args.probe.split(","), args.probe_interval, stop, out))
    prober.start()
    await asyncio.sleep(args.quiet)

    tally = Tally()
    gate = asyncio.Semaphore(args.concurrency or len(devices))

    async def one(device: Device) -> None:
        async with gate:
            await replay(device, tally, started)

    cpu_before = process_cpu_seconds(server.process.pid)
    waited_before = runqueue_wait_seconds(server.process.pid)
    wall_start = time.time()
    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(one(device) for device in devices)), args.timeout)
    except asyncio.TimeoutError:
        tally.failures.append(f"not every queue was empty after {args.timeout:.0f} s")
    elapsed = time.perf_counter() - started
    wall_end = time.time()
    cpu = process_cpu_seconds(server.process.pid) - cpu_before
    waited = runqueue_wait_seconds(server.process.pid) - waited_before
    await asyncio.sleep(1.0)  # a second after it, for the record
    stop.set()
    samples = out.get(timeout=30)
    prober.join(10)
    for device in devices:
        device.close()

    before = [s for s in samples if s[0] < wall_start]
    during = [s for s in samples if wall_start <= s[0] < wall_end]
    finished = [device.done_at for device in devices if device.done_at is not None]
    return {
        "ids": ids,
        "devices": len(devices),
        "commands": len(ids),
        "left": len(devices) - len(finished),
        "resent": sum(device.resent for device in devices),
        "seconds": elapsed,
        "device_done_p50": pct(finished, 50),
        "device_done_max": max(finished) if finished else float("nan"),
        "server_cpu": cpu / elapsed,
        "server_waited": waited / elapsed,
        "tally": tally,
        "probes": {
            path: ([s[2] for s in before if s[1] == path and s[3] == 200], [s[2] for s in during if s[1] == path and s[3] == 200])
            for path in args.probe.split(",")
        },
        "probe_errors": sum(1 for s in before + during if s[3] != 200),
    }


def report(result: dict[str, Any], args: argparse.Namespace) -> bool:
    tally: Tally = result["tally"]
    journal = result["journal"]
    ok = (
        result["left"] == 0
        and not tally.failures
        and journal["rows"] == result["commands"]
        and journal["distinct"] == result["commands"]
        and journal["missing"] == 0
        and journal["logbook_entries"] == result["commands"]
        and result["audit_ok"]
    )
    (_, (before, during)), *others = result["probes"].items()
    statuses = ", ".join(f"{name}: {count:,}" for name, count in sorted(tally.statuses.items()))
    retry_after = tally.retry_after
    print(
        f"| {result['database']} | {result['devices']:,} x {args.commands_per_device} | {result['seconds']:.1f} s "
        f"| {result['commands'] / result['seconds']:,.0f} cmd/s "
        f"| {tally.statuses.get('429', 0):,} / {tally.statuses.get('503', 0):,} / "
        f"{tally.statuses.get('timeout', 0) + tally.statuses.get('network', 0):,} "
        f"| {ms(pct(before, 50))} / {ms(pct(before, 99))} "
        f"| {ms(pct(during, 50))} / {ms(pct(during, 95))} / {ms(pct(during, 99))} / {ms(max(during, default=float('nan')))} "
        f"| {result['server_cpu']:.0%} / {result['server_waited']:.0%} |"
    )
    print(
        f"  requests {tally.requests:,} ({statuses}); per command {dict(tally.results)}; "
        f"device done p50 {result['device_done_p50']:.1f} s, last {result['device_done_max']:.1f} s; "
        f"answered batch p50 {pct(tally.batch_seconds, 50):.2f} s, max {max(tally.batch_seconds, default=0):.2f} s; "
        f"sent again on a new connection {result['resent']}; "
        f"probe samples {len(before)} before, {len(during)} during, {result['probe_errors']} errors"
        + (f"; Retry-After given {len(retry_after)}x, {min(retry_after):.0f}-{max(retry_after):.0f} s" if retry_after else "")
    )
    for path, (quiet, busy) in others:
        print(
            f"  probe {path}: before p50 {ms(pct(quiet, 50))}, p99 {ms(pct(quiet, 99))}; during p50 {ms(pct(busy, 50))}, "
            f"p95 {ms(pct(busy, 95))}, p99 {ms(pct(busy, 99))}, max {ms(max(busy, default=float('nan')))}"
        )
    print(
        f"  journal: {journal['rows']:,} rows, {journal['distinct']:,} distinct, {journal['missing']} missing, "
        f"{journal['unexpected']} unexpected, {journal['logbook_entries']:,} logbook entries; "
        f"audit {'ok' if result['audit_ok'] else 'BROKEN'}" + ("" if ok else "  FAILED")
    )
    for line in tally.failures[:10] + result["server_errors"]:
        print("  " + line)
    if not result["audit_ok"]:
        print(result.get("audit", ""))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--commands-per-device", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=0, help="devices replaying at the same time (default: all)")
    parser.add_argument("--branches", type=int, default=20, help="branches the devices' officers belong to (hash chains)")
    parser.add_argument("--probe", default="/manifest.webmanifest", help="path(s) the probe fetches in turn, comma-separated")
    parser.add_argument("--probe-interval", type=float, default=0.02, help="seconds between the probe's requests")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds of probing before the stampede")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up when the queues are not empty after this")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to CPU 0 and the clients to CPU 1")
    parser.add_argument("--postgres-url", default=os.environ.get("GIAMSAT_TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/postgres"))
    parser.add_argument("--provision", type=int, help=argparse.SUPPRESS)  # the child process that adds the officers
    parser.add_argument("settings", nargs="*", help="NAME=VALUE settings for the server")
    args = parser.parse_args(argv)
    if args.provision is not None:
        return provision_main(args.provision, args.branches)

    settings = dict(item.split("=", 1) for item in args.settings)
    pin = not args.no_pin and shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2
    if pin:
        os.sched_setaffinity(0, {1})  # the devices and the probe (which inherits it); the server gets CPU 0
    print(
        f"{args.devices:,} devices x {args.commands_per_device} commands, {args.branches} branches, "
        f"probe {args.probe} every {args.probe_interval * 1000:.0f} ms; settings {settings or 'default'}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load {os.getloadavg()[0]:.2f}; pinned {pin}",
        flush=True,
    )
    print("| database | devices x commands | all queues empty | commands/s | 429 / 503 / no answer "
          "| probe before p50 / p99 | probe during p50 / p95 / p99 / max | server CPU / waiting for a CPU |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    failed = False
    for database in [name.strip() for name in args.databases.split(",") if name.strip()]:
        result = run_one(database, args, settings, pin)
        failed |= not report(result, args)
    print(f"load {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
