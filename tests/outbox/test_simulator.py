"""The simulator as a process (`giamsat upstream-sim`), and the app's background delivery to it: a confirmed passage
reaches it by itself, with no pass driven by the test; GIAMSAT_OUTBOX_INTERVAL_SECONDS=0 or no URL switches it off."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any, Iterator

import httpx
import pytest
from litestar.testing import TestClient

from tests.conftest import REPO, World
from tests.declarations.helpers import C1
from tests.outbox.helpers import confirm, declarations, gate_officer, messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "upstream-sim", "--port", str(port)], cwd=REPO,
        env={**os.environ, "PICCOLO_CONF": "backend.piccolo_conf"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the simulator did not start")
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def app_env(app_env: dict[str, str], upstream: str) -> dict[str, str]:
    return {**app_env, "GIAMSAT_UPSTREAM_URL": upstream, "GIAMSAT_OUTBOX_INTERVAL_SECONDS": "0.1"}


def wait_for(check: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    return check()


def test_simulator_dedupes_by_message_id_and_plays_refusal_and_outage(upstream: str) -> None:
    message = {"message_id": "11111111-1111-4111-8111-111111111111", "kind": "gate.passage_confirmed", "payload": {}}
    httpx.post(upstream + "/control", json={"mode": "accept"})

    first = httpx.post(upstream + "/messages", json=message)
    again = httpx.post(upstream + "/messages", json=message)
    httpx.post(upstream + "/control", json={"mode": "refuse", "reason": "Sai số tờ khai"})
    refused = httpx.post(upstream + "/messages", json={**message, "message_id": "22222222-2222-4222-8222-222222222222"})
    httpx.post(upstream + "/control", json={"mode": "down"})
    down = httpx.post(upstream + "/messages", json=message)
    httpx.post(upstream + "/control", json={"mode": "accept"})

    assert first.json()["status"] == "accepted" and again.json() == {**first.json(), "duplicate": True}
    assert (refused.status_code, refused.json()) == (422, {"status": "refused", "reason": "Sai số tờ khai"})
    assert down.status_code == 503
    stored = httpx.get(upstream + "/messages").json()
    assert [m["message_id"] for m in stored["messages"]].count(message["message_id"]) == 1


def test_simulator_batch_answers_each_message_as_the_single_endpoint_would(upstream: str) -> None:
    known = {"message_id": "33333333-3333-4333-8333-333333333333", "kind": "gate.passage_confirmed", "payload": {}}
    fresh = {"message_id": "44444444-4444-4444-8444-444444444444", "kind": "gate.passage_confirmed", "declaration": "104000000009", "payload": {}}
    refused = {**fresh, "message_id": "55555555-5555-4555-8555-555555555555", "declaration": "104000000008"}
    httpx.post(upstream + "/control", json={"mode": "accept", "reason": "Sai số tờ khai", "refuse_declarations": ["104000000008"]})
    single = httpx.post(upstream + "/messages", json=known).json()

    batch = httpx.post(upstream + "/messages/batch", json={"messages": [known, refused, fresh]})
    httpx.post(upstream + "/control", json={"mode": "down"})
    down = httpx.post(upstream + "/messages/batch", json={"messages": [fresh]})
    httpx.post(upstream + "/control", json={"mode": "accept", "batch": False})
    no_batch = httpx.post(upstream + "/messages/batch", json={"messages": [fresh]})
    httpx.post(upstream + "/control", json={"mode": "accept"})

    results = batch.json()["results"]
    assert batch.status_code == 200 and [r["message_id"] for r in results] == [m["message_id"] for m in (known, refused, fresh)]
    assert results[0] == {"message_id": known["message_id"], "status": "accepted", "reference": single["reference"], "duplicate": True}
    assert results[1] == {"message_id": refused["message_id"], "status": "refused", "reason": "Sai số tờ khai"}
    assert results[2]["status"] == "accepted" and results[2]["reference"] != single["reference"]
    assert (down.status_code, no_batch.status_code) == (503, 404)
    stored = [m["message_id"] for m in httpx.get(upstream + "/messages").json()["messages"]]
    assert stored.count(known["message_id"]) == 1 and stored.count(fresh["message_id"]) == 1
    assert refused["message_id"] not in stored


def test_the_app_delivers_in_the_background_to_the_simulator(client: TestClient, world: World, upstream: str) -> None:
    declarations(client)
    outcome = confirm(gate_officer(client, world), world["gate"], C1)

    delivered = wait_for(lambda: [row for row in messages(client) if row["state"] == "delivered"])

    assert [str(row["command_id"]) for row in delivered] == [outcome["id"]]
    stored = httpx.get(upstream + "/messages").json()["messages"]
    assert str(delivered[0]["message_id"]) in [m["message_id"] for m in stored]
    assert delivered[0]["upstream_reference"] in [m["reference"] for m in stored]


def test_background_delivery_is_off_without_url_or_interval() -> None:
    from backend.outbox.worker import OutboxWorker
    from backend.settings import load_settings

    base = {"GIAMSAT_SECRET_KEY": "x"}
    no_url = OutboxWorker(load_settings(base), engine=None)  # type: ignore[arg-type]
    no_interval = OutboxWorker(load_settings({**base, "GIAMSAT_UPSTREAM_URL": "http://x", "GIAMSAT_OUTBOX_INTERVAL_SECONDS": "0"}), engine=None)  # type: ignore[arg-type]
    on = OutboxWorker(load_settings({**base, "GIAMSAT_UPSTREAM_URL": "http://x"}), engine=None)  # type: ignore[arg-type]

    assert (no_url.enabled, no_interval.enabled, on.enabled) == (False, False, True)
