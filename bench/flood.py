"""One officer floods the journal; how long a colleague of the same branch waits meanwhile (docs/security.md, Quotas).

    .venv/bin/python -m bench.flood                          # this checkout, default quotas, SQLite
    .venv/bin/python -m bench.flood --repo /tmp/old-checkout # another checkout's server (e.g. before the quotas)
    .venv/bin/python -m bench.flood GIAMSAT_COMMANDS_AT_ONCE=64   # any setting for the server

A fresh SQLite database in a temporary directory, one branch and gate, two officers with API tokens (the `giamsat`
CLI), the real app (`giamsat serve`, one worker). Officer B sends 30 single commands back to back (quiet latency);
then officer A sends 4,500 `logbook.add_entry` commands as 9 parallel batches of 500 (the flood of issue 11) while
B keeps sending single commands. Prints B's latency quiet and during the flood, and the status of A's batches.
Load goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def cli(repo: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def commands(location_id: int, count: int) -> list[dict[str, object]]:
    now = datetime.now(UTC).isoformat()
    return [
        {"id": str(uuid.uuid4()), "type": "logbook.add_entry", "issued_at": now, "device_id": "bench",
         "payload": {"location_id": location_id, "text": "flood"}}
        for _ in range(count)
    ]


def ms(values: list[float], fraction: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * fraction))] * 1000


async def run(repo: Path, settings: dict[str, str]) -> None:
    workdir, port = tempfile.mkdtemp(prefix="giamsat-flood-"), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIAMSAT_", "DATABASE_URL", "PICCOLO_"))}
    env.update(GIAMSAT_DATA_DIR=workdir, GIAMSAT_ORIGIN=f"http://localhost:{port}", PICCOLO_CONF="backend.piccolo_conf", **settings)
    cli(repo, env, "db", "upgrade")
    cli(repo, env, "branch", "add", "--code", "B1", "--name", "Chi cục bench")
    cli(repo, env, "location", "add", "--code", "B1-G1", "--name", "Cổng 1", "--kind", "gate", "--branch", "B1")
    tokens = []
    for code in ("FLOOD", "PEER"):
        cli(repo, env, "officer", "add", "--code", code, "--name", code, "--role", "officer", "--branch", "B1")
        tokens.append(cli(repo, env, "token", "create", "--officer", code, "--name", "bench").strip().splitlines()[-1].strip())
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve", "--port", str(port)], cwd=repo, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for _ in range(150):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            flooder, peer = ({"authorization": f"Bearer {token}"} for token in tokens)
            location_id = 1

            async def peer_command(latencies: list[float]) -> None:
                started = time.perf_counter()
                response = await client.post("/api/v1/commands", json=commands(location_id, 1), headers=peer)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text

            quiet: list[float] = []
            for _ in range(30):
                await peer_command(quiet)

            statuses: dict[int, int] = {}
            flooding = True

            async def batch() -> None:
                response = await client.post("/api/v1/commands", json=commands(location_id, 500), headers=flooder)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            async def peer_loop(latencies: list[float]) -> None:
                while flooding:
                    await peer_command(latencies)

            during: list[float] = []
            peer_task = asyncio.create_task(peer_loop(during))
            started = time.perf_counter()
            await asyncio.gather(*(batch() for _ in range(9)))
            took = time.perf_counter() - started
            flooding = False
            await peer_task
            print(f"settings {settings or 'default'}; peer quiet: median {statistics.median(quiet) * 1000:.0f} ms")
            print(f"flood of 9 x 500 commands: {took:.1f} s, answers {statuses}")
            print(f"peer during the flood: {len(during)} commands, median {ms(during, 0.5):.0f} ms, "
                  f"p95 {ms(during, 0.95):.0f} ms, max {max(during) * 1000:.0f} ms")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose server runs (default: this one)")
    parser.add_argument("settings", nargs="*", help="NAME=VALUE settings for the server")
    args = parser.parse_args()
    asyncio.run(run(args.repo.resolve(), dict(item.split("=", 1) for item in args.settings)))


if __name__ == "__main__":
    main()
