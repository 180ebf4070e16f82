"""Web Push to supervisors' devices (issue 15, part 4): opting a device in and out through the API, who may, and the
push request itself, received by a local HTTP server that plays the push service: its VAPID signature checked with
the server's public key, its body decrypted with the keys the test made as the browser. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from litestar.testing import TestClient
from py_vapid import Vapid02

from backend.settings import Settings, SettingsError, load_settings
from tests.auth.soft_authenticator import another_browser
from tests.conftest import World, in_app, sign_in_as
from tests.journal.device import Person
from tests.seals.helpers import declare as declare_import

IMPORT_NUMBER = "104000000001"
NOTE = "Container lạ trên xe"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- the push service and the browser, played by the test -----------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """A push service on 127.0.0.1: records every request and answers `status`."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    status: int = 201

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service: PushService

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            service.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(service.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    service = PushService(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    thread = threading.Thread(target=service.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()


@dataclass
class Browser:
    """A browser's push keys, made by the test: an ECDH P-256 pair and a 16-byte authentication secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        """What PushSubscription.toJSON() gives the page."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        return json.loads(http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"))


def subscribe(client: TestClient, browser: Browser, language: str = "en") -> Any:
    client.cookies.set("gs_lang", language)
    return client.post("/api/v1/push/subscriptions", json=browser.subscription())


def rows() -> Any:
    async def run() -> list[dict[str, Any]]:
        from backend.push.tables import PushSubscription

        return await PushSubscription.select().order_by(PushSubscription.id)

    return run


def notify(client: TestClient, settings: Settings, branch_id: int, counts: dict[str, int], total: int) -> int:
    from backend.push.services import notify_new_items

    return in_app(client, notify_new_items, settings, branch_id, counts, total)


async def _supervisor(code: str, branch: str) -> int:
    from backend.officers.services import create_officer

    return await create_officer(code, "Vũ Thị Sáu", "supervisor", branch)


# --- opting in and out -------------------------------------------------------------------------------------


def test_subscribe_as_supervisor_stores_the_device_and_its_language(client: TestClient, world: World) -> None:
    head = Person(client, world["supervisor"])  # signed in with a passkey: the device of /account/devices
    browser = Browser("https://push.example.net/send/abc")

    response = subscribe(head.client, browser, language="en")

    assert response.status_code == 201, response.text
    assert response.json()["endpoint"] == browser.endpoint and response.json()["language"] == "en"
    (row,) = in_app(client, rows())
    passkeys = in_app(client, _passkeys_of, world["supervisor"])
    assert row["officer"] == world["supervisor"] and row["passkey"] == passkeys[0]
    assert row["p256dh"] == browser.subscription()["keys"]["p256dh"] and row["failures"] == 0 and row["last_success_at"] is None


async def _passkeys_of(officer_id: int) -> list[int]:
    from backend.auth.tables import PasskeyCredential

    return [row["id"] for row in await PasskeyCredential.select(PasskeyCredential.id).where(PasskeyCredential.officer == officer_id)]


def test_subscribe_again_keeps_one_row_per_endpoint(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])
    browser = Browser("https://push.example.net/send/abc")

    assert subscribe(client, browser, language="en").status_code == 201
    assert subscribe(client, browser, language="vi").status_code == 201

    (row,) = in_app(client, rows())
    assert row["language"] == "vi" and row["passkey"] is None  # a session without a passkey (tests' sign-in)


def test_unsubscribe_as_supervisor_removes_the_subscription(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])
    browser = Browser("https://push.example.net/send/abc")
    subscribe(client, browser)

    response = client.request("DELETE", "/api/v1/push/subscriptions", json={"endpoint": browser.endpoint})

    assert response.status_code == 204
    assert in_app(client, rows()) == []


@pytest.mark.parametrize("role", ["officer", "warehouse_user", "admin"])
def test_subscribe_refused_for_a_role_without_an_inbox(client: TestClient, world: World, role: str) -> None:
    sign_in_as(client, world[role])

    response = subscribe(client, Browser("https://push.example.net/send/abc"))

    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert in_app(client, rows()) == []


def test_subscribe_refused_without_a_session(client: TestClient, world: World) -> None:
    response = subscribe(client, Browser("https://push.example.net/send/abc"))

    assert response.status_code == 401 and response.json()["error"] == "not_signed_in"
    assert in_app(client, rows()) == []


def test_subscribe_and_unsubscribe_refused_with_an_api_token(client: TestClient, world: World) -> None:
    from backend.auth import services

    token = in_app(client, services.create_api_token, world["supervisor"])
    machine = another_browser(client)
    machine.headers["authorization"] = f"Bearer {token}"
    sign_in_as(client, world["supervisor"])
    browser = Browser("https://push.example.net/send/abc")
    subscribe(client, browser)

    subscribed = subscribe(machine, Browser("https://push.example.net/send/other"))
    removed = machine.request("DELETE", "/api/v1/push/subscriptions", json={"endpoint": browser.endpoint})

    assert subscribed.status_code == 403 and subscribed.json()["error"] == "push_not_allowed"
    assert removed.status_code == 403 and removed.json()["error"] == "push_not_allowed"
    assert [row["endpoint"] for row in in_app(client, rows())] == [browser.endpoint]


def test_supervisor_cannot_delete_another_supervisors_subscription(client: TestClient, world: World) -> None:
    other_head = in_app(client, _supervisor, "GS3", "B1")  # the same branch, even
    sign_in_as(client, world["supervisor"])
    browser = Browser("https://push.example.net/send/abc")
    subscribe(client, browser)
    sign_in_as(client, other_head)

    response = client.request("DELETE", "/api/v1/push/subscriptions", json={"endpoint": browser.endpoint})

    assert response.status_code == 404 and response.json()["error"] == "push_subscription_unknown"
    assert [row["officer"] for row in in_app(client, rows())] == [world["supervisor"]]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"endpoint": "file:///etc/passwd"}, "push_endpoint_invalid"),
        ({"keys": {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(os.urandom(16))}}, "push_keys_invalid"),
        ({"keys": {"p256dh": None, "auth": b64url(b"short")}}, "push_keys_invalid"),
    ],
)
def test_subscribe_refuses_what_is_no_browsers_subscription(client: TestClient, world: World, change: dict[str, Any], error: str) -> None:
    sign_in_as(client, world["supervisor"])
    subscription = Browser("https://push.example.net/send/abc").subscription()
    if change.get("keys", {}).get("p256dh", "") is None:
        change = {"keys": {**change["keys"], "p256dh": subscription["keys"]["p256dh"]}}

    response = client.post("/api/v1/push/subscriptions", json={**subscription, **change})

    assert response.status_code == 400 and response.json()["error"] == error
    assert in_app(client, rows()) == []


def test_devices_page_offers_notifications_to_a_supervisor_only(client: TestClient, world: World, settings: Settings) -> None:
    from backend.push.keys import application_server_key

    sign_in_as(client, world["supervisor"])
    page = client.get("/account/devices")
    sign_in_as(client, world["officer"])
    officer_page = client.get("/account/devices")

    assert f'data-key="{application_server_key(settings)}"' in page.text and 'id="push-on"' in page.text
    assert 'id="push"' not in officer_page.text and officer_page.status_code == 200


# --- the push request, checked by the push service ------------------------------------------------------------


def vapid_claims(authorization: str, server_key: str) -> dict[str, Any]:
    """The claims of a `vapid t=<JWT>, k=<public key>` header, after checking that the JWT is signed by `k` and
    that `k` is the server's application server key."""
    scheme, _, params = authorization.partition(" ")
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    assert scheme == "vapid" and parts["k"] == server_key
    assert Vapid02.verify(authorization)  # ES256 over the JWT's header and claims, with k
    return json.loads(unb64url(parts["t"].split(".")[1]))


def test_notify_sends_kinds_and_counts_encrypted_to_each_device_signed_with_vapid(
    client: TestClient, world: World, settings: Settings, push_service: PushService
) -> None:
    from backend.push.keys import application_server_key

    declare_import(client)
    officer = Person(client, world["officer"])
    reported = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": NOTE})
    assert reported["status"] == "applied", reported
    phone, tablet = Browser(push_service.endpoint("phone")), Browser(push_service.endpoint("tablet"))
    other_branch = Browser(push_service.endpoint("other-branch"))
    sign_in_as(client, world["supervisor"])
    assert subscribe(client, phone, language="en").status_code == 201
    assert subscribe(client, tablet, language="vi").status_code == 201
    sign_in_as(client, in_app(client, _supervisor, "GS2", "B2"))
    assert subscribe(client, other_branch).status_code == 201

    delivered = notify(client, settings, world["branch"], {"gate.report": 1}, 3)

    assert delivered == 2
    received = {request.path: request for request in push_service.received}
    assert sorted(received) == ["/push/phone", "/push/tablet"]  # another branch's supervisor is not told
    request = received["/push/phone"]
    claims = vapid_claims(request.headers["authorization"], application_server_key(settings))
    assert claims["aud"] == push_service.origin and claims["sub"] == settings.push.vapid_subject
    assert claims["exp"] > time.time()
    assert request.headers["content-encoding"] == "aes128gcm" and request.headers["urgency"] == "normal"
    assert request.headers["ttl"] == str(settings.push.ttl_seconds)
    english = phone.decrypt(request.body)
    assert english == {
        "title": "giamsat",
        "body": "1 new: Reports from the gates; 3 waiting for a decision",
        "count": 3,
        "counts": {"gate.report": 1},
        "url": "/inbox",
        "tag": "giamsat-inbox",
    }
    vietnamese = tablet.decrypt(received["/push/tablet"].body)
    assert vietnamese["counts"] == {"gate.report": 1} and vietnamese["count"] == 3
    assert vietnamese["body"] == "1 mới: Báo cáo từ các cổng; 3 việc chờ quyết định"
    for payload in (json.dumps(english, ensure_ascii=False), json.dumps(vietnamese, ensure_ascii=False)):
        assert NOTE not in payload and IMPORT_NUMBER not in payload and "Nguyễn" not in payload
    for row in in_app(client, rows())[:2]:
        assert row["last_success_at"] is not None and row["failures"] == 0


def test_notify_deletes_a_subscription_the_push_service_says_is_gone_410(
    client: TestClient, world: World, settings: Settings, push_service: PushService
) -> None:
    sign_in_as(client, world["supervisor"])
    subscribe(client, Browser(push_service.endpoint("phone")))
    push_service.status = 410

    delivered = notify(client, settings, world["branch"], {"gate.report": 1}, 1)

    assert delivered == 0 and len(push_service.received) == 1
    assert in_app(client, rows()) == []


def test_notify_counts_a_failure_and_keeps_the_subscription_500(
    client: TestClient, world: World, settings: Settings, push_service: PushService
) -> None:
    sign_in_as(client, world["supervisor"])
    subscribe(client, Browser(push_service.endpoint("phone")))
    push_service.status = 500

    delivered = notify(client, settings, world["branch"], {"gate.report": 1}, 1)

    assert delivered == 0 and len(push_service.received) == 1
    (row,) = in_app(client, rows())
    assert row["failures"] == 1 and row["last_success_at"] is None


def test_notify_deletes_a_subscription_after_max_failures_in_a_row(
    client: TestClient, world: World, settings: Settings, push_service: PushService
) -> None:
    sign_in_as(client, world["supervisor"])
    subscribe(client, Browser(push_service.endpoint("phone")))
    push_service.status = 500
    for _ in range(settings.push.max_failures - 1):
        notify(client, settings, world["branch"], {"gate.report": 1}, 1)
    assert [row["failures"] for row in in_app(client, rows())] == [settings.push.max_failures - 1]

    notify(client, settings, world["branch"], {"gate.report": 1}, 1)

    assert in_app(client, rows()) == []


def test_notify_never_raises_when_the_push_service_is_unreachable(
    client: TestClient, world: World, settings: Settings, push_service: PushService
) -> None:
    sign_in_as(client, world["supervisor"])
    endpoint = push_service.endpoint("phone")
    push_service.server.shutdown()
    push_service.server.server_close()  # nothing listens there any more
    subscribe(client, Browser(endpoint))

    delivered = notify(client, settings, world["branch"], {"gate.report": 1}, 1)

    assert delivered == 0
    assert [row["failures"] for row in in_app(client, rows())] == [1]


def test_notify_skips_the_device_of_a_revoked_passkey(
    client: TestClient, world: World, settings: Settings, push_service: PushService
) -> None:
    from backend.auth import services

    head = Person(client, world["supervisor"])
    assert subscribe(head.client, Browser(push_service.endpoint("phone"))).status_code == 201
    (passkey_id,) = in_app(client, _passkeys_of, world["supervisor"])
    in_app(client, services.revoke_passkey, world["supervisor"], passkey_id)

    delivered = notify(client, settings, world["branch"], {"gate.report": 1}, 1)

    assert delivered == 0 and push_service.received == []


# --- the VAPID key ---------------------------------------------------------------------------------------------


def test_vapid_key_is_made_once_and_kept_in_the_data_directory(tmp_path: Any) -> None:
    from backend.push.keys import KEY_FILE, application_server_key

    env = {"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_SECRET_KEY": "x"}

    first = application_server_key(load_settings(env))
    again = application_server_key(load_settings(env))  # as after a restart, or in another process

    assert first == again and len(unb64url(first)) == 65 and unb64url(first)[0] == 4
    assert (tmp_path / KEY_FILE).read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert oct((tmp_path / KEY_FILE).stat().st_mode & 0o777) == "0o600"


def test_vapid_key_from_the_environment_raw_or_pem(tmp_path: Any) -> None:
    from backend.push.keys import KEY_FILE, application_server_key

    key = ec.generate_private_key(ec.SECP256R1())
    expected = b64url(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    base = {"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_SECRET_KEY": "x"}

    assert application_server_key(load_settings({**base, "GIAMSAT_VAPID_PRIVATE_KEY": raw})) == expected
    assert application_server_key(load_settings({**base, "GIAMSAT_VAPID_PRIVATE_KEY": pem})) == expected
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(SettingsError, match="GIAMSAT_VAPID_PRIVATE_KEY"):
        application_server_key(load_settings({**base, "GIAMSAT_VAPID_PRIVATE_KEY": "not-a-key"}))


def test_vapid_subject_must_be_mailto_or_https(tmp_path: Any) -> None:
    base = {"GIAMSAT_DATA_DIR": str(tmp_path), "GIAMSAT_SECRET_KEY": "x", "GIAMSAT_ORIGIN": "https://giamsat.example.vn"}

    assert load_settings(base).push.vapid_subject == "mailto:giamsat@giamsat.example.vn"
    with pytest.raises(SettingsError, match="GIAMSAT_VAPID_SUBJECT"):
        load_settings({**base, "GIAMSAT_VAPID_SUBJECT": "giamsat@example.vn"})


def test_live_inbox_pushes_the_new_items_of_a_subscribed_branch_with_no_page_open(
    client: TestClient, world: World, push_service: PushService
) -> None:
    """The whole way (backend/push/inbox.py): a subscribed supervisor's branch is refreshed though no inbox page is
    open, and the item an officer's report made is pushed, once, as its kind and count."""
    declare_import(client)
    phone = Browser(push_service.endpoint("phone"))
    sign_in_as(client, world["supervisor"])
    assert subscribe(client, phone, language="en").status_code == 201
    officer = Person(client, world["officer"])
    live = client.app.state.live_inbox
    in_app(client, live.refresh_due)  # the inbox as it stands: nothing new to push yet
    assert push_service.received == []

    reported = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": NOTE})
    assert reported["status"] == "applied", reported
    in_app(client, live.refresh_due)
    in_app(client, live.refresh_due)  # again: the same item is not pushed twice

    deadline = time.monotonic() + 10
    while not push_service.received and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    (request,) = push_service.received
    assert phone.decrypt(request.body)["counts"] == {"gate.report": 1}
