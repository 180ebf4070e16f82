"""An officer's browser and phone for API tests: commands sent as a device sends them (an envelope with its own id,
the device's time and id), signed with a software passkey when their type is signed (journal/signing.py)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from backend.lib.canonical import canonical_json
from tests.auth.soft_authenticator import SoftAuthenticator, another_browser, b64url, enroll, unb64url
from tests.conftest import ORIGIN, in_app

SIGNED_FIELDS = ("device_id", "id", "issued_at", "payload", "type")
OFFLINE_WAIT = timedelta(minutes=10)  # how long an offline command waited on the device, by default


def made_at(fields: dict[str, Any]) -> datetime:
    """When the device made a command with these envelope fields: an offline one waited there, by default
    OFFLINE_WAIT (sent sooner than the offline grace, it would not count as made offline: docs/offline.md 4a)."""
    return datetime.now(UTC) - (OFFLINE_WAIT if fields.get("offline") else timedelta(0))


class Person:
    """One officer's browser (its own session, unless `own_browser=False`: then the test's client signs in as them)
    and phone (its passkey)."""

    def __init__(self, client: TestClient, officer_id: int, *, own_browser: bool = True) -> None:
        from backend.auth import services
        from backend.settings import load_settings

        self.client = another_browser(client) if own_browser else client
        web = load_settings({"GIAMSAT_ORIGIN": ORIGIN, "GIAMSAT_SECRET_KEY": "x"}).web
        link = in_app(client, lambda: services.create_enrollment(officer_id, web))
        self.device = SoftAuthenticator()
        response = enroll(self.client, link.rsplit("/", 1)[1], self.device, "phone")
        assert response.status_code == 200, response.text

    def nonce(self, device_id: str = "web-phone-1") -> str:
        """The device's signing ticket (journal/signing.py): what goes into a signature's `nonce`."""
        response = self.client.post("/api/v1/signing/ticket", json={"device_id": device_id})
        assert response.status_code == 200, response.text
        return response.json()["ticket"]["nonce"]

    def envelope(self, type_: str, payload: dict[str, Any], *, offline: bool = False, sign: bool | None = None, **fields: Any) -> dict[str, Any]:
        """The envelope; signed when the type is (or as `sign` says); `fields` may set `id`, `issued_at` (a
        datetime) or add envelope fields."""
        from backend.journal.registry import is_signed

        # Made offline: made earlier, sent when the network came back (within the offline grace it would be online).
        issued = fields.pop("issued_at", None) or made_at({"offline": offline})
        envelope: dict[str, Any] = {
            "id": str(fields.pop("id", None) or uuid.uuid4()),
            "type": type_,
            # as JavaScript's toISOString() spells it: the signed text is the device's own
            "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%S.") + f"{issued.microsecond // 1000:03d}Z",
            "device_id": "web-phone-1",
            "payload": payload,
            **fields,
        }
        if is_signed(type_) if sign is None else sign:
            nonce = self.nonce(envelope["device_id"])
            signed = {name: envelope[name] for name in SIGNED_FIELDS}
            challenge = hashlib.sha256(unb64url(nonce) + canonical_json(signed).encode()).digest()
            envelope["signature"] = {"nonce": nonce, "credential": self.device.get({"challenge": b64url(challenge), "rpId": "localhost"})}
        envelope["offline"] = offline  # set after signing, as the device does when the first send fails
        return envelope

    def post(self, *envelopes: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.client.post("/api/v1/commands", json=list(envelopes))
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def send(self, type_: str, payload: dict[str, Any], **options: Any) -> dict[str, Any]:
        """Send one command; its outcome (applied / duplicate / rejected)."""
        (outcome,) = self.post(self.envelope(type_, payload, **options))
        return outcome

    do = send

    def upload(self, data: bytes, content_type: str = "image/jpeg") -> str:
        sha = hashlib.sha256(data).hexdigest()
        response = self.client.put(f"/api/v1/files/{sha}", content=data, headers={"content-type": content_type})
        assert response.status_code in (200, 201), response.text
        return sha
