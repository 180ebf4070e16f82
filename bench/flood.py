"""One officer floods the journal; how long a colleague of the same branch waits meanwhile (docs/security.md, Quotas).

    .venv/bin/python -m bench.flood                          # this checkout, default quotas, SQLite
    .venv/bin/python -m bench.flood --repo /tmp/old-checkout # another checkout's server (e.g. before the quotas)
    .venv/bin/python -m bench.flood GIAMSAT_COMMANDS_AT_ONCE=64   # any setting for the server
    .venv/bin/python -m bench.flood --photos 7300x5440      # the flood is 8 parallel PNG uploads of that size

A fresh SQLite database in a temporary directory, one branch and gate, two officers with API tokens (the `giamsat`
CLI), the real app (`giamsat serve`, one worker). Officer B sends 30 single commands back to back (quiet latency);
then officer A sends 4,500 `logbook.add_entry` commands as 9 parallel batches of 500 (the flood of issue 11) while
B keeps sending single commands. Prints B's latency quiet and during the flood, and the status of A's batches.
With --photos WxH the flood is instead 8 parallel uploads by A of different RGBA PNGs of W x H pixels (a few hundred
KB: a decompression bomb when large) while B uploads 1600 x 1200 JPEGs (what the phone sends) back to back.
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

import hashlib
import io

import httpx
from PIL import Image

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


def png(size: tuple[int, int], seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (seed % 256, 20, 30, 40)).save(out, "PNG", optimize=True)
    return out.getvalue()


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (1600, 1200), (40, 120, 90))
    image.paste((255, 255, 255), (seed % 200 * 8, seed // 200 * 8, seed % 200 * 8 + 8, seed // 200 * 8 + 8))  # its own
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


async def upload(client: httpx.AsyncClient, headers: dict[str, str], data: bytes, content_type: str) -> int:
    sha = hashlib.sha256(data).hexdigest()
    response = await client.put(f"/api/v1/files/{sha}", content=data, headers={**headers, "content-type": content_type})
    return response.status_code


async def photo_flood(client: httpx.AsyncClient, flooder: dict[str, str], peer: dict[str, str], size: tuple[int, int]) -> None:
    bombs = [png(size, seed) for seed in range(8)]
    photos = iter(jpeg(seed) for seed in range(10_000))

    async def peer_upload(latencies: list[float]) -> None:
        started = time.perf_counter()
        status = await upload(client, peer, next(photos), "image/jpeg")
        latencies.append(time.perf_counter() - started)
        assert status == 201, status

    quiet: list[float] = []
    for _ in range(10):
        await peer_upload(quiet)
    statuses: dict[int, int] = {}
    flooding = True

    async def bomb(data: bytes) -> None:
        status = await upload(client, flooder, data, "image/png")
        statuses[status] = statuses.get(status, 0) + 1

    async def peer_loop(latencies: list[float]) -> None:
        while flooding:
            await peer_upload(latencies)

    during: list[float] = []
    peer_task = asyncio.create_task(peer_loop(during))
    started = time.perf_counter()
    await asyncio.gather(*(bomb(data) for data in bombs))
    took = time.perf_counter() - started
    flooding = False
    await peer_task
    print(f"peer's 1600x1200 JPEG upload quiet: median {statistics.median(quiet) * 1000:.0f} ms")
    print(f"flood of 8 parallel {size[0]}x{size[1]} PNGs ({len(bombs[0]) // 1024} KB each): {took:.1f} s, answers {statuses}")
    print(f"peer during the flood: {len(during)} uploads, median {ms(during, 0.5):.0f} ms, max {max(during) * 1000:.0f} ms")


async def run(repo: Path, settings: dict[str, str], photos: tuple[int, int] | None = None) -> None:
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
            if photos:
                await photo_flood(client, flooder, peer, photos)
                return
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
    parser.add_argument("--photos", help="WxH: flood with 8 parallel PNG uploads of that size instead of commands")
    parser.add_argument("settings", nargs="*", help="NAME=VALUE settings for the server")
    args = parser.parse_args()
    photos = tuple(int(side) for side in args.photos.split("x")) if args.photos else None
    asyncio.run(run(args.repo.resolve(), dict(item.split("=", 1) for item in args.settings), photos))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
