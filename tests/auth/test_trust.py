"""Issue 11, finding 5 (a passkey is added only with an enrollment link or after a fresh assertion with one of the
officer's passkeys) and the auth items of finding 9 (token expiry and use, tokens revoked on deactivation, CSRF bound
to the session, an absolute session lifetime, HSTS, the sign-in rate limit across processes and proxies).

docs/security.md names these tests under each threat."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib import clock
from tests.auth.soft_authenticator import SoftAuthenticator, another_browser, enroll, in_one_rate_limit_window, sign_in_with, with_csrf
from tests.auth.test_passkeys import passkeys, sessions
from tests.conftest import ORIGIN, World, giamsat, in_app, sign_in_as


def new_link(client: TestClient, settings: Any, officer_id: int) -> str:
    from backend.auth import services

    return in_app(client, lambda: services.create_enrollment(officer_id, settings.web)).rsplit("/", 1)[1]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def tokens() -> list[dict[str, Any]]:
    from backend.auth.tables import ApiToken

    return await ApiToken.select().order_by(ApiToken.id)


def age_sessions(client: TestClient, **columns: timedelta) -> None:
    """Move the given timestamps of every session back by the given amounts (as if time had passed)."""
    from backend.auth.tables import Session

    async def move() -> None:
        await Session.update({getattr(Session, name): clock.now() - delta for name, delta in columns.items()}).where(
            Session.id > 0
        )

    in_app(client, move)


def quick_token(client: TestClient, officer_id: int) -> str:
    from backend.auth import services

    return in_app(client, services.create_api_token, officer_id)


# --- finding 5: a stolen token or session never becomes a signing key -------------------------------------------


def test_finding5_bearer_token_cannot_register_a_passkey(client: TestClient, world: World) -> None:
    token = quick_token(client, world["officer"])

    options = client.post("/auth/register/options", json={}, headers=bearer(token))
    link = client.post("/account/devices/link", headers=bearer(token))
    step_up = client.post("/auth/stepup/options", headers=bearer(token))

    assert options.status_code == 403 and options.json()["error"] == "token_cannot_enroll"
    assert link.status_code == 403 and "/enroll/" not in link.text
    assert step_up.status_code == 403
    assert in_app(client, passkeys) == []


def test_finding5_session_without_a_passkey_assertion_cannot_register_a_passkey(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])  # a session with no passkey assertion (as a demo sign-in makes)

    options = client.post("/auth/register/options", json={})
    link = client.post("/account/devices/link")

    assert options.status_code == 403 and options.json()["error"] == "stepup_required"
    assert link.status_code == 403 and 'id="enrollment-link"' not in link.text
    assert in_app(client, passkeys) == []


def test_finding5_stale_passkey_session_cannot_register_until_it_steps_up(client: TestClient, world: World, settings: Any) -> None:
    phone = SoftAuthenticator()
    assert enroll(client, new_link(client, settings, world["officer"]), phone).status_code == 200
    age_sessions(client, passkey_verified_at=timedelta(minutes=settings.web.stepup_minutes + 1))
    with_csrf(client)

    refused = client.post("/auth/register/options", json={})
    assert refused.status_code == 403 and refused.json()["error"] == "stepup_required"

    step_options = client.post("/auth/stepup/options").json()
    assert [c["id"] for c in step_options["allowCredentials"]] == [phone.id]  # only the officer's own passkeys
    assert client.post("/auth/stepup/verify", json={"credential": phone.get(step_options)}).status_code == 200
    scanner = SoftAuthenticator()
    options = client.post("/auth/register/options", json={})
    done = client.post("/auth/register/verify", json={"credential": scanner.create(options.json()), "label": "scanner"})

    assert options.status_code == 200 and done.status_code == 200
    assert [row["label"] for row in in_app(client, passkeys)] == ["passkey", "scanner"]


def test_finding5_step_up_with_another_officers_passkey_is_refused(client: TestClient, world: World, settings: Any) -> None:
    theirs = SoftAuthenticator()
    other = another_browser(client)
    enroll(other, new_link(client, settings, world["supervisor"]), theirs)
    enroll(client, new_link(client, settings, world["officer"]), SoftAuthenticator())
    age_sessions(client, passkey_verified_at=timedelta(hours=1))
    with_csrf(client)

    options = client.post("/auth/stepup/options").json()
    answer = client.post("/auth/stepup/verify", json={"credential": theirs.get(options)})

    assert answer.status_code == 400 and answer.json()["error"] == "unknown_passkey"
    assert client.post("/auth/register/options", json={}).json()["error"] == "stepup_required"


def test_finding5_registration_challenge_is_answered_only_in_its_session(client: TestClient, world: World, settings: Any) -> None:
    enroll(client, new_link(client, settings, world["officer"]), SoftAuthenticator())
    with_csrf(client)
    options = client.post("/auth/register/options", json={})
    challenge = client.cookies.get("gs_challenge", path="/auth")
    thief = another_browser(client)
    sign_in_as(thief, world["officer"])  # a stale session of the same officer
    thief.cookies.set("gs_challenge", challenge, path="/auth")

    answer = thief.post("/auth/register/verify", json={"credential": SoftAuthenticator().create(options.json())})

    assert options.status_code == 200
    assert answer.status_code == 400 and answer.json()["error"] == "stepup_required"
    assert len(in_app(client, passkeys)) == 1


def test_finding5_enrollment_link_still_registers_without_a_session(client: TestClient, world: World, settings: Any) -> None:
    phone = SoftAuthenticator()

    answer = enroll(client, new_link(client, settings, world["officer"]), phone)

    assert answer.status_code == 200
    assert client.get("/api/v1/me").json()["code"] == "CB1"
    client.cookies.clear()
    assert sign_in_with(client, phone).status_code == 200
    (session,) = [row for row in in_app(client, sessions) if row["credential"] is not None][-1:]
    assert session["passkey_verified_at"] is not None  # a passkey sign-in is a fresh assertion


def test_finding5_demo_sign_in_is_not_an_assertion(app_env: dict[str, str], world: World) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    demo = load_settings({**app_env, "GIAMSAT_DEMO": "1"})
    with TestClient(create_app(demo), base_url=ORIGIN) as browser:
        with_csrf(browser)
        browser.post("/auth/demo", data={"officer_id": str(world["officer"]), "_csrf_token": browser.cookies.get("gs_csrf")})
        with_csrf(browser)

        options = browser.post("/auth/register/options", json={})

    assert options.status_code == 403 and options.json()["error"] == "stepup_required"


# --- finding 9: tokens ----------------------------------------------------------------------------------------


def test_finding9_token_expires_after_token_days(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    result = giamsat({**app_env, "GIAMSAT_TOKEN_DAYS": "5"}, "token", "create", "--officer", "CB1")
    token = result.stdout.strip().splitlines()[-1]
    (row,) = in_app(client, tokens)
    assert row["expires_at"] - row["created_at"] == timedelta(days=5)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    from backend.auth.tables import ApiToken

    in_app(client, lambda: ApiToken.update({ApiToken.expires_at: clock.now() - timedelta(seconds=1)}).where(ApiToken.id == row["id"]))

    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 401 and me.json()["error"] == "not_signed_in"


def test_finding9_token_last_used_at_written_at_most_once_a_minute(client: TestClient, world: World) -> None:
    from backend.auth.tables import ApiToken

    token = quick_token(client, world["officer"])
    assert in_app(client, tokens)[0]["last_used_at"] is None

    client.get("/api/v1/me", headers=bearer(token))
    first = in_app(client, tokens)[0]["last_used_at"]
    client.get("/api/v1/me", headers=bearer(token))
    second = in_app(client, tokens)[0]["last_used_at"]
    old = clock.now() - timedelta(minutes=2)
    in_app(client, lambda: ApiToken.update({ApiToken.last_used_at: old}).where(ApiToken.id > 0))
    client.get("/api/v1/me", headers=bearer(token))
    third = in_app(client, tokens)[0]["last_used_at"]

    assert first is not None and second == first  # not written on every request
    assert third > old + timedelta(minutes=1)


def test_finding9_deactivation_revokes_tokens_and_reactivation_does_not_revive_them(client: TestClient, world: World) -> None:
    token = quick_token(client, world["officer"])
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    sign_in_as(client, world["admin"])

    client.post(f"/admin/officers/{world['officer']}/active", data={"active": "0"})
    client.post(f"/admin/officers/{world['officer']}/active", data={"active": "1"})

    (row,) = in_app(client, tokens)
    assert row["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


# --- finding 9: sessions, CSRF, HSTS --------------------------------------------------------------------------


def test_finding9_csrf_token_of_another_session_is_refused(client: TestClient, world: World) -> None:
    other = another_browser(client)
    sign_in_as(other, world["supervisor"])
    sign_in_as(client, world["officer"])
    stolen = other.cookies.get("gs_csrf")

    client.cookies.delete("gs_csrf")
    client.cookies.set("gs_csrf", stolen)  # a planted cookie and the matching header, as a cross-site attacker would
    forged = client.post("/signout", headers={"x-csrf-token": stolen}, follow_redirects=False)
    client.cookies.delete("gs_csrf")
    with_csrf(client)
    own = client.post("/signout", follow_redirects=False)

    assert forged.status_code == 403
    assert own.status_code == 303


def test_finding9_csrf_token_from_before_sign_in_is_replaced(client: TestClient, world: World) -> None:
    with_csrf(client)
    anonymous = client.cookies.get("gs_csrf")
    sign_in_as(client, world["officer"])

    assert client.cookies.get("gs_csrf") != anonymous  # the first page of the session handed out a new one
    assert client.post("/signout", headers={"x-csrf-token": anonymous}, follow_redirects=False).status_code == 403


def test_finding9_session_ends_after_its_absolute_lifetime(client: TestClient, world: World, settings: Any) -> None:
    sign_in_as(client, world["officer"])
    age_sessions(client, created_at=timedelta(days=settings.web.session_max_days) - timedelta(minutes=1))
    assert client.get("/api/v1/me").status_code == 200  # active all along, and not yet too old

    age_sessions(client, created_at=timedelta(days=settings.web.session_max_days, minutes=1))

    assert client.get("/api/v1/me").status_code == 401
    assert in_app(client, sessions) == []


def test_finding9_hsts_only_under_https(client: TestClient, app_env: dict[str, str]) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    https = load_settings({**app_env, "GIAMSAT_ORIGIN": "https://giamsat.example"})
    with TestClient(create_app(https), base_url="https://giamsat.example") as secure:
        secured = secure.get("/signin")

    assert "strict-transport-security" not in client.get("/signin").headers
    assert secured.headers["strict-transport-security"].startswith("max-age=31536000")


# --- finding 9: the sign-in rate limit --------------------------------------------------------------------------


def test_finding9_signin_rate_limit_is_shared_by_two_app_instances(client: TestClient, app_env: dict[str, str]) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    in_one_rate_limit_window()
    with_csrf(client)
    first = [client.post("/auth/signin/options").status_code for _ in range(20)]
    # Another app process on the same database: its own memory, engine and pool. (Used after the first, not
    # interleaved: Piccolo's tables are bound to one engine per process.)
    with TestClient(create_app(load_settings(app_env)), base_url=ORIGIN) as other:
        with_csrf(other)
        second = [other.post("/auth/signin/options").status_code for _ in range(11)]

    assert first == [200] * 20
    assert second[:10] == [200] * 10 and second[10] == 429


def test_finding9_x_forwarded_for_is_ignored_without_a_trusted_proxy(client: TestClient) -> None:
    in_one_rate_limit_window()
    with_csrf(client)

    answers = [
        client.post("/auth/signin/options", headers={"x-forwarded-for": f"203.0.113.{n}"}).status_code for n in range(31)
    ]

    assert answers[:30] == [200] * 30 and answers[30] == 429  # a rotating header does not reset the count


def test_finding9_x_forwarded_for_from_a_trusted_proxy_names_the_client(app_env: dict[str, str]) -> None:
    from backend.app import create_app
    from backend.settings import load_settings

    # Litestar's TestClient connects from the address "testclient": here it is the trusted proxy.
    behind_proxy = load_settings({**app_env, "GIAMSAT_TRUSTED_PROXIES": "testclient, 10.0.0.2"})
    in_one_rate_limit_window()
    with TestClient(create_app(behind_proxy), base_url=ORIGIN) as proxy:
        with_csrf(proxy)
        one = [proxy.post("/auth/signin/options", headers={"x-forwarded-for": "203.0.113.7"}).status_code for _ in range(31)]
        # The client's own claim (left of the proxy's) is not believed; the address the trusted proxy saw is.
        other = proxy.post("/auth/signin/options", headers={"x-forwarded-for": "203.0.113.7, 198.51.100.9, 10.0.0.2"})

    assert one[:30] == [200] * 30 and one[30] == 429
    assert other.status_code == 200
