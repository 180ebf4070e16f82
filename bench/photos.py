"""Benchmark of photos (issue 5): upload and thumbnail throughput, the server's memory meanwhile, the print page.

    .venv/bin/python -m bench.photos                                         # SQLite and PostgreSQL, 500 photos per phase
    .venv/bin/python -m bench.photos --databases sqlite --photos 50 --renders 50 --seconds 30   # quick

Photos: --photos distinct photo-like JPEGs per upload phase, made with Pillow before the server starts (1600x1200,
smooth colour fields, boxes and lines, sensor-like grain, quality 85: ~300 KB each; EXIF as a phone writes it,
one in ten stored sideways with orientation 6), every phase its own photos so that none is already on the server.

For each database: a fresh database (`giamsat db upgrade`), two branches, a gate and an officer made with the
`giamsat` CLI, one declaration with three containers (`giamsat declarations import`). Then the real app
(`giamsat serve`, one worker, pinned to CPU 0 with taskset) and, from this process pinned to CPU 1, the officer's
phone (bench.gate.Phone: a passkey enrolled through the real ceremony, then the session cookie and CSRF header):

  - upload x1, x4, x16: `PUT /api/v1/files/<sha256>` of every photo of the phase, from `concurrency` keep-alive
    connections; photos/s, MB/s, latency percentiles, the server's CPU per photo. The server's RSS
    (/proc/<pid>/status VmRSS) is sampled every 100 ms from just before the phase to its end: start, peak, end.
    The thumbnail and the display copy are made inside the upload request (files/services.save_upload writes
    the original, display copy and thumbnail, then the row, then answers), so a photo answered 201 has its
    thumbnail. Checked right after each phase: `GET /files/<sha>/thumb` for every photo of the phase, x4,
    must answer a JPEG of at most 320 px on its longest side at the first try (the time to fetch them all is shown);
  - re-upload of --duplicates photos already stored: each must answer 200 with created=false;
  - the print page: a handover record with --record-photos of the photos, goods and the representative's drawn
    signature, made, signed (passkey) and handed over through POST /api/v1/commands as the sealing page does;
    then `GET /seals/records/<id>/print` --renders times, one after the other (after 5 unmeasured): p50/p99.

Afterwards the server is stopped and what it stored is checked: one stored_file row for every photo answered 201
and none else; on disk exactly one original, display copy and thumbnail per row, each original hashing to its
name, no temporary file left; `giamsat audit verify` exits 0. Otherwise the run fails (exit 1).

Every phase is bounded by --seconds; load goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable

import httpx

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
    process_cpu_seconds,
    python,
)
from bench.gate import SECRET_KEY, Phone, giamsat, log, phase_table, rows  # noqa: E402

BRANCH, OTHER_BRANCH, GATE, OFFICER = "PHOTO01", "PHOTO02", "PHOTO01-G1", "PHOTO-OFF-1"
NUMBER = "104500000001"
SIDE = (1600, 1200)
QUALITY, GRAIN = 85, 0.04  # tuned so that the photos weigh ~300 KB
THUMB_SIDE = 320  # backend/files/images.py


# --- the photos --------------------------------------------------------------------------------------------------


def make_photo(seed: str) -> bytes:
    """A photo-like JPEG: smooth colour fields (a tiny random image upscaled), boxes with lines (containers, labels),
    a serial written on it, grain like a phone sensor's, EXIF as a phone writes it. Same seed, same bytes."""
    from PIL import ExifTags, Image, ImageDraw

    rng = random.Random(seed)
    width, height = SIDE
    image = Image.frombytes("RGB", (32, 24), rng.randbytes(32 * 24 * 3)).resize(SIDE, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(6, 14)):
        x, y = rng.randrange(width), rng.randrange(height)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randint(60, 500), y + rng.randint(40, 300)), fill=colour, outline=(20, 20, 20), width=3)
        for k in range(rng.randint(3, 10)):
            draw.line((x, y + 12 * k, x + rng.randint(60, 400), y + 12 * k), fill=(240, 240, 240), width=2)
    draw.text((40, 40), f"bench photo {seed}", fill=(255, 255, 255))
    grain = Image.frombytes("L", SIDE, rng.randbytes(width * height)).convert("RGB")
    image = Image.blend(image, grain, GRAIN)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "samsung"
    exif[ExifTags.Base.Model] = "SM-A546E"
    exif[ExifTags.Base.DateTime] = "2026:11:26 08:15:00"
    exif[ExifTags.Base.Orientation] = 6 if rng.random() < 0.1 else 1
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, exif=exif)
    return out.getvalue()


@dataclass(frozen=True)
class Photo:
    path: Path
    sha256: str
    size: int


def _write_photo(job: tuple[str, str]) -> tuple[str, str, int]:
    seed, directory = job
    data = make_photo(seed)
    path = Path(directory) / f"{seed}.jpg"
    path.write_bytes(data)
    return str(path), hashlib.sha256(data).hexdigest(), len(data)


def make_photos(directory: Path, sets: int, count: int) -> list[list[Photo]]:
    """`sets` lists of `count` distinct photos, written to `directory` (both CPUs: done before the pinning)."""
    directory.mkdir(parents=True, exist_ok=True)
    jobs = [(f"{s}-{n:04d}", str(directory)) for s in range(sets) for n in range(count)]
    with ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        made = [Photo(Path(p), sha, size) for p, sha, size in pool.map(_write_photo, jobs, chunksize=8)]
    if len({photo.sha256 for photo in made}) != len(made):
        raise RuntimeError("two generated photos have the same bytes")
    return [made[s * count : (s + 1) * count] for s in range(sets)]


def signature_png() -> bytes:
    """The representative's drawn signature, as the record form uploads it (a PNG with a transparent background)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 150), (120, 40), (200, 160), (320, 50), (450, 140), (580, 60)], fill=(0, 0, 90, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- the server's memory -------------------------------------------------------------------------------------


def rss_bytes(pid: int, field_name: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class MemorySampler:
    """The server's RSS every `interval` seconds, from a thread (the event loop of the load may be busy), each
    sample with how many photos had been answered by then (`progress`)."""

    def __init__(self, pid: int, progress: Callable[[], int], interval: float = 0.1) -> None:
        self.pid, self.progress, self.interval = pid, progress, interval
        self.samples: list[tuple[int, int]] = []  # (photos answered, RSS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((self.progress(), rss_bytes(self.pid)))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((self.progress(), rss_bytes(self.pid)))


# --- phases ------------------------------------------------------------------------------------------------------


def upload_head(phone: Phone, sha256: str, length: int, content_type: str = "image/jpeg") -> bytes:
    head = phone.head("PUT", f"/api/v1/files/{sha256}")
    return head[:-2] + f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n".encode()


@dataclass
class Upload:
    """One upload phase: its figures and what the server answered."""

    result: PhaseResult
    photos: list[Photo]
    created: set[str] = field(default_factory=set)  # answered 201
    not_created: list[str] = field(default_factory=list)  # answered 200 (already there): none expected
    refused: dict[str, int] = field(default_factory=dict)
    bytes_sent: int = 0
    wall: float = 0.0
    rss: list[tuple[int, int]] = field(default_factory=list)  # (photos answered, server RSS), every 100 ms
    thumbs_ok: int = 0
    thumbs_seconds: float = 0.0
    thumb_failures: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.created) + len(self.not_created) + sum(self.refused.values())

    def rss_after(self, share: float) -> int:
        """The server's RSS once `share` of the phase's photos had been answered: what it holds for the work in
        flight; from there to the end it should stay flat rather than grow with the photos stored."""
        wanted = share * len(self.photos)
        return next((rss for done, rss in self.rss if done >= wanted), self.rss[-1][1])

    @property
    def rss_peak(self) -> int:
        return max(rss for _, rss in self.rss)


async def upload_phase(kind: str, port: int, pid: int, phone: Phone, photos: list[Photo], concurrency: int, seconds: float) -> Upload:
    """Every photo once, from `concurrency` keep-alive connections, each sending its next photo when the answer to
    the previous one has arrived; stops early after `seconds`."""
    loop = asyncio.get_running_loop()
    pending = list(reversed(photos))
    latencies: list[float] = []
    outcome = Upload(PhaseResult(kind, "PUT /api/v1/files/<sha256>", concurrency, "photos/s", 0.0, latencies, 0, 0.0, 0.0), photos)
    deadline = loop.time() + seconds

    async def client() -> None:
        connection = Connection(port)
        try:
            while pending and loop.time() < deadline:
                photo = pending.pop()
                body = photo.path.read_bytes()
                head = upload_head(phone, photo.sha256, len(body))
                started = time.perf_counter()
                try:
                    status, data = await asyncio.wait_for(connection.request(head, body), timeout=60)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HTTPError, ValueError) as error:
                    connection.close()
                    key = f"no answer ({type(error).__name__})"
                    outcome.refused[key] = outcome.refused.get(key, 0) + 1
                    outcome.result.errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                outcome.bytes_sent += len(body)
                answer = json.loads(data) if data.startswith(b"{") else {}
                if status == 201 and answer.get("sha256") == photo.sha256 and answer.get("created") is True:
                    outcome.created.add(photo.sha256)
                elif status == 200 and answer.get("created") is False:
                    outcome.not_created.append(photo.sha256)
                else:
                    key = f"http {status} {answer.get('code') or data[:80]!r}"
                    outcome.refused[key] = outcome.refused.get(key, 0) + 1
                    outcome.result.errors += 1
        finally:
            connection.close()

    server_cpu, client_cpu = process_cpu_seconds(pid), time.process_time()
    with MemorySampler(pid, lambda: outcome.sent) as memory:
        await asyncio.sleep(0.3)  # a few samples before the first photo: the start
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        outcome.wall = time.perf_counter() - started
        await asyncio.sleep(0.3)
    outcome.rss = memory.samples
    result = outcome.result
    result.rate = len(outcome.created) / outcome.wall if outcome.wall else 0.0
    result.server_cpu = (process_cpu_seconds(pid) - server_cpu) / outcome.wall
    result.client_cpu = (time.process_time() - client_cpu) / outcome.wall
    return outcome


async def fetch_thumbs(port: int, phone: Phone, shas: list[str], concurrency: int = 4) -> tuple[float, dict[str, bytes], list[str]]:
    """GET /files/<sha>/thumb of every photo, `concurrency` connections: (seconds, thumbnails, failures)."""
    pending = list(reversed(shas))
    got: dict[str, bytes] = {}
    failures: list[str] = []

    async def client() -> None:
        connection = Connection(port)
        try:
            while pending:
                sha = pending.pop()
                try:
                    status, data = await asyncio.wait_for(connection.request(phone.head("GET", f"/files/{sha}/thumb")), timeout=30)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HTTPError, ValueError) as error:
                    connection.close()
                    failures.append(f"{sha[:12]}: no answer ({type(error).__name__})")
                    continue
                if status == 200:
                    got[sha] = data
                else:
                    failures.append(f"{sha[:12]}: http {status}")
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started, got, failures


def check_thumb(data: bytes) -> str | None:
    """Why `data` is not a thumbnail (a JPEG, longest side at most 320 px, no EXIF), or None."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as error:  # noqa: BLE001 - any decoding failure is the answer
        return f"not an image ({error})"
    if image.format != "JPEG" or max(image.size) > THUMB_SIDE or image.getexif():
        return f"{image.format} {image.size[0]}x{image.size[1]}, EXIF {dict(image.getexif())}"
    return None


# --- the handover record and its print page ----------------------------------------------------------------------


def envelope(phone: Phone, client: httpx.Client, type_: str, payload: dict[str, Any], signed: bool = False) -> dict[str, Any]:
    """A command as the device sends it; signed with the phone's passkey (journal/signing.py) when `signed`."""
    from backend.lib.canonical import canonical_json
    from tests.auth.soft_authenticator import b64url, unb64url

    issued = datetime.now(UTC)
    made: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": type_,
        "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%S.") + f"{issued.microsecond // 1000:03d}Z",
        "device_id": "bench-photos-phone",
        "payload": payload,
    }
    if signed:
        answer = client.post("/api/v1/signing/ticket", json={"device_id": made["device_id"]})
        answer.raise_for_status()
        nonce = answer.json()["ticket"]["nonce"]
        text = canonical_json({name: made[name] for name in ("device_id", "id", "issued_at", "payload", "type")})
        challenge = hashlib.sha256(unb64url(nonce) + text.encode()).digest()
        made["signature"] = {"nonce": nonce, "credential": phone.device.get({"challenge": b64url(challenge), "rpId": "localhost"})}
    return made


def apply(phone: Phone, client: httpx.Client, type_: str, payload: dict[str, Any], signed: bool = False) -> dict[str, Any]:
    answer = client.post("/api/v1/commands", json=[envelope(phone, client, type_, payload, signed)])
    answer.raise_for_status()
    (outcome,) = answer.json()["results"]
    if outcome["status"] != "applied":
        raise RuntimeError(f"{type_}: {outcome}")
    return outcome


def handover_record(phone: Phone, client: httpx.Client, gate_id: int, photos: list[str], signature: str) -> int:
    """A handover record with goods that cannot be sealed, their photos and the representative's drawn signature:
    made, signed and handed over, as tests/seals/test_pages.py makes the one it prints."""
    containers = [{"number": c, "seal_number": f"HQ-{i:06d}"} for i, c in enumerate(CONTAINERS[:2], start=101)]
    for item in containers:  # a record lists the seals on the containers (seals.create_record: seal_not_current)
        apply(phone, client, "seals.record_seal",
              {"location_id": gate_id, "number": NUMBER, "unit": item["number"], "seal_number": item["seal_number"]})
    outcome = apply(phone, client, "seals.create_record", {
        "location_id": gate_id,
        "kind": "handover",
        "number": NUMBER,
        "to_branch": OTHER_BRANCH,
        "containers": containers,
        "goods": [{"name": "Máy xúc bánh xích", "quantity": 2, "unit": "chiếc", "type": "hàng rời",
                   "marks": "KOMATSU PC200", "origin": "Nhật Bản"}],
        "photos": [*photos, signature],
        "representative_name": "Đỗ Văn Sáu",
        "representative_signature": signature,
    })
    record_id = outcome["result"]["record_id"]
    apply(phone, client, "seals.sign_record", {"location_id": gate_id, "record_id": record_id}, signed=True)
    apply(phone, client, "seals.hand_over", {"location_id": gate_id, "record_id": record_id})
    return record_id


@dataclass
class Render:
    result: PhaseResult
    html_bytes: int = 0
    photos_shown: int = 0
    copies: int = 0
    first_error: str = ""
    qr_chars: int = 0  # the signed QR's text: its length sets the QR's size, and the time to draw it


async def render_phase(kind: str, port: int, pid: int, phone: Phone, record_id: int, photos: list[str], count: int, seconds: float) -> Render:
    """GET the print page `count` times, one after the other, after 5 unmeasured; each must have its 2 copies and
    every photo's thumbnail in each."""
    latencies: list[float] = []
    render = Render(PhaseResult(kind, "GET /seals/records/<id>/print", 1, "pages/s", 0.0, latencies, 0, 0.0, 0.0))
    head = phone.head("GET", f"/seals/records/{record_id}/print")
    connection = Connection(port)
    try:
        for _ in range(5):
            await connection.request(head)
        server_cpu, client_cpu = process_cpu_seconds(pid), time.process_time()
        started = time.perf_counter()
        while len(latencies) + render.result.errors < count and time.perf_counter() - started < seconds:
            t0 = time.perf_counter()
            try:
                status, data = await asyncio.wait_for(connection.request(head), timeout=30)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HTTPError, ValueError) as error:
                connection.close()
                render.result.errors += 1
                render.first_error = render.first_error or f"no answer ({type(error).__name__})"
                continue
            elapsed = time.perf_counter() - t0
            html = data.decode()
            copies = html.count('class="form10"')
            if status != 200 or copies < 2 or any(html.count(f"/files/{sha}/thumb") != copies for sha in photos):
                render.result.errors += 1
                render.first_error = render.first_error or f"http {status}, {copies} copies: {html[:300]!r}"
                continue
            latencies.append(elapsed)
            render.html_bytes, render.copies = len(data), copies
            render.photos_shown = sum(1 for sha in photos if f"/files/{sha}/thumb" in html)
            render.qr_chars = len(qr.group(1)) if (qr := re.search(r'data-qr="([^"]*)"', html)) else 0
        wall = time.perf_counter() - started
    finally:
        connection.close()
    render.result.rate = len(latencies) / wall if wall else 0.0
    render.result.server_cpu = (process_cpu_seconds(pid) - server_cpu) / wall if wall else 0.0
    render.result.client_cpu = (time.process_time() - client_cpu) / wall if wall else 0.0
    return render


# --- one database --------------------------------------------------------------------------------------------


def container(first_ten: str) -> str:
    from backend.barcodes import iso6346

    return first_ten + str(iso6346.check_digit(first_ten))


CONTAINERS = [container(c) for c in ("TGHU500001", "MSKU500002", "TEMU500003")]


@dataclass
class Run:
    database: str
    uploads: list[Upload] = field(default_factory=list)
    duplicates_ok: int = 0
    duplicates: int = 0
    render: Render | None = None
    hwm: int = 0
    checks: list[str] = field(default_factory=list)
    ok: bool = True


def bench_database(database: Database, workdir: Path, args: argparse.Namespace, pin: bool, sets: list[list[Photo]]) -> Run:
    kind = database.kind
    port = free_port()
    origin = f"http://localhost:{port}"
    data_dir = workdir / f"data-{kind}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIAMSAT_", "DATABASE_URL", "PICCOLO_"))}
    env.update(
        DATABASE_URL=database.url,
        GIAMSAT_DATA_DIR=str(data_dir),
        GIAMSAT_ORIGIN=origin,
        GIAMSAT_SECRET_KEY=SECRET_KEY,
        PICCOLO_CONF="backend.piccolo_conf",
        PYTHONUNBUFFERED="1",
    )
    step = time.monotonic()
    giamsat(env, "db", "upgrade")
    giamsat(env, "branch", "add", "--code", BRANCH, "--name", "Chi cục Hải quan bench ảnh")
    giamsat(env, "branch", "add", "--code", OTHER_BRANCH, "--name", "Chi cục Hải quan bench nhận")
    giamsat(env, "location", "add", "--code", GATE, "--name", "Cổng 1", "--kind", "gate", "--branch", BRANCH)
    link = giamsat(env, "officer", "add", "--code", OFFICER, "--name", "Lê Thị Bench Ảnh", "--role", "officer", "--branch", BRANCH)
    enrollment = link.strip().splitlines()[-1].strip().rsplit("/", 1)[1]
    declaration = {
        "number": NUMBER, "kind": "import", "version": 1, "status_code": "THONG_QUAN", "allows_passage": True, "lane": 1,
        "branch_code": BRANCH, "seal_required": True, "sealed": False, "cargo_type": "containers",
        "containers": [{"number": c, "seal": f"CS{i}"} for i, c in enumerate(CONTAINERS)],
        "goods_description": "Máy xúc bánh xích đã qua sử dụng", "warnings": [],
    }
    path = workdir / f"declaration-{kind}.json"
    path.write_text(json.dumps([declaration]))
    giamsat(env, "declarations", "import", str(path))
    gate_id = database.location_id(GATE)
    log(kind, f"database ready in {time.monotonic() - step:.0f} s")

    run = Run(kind)
    server = Server(env, port, pin, workdir / f"server-{kind}.log")
    try:
        server.wait_ready(60)
        phone = Phone(port, origin, 0, gate_id)
        phone.enroll(enrollment)
        log(kind, f"server pid {server.pid} on port {port}; passkey enrolled; RSS {rss_bytes(server.pid) / 2**20:.0f} MiB")
        runner = new_loop_runner()

        for concurrency, photos in zip(args.concurrency, sets):
            upload = runner(upload_phase(kind, port, server.pid, phone, photos, concurrency, args.seconds))
            shas = sorted(upload.created)
            upload.thumbs_seconds, thumbs, failures = runner(fetch_thumbs(port, phone, shas))
            for sha, data in thumbs.items():
                why = check_thumb(data)
                if why:
                    failures.append(f"{sha[:12]}: {why}")
                else:
                    upload.thumbs_ok += 1
            upload.thumb_failures = failures
            run.uploads.append(upload)
            r = upload.result
            log(kind, f"upload x{concurrency}: {len(upload.created)}/{len(photos)} stored in {upload.wall:.1f} s, {r.rate:.1f} photos/s, "
                f"{upload.bytes_sent / upload.wall / 1e6:.2f} MB/s, p50 {fmt_ms(r.percentile(50))}, p99 {fmt_ms(r.percentile(99))}, "
                f"server CPU {r.server_cpu:.0%}, RSS {mib(upload.rss[0][1])} start, {mib(upload.rss_after(0.1))} after 10 % of the "
                f"photos, peak {mib(upload.rss_peak)}, end {mib(upload.rss[-1][1])} (at 25/50/75 %: "
                f"{', '.join(mib(upload.rss_after(share)) for share in (0.25, 0.5, 0.75))}); thumbnails {upload.thumbs_ok}/{len(shas)} in {upload.thumbs_seconds:.2f} s"
                + (f"; refused {upload.refused}" if upload.refused else ""))

        with httpx.Client(
            base_url=origin, cookies={"gs_session": phone.session, "gs_csrf": phone.csrf},
            headers={"x-csrf-token": phone.csrf}, timeout=60,
        ) as client:
            # the same photos again: a device retrying after a lost answer
            again = [p for p in sets[0] if p.sha256 in run.uploads[0].created][: args.duplicates]
            for photo in again:
                answer = client.put(f"/api/v1/files/{photo.sha256}", content=photo.path.read_bytes(), headers={"content-type": "image/jpeg"})
                run.duplicates += 1
                run.duplicates_ok += answer.status_code == 200 and answer.json()["created"] is False

            signature = signature_png()
            signature_sha = hashlib.sha256(signature).hexdigest()
            answer = client.put(f"/api/v1/files/{signature_sha}", content=signature, headers={"content-type": "image/png"})
            if answer.status_code != 201:
                raise RuntimeError(f"signature upload: {answer.status_code} {answer.text}")
            shown = [p.sha256 for p in sets[0] if p.sha256 in run.uploads[0].created][: args.record_photos]
            record_id = handover_record(phone, client, gate_id, shown, signature_sha)

        if args.renders:
            run.render = runner(render_phase(kind, port, server.pid, phone, record_id, shown, args.renders, args.seconds))
            r = run.render.result
            log(kind, f"print page x1: {len(r.latencies)} renders, p50 {fmt_ms(r.percentile(50))}, p99 {fmt_ms(r.percentile(99))}, "
                f"{run.render.html_bytes / 1000:.0f} kB of HTML, {run.render.copies} copies with {run.render.photos_shown} photos each, "
                f"a signed QR of {run.render.qr_chars} characters, "
                f"server CPU {r.server_cpu / r.rate * 1000 if r.rate else 0:.1f} ms per page, errors {r.errors}"
                + (f" (first: {run.render.first_error})" if run.render.first_error else ""))
        run.hwm = rss_bytes(server.pid, "VmHWM")
    finally:
        server.stop()
    check_stored(database, env, data_dir, run, extra={signature_sha})
    return run


def check_stored(database: Database, env: dict[str, str], data_dir: Path, run: Run, extra: set[str]) -> None:
    """One row per photo answered 201 (plus the signature) and nothing else; on disk one original, display copy and
    thumbnail per row, each original hashing to its name; no temporary file left; the journal verifies."""
    created: set[str] = set().union(*(u.created for u in run.uploads)) | extra
    answered = sum(len(u.created) for u in run.uploads) + len(extra)
    stored = [str(r[0]) for r in rows(database, "SELECT sha256 FROM stored_file")]
    files = [p for p in (data_dir / "files").rglob("*") if p.is_file()]
    originals = {p.name: p for p in files if re.fullmatch(r"[0-9a-f]{64}", p.name)}
    displays = {p.name.split(".")[0] for p in files if p.name.endswith(".display.jpg")}
    thumbs = {p.name.split(".")[0] for p in files if p.name.endswith(".thumb.jpg")}
    leftovers = [p.name for p in files if p.name.startswith(".upload-")]
    corrupt = [name for name, p in originals.items() if hashlib.sha256(p.read_bytes()).hexdigest() != name]
    sent = sum(u.sent for u in run.uploads)
    run.checks.append(
        f"uploads sent {sent:,}, answered 201 {answered - len(extra):,} (+1 signature PNG); stored_file rows {len(stored):,} "
        f"({len(set(stored)):,} distinct); on disk {len(originals):,} originals, {len(displays):,} display copies, "
        f"{len(thumbs):,} thumbnails, {len(leftovers)} temporary files; originals not matching their hash: {len(corrupt)}; "
        f"duplicates re-sent {run.duplicates} -> answered 200 created=false: {run.duplicates_ok}"
    )
    ok = answered == len(created) and set(stored) == created and len(stored) == len(set(stored))
    ok &= set(originals) == created and displays == created and thumbs == created and not leftovers and not corrupt
    ok &= run.duplicates_ok == run.duplicates
    ok &= all(not u.not_created and not u.refused and not u.thumb_failures and u.thumbs_ok == len(u.created) for u in run.uploads)
    for u in run.uploads:
        if u.not_created or u.refused or u.thumb_failures:
            run.checks.append(f"x{u.result.concurrency}: already there {len(u.not_created)}, refused {u.refused}, "
                              f"thumbnail failures {u.thumb_failures[:5]}")
    audit = subprocess.run([python(), "-m", "backend.cli", "audit", "verify"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    run.checks.append(f"audit verify: exit {audit.returncode}: {(audit.stdout + audit.stderr).strip()}")
    ok &= audit.returncode == 0
    if run.render is not None:
        ok &= run.render.result.errors == 0 and bool(run.render.result.latencies)
    run.ok = ok
    run.checks.append("stored files check: " + ("OK" if ok else "FAILED"))


# --- output ------------------------------------------------------------------------------------------------------


def mib(value: int) -> str:
    return f"{value / 2**20:.0f} MiB"


def upload_table(runs: list[Run]) -> str:
    """bench.gate.phase_table (rate, p50/p95/p99, errors, CPU shares, server CPU per photo) with MB/s, the photos
    stored of those sent, the server's RSS (start, peak, end) and the thumbnails fetched afterwards."""
    uploads = [u for run in runs for u in run.uploads]
    lines = phase_table([u.result for u in uploads]).splitlines()
    lines[0] += " photos stored | MB/s | RSS start | RSS at 10 % | RSS peak | RSS end | thumbnails after (x4) |"
    lines[1] += "-------------:|-----:|----------:|------------:|---------:|--------:|----------------------:|"
    for i, u in enumerate(uploads, start=2):
        lines[i] += (
            f" {len(u.created)}/{len(u.photos)} | {u.bytes_sent / u.wall / 1e6:.2f} | {mib(u.rss[0][1])} | {mib(u.rss_after(0.1))} | "
            f"{mib(u.rss_peak)} | {mib(u.rss[-1][1])} | {u.thumbs_ok}/{len(u.created)} in {u.thumbs_seconds:.2f} s |"
        )
    return "\n".join(lines)


def render_table(runs: list[Run]) -> str:
    lines = [
        "| database   | print page (handover record) | renders | p50 | p95 | p99 | max | server CPU per page | HTML | errors |",
        "|------------|------------------------------|--------:|----:|----:|----:|----:|--------------------:|-----:|-------:|",
    ]
    for run in runs:
        if run.render is None or not run.render.result.latencies:
            continue
        r = run.render.result
        lines.append(
            f"| {run.database} | {run.render.copies} copies x {run.render.photos_shown} photos + signature | {len(r.latencies)} | "
            f"{fmt_ms(r.percentile(50))} | {fmt_ms(r.percentile(95))} | {fmt_ms(r.percentile(99))} | {fmt_ms(max(r.latencies))} | "
            f"{r.server_cpu / r.rate * 1000 if r.rate else 0:.1f} ms | {run.render.html_bytes / 1000:.0f} kB | {r.errors} |"
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
    parser.add_argument("--photos", type=int, default=500, help="distinct photos uploaded in each upload phase")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=300.0, help="the most time any one phase may take")
    parser.add_argument("--renders", type=int, default=200, help="measured renders of the print page (0: none)")
    parser.add_argument("--record-photos", type=int, default=8, help="photos of the printed handover record (at most 19)")
    parser.add_argument("--duplicates", type=int, default=20, help="stored photos sent again, to be answered created=false")
    parser.add_argument("--no-pin", action="store_true", help="don't pin the server to CPU 0 and the generator to CPU 1")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (photos, server logs, files)")
    args = parser.parse_args(argv)
    if not 1 <= args.photos <= 5000 or not 0 < args.seconds <= 3600 or not 1 <= args.record_photos <= 19:
        parser.error("--photos must be in [1, 5000], --seconds in (0, 3600], --record-photos in [1, 19]")
    if args.record_photos > args.photos or not args.concurrency or min(args.concurrency) < 1:
        parser.error("--record-photos must not exceed --photos; --concurrency needs positive numbers")

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="giamsat-bench-photos-"))
    runs: list[Run] = []
    try:
        sets = make_photos(workdir / "photos", len(args.concurrency), args.photos)
        sizes = [p.size for s in sets for p in s]
        log("photos", f"{len(sizes):,} JPEGs of {SIDE[0]}x{SIDE[1]} made in {time.monotonic() - started:.0f} s: "
            f"{statistics.mean(sizes) / 1000:.0f} kB on average ({min(sizes) / 1000:.0f}-{max(sizes) / 1000:.0f} kB)")
        load_before = os.getloadavg()[0]
        pin = not args.no_pin and shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2
        if pin:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[1]})
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            database: Database
            if kind == "sqlite":
                database = SQLiteDatabase(workdir)
            elif kind in ("postgresql", "postgres"):
                database = PostgresDatabase(args.postgres_url)
            else:
                parser.error(f"unknown database {kind!r}")
            try:
                runs.append(bench_database(database, workdir, args, pin, sets))
            finally:
                database.drop()
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"giamsat photo benchmark — {os.cpu_count()} CPUs, server {'pinned to CPU 0, generator to CPU 1' if pin else 'not pinned'}; "
        f"{args.photos} photos of ~{statistics.mean(sizes) / 1000:.0f} kB ({SIDE[0]}x{SIDE[1]} JPEG) per upload phase; "
        "latency = time to the whole answer; the thumbnail is made inside the upload request"
    )
    print(f"1-minute load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f} (HOST {HOST})")
    print(upload_table(runs))
    print()
    print(render_table(runs))
    print()
    for run in runs:
        print(f"[{run.database}] server peak RSS over the whole run (VmHWM): {mib(run.hwm)}")
        for line in run.checks:
            print(f"[{run.database}] {line}")
    print(f"total time {time.monotonic() - started:.0f} s")
    return 0 if runs and all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
