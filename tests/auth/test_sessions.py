"""Server-side sessions: kept in the database, idle expiry, sign-out, CSRF on cookie sessions, demo sign-in."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from litestar.testing import TestClient

from tests.auth.soft_authenticator import with_csrf
from tests.conftest import ORIGIN, World, giamsat, in_app, sign_in_as

IDLE_MINUTES = 30


@pytest.fixture
def app_env(app_env: dict[str, str]) -> dict[str, str]:
    return {**app_env, "GIAMSAT_SESSION_IDLE_MINUTES": str(IDLE_MINUTES)}


@contextmanager
def second_app(client: TestClient, settings: Any) -> Iterator[TestClient]:
    """Another app process on the same database (while it runs, use it and not `client`)."""
    from backend import db
    from backend.app import create_app

    try:
        with TestClient(create_app(settings), base_url=ORIGIN) as other:
            yield other
    finally:
        db.bind_engine(client.app.state.engine)  # tables point at the first app's engine again


async def sessions() -> list[dict[str, Any]]:
    from backend.auth.tables import Session

    return await Session.select().order_by(Session.id)


async def journal_count() -> int:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.count()


async def logbook_texts() -> list[str]:
    from backend.logbook.tables import LogbookEntry

    return [row["text"] for row in await LogbookEntry.select(LogbookEntry.text).order_by(LogbookEntry.id)]


def idle_for(client: TestClient, minutes: int) -> None:
    from backend.auth.tables import Session
    from backend.lib import clock

    in_app(client, lambda: Session.update({Session.last_seen_at: clock.now() - timedelta(minutes=minutes)}, force=True))


def command(location_id: int, text: str = "Xe vào cổng") -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": datetime.now(UTC).isoformat(),
        "device_id": "device-1",
        "payload": {"location_id": location_id, "text": text},
    }


# --- kept in the database ------------------------------------------------------------------------------


def test_session_is_stored_hashed_and_a_second_app_accepts_it(client: TestClient, world: World, settings: Any) -> None:
    from backend.lib.ids import token_hash

    sign_in_as(client, world["officer"])
    cookie = client.cookies.get("gs_session")
    (row,) = in_app(client, sessions)

    with second_app(client, settings) as other:
        other.cookies.set("gs_session", cookie)
        me = other.get("/api/v1/me")

    assert row["token_hash"] == token_hash(cookie) and cookie not in row.values()
    assert me.status_code == 200 and me.json()["code"] == "CB1"


def test_session_signed_out_on_one_app_ends_on_the_other(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["officer"])
    cookie = client.cookies.get("gs_session")

    with second_app(client, settings) as other:
        other.cookies.set("gs_session", cookie)
        with_csrf(other)
        other.post("/signout", follow_redirects=False)

    assert in_app(client, sessions) == []
    assert client.get("/api/v1/me").status_code == 401


# --- idle expiry -----------------------------------------------------------------------------------------


def test_session_idle_too_long_ends_and_its_row_is_deleted(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    idle_for(client, IDLE_MINUTES + 1)

    api = client.get("/api/v1/me")
    page = client.get("/logbook", follow_redirects=False)

    assert api.status_code == 401 and api.json()["error"] == "not_signed_in"
    assert page.status_code == 303 and page.headers["location"] == "/signin?next=/logbook"
    assert in_app(client, sessions) == []


def test_session_in_use_stays_alive_and_is_touched(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    idle_for(client, IDLE_MINUTES - 1)
    before = in_app(client, sessions)[0]["last_seen_at"]

    response = client.get("/api/v1/me")

    assert response.status_code == 200 and response.json()["code"] == "CB1"
    after = in_app(client, sessions)[0]["last_seen_at"]
    assert after - before >= timedelta(minutes=IDLE_MINUTES - 2)  # the idle clock starts again


def test_session_of_unknown_cookie_is_signed_out(client: TestClient, world: World) -> None:
    client.cookies.set("gs_session", "made-up")

    response = client.get("/api/v1/me")

    assert response.status_code == 401


# --- sign-out --------------------------------------------------------------------------------------------


def test_signout_deletes_the_session_row_and_cookie(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    cookie = client.cookies.get("gs_session")

    response = client.post("/signout", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/signin"
    assert any(h.startswith('gs_session=""') or "gs_session=;" in h for h in response.headers.get_list("set-cookie"))
    assert in_app(client, sessions) == []
    client.cookies.set("gs_session", cookie)  # a copy kept by someone else is worthless now
    assert client.get("/api/v1/me").status_code == 401


# --- CSRF ------------------------------------------------------------------------------------------------


def test_csrf_cookie_session_json_post_without_token_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    del client.headers["x-csrf-token"]

    response = client.post("/api/v1/commands", json=command(world["gate"]))

    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"
    assert in_app(client, journal_count) == 0


def test_csrf_cookie_session_form_post_without_token_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    del client.headers["x-csrf-token"]

    refused = client.post("/logbook", data={"location_id": str(world["gate"]), "text": "không có mã"})
    wrong = client.post(
        "/logbook", data={"location_id": str(world["gate"]), "text": "mã sai", "_csrf_token": "forged"}
    )

    assert refused.status_code == 403 and wrong.status_code == 403
    assert "<html" in refused.text  # a page for a page, not JSON
    assert in_app(client, logbook_texts) == [] and in_app(client, journal_count) == 0


def test_csrf_token_in_form_field_is_accepted(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    token = client.headers.pop("x-csrf-token")

    response = client.post(
        "/logbook",
        data={"location_id": str(world["gate"]), "text": "có mã", "_csrf_token": token},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert in_app(client, logbook_texts) == ["có mã"]


def test_csrf_signout_without_token_keeps_the_session(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    del client.headers["x-csrf-token"]

    response = client.post("/signout", follow_redirects=False)

    assert response.status_code == 403
    assert len(in_app(client, sessions)) == 1


def test_api_without_any_credential_is_told_to_sign_in(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/commands", json=command(world["gate"]))

    assert response.status_code == 401 and response.json()["error"] == "not_signed_in"
    assert in_app(client, journal_count) == 0


# --- demo sign-in ----------------------------------------------------------------------------------------


def test_demo_signin_is_404_when_demo_is_off(client: TestClient, world: World) -> None:
    with_csrf(client)

    response = client.post("/auth/demo", data={"officer_id": str(world["admin"])}, follow_redirects=False)

    assert response.status_code == 404
    assert "gs_session" not in client.cookies and in_app(client, sessions) == []
    assert "demo" not in client.get("/signin").text.lower()


def test_demo_signin_works_on_localhost_and_is_bannered(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    from backend.settings import load_settings

    demo_settings = load_settings({**app_env, "GIAMSAT_DEMO": "1"})
    with second_app(client, demo_settings) as demo:
        with_csrf(demo)
        signin_page = demo.get("/signin")
        response = demo.post("/auth/demo", data={"officer_id": str(world["officer"])}, follow_redirects=False)
        me = demo.get("/api/v1/me").json()
        home = demo.get("/")

    assert 'class="banner banner-demo"' in signin_page.text
    assert response.status_code == 303 and me["code"] == "CB1"
    assert 'class="banner banner-demo"' in home.text
    assert [row["demo"] for row in in_app(client, sessions)] == [1]


@pytest.mark.parametrize(
    "origin", ["https://giamsat.customs.gov.vn", "http://127.0.0.1:8000", "http://localhost.evil.example", "http://10.0.0.5"]
)
def test_demo_settings_refused_unless_origin_is_localhost(tmp_path: Path, origin: str) -> None:
    from backend.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="GIAMSAT_DEMO"):
        load_settings({"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_DEMO": "1", "GIAMSAT_ORIGIN": origin})


def test_demo_serve_refuses_to_start_off_localhost(tmp_path: Path) -> None:
    env = {"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_DEMO": "1", "GIAMSAT_ORIGIN": "https://giamsat.example.gov.vn"}

    result = giamsat(env, "serve", "--port", "0", check=False)

    assert result.returncode == 2
    assert "GIAMSAT_DEMO" in result.stderr and "https://giamsat.example.gov.vn" in result.stderr
