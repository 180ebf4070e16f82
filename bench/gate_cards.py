"""Benchmark of the `gate_cards` replica dataset: a device's first full load of its branch's cards over HTTP.

    .venv/bin/python -m bench.gate_cards                                    # SQLite and PostgreSQL, 10,000 cards
    .venv/bin/python -m bench.gate_cards --databases sqlite --cards 10000 --others 90000 --runs 5

For each database: a fresh database (`giamsat db upgrade`), a branch with an officer and an API token, `--cards`
declarations registered at that branch and `--others` at another branch (loaded with `giamsat declarations import`;
1–3 containers each, one in ten with a warning), then `giamsat serve` (one worker) and a keep-alive HTTP client that
pages `GET /api/v1/replica/gate_cards` from no cursor until `complete`, as a device does on its first sync (gzip, as
a browser asks). Printed: the wall time of each full load (min and median of `--runs`), pages, cards, bytes on the
wire and decoded, and an incremental sync with nothing new. Target (issue 4): 10,000 cards to a device in < 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.barcodes import iso6346
from tests.browser.conftest import free_port
from tests.conftest import _pg_admin, _with_database, giamsat, run_async


def declarations(count: int, branch: str, start: int, rng: random.Random) -> list[dict]:
    items = []
    for n in range(start, start + count):
        kind = rng.random()
        item: dict = {
            "number": f"{104000000000 + n:012d}",
            "kind": "import",
            "version": rng.choice([1, 1, 1, 2]),
            "status_code": "THONG_QUAN",
            "allows_passage": rng.random() > 0.1,
            "lane": rng.choice([1, 1, 2, 3]),
            "branch_code": branch,
            "seal_required": rng.random() < 0.2,
            "sealed": False,
            "goods_description": "Linh kiện điện tử, hàng mới 100%",
            "warnings": [{"text": "Ảnh soi có vùng mật độ bất thường", "source": "xray"}] if rng.random() < 0.1 else [],
        }
        if kind < 0.8:
            containers = []
            for _ in range(rng.randint(1, 3)):
                first_ten = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + "U"
                first_ten += f"{rng.randrange(1_000_000):06d}"
                containers.append({"number": first_ten + str(iso6346.check_digit(first_ten)), "seal": f"VN{n:07d}"})
            item.update(cargo_type="containers", containers=containers)
        elif kind < 0.9:
            item.update(cargo_type="bulk", weight_kg=round(rng.uniform(1000, 50000), 3))
        else:
            item.update(cargo_type="loose", package_count=rng.randint(1, 500))
        items.append(item)
    return items


def full_load(client: httpx.Client) -> tuple[float, int, int, int, int, str]:
    started = time.perf_counter()
    since, pages, cards, wire, decoded = None, 0, 0, 0, 0
    while True:
        response = client.get("/api/v1/replica/gate_cards", params={"since": since} if since else {})
        response.raise_for_status()
        page = response.json()
        pages += 1
        cards += len(page["items"])
        wire += response.num_bytes_downloaded
        decoded += len(response.content)
        since = page["cursor"]
        if page["complete"]:
            break
    return time.perf_counter() - started, pages, cards, wire, decoded, since


def run(database: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        env = {"GIAMSAT_DATA_DIR": str(data_dir), "GIAMSAT_ORIGIN": f"http://localhost:{port}"}
        pg_name = None
        if database == "postgresql":
            pg_name = f"giamsat_bench_{os.getpid()}"
            run_async(_pg_admin(args.postgres_url, f'CREATE DATABASE "{pg_name}"'))
            env["DATABASE_URL"] = _with_database(args.postgres_url, pg_name)
        else:
            env["DATABASE_URL"] = f"sqlite:///{data_dir / 'giamsat.db'}"
        server = None
        try:
            giamsat(env, "db", "upgrade")
            giamsat(env, "branch", "add", "--code", "HP-KV3", "--name", "Chi cục Hải quan KV3")
            giamsat(env, "branch", "add", "--code", "HP-KV1", "--name", "Chi cục Hải quan KV1")
            giamsat(env, "officer", "add", "--code", "CB001", "--name", "Cán bộ", "--role", "officer", "--branch", "HP-KV3")
            token = giamsat(env, "token", "create", "--officer", "CB001").stdout.strip().splitlines()[-1].strip()
            rng = random.Random(1966)
            started = time.perf_counter()
            for branch, count, start in (("HP-KV3", args.cards, 0), ("HP-KV1", args.others, args.cards)):
                for offset in range(0, count, 20_000):
                    path = data_dir / f"decl-{branch}-{offset}.json"
                    path.write_text(json.dumps(declarations(min(20_000, count - offset), branch, start + offset, rng)))
                    giamsat(env, "declarations", "import", str(path))
            print(f"[{database}] loaded {args.cards + args.others} declarations in {time.perf_counter() - started:.1f} s")
            server = subprocess.Popen(
                [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--log-level", "warning"],
                cwd=REPO,
                env={**os.environ, "PICCOLO_CONF": "backend.piccolo_conf", **env},
            )
            with httpx.Client(
                base_url=f"http://localhost:{port}",
                headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"},
                timeout=60,
            ) as client:
                for _ in range(100):
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.1)
                full_load(client)  # warm-up
                times = []
                for _ in range(args.runs):
                    seconds, pages, cards, wire, decoded, cursor = full_load(client)
                    times.append(seconds)
                started = time.perf_counter()
                nothing = client.get("/api/v1/replica/gate_cards", params={"since": cursor}).json()
                incremental_ms = (time.perf_counter() - started) * 1000
            assert not nothing["changed"]
            print(
                f"[{database}] full load of {cards} cards: min {min(times):.2f} s, median {statistics.median(times):.2f} s "
                f"over {args.runs} runs; {pages} pages; {wire / 1e6:.2f} MB on the wire (gzip), {decoded / 1e6:.2f} MB "
                f"JSON; nothing-new sync {incremental_ms:.1f} ms"
            )
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
            if pg_name is not None:
                run_async(_pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=0, help="declarations of another branch, not in the dataset")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default="postgresql://postgres@localhost:5432/postgres")
    args = parser.parse_args()
    for database in args.databases.split(","):
        run(database.strip(), args)


if __name__ == "__main__":
    main()
