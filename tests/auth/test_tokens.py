"""API tokens for machine clients: made and revoked with the real `giamsat token` command, stored hashed,
sent as `Authorization: Bearer`, and needing no CSRF token."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from backend.lib import clock

from tests.conftest import World, giamsat, in_app, sign_in_as


def create_token(app_env: dict[str, str], officer_code: str, *extra: str) -> str:
    """The real command line, as an operator runs it."""
    result = giamsat(app_env, "token", "create", "--officer", officer_code, *extra)
    return result.stdout.strip().splitlines()[-1]


def quick_token(client: TestClient, officer_id: int) -> str:
    """The same service the command calls, without starting a process (for tests about using a token)."""
    from backend.auth import services

    return in_app(client, services.create_api_token, officer_id)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def tokens() -> list[dict[str, Any]]:
    from backend.auth.tables import ApiToken

    return await ApiToken.select().order_by(ApiToken.id)


def command(location_id: int) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": datetime.now(UTC).isoformat(),
        "device_id": "gateway",
        "payload": {"location_id": location_id, "text": "Tờ khai 30512345678 đã được thông quan"},
    }


def test_token_create_prints_token_last_and_stores_only_its_hash(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    token = create_token(app_env, "CB1", "--name", "VNACCS gateway")

    (row,) = in_app(client, tokens)
    assert token.startswith("gs_") and len(token) > 40 and " " not in token
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(value) for value in row.values()}
    assert row["officer"] == world["officer"] and row["name"] == "VNACCS gateway" and row["revoked_at"] is None


def test_token_create_for_unknown_officer_fails(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    result = giamsat(app_env, "token", "create", "--officer", "NOBODY", check=False)

    assert result.returncode != 0 and "NOBODY" in result.stderr
    assert in_app(client, tokens) == []


def test_bearer_token_works_on_me_and_commands_without_csrf(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    token = quick_token(client, world["officer"])

    me = client.get("/api/v1/me", headers=bearer(token))
    applied = client.post("/api/v1/commands", json=command(world["gate"]), headers=bearer(token))

    assert "gs_csrf" not in client.cookies and "x-csrf-token" not in client.headers
    assert me.status_code == 200 and me.json()["code"] == "CB1" and me.json()["branch_code"] == "B1"
    assert applied.status_code == 200 and applied.json()["results"][0]["status"] == "applied"


def test_bearer_token_with_a_session_cookie_still_needs_csrf(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    token = quick_token(client, world["officer"])
    sign_in_as(client, world["supervisor"])
    del client.headers["x-csrf-token"]

    response = client.post("/api/v1/commands", json=command(world["gate"]), headers=bearer(token))

    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"


def test_token_revoke_makes_it_401(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    token = create_token(app_env, "CB1")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    result = giamsat(app_env, "token", "revoke", token)

    assert result.returncode == 0 and "1 token(s) revoked" in result.stdout
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 401 and me.json()["error"] == "not_signed_in"
    assert client.post("/api/v1/commands", json=command(world["gate"]), headers=bearer(token)).status_code == 401
    assert in_app(client, tokens)[0]["revoked_at"] is not None


def test_token_revoke_by_whole_token_leaves_others_with_the_same_prefix(client: TestClient, world: World) -> None:
    from backend.auth import services
    from backend.auth.tables import ApiToken

    first = in_app(client, services.create_api_token, world["officer"])
    twin = first[:10] + "another-secret-with-the-same-first-ten"
    expires = clock.now() + timedelta(days=1)
    in_app(client, lambda: ApiToken.insert(ApiToken(officer=world["officer"], prefix=twin[:10], token_hash=services.token_hash(twin), expires_at=expires)))

    revoked = in_app(client, services.revoke_api_token, first)

    assert revoked == 1
    assert client.get("/api/v1/me", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(twin)).status_code == 200


def test_token_revoke_by_prefix_and_unknown(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    token = quick_token(client, world["officer"])

    unknown = giamsat(app_env, "token", "revoke", "gs_nothing", check=False)
    by_prefix = giamsat(app_env, "token", "revoke", token[:10])

    assert unknown.returncode == 1 and "0 token(s) revoked" in unknown.stdout
    assert by_prefix.returncode == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_bearer_unknown_token_is_401(client: TestClient, world: World) -> None:
    me = client.get("/api/v1/me", headers=bearer("gs_made-up"))
    commands = client.post("/api/v1/commands", json=command(world["gate"]), headers=bearer("gs_made-up"))

    assert me.status_code == 401 and commands.status_code == 401


def test_bearer_token_of_deactivated_officer_is_401(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    from backend.officers.services import set_active

    token = quick_token(client, world["officer"])
    in_app(client, set_active, world["officer"], False)

    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
