"""Passkeys through the real app: enrollment links, registration, sign-in, several devices, revocation,
and the rate limit on the ceremonies. A software authenticator plays the phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.auth.soft_authenticator import SoftAuthenticator, another_browser, enroll, in_one_rate_limit_window, sign_in_with, with_csrf
from tests.conftest import World, giamsat, in_app, sign_in_as


def new_link(client: TestClient, settings: Any, officer_id: int) -> str:
    from backend.auth import services

    link = in_app(client, lambda: services.create_enrollment(officer_id, settings.web))
    return link.rsplit("/", 1)[1]


async def passkeys() -> list[dict[str, Any]]:
    from backend.auth.tables import PasskeyCredential

    return await PasskeyCredential.select().order_by(PasskeyCredential.id)


async def sessions() -> list[dict[str, Any]]:
    from backend.auth.tables import Session

    return await Session.select().order_by(Session.id)


async def enrollments() -> list[dict[str, Any]]:
    from backend.auth.tables import Enrollment

    return await Enrollment.select().order_by(Enrollment.id)


def enrolled(client: TestClient, settings: Any, officer_id: int, label: str = "phone") -> SoftAuthenticator:
    device = SoftAuthenticator()
    response = enroll(client, new_link(client, settings, officer_id), device, label)
    assert response.status_code == 200, response.text
    return device


def set_cookie_headers(response: Any, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]


# --- enrollment ------------------------------------------------------------------------------------------


def test_enrollment_link_from_officer_add_registers_passkey_and_signs_in(
    client: TestClient, world: World, app_env: dict[str, str]
) -> None:
    printed = giamsat(app_env, "officer", "add", "--code", "CB7", "--name", "Đỗ Văn Bảy", "--role", "officer", "--branch", "B1")
    link = printed.stdout.strip().splitlines()[-1]
    assert link.startswith("http://localhost:8000/enroll/")
    path = link.removeprefix("http://localhost:8000")
    device = SoftAuthenticator()

    page = client.get(path)
    response = enroll(client, path.rsplit("/", 1)[1], device, "Điện thoại cổng A")

    assert page.status_code == 200 and "Đỗ Văn Bảy" in page.text
    assert response.status_code == 200 and response.json() == {"redirect": "/"}
    (cookie,) = set_cookie_headers(response, "gs_session")
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
    (stored,) = in_app(client, passkeys)
    assert stored["credential_id"] == device.id and stored["label"] == "Điện thoại cổng A"
    assert stored["sign_count"] == 0 and stored["revoked_at"] is None
    (session,) = in_app(client, sessions)
    assert session["credential"] == stored["id"]
    assert client.get("/api/v1/me").json()["code"] == "CB7"


def test_enrollment_link_second_use_is_refused(client: TestClient, world: World, settings: Any) -> None:
    token = new_link(client, settings, world["officer"])
    enroll(client, token, SoftAuthenticator())
    client.cookies.delete("gs_session")
    with_csrf(client)  # a page of no session

    again = client.post("/auth/register/options", json={"enrollment_token": token})
    page = client.get(f"/enroll/{token}")

    assert again.status_code == 400 and again.json()["error"] == "enrollment_used"
    assert again.json()["message"]
    assert page.status_code == 410
    assert len(in_app(client, passkeys)) == 1


def test_enrollment_link_used_by_two_devices_at_once_registers_one(client: TestClient, world: World, settings: Any) -> None:
    token = new_link(client, settings, world["officer"])
    with_csrf(client)
    first_options = client.post("/auth/register/options", json={"enrollment_token": token})
    first_challenge = client.cookies.get("gs_challenge", path="/auth")
    second_options = client.post("/auth/register/options", json={"enrollment_token": token})
    first, second = SoftAuthenticator(), SoftAuthenticator()

    done = client.post("/auth/register/verify", json={"credential": second.create(second_options.json())})
    client.cookies.set("gs_challenge", first_challenge, path="/auth")
    with_csrf(client)  # `done` signed this browser in: its CSRF token is now the new session's
    late = client.post("/auth/register/verify", json={"credential": first.create(first_options.json())})

    assert done.status_code == 200
    assert late.status_code == 400 and late.json()["error"] == "enrollment_used"
    assert [row["credential_id"] for row in in_app(client, passkeys)] == [second.id]


def test_enrollment_link_expired_is_refused(client: TestClient, world: World, settings: Any) -> None:
    from backend.auth.tables import Enrollment
    from backend.lib import clock

    token = new_link(client, settings, world["officer"])
    in_app(client, lambda: Enrollment.update({Enrollment.expires_at: clock.now() - timedelta(minutes=1)}, force=True))
    with_csrf(client)

    response = client.post("/auth/register/options", json={"enrollment_token": token})

    assert response.status_code == 400 and response.json()["error"] == "enrollment_expired"
    assert client.get(f"/enroll/{token}").status_code == 410
    assert in_app(client, passkeys) == []


def test_enrollment_link_unknown_is_refused(client: TestClient, world: World) -> None:
    with_csrf(client)

    unknown = client.post("/auth/register/options", json={"enrollment_token": "not-a-real-link"})
    none_and_signed_out = client.post("/auth/register/options", json={})

    assert unknown.status_code == 400 and unknown.json()["error"] == "enrollment_unknown"
    assert none_and_signed_out.status_code == 400 and none_and_signed_out.json()["error"] == "enrollment_unknown"
    assert client.get("/enroll/not-a-real-link").status_code == 410


def test_enrollment_link_of_deactivated_officer_is_refused(client: TestClient, world: World, settings: Any) -> None:
    from backend.officers.services import set_active

    token = new_link(client, settings, world["officer"])
    in_app(client, set_active, world["officer"], False)
    with_csrf(client)

    response = client.post("/auth/register/options", json={"enrollment_token": token})

    assert response.status_code == 400 and response.json()["error"] == "officer_inactive"


def test_registration_from_another_origin_is_refused_and_stores_nothing(client: TestClient, world: World, settings: Any) -> None:
    token = new_link(client, settings, world["officer"])
    with_csrf(client)
    options = client.post("/auth/register/options", json={"enrollment_token": token}).json()

    response = client.post(
        "/auth/register/verify", json={"credential": SoftAuthenticator().create(options, origin="https://giamsat.evil.example")}
    )

    assert response.status_code == 400 and response.json()["error"] == "registration_failed"
    assert "gs_session" not in client.cookies
    assert in_app(client, passkeys) == [] and in_app(client, sessions) == []
    assert in_app(client, enrollments)[0]["used_at"] is None  # the officer can still use the link
    assert enroll(client, token, SoftAuthenticator()).status_code == 200


def test_registration_with_another_challenge_is_refused_and_stores_nothing(client: TestClient, world: World, settings: Any) -> None:
    token = new_link(client, settings, world["officer"])
    with_csrf(client)
    options = client.post("/auth/register/options", json={"enrollment_token": token}).json()
    options["challenge"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

    response = client.post("/auth/register/verify", json={"credential": SoftAuthenticator().create(options)})

    assert response.status_code == 400 and response.json()["error"] == "registration_failed"
    assert in_app(client, passkeys) == [] and in_app(client, sessions) == []


def test_registration_challenge_is_single_use(client: TestClient, world: World, settings: Any) -> None:
    token = new_link(client, settings, world["officer"])
    with_csrf(client)
    options = client.post("/auth/register/options", json={"enrollment_token": token}).json()
    challenge = client.cookies.get("gs_challenge", path="/auth")
    client.cookies.delete("gs_challenge", path="/auth")

    without_cookie = client.post("/auth/register/verify", json={"credential": SoftAuthenticator().create(options)})
    client.cookies.set("gs_challenge", challenge, path="/auth")
    malformed = client.post("/auth/register/verify", json={"credential": {"id": "x", "response": {}}})
    client.cookies.set("gs_challenge", challenge, path="/auth")
    after_use = client.post("/auth/register/verify", json={"credential": SoftAuthenticator().create(options)})

    assert without_cookie.status_code == 400 and without_cookie.json()["error"] == "challenge_missing"
    assert malformed.status_code == 400 and malformed.json()["error"] == "registration_failed"
    # the malformed answer used the challenge up, so even a good answer to it is refused now
    assert after_use.status_code == 400 and after_use.json()["error"] == "challenge_missing"
    assert in_app(client, passkeys) == []


def test_signin_malformed_answer_is_a_typed_refusal(client: TestClient, world: World, settings: Any) -> None:
    device = enrolled(client, settings, world["officer"])
    client.cookies.clear()
    with_csrf(client)
    client.post("/auth/signin/options")

    response = client.post("/auth/signin/verify", json={"credential": {"id": device.id, "response": {}}})

    assert response.status_code == 400 and response.json()["error"] == "signin_failed"
    assert "gs_session" not in client.cookies


def test_registration_of_the_same_passkey_twice_is_refused_and_keeps_the_link(client: TestClient, world: World, settings: Any) -> None:
    device = enrolled(client, settings, world["officer"])
    client.cookies.clear()
    token = new_link(client, settings, world["officer"])

    response = enroll(client, token, device)

    assert response.status_code == 400 and response.json()["error"] == "credential_exists"
    assert len(in_app(client, passkeys)) == 1
    assert in_app(client, enrollments)[1]["used_at"] is None


# --- sign-in -----------------------------------------------------------------------------------------------


def test_signin_with_registered_passkey_makes_session_and_counts(client: TestClient, world: World, settings: Any) -> None:
    device = enrolled(client, settings, world["supervisor"])
    client.cookies.clear()

    response = sign_in_with(client, device)

    assert response.status_code == 200 and response.json() == {"redirect": "/"}
    (cookie,) = set_cookie_headers(response, "gs_session")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert client.get("/api/v1/me").json()["code"] == "GS1"
    (stored,) = in_app(client, passkeys)
    assert stored["sign_count"] == 1 and stored["last_used_at"] is not None
    assert [row["credential"] for row in in_app(client, sessions)] == [stored["id"], stored["id"]]


def test_signin_next_is_kept_only_for_own_paths(client: TestClient, world: World, settings: Any) -> None:
    device = enrolled(client, settings, world["officer"])

    def sign_in_to(target: str) -> str:
        with_csrf(client)
        options = client.post("/auth/signin/options").json()
        return client.post("/auth/signin/verify", json={"credential": device.get(options), "next": target}).json()["redirect"]

    assert sign_in_to("/logbook") == "/logbook"
    assert sign_in_to("/logbook?day=2026-12-05") == "/logbook?day=2026-12-05"
    assert sign_in_to("https://evil.example/") == "/"
    assert sign_in_to("//evil.example/") == "/"


# Issue 11, finding 4: browsers read a backslash as a slash and drop tabs and newlines from a URL, so these
# passed a "starts with one slash" check and the page then navigated to evil.example.
@pytest.mark.parametrize("target", ["/\\evil.example", "/\tevil.example", "/\t/evil.example", "/\n/evil.example", "/ /evil.example", "\\/evil.example"])
def test_open_redirect_after_sign_in_is_refused(client: TestClient, world: World, settings: Any, target: str) -> None:
    device = enrolled(client, settings, world["officer"])
    with_csrf(client)
    options = client.post("/auth/signin/options").json()

    answer = client.post("/auth/signin/verify", json={"credential": device.get(options), "next": target}).json()
    page = client.get("/signin", params={"next": target}, follow_redirects=False)
    with_csrf(client)  # the signed-in page's token (it is bound to the session)
    language = client.post("/lang", data={"lang": "en", "next": target}, follow_redirects=False)

    assert answer["redirect"] == "/"
    assert page.status_code == 303 and page.headers["location"] == "/"  # signed in now: straight to the target
    assert language.headers["location"] == "/"


def test_signin_replayed_assertion_is_refused(client: TestClient, world: World, settings: Any) -> None:
    device = enrolled(client, settings, world["officer"])
    client.cookies.clear()
    with_csrf(client)
    options = client.post("/auth/signin/options").json()
    challenge = client.cookies.get("gs_challenge", path="/auth")
    assertion = device.get(options)
    assert client.post("/auth/signin/verify", json={"credential": assertion}).status_code == 200
    client.cookies.delete("gs_session")

    client.cookies.set("gs_challenge", challenge, path="/auth")
    same_challenge = client.post("/auth/signin/verify", json={"credential": assertion})
    client.cookies.delete("gs_challenge", path="/auth")
    client.post("/auth/signin/options")  # a fresh challenge does not make the old answer valid
    fresh_challenge = client.post("/auth/signin/verify", json={"credential": assertion})

    assert same_challenge.status_code == 400 and same_challenge.json()["error"] == "challenge_missing"
    assert fresh_challenge.status_code == 400 and fresh_challenge.json()["error"] == "signin_failed"
    assert "gs_session" not in client.cookies
    assert len(in_app(client, sessions)) == 2  # the enrollment's and the one real sign-in
    assert in_app(client, passkeys)[0]["sign_count"] == 1


def test_signin_with_stale_sign_count_is_refused(client: TestClient, world: World, settings: Any) -> None:
    device = enrolled(client, settings, world["officer"])
    sign_in_with(client, device)
    sign_in_with(client, device)
    device.sign_count = 0  # a cloned authenticator starts again from an old counter

    response = sign_in_with(client, device)

    assert response.status_code == 400 and response.json()["error"] == "signin_failed"
    assert in_app(client, passkeys)[0]["sign_count"] == 2


def test_signin_from_another_origin_is_refused(client: TestClient, world: World, settings: Any) -> None:
    device = enrolled(client, settings, world["officer"])
    client.cookies.clear()

    response = sign_in_with(client, device, origin="https://giamsat.evil.example")

    assert response.status_code == 400 and response.json()["error"] == "signin_failed"
    assert "gs_session" not in client.cookies
    assert in_app(client, passkeys)[0]["sign_count"] == 0


def test_signin_with_unknown_passkey_is_refused(client: TestClient, world: World, settings: Any) -> None:
    enrolled(client, settings, world["officer"])
    client.cookies.clear()
    stranger = SoftAuthenticator()
    stranger.user_handle = b"officer:1"

    response = sign_in_with(client, stranger)

    assert response.status_code == 400 and response.json()["error"] == "unknown_passkey"
    assert client.get("/api/v1/me").status_code == 401


def test_signin_with_revoked_passkey_is_refused_and_its_sessions_end(client: TestClient, world: World, settings: Any) -> None:
    first = enrolled(client, settings, world["officer"], "phone")
    second = SoftAuthenticator()
    assert enroll(client, None, second, "scanner").status_code == 200
    first_id, second_id = (row["id"] for row in in_app(client, passkeys))
    other = another_browser(client)  # signed in with the second device
    assert sign_in_with(other, second).status_code == 200
    assert other.get("/api/v1/me").status_code == 200

    revoked = client.post(f"/account/devices/{second_id}/revoke", follow_redirects=False)

    assert revoked.status_code == 303 and revoked.headers["location"] == "/account/devices"
    rows = {row["id"]: row for row in in_app(client, passkeys)}
    assert rows[second_id]["revoked_at"] is not None and rows[first_id]["revoked_at"] is None
    assert other.get("/api/v1/me").status_code == 401  # the session made with the revoked passkey ended
    assert client.get("/api/v1/me").status_code == 200  # the session of the first device goes on
    assert all(row["credential"] != second_id for row in in_app(client, sessions))
    again = sign_in_with(other, second)
    assert again.status_code == 400 and again.json()["error"] == "unknown_passkey"
    assert sign_in_with(other, first).status_code == 200


def test_signin_of_deactivated_officer_is_refused(client: TestClient, world: World, settings: Any) -> None:
    from backend.officers.services import set_active

    device = enrolled(client, settings, world["officer"])
    in_app(client, set_active, world["officer"], False)
    client.cookies.clear()

    response = sign_in_with(client, device)

    assert response.status_code == 400 and response.json()["error"] == "officer_inactive"
    assert "gs_session" not in client.cookies
    assert in_app(client, sessions) == []


# --- several devices ---------------------------------------------------------------------------------------


def test_second_device_registered_while_signed_in(client: TestClient, world: World, settings: Any) -> None:
    first = enrolled(client, settings, world["officer"], "phone")
    session_before = client.cookies.get("gs_session")
    second = SoftAuthenticator()
    with_csrf(client)

    options = client.post("/auth/register/options", json={}).json()
    response = client.post("/auth/register/verify", json={"credential": second.create(options), "label": "scanner"})

    assert [c["id"] for c in options["excludeCredentials"]] == [first.id]  # the same phone is not enrolled twice
    assert options["user"]["name"] == "CB1"
    assert response.status_code == 200 and set_cookie_headers(response, "gs_session") == []
    assert client.cookies.get("gs_session") == session_before
    assert [(row["label"], row["officer"]) for row in in_app(client, passkeys)] == [
        ("phone", world["officer"]),
        ("scanner", world["officer"]),
    ]
    page = client.get("/account/devices")
    assert "phone" in page.text and "scanner" in page.text
    client.cookies.clear()
    assert sign_in_with(client, second).status_code == 200


def test_device_link_for_another_device_is_single_use(client: TestClient, world: World, settings: Any) -> None:
    enroll(client, new_link(client, settings, world["officer"]), SoftAuthenticator())  # signed in with a fresh passkey
    with_csrf(client)

    page = client.post("/account/devices/link")

    assert page.status_code == 200 and "<svg" in page.text
    link = page.text.split('id="enrollment-link">', 1)[1].split("<", 1)[0]
    token = link.rsplit("/", 1)[1]
    phone = another_browser(client)
    assert enroll(phone, token, SoftAuthenticator()).status_code == 200
    assert phone.get("/api/v1/me").json()["code"] == "CB1"
    with_csrf(phone)
    assert phone.post("/auth/register/options", json={"enrollment_token": token}).json()["error"] == "enrollment_used"


def test_revoke_another_officers_passkey_is_refused(client: TestClient, world: World, settings: Any) -> None:
    enrolled(client, settings, world["supervisor"])
    (theirs,) = in_app(client, passkeys)
    client.cookies.clear()
    sign_in_as(client, world["officer"])

    response = client.post(f"/account/devices/{theirs['id']}/revoke", headers={"accept": "application/json"})

    assert response.status_code == 404 and response.json()["error"] == "unknown_passkey"
    assert in_app(client, passkeys)[0]["revoked_at"] is None
    assert len(in_app(client, sessions)) == 2  # the supervisor's session is untouched


# --- rate limit ------------------------------------------------------------------------------------------


def test_ceremony_posts_beyond_30_a_minute_are_refused(client: TestClient, world: World) -> None:
    in_one_rate_limit_window()
    with_csrf(client)

    answers = [client.post("/auth/signin/options").status_code for _ in range(31)]
    other_ceremony = client.post("/auth/register/options", json={"enrollment_token": "x"})

    assert answers[:30] == [200] * 30 and answers[30] == 429
    assert other_ceremony.status_code == 429
    assert other_ceremony.headers["retry-after"] == "60"
    assert client.get("/signin").status_code == 200  # pages are not counted
