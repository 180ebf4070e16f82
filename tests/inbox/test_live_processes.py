"""Two app processes on one PostgreSQL (issue 15, item 3): a change made through one process is numbered once and
reaches the open streams of both (LISTEN/NOTIFY). Real `giamsat serve` processes, real HTTP streams."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, _empty_all, giamsat, run_async

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.env = {**env, "GIAMSAT_ORIGIN": self.origin}
        self.log = data_dir / f"server-{self.port}.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port), "--log-level", "warning"],
                cwd=REPO, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.origin + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"giamsat serve did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def token(env: dict[str, str], code: str) -> str:
    return giamsat(env, "token", "create", "--officer", code).stdout.strip().splitlines()[-1]


class Listening:
    """A supervisor's open page on one process: its stream read in a thread, each 'changes' message queued."""

    def __init__(self, process: Process, bearer: str) -> None:
        self.messages: queue.Queue[dict[str, object]] = queue.Queue()
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, args=(process.origin, bearer), daemon=True)
        self.thread.start()
        assert self.connected.wait(15), "the stream did not open"

    def _read(self, origin: str, bearer: str) -> None:
        try:
            self._read_stream(origin, bearer)
        except httpx.HTTPError:
            if not self.stop.is_set():  # the servers stopping at the end of the test cut the stream: expected
                raise

    def _read_stream(self, origin: str, bearer: str) -> None:
        headers = {"authorization": f"Bearer {bearer}"}
        with httpx.stream("GET", origin + "/inbox/stream?after=0", headers=headers, timeout=30) as response:
            assert response.status_code == 200
            self.connected.set()
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if not line:
                    if fields.get("event") == "changes":
                        self.messages.put({"id": fields["id"], **json.loads(fields["data"])})
                    fields = {}
                    continue
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")

    def next(self, timeout: float = 15) -> dict[str, object]:
        return self.messages.get(timeout=timeout)


@pytest.fixture
def two_processes(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Process, Process, dict[str, str]]]:
    run_async(_empty_all(postgres_url))
    env = {
        "DATABASE_URL": postgres_url, "GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_SECRET_KEY": "test-secret-key-not-for-production",
        "GIAMSAT_INBOX_TICK_SECONDS": "0",
    }
    giamsat(env, "branch", "add", "--code", "B1", "--name", "Chi cục Một")
    giamsat(env, "location", "add", "--code", "B1-GA", "--name", "Cổng A", "--kind", "gate", "--branch", "B1")
    giamsat(env, "officer", "add", "--code", "CB1", "--name", "Nguyễn Văn Một", "--role", "officer", "--branch", "B1")
    giamsat(env, "officer", "add", "--code", "GS1", "--name", "Trần Thị Hai", "--role", "supervisor", "--branch", "B1")
    first = Process(env, tmp_path)
    try:
        second = Process(env, tmp_path)
    except BaseException:
        first.stop()
        raise
    yield first, second, env
    first.stop()
    second.stop()


def test_live_two_processes_deliver_one_numbered_change_to_the_streams_of_both(two_processes: tuple[Process, Process, dict[str, str]]) -> None:
    first, second, env = two_processes
    head = token(env, "GS1")
    on_first, on_second = Listening(first, head), Listening(second, head)
    officer = token(env, "CB1")
    location = httpx.get(first.origin + "/api/v1/replica/locations", headers={"authorization": f"Bearer {officer}"}).json()
    location_id = next(row["id"] for row in location["items"] if row["code"] == "B1-GA")
    made = datetime.now(UTC) - timedelta(minutes=10)  # made offline, sent now: it waits for reconciliation (35.2.d.2)
    envelope = {
        "id": str(uuid.uuid4()), "type": "logbook.add_entry", "issued_at": made.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "device_id": "phone-1", "payload": {"location_id": location_id, "text": "Ghi khi mất mạng"}, "offline": True,
    }

    sent = httpx.post(second.origin + "/api/v1/commands", json=[envelope], headers={"authorization": f"Bearer {officer}"})

    assert sent.status_code == 200 and sent.json()["results"][0]["status"] == "applied", sent.text
    seen_first, seen_second = on_first.next(), on_second.next()
    for seen in (seen_first, seen_second):
        assert [added["kind"] for added in seen["added"]] == ["sync.reconciliation"], seen  # type: ignore[union-attr]
        assert seen["total"] == 1
    assert seen_first["id"] == seen_second["id"]  # one change, numbered once, whichever process numbered it
    rows = run_async(_events(env["DATABASE_URL"]))
    assert len(rows) == 1 and rows[0][0].startswith("sync.reconciliation:") and rows[0][1] == "added", rows
    on_first.stop.set()
    on_second.stop.set()


async def _events(url: str) -> list[tuple[str, str]]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [(row["item_key"], row["change"]) for row in await connection.fetch("SELECT item_key, change FROM inbox_event ORDER BY id")]
    finally:
        await connection.close()
