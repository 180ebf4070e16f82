"""Benchmark of CFS consolidation lists (issue 16; Decision 1966 Art 44.2.b, form 25/DMXK-CFS/GSQL): one list of 200
lines through the real app, phase by phase, and the list page `/cfs` with 5,000 lists in the database under load.

    .venv/bin/python -m bench.cfs                                        # SQLite and PostgreSQL (~2 min)
    .venv/bin/python -m bench.cfs --databases sqlite --seconds 5

For each database: a fresh database (`giamsat db upgrade`), a branch (CFSB) with a CFS (CFSB-CFS1), --staff warehouse
staff working there, an officer and a head of the branch (each enrolls a passkey through the real ceremony and then
sends what a phone sends: its session cookie), --lines export declarations allowed to pass in the declarations mirror,
and --lists consolidation lists at the CFS with their lines (3 on average), bulk-inserted in one transaction each into
`cfs_list` and `cfs_line` as the commands would have left them (states: 10 % draft, 15 % submitted, 10 % checked,
20 % signed, 45 % received) — the way bench/transit.py loads its 10,000 cases.

Then the real app (`giamsat serve`, one worker, pinned to CPU 0 with taskset; this process on CPU 1):

  (a) one list of --lines lines, through `POST /api/v1/commands` as the phones send them, each phase timed:
      the staff member starts it (`cfs.create_list`), imports the lines (`cfs.import_lines`, one CSV of --lines
      lines, as the paste box sends it), submits it; the officer opens it (`GET /cfs/{id}`), compares every line, one
      command each (`cfs.check_line`, one line with a difference and a note), signs the list (`cfs.sign_list`, signed
      with the passkey over a signing ticket), opens form 25 (`GET /cfs/{id}/print`); the staff member confirms
      receipt. Checks: every line compared once, the list `received`, 200 lines on the print page (twice: two copies).
  (b) closed-loop keep-alive clients, each its own signed-in person, --concurrency of them:
      - `GET /manifest.webmanifest`: the trivial endpoint of the same run (no database);
      - `GET /cfs` as the CFS's staff (client n is staff member n): the operator's lists, 5,000 at their CFS;
      - `GET /cfs` as customs of the branch (clients alternate between the officer and the head).
Every request asks for gzip, as a browser does. Only 200 answers count. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

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
    python,
    table,
)
from bench.gate import Phone, giamsat, gzip_head, log, measure_pages, server_env  # noqa: E402
from bench.transit import _full_row  # noqa: E402

NUMBER_BASE = 304_500_000_000  # the bench's export declaration numbers
BRANCH, CFS = "CFSB", "CFSB-CFS1"
STATES = [("draft", 0.10), ("submitted", 0.15), ("checked", 0.10), ("signed", 0.20), ("received", 0.45)]


def container_number(n: int) -> str:
    from backend.barcodes import iso6346

    first_ten = f"BCF{'U'}{n % 1_000_000:06d}"
    return first_ten + str(iso6346.check_digit(first_ten))


# --- the database, made in a child process (the app's engine and tables) -------------------------------------------


async def _provision(spec: dict[str, Any]) -> dict[str, Any]:
    from backend import db
    from backend.auth.services import create_enrollment
    from backend.cfs.tables import CfsLine, CfsList
    from backend.declarations.tables import Declaration
    from backend.officers.services import create_officer, ensure_branch, ensure_location
    from backend.officers.tables import LocationKind
    from backend.settings import get_settings

    rng = random.Random(20261205)
    now = datetime.now(UTC)
    web = get_settings().web
    branch = await ensure_branch(BRANCH, "Chi cục Hải quan bench CFS")
    premises = await ensure_location(CFS, "Kho CFS bench", LocationKind.CFS, branch)
    people: dict[str, Any] = {"staff": []}
    for n in range(spec["staff"]):
        officer_id = await create_officer(f"CFS-{n:02d}", f"Nhân viên kho {n}", "warehouse", BRANCH, CFS)
        link = await create_enrollment(officer_id, web)
        people["staff"].append({"number": n, "id": officer_id, "enrollment": link.rsplit("/", 1)[1]})
    for role, code in (("officer", "CFS-CB"), ("supervisor", "CFS-GS")):
        officer_id = await create_officer(code, f"Công chức {code}", role, BRANCH)
        link = await create_enrollment(officer_id, web)
        people[role] = {"number": 100 + len(people), "id": officer_id, "enrollment": link.rsplit("/", 1)[1]}

    started = time.perf_counter()
    engine = Declaration._meta.db
    numbers = [f"{NUMBER_BASE + n:012d}" for n in range(spec["lines"])]
    declarations = [
        _full_row(
            Declaration, number=number, kind="export", version=1, status_code="THONG_QUAN", allows_passage=True, lane=1,
            branch=branch, seal_required=False, sealed=False, cargo_type="containers",
            goods_description="Hàng may mặc xuất khẩu", places="[]", source="bench", updated_at=now,
        )
        for number in numbers
    ]
    async with db.write_transaction(engine) as txn:
        await db.insert_many(txn, Declaration, declarations)

    staff_ids = [person["id"] for person in people["staff"]]
    customs = [people["officer"]["id"], people["supervisor"]["id"]]
    states = [state for state, share in STATES for _ in range(round(share * spec["lists"]))]
    states = (states + ["received"] * spec["lists"])[: spec["lists"]]
    rng.shuffle(states)
    lists, line_counts = [], []
    for n, state in enumerate(states):
        made = now - timedelta(days=60) + timedelta(minutes=n * 17)  # oldest first: ids follow time
        by = rng.choice(staff_ids)
        fields: dict[str, Any] = {}
        if state != "draft":
            fields.update(submitted_by=by, submitted_at=made + timedelta(minutes=30))
        if state in ("checked", "signed", "received"):
            fields["checked_at"] = made + timedelta(hours=2)
        if state in ("signed", "received"):
            fields.update(signed_by=rng.choice(customs), signed_at=made + timedelta(hours=2, minutes=5))
        if state == "received":
            fields.update(received_by=by, received_at=made + timedelta(hours=3))
        lists.append(_full_row(
            CfsList, command_id=uuid.uuid4(), branch=branch, premises=premises, container=container_number(n),
            created_by=by, state=state, issued_at=made, recorded_at=made, **fields,
        ))
        line_counts.append(rng.randint(1, 5))
    async with db.write_transaction(engine) as txn:
        await db.insert_many(txn, CfsList, lists)
    ids = [row["id"] for row in await CfsList.select(CfsList.id).where(CfsList.premises == premises).order_by(CfsList.id)]
    lines = []
    for list_id, state, count, row in zip(ids, states, line_counts, lists):
        compared = state in ("checked", "signed", "received") or (state == "submitted" and rng.random() < 0.3)
        for line in range(1, count + 1):
            difference = compared and rng.random() < 0.05
            lines.append(_full_row(
                CfsLine, cfs_list=list_id, line=line, declaration_number=rng.choice(numbers), goods="Áo sơ mi nam",
                packages=rng.randint(1, 400), weight_g=rng.randint(10_000, 5_000_000),
                result=("difference" if difference else "match") if compared else "", note="Thiếu 2 kiện" if difference else "",
                checked_by=rng.choice(customs) if compared else None,
                checked_at=row["issued_at"] + timedelta(hours=1) if compared else None,
            ))
    async with db.write_transaction(engine) as txn:
        await db.insert_many(txn, CfsLine, lines)
    if "postgres" in type(engine).__name__.lower():
        await engine.run_ddl("ANALYZE")  # as autovacuum would soon: the planner sees 5,000 lists, not an empty table
    return {
        **people,
        "premises": premises,
        "numbers": numbers,
        "rows": {"declaration": len(declarations), "cfs_list": len(lists), "cfs_line": len(lines)},
        "states": collections.Counter(states),
        "insert_seconds": time.perf_counter() - started,
    }


def child_main(spec_path: str) -> int:
    os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")
    from backend.cli import _run

    spec = json.loads(Path(spec_path).read_text())

    async def action() -> int:
        print(json.dumps(await _provision(spec), default=str))
        return 0

    return _run(action)


def child(env: dict[str, str], workdir: Path, spec: dict[str, Any]) -> dict[str, Any]:
    path = workdir / "spec-cfs.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run([python(), "-m", "bench.cfs", "--child", str(path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"bench.cfs --child failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- (a) one list of 200 lines, phase by phase --------------------------------------------------------------------


class Device:
    """A signed-in phone sending commands as the device queue does (POST /api/v1/commands), signing when asked."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.client = httpx.Client(
            base_url=phone.origin, timeout=120, cookies={"gs_session": phone.session, "gs_csrf": phone.csrf},
            headers={"x-csrf-token": phone.csrf, "accept-encoding": "gzip"},
        )

    def envelope(self, type_: str, payload: dict[str, Any], *, sign: bool = False) -> dict[str, Any]:
        issued = datetime.now(UTC)
        envelope: dict[str, Any] = {
            "id": str(uuid.uuid4()), "type": type_,
            "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%S.") + f"{issued.microsecond // 1000:03d}Z",
            "device_id": f"bench-phone-{self.phone.number}", "payload": payload,
        }
        if sign:
            from backend.lib.canonical import canonical_json
            from tests.auth.soft_authenticator import b64url, unb64url

            ticket = self.client.post("/api/v1/signing/ticket", json={"device_id": envelope["device_id"]})
            ticket.raise_for_status()
            nonce = ticket.json()["ticket"]["nonce"]
            signed = {name: envelope[name] for name in ("device_id", "id", "issued_at", "payload", "type")}
            challenge = hashlib.sha256(unb64url(nonce) + canonical_json(signed).encode()).digest()
            envelope["signature"] = {"nonce": nonce, "credential": self.phone.device.get({"challenge": b64url(challenge), "rpId": "localhost"})}
        return envelope

    def do(self, type_: str, payload: dict[str, Any], *, sign: bool = False) -> dict[str, Any]:
        response = self.client.post("/api/v1/commands", json=[self.envelope(type_, payload, sign=sign)])
        response.raise_for_status()
        outcome = response.json()["results"][0]
        if outcome["status"] != "applied":
            raise RuntimeError(f"{type_} refused: {outcome}")
        return outcome.get("result") or {}

    def close(self) -> None:
        self.client.close()


@dataclass
class Step:
    name: str
    seconds: float
    requests: int
    note: str = ""


def one_list(staff: Phone, officer: Phone, numbers: list[str], kind: str) -> tuple[list[Step], list[str], bool]:
    """The flow of one list of len(numbers) lines; the time of each phase, and the checks."""
    operator, customs = Device(staff), Device(officer)
    steps: list[Step] = []
    checks: list[str] = []
    try:
        t = time.perf_counter()
        list_id = operator.do("cfs.create_list", {"container": container_number(999_999)})["list_id"]
        steps.append(Step("start the list (cfs.create_list)", time.perf_counter() - t, 1))
        csv = "số tờ khai, hàng hóa, số kiện, trọng lượng\n" + "\n".join(
            f"{number}, Áo sơ mi nam lô {n}, {10 + n % 90}, {100 + n * 1.5:.1f}" for n, number in enumerate(numbers, start=1)
        )
        t = time.perf_counter()
        added = operator.do("cfs.import_lines", {"list_id": list_id, "csv": csv})["lines"]
        steps.append(Step(f"import {len(numbers)} lines (cfs.import_lines, one CSV)", time.perf_counter() - t, 1, f"{added} lines"))
        t = time.perf_counter()
        operator.do("cfs.submit_list", {"list_id": list_id})
        steps.append(Step("submit (cfs.submit_list)", time.perf_counter() - t, 1))
        t = time.perf_counter()
        page = customs.client.get(f"/cfs/{list_id}")
        steps.append(Step(f"officer opens the list (GET /cfs/{{id}}, {len(numbers)} lines)", time.perf_counter() - t, 1,
                          f"{len(page.content) / 1000:.0f} kB of HTML"))
        line_ids = [int(found) for found in re.findall(r'id="match-form-(\d+)"', page.text)]
        t = time.perf_counter()
        for n, line_id in enumerate(line_ids):
            payload: dict[str, Any] = {"list_id": list_id, "line_id": line_id, "result": "match"}
            if n == 1:
                payload.update(result="difference", note="Thiếu 2 kiện so với danh mục")
            customs.do("cfs.check_line", payload)
        took = time.perf_counter() - t
        steps.append(Step(f"compare every line (cfs.check_line x{len(line_ids)})", took, len(line_ids),
                          f"{took / max(1, len(line_ids)) * 1000:.1f} ms a line"))
        t = time.perf_counter()
        customs.do("cfs.sign_list", {"list_id": list_id}, sign=True)
        steps.append(Step("sign both copies (cfs.sign_list, passkey; ticket included)", time.perf_counter() - t, 2))
        t = time.perf_counter()
        printed = customs.client.get(f"/cfs/{list_id}/print")
        steps.append(Step("form 25 (GET /cfs/{id}/print, 2 copies)", time.perf_counter() - t, 1, f"{len(printed.content) / 1000:.0f} kB of HTML"))
        t = time.perf_counter()
        operator.do("cfs.confirm_receipt", {"list_id": list_id})
        steps.append(Step("operator confirms receipt (cfs.confirm_receipt)", time.perf_counter() - t, 1))
        final = operator.client.get(f"/cfs/{list_id}")
        ok_lines = len(line_ids) == len(numbers) == added
        ok_state = 'data-state="received"' in final.text
        ok_print = all(number in printed.text for number in numbers) and printed.text.count(numbers[-1]) >= 2
        checks.append(f"[{kind}] (a) {len(line_ids)} lines imported and offered to compare: {'OK' if ok_lines else 'FAILED'}")
        checks.append(f"[{kind}] (a) the list is received by the operator after signing: {'OK' if ok_state else 'FAILED'}")
        checks.append(f"[{kind}] (a) form 25 prints every line in both copies: {'OK' if ok_print else 'FAILED'}")
        return steps, checks, ok_lines and ok_state and ok_print
    finally:
        operator.close()
        customs.close()


# --- one database ---------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    steps: list[Step]
    results: list[PhaseResult]
    checks: list[str]
    ok: bool
    sizes: dict[str, float]


def bench_database(database: Database, workdir: Path, args: argparse.Namespace, pin: bool) -> Outcome:
    kind = database.kind
    port = free_port()
    origin = f"http://localhost:{port}"
    env = server_env(database, workdir, origin)
    step = time.monotonic()
    giamsat(env, "db", "upgrade")
    made = child(env, workdir, {"staff": max(args.concurrency), "lines": args.lines, "lists": args.lists})
    log(kind, f"database ready in {time.monotonic() - step:.0f} s (bulk insert {made['insert_seconds']:.1f} s): {made['rows']}; "
        f"states {dict(made['states'])}")
    server = Server(env, port, pin, workdir / f"server-{kind}.log")
    results: list[PhaseResult] = []
    checks: list[str] = []
    ok = True
    sizes: dict[str, float] = {}
    try:
        server.wait_ready(60)
        staff = []
        for person in made["staff"]:
            phone = Phone(port, origin, person["number"], made["premises"])
            phone.enroll(person["enrollment"])
            staff.append(phone)
        customs = []
        for role in ("officer", "supervisor"):
            phone = Phone(port, origin, made[role]["number"], made["premises"])
            phone.enroll(made[role]["enrollment"])
            customs.append(phone)
        log(kind, f"server pid {server.pid} on port {port}; {len(staff) + len(customs)} passkeys enrolled and signed in")

        # What the list page shows now: how many lists, for the operator and for customs.
        with httpx.Client(base_url=origin, cookies={"gs_session": staff[0].session}, timeout=60) as client:
            shown = len(re.findall(r'class="list-item cfs-list"', client.get("/cfs").text))
        with httpx.Client(base_url=origin, cookies={"gs_session": customs[0].session}, timeout=60) as client:
            shown_customs = len(re.findall(r'class="list-item cfs-list"', client.get("/cfs").text))
        log(kind, f"GET /cfs shows {shown} lists to the operator's staff, {shown_customs} to customs ({args.lists:,} in the database)")

        if "flow" in args.phases:
            steps, flow_checks, flow_ok = one_list(staff[0], customs[0], made["numbers"], kind)
            checks += flow_checks
            ok &= flow_ok
            for s in steps:
                log(kind, f"(a) {s.name}: {s.seconds * 1000:,.0f} ms {s.note}")
        else:
            steps = []

        plan: list[tuple[str, str, list[bytes] | None]] = [
            ("GET /manifest.webmanifest", "trivial", None),
            ("operator's lists: GET /cfs (staff)", "operator", [gzip_head(phone, "/cfs") for phone in staff]),
            ("customs' lists: GET /cfs (officer, head)", "customs", [gzip_head(phone, "/cfs") for phone in customs]),
        ]
        pages = measure_pages(kind, port, server.pid, [step for step in plan if step[1] in args.phases], args.concurrency,
                              args.warmup, args.seconds)
        results, sizes = pages.results, pages.sizes
        ok &= pages.ok
    finally:
        server.stop()
    return Outcome(steps, results, checks, ok, sizes)


def steps_table(outcomes: list[tuple[str, Outcome]]) -> str:
    lines = ["| database | phase | time | requests | note |", "|---|---|---:|---:|---|"]
    for kind, outcome in outcomes:
        for s in outcome.steps:
            lines.append(f"| {kind} | {s.name} | {s.seconds * 1000:,.0f} ms | {s.requests} | {s.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("GIAMSAT_BENCH_POSTGRES_URL", "postgresql://postgres@localhost:5432/postgres"),
        help="a PostgreSQL URL allowed to CREATE DATABASE; the bench database is created beside it and dropped",
    )
    parser.add_argument("--lists", type=int, default=5_000, help="consolidation lists already at the CFS")
    parser.add_argument("--lines", type=int, default=200, help="lines of the list built in (a)")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 64])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time before each phase")
    parser.add_argument("--phases", type=lambda s: set(s.split(",")), default={"flow", "trivial", "operator", "customs"},
                        help="comma-separated subset of: flow, trivial, operator, customs")
    parser.add_argument("--no-pin", action="store_true", help="don't pin the server to CPU 0 and the generator to CPU 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs, SQLite file) and the PostgreSQL database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child)
    if not 0 < args.seconds <= 300 or not 0 <= args.warmup <= 60:
        parser.error("--seconds must be in (0, 300] and --warmup in [0, 60]")
    if not 2 <= args.lines <= 500:
        parser.error("--lines must be in [2, 500] (a list has at most 500 lines)")

    started = time.monotonic()
    load_before = os.getloadavg()
    pin = not args.no_pin and shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2
    if pin:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[1]})
    workdir = Path(tempfile.mkdtemp(prefix="giamsat-bench-cfs-"))
    outcomes: list[tuple[str, Outcome]] = []
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
                outcomes.append((kind, bench_database(database, workdir, args, pin)))
            finally:
                if args.keep and isinstance(database, PostgresDatabase):
                    print(f"kept PostgreSQL database {database.url}")
                else:
                    database.drop()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"giamsat CFS benchmark — {os.cpu_count()} CPUs, server {'pinned to CPU 0, clients to CPU 1' if pin else 'not pinned'}, "
        f"{args.seconds:g} s per phase after {args.warmup:g} s warm-up; {args.lists:,} lists at the CFS; a list of {args.lines} lines "
        "built through the app; latency = time to the whole answer"
    )
    print(f"load average before {load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f} (1/5/15 min), "
          f"after {os.getloadavg()[0]:.1f} (1 min)")
    print(steps_table(outcomes))
    print()
    print(table([r for _, o in outcomes for r in o.results]))
    for kind, o in outcomes:
        if o.sizes:
            print(f"[{kind}] average answer (gzip): " + ", ".join(f"{name} {size / 1000:.1f} kB" for name, size in o.sizes.items()))
    print()
    for _, o in outcomes:
        for line in o.checks:
            print(line)
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0 if all(o.ok for _, o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
