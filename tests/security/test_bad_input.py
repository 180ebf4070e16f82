"""Issue 11, finding 8: bad input is a clear 4xx in the caller's language, never a server error.

A device that queued a command the server answers with 5xx retries it forever; a refusal (4xx) goes to the
officer's refused list instead. Each case here was a 500 before.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.auth.soft_authenticator import with_csrf
from tests.conftest import World, sign_in_as

DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def envelope(**changes: Any) -> dict[str, Any]:
    command = {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": "2026-12-05T08:00:00Z",
        "device_id": "web-test",
        "payload": {"location_id": 1, "text": "ok"},
    }
    command.update(changes)
    return command


def assert_refused(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "message"} and body["message"], body
    return body


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize("path", ["/auth/signin/verify", "/auth/register/options", "/auth/register/verify"])
def test_deeply_nested_json_to_the_sign_in_endpoints_is_refused(client: TestClient, path: str, body: str) -> None:
    with_csrf(client)

    response = client.post(path, content=body, headers={"content-type": "application/json"})

    assert_refused(response)


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_command_is_refused(client: TestClient, world: World, body: str) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/commands", content=body, headers={"content-type": "application/json"})

    assert_refused(response)


def test_deeply_nested_payload_inside_a_command_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    payload = '{"location_id": 1, "text": "x", "extra": ' + DEEP + "}"
    command = envelope()
    raw = '[{"id": "%s", "type": "logbook.add_entry", "issued_at": "2026-12-05T08:00:00Z", "device_id": "d", "payload": %s}]' % (command["id"], payload)

    response = client.post("/api/v1/commands", content=raw, headers={"content-type": "application/json"})

    assert response.status_code < 500, response.text


@pytest.mark.parametrize("record_id", ["2147483648", "9223372036854775808", "99999999999999999999999"])
def test_id_beyond_the_database_integer_is_not_found(client: TestClient, world: World, record_id: str) -> None:
    sign_in_as(client, world["officer"])

    response = client.get(f"/api/v1/seals/records/{record_id}")

    assert response.status_code in (400, 404), response.text
    assert response.json()["message"]


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**40])
def test_huge_integer_in_a_command_payload_is_refused(client: TestClient, world: World, value: int) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/commands", json=[envelope(payload={"location_id": value, "text": "x"})])

    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert response.json()["results"][0]["status"] == "rejected"


@pytest.mark.parametrize("issued_at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1970-01-01T00:00:00Z", "2999-01-01T00:00:00Z"])
def test_issued_at_outside_a_plausible_range_is_refused(client: TestClient, world: World, issued_at: str) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/commands", json=[envelope(payload={"location_id": world["gate"], "text": "x"}, issued_at=issued_at)])

    assert response.status_code < 500, response.text
    if response.status_code == 200:
        [outcome] = response.json()["results"]
        assert outcome["status"] == "rejected" and outcome["code"] == "issued_at_implausible", outcome


def test_issued_at_hours_off_is_applied_the_clock_warning_covers_it(client: TestClient, world: World) -> None:
    from datetime import UTC, datetime, timedelta

    sign_in_as(client, world["officer"])
    two_hours_ahead = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    three_days_ago = (datetime.now(UTC) - timedelta(days=3)).isoformat()

    response = client.post("/api/v1/commands", json=[
        envelope(payload={"location_id": world["gate"], "text": "ahead"}, issued_at=two_hours_ahead),
        envelope(payload={"location_id": world["gate"], "text": "queued for days"}, issued_at=three_days_ago),
    ])

    assert [outcome["status"] for outcome in response.json()["results"]] == ["applied", "applied"]


def test_issued_at_window_is_a_setting(app_env: dict[str, str]) -> None:
    from datetime import UTC, datetime, timedelta

    from backend.app import create_app
    from backend.settings import load_settings
    from tests.conftest import in_app
    from tests.conftest import _make_world

    settings = load_settings({**app_env, "GIAMSAT_ISSUED_AT_MAX_AHEAD_HOURS": "1", "GIAMSAT_ISSUED_AT_MAX_AGE_DAYS": "2"})
    with TestClient(create_app(settings), base_url="http://localhost:8000") as client:
        ids = in_app(client, _make_world)
        sign_in_as(client, ids["officer"])
        ahead = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        old = (datetime.now(UTC) - timedelta(days=3)).isoformat()

        response = client.post("/api/v1/commands", json=[
            envelope(payload={"location_id": ids["gate"], "text": "ahead"}, issued_at=ahead),
            envelope(payload={"location_id": ids["gate"], "text": "old"}, issued_at=old),
        ])

    assert [outcome.get("code") for outcome in response.json()["results"]] == ["issued_at_implausible"] * 2
