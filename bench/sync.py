"""Benchmark of the device sync path: a queue of 1,000 commands and 100 photos replayed to the server.

    .venv/bin/python -m bench.sync                         # SQLite and PostgreSQL
    .venv/bin/python -m bench.sync --databases sqlite --commands 1000 --photos 100

"Through the real sync path" means the real thing end to end: for each database a fresh `giamsat serve`
(demo data, demo sign-in on localhost), Debian's Chromium driven by Playwright, the officer signed in, and
the device's own code (service_worker/store.js and queue.js, as the pages load them) holding the queue in
IndexedDB. The network is cut while the queue is filled (1,000 `logbook.add_entry` commands, one in ten
with a ~300 KB JPEG photo made here with random noise so it does not compress), then restored: the page
replays by itself on `online`, as a phone does. The clock runs from reconnecting until the device's queue
is empty. In the same run, the same page fetches a trivial endpoint (GET /manifest.webmanifest) 500 times
one after the other, as the ceiling of one request's round trip through this browser and server.

Afterwards the server's journal must hold each command once, every photo must be stored once, and
`giamsat audit verify` must pass; otherwise the run fails (exit status 1). Target: under 10 s end to end.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server, free_port  # noqa: E402
from tests.conftest import _pg_admin, _with_database, giamsat, run_async  # noqa: E402

PHOTO_BYTES = 300_000


def noisy_jpeg(seed: int) -> bytes:
    """A JPEG of about 300 KB: random noise does not compress, like a real photo's detail."""
    from PIL import Image

    rng = random.Random(seed)
    side = 560
    while True:
        image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=85)
        if buffer.tell() >= PHOTO_BYTES * 0.9:
            return buffer.getvalue()
        side += 40


FILL_QUEUE = """async ({commands, officer, locationId}) => {
  const store = self.giamsatStore, queue = self.giamsatQueue;
  for (const item of commands) {
    const envelope = {
      id: crypto.randomUUID(), type: "logbook.add_entry", issued_at: new Date().toISOString(),
      device_id: "bench-device", offline: true,
      payload: {location_id: locationId, text: item.text, photos: item.photos},
    };
    await queue.enqueue(envelope, officer, item.photos);
  }
  return (await store.queueEntries()).length;
}"""

PUT_PHOTOS = """async (photos) => {
  for (const photo of photos) {
    const bytes = Uint8Array.from(atob(photo.base64), (c) => c.charCodeAt(0)).buffer;
    await self.giamsatStore.putFile({sha256: photo.sha256, type: "image/jpeg", bytes, size: bytes.byteLength,
                                     created_at: new Date().toISOString(), uploaded: false});
  }
  return photos.length;
}"""

TRIVIAL = """async (n) => {
  const started = performance.now();
  for (let i = 0; i < n; i++) { const r = await fetch("/manifest.webmanifest", {cache: "no-store"}); await r.arrayBuffer(); }
  return performance.now() - started;
}"""


def run_one(database: str, args: argparse.Namespace, photos: list[tuple[str, bytes]]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    data_dir = Path(tempfile.mkdtemp(prefix=f"giamsat-bench-sync-{database}-"))
    env: dict[str, str] = {"GIAMSAT_DEMO": "1"}
    pg_name = None
    if database == "postgresql":
        pg_name = f"giamsat_bench_sync_{os.getpid()}"
        run_async(_pg_admin(args.postgres_url, f'CREATE DATABASE "{pg_name}"'))
        env["DATABASE_URL"] = _with_database(args.postgres_url, pg_name)
    server = Server(data_dir=data_dir, port=free_port(), extra_env=env)
    try:
        server.prepare()
        server.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            page = context.new_page()
            page.goto(server.url("/signin"))
            page.click('.demo-user[data-code="CB001"]')
            page.wait_for_selector(".profile")
            page.goto(server.url("/logbook"))
            location_id = int(page.eval_on_selector("#location_id", "(select) => select.value"))
            page.wait_for_function("() => self.giamsatQueue && self.giamsatStore")

            trivial_ms = page.evaluate(TRIVIAL, args.trivial)

            context.set_offline(True)
            for start in range(0, len(photos), 10):
                chunk = [{"sha256": sha, "base64": base64.b64encode(body).decode()} for sha, body in photos[start : start + 10]]
                page.evaluate(PUT_PHOTOS, chunk)
            every = max(1, args.commands // max(1, len(photos)))
            commands = []
            for i in range(args.commands):
                with_photo = i % every == 0 and i // every < len(photos)
                commands.append({"text": f"bench {i}", "photos": [photos[i // every][0]] if with_photo else []})
            queued = page.evaluate(FILL_QUEUE, {"commands": commands, "officer": "CB001", "locationId": location_id})
            assert queued == args.commands, queued

            started = time.perf_counter()
            context.set_offline(False)
            page.evaluate("() => window.dispatchEvent(new Event('online'))")  # as the browser does on reconnect
            deadline = started + args.timeout
            while True:
                left = page.evaluate("async () => (await self.giamsatStore.queueEntries()).length")
                if left == 0 or time.perf_counter() > deadline:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            rejected = page.evaluate("async () => (await self.giamsatStore.all('rejected')).length")
            browser.close()
        server.stop()
        counts = journal_counts(server, database, env)
        audit = giamsat(server.env, "audit", "verify", check=False)
        return {
            "database": database,
            "left": left,
            "rejected": rejected,
            "seconds": elapsed,
            "commands_per_s": args.commands / elapsed,
            "trivial_ms": trivial_ms / args.trivial,
            "journal": counts,
            "audit_ok": audit.returncode == 0,
        }
    finally:
        server.stop()
        if pg_name:
            run_async(_pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def journal_counts(server: Server, database: str, env: dict[str, str]) -> dict[str, int]:
    queries = {
        "commands": "SELECT count(*) FROM journal_entry WHERE command_type = 'logbook.add_entry'",
        "distinct_ids": "SELECT count(DISTINCT command_id) FROM journal_entry",
        "files": "SELECT count(*) FROM stored_file",
        "attached": "SELECT count(*) FROM file_attachment",
    }
    if database == "sqlite":
        with sqlite3.connect(f"file:{server.data_dir / 'giamsat.db'}?mode=ro", uri=True) as connection:
            return {name: connection.execute(sql).fetchone()[0] for name, sql in queries.items()}

    async def fetch() -> dict[str, int]:
        import asyncpg

        connection = await asyncpg.connect(env["DATABASE_URL"])
        try:
            return {name: await connection.fetchval(sql) for name, sql in queries.items()}
        finally:
            await connection.close()

    return run_async(fetch())


def main() -> int:
    if "--submit" in sys.argv[1:]:  # submit latency with a long queue (issue 12): bench/submit.py, given the other options
        from bench.submit import main as submit_main

        return submit_main([arg for arg in sys.argv[1:] if arg != "--submit"])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submit", action="store_true", help="measure submit latency with 0, 1,000, 5,000 queued instead (bench/submit.py; see its --help)")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--trivial", type=int, default=500, help="trivial requests measured in the same run")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--postgres-url", default=os.environ.get("GIAMSAT_TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/postgres"))
    parser.add_argument("--stampede", action="store_true", help="run bench/stampede.py instead (1,000 devices replaying at once); its options follow")
    args, rest = parser.parse_known_args()
    if args.stampede:
        from bench import stampede

        return stampede.main([f"--databases={args.databases}", f"--postgres-url={args.postgres_url}", *rest])
    args = parser.parse_args()

    photos = []
    for seed in range(args.photos):
        body = noisy_jpeg(seed)
        photos.append((hashlib.sha256(body).hexdigest(), body))
    mean_kb = sum(len(body) for _, body in photos) / max(1, len(photos)) / 1000
    print(f"{args.commands} commands, {len(photos)} photos of {mean_kb:.0f} KB on average; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load {os.getloadavg()[0]:.2f}")
    failed = False
    print(f"{'database':<11} {'end to end':>10} {'commands/s':>11} {'trivial GET':>12}  journal")
    for database in [name.strip() for name in args.databases.split(",") if name.strip()]:
        result = run_one(database, args, photos)
        journal = result["journal"]
        ok = (
            result["left"] == 0
            and result["rejected"] == 0
            and journal["commands"] == args.commands
            and journal["distinct_ids"] == journal["commands"]
            and journal["files"] == len(photos)
            and journal["attached"] == len(photos)
            and result["audit_ok"]
        )
        failed |= not ok
        print(
            f"{database:<11} {result['seconds']:>9.2f}s {result['commands_per_s']:>11,.0f} {result['trivial_ms']:>10.2f}ms  "
            f"{journal['commands']} commands, {journal['files']} photos, audit {'ok' if result['audit_ok'] else 'BROKEN'}"
            + ("" if ok else f"  FAILED: {result}")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
