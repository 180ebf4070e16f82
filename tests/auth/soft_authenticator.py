"""A software passkey authenticator for API tests: ES256, "none" attestation, user present and verified.

It answers the JSON options the server sends (PublicKeyCredentialCreationOptionsJSON /
RequestOptionsJSON) with the JSON a browser's `credential.toJSON()` gives, so the server code under test
sees exactly what a phone would send. One instance is one device holding one passkey.
"""

from __future__ import annotations

import struct
from typing import Any

import cbor2

from backend.auth.soft_passkey import FLAG_AT, FLAG_UP, FLAG_UV, SoftPasskey, b64url, unb64url

__all__ = ["SoftAuthenticator", "b64url", "unb64url"]


class SoftAuthenticator(SoftPasskey):
    """The app's software passkey (backend/auth/soft_passkey.py), answering the server's JSON options."""

    def create(self, options: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """navigator.credentials.create(): a new passkey for options["rp"]["id"]."""
        self.user_handle = unb64url(options["user"]["id"])
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self.cose_public_key()
        auth_data = self.auth_data(options["rp"]["id"], FLAG_UP | FLAG_UV | FLAG_AT, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self.credential_json(
            {
                "clientDataJSON": b64url(self.client_data("webauthn.create", options["challenge"], origin)),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            }
        )

    def get(self, options: dict[str, Any], origin: str | None = None) -> dict[str, Any]:
        """navigator.credentials.get(): an assertion signed with this passkey (the counter goes up by one)."""
        return self.assertion(options["challenge"], options["rpId"], origin)


# --- driving the ceremonies through the app, as passkeys.js does ------------------------------------------


def in_one_rate_limit_window(seconds_needed: float = 15) -> None:
    """Wait for the next minute when this one has less than `seconds_needed` left: the sign-in limit counts per
    calendar minute (auth/services.py count_attempt), so a test straddling two would see its count reset."""
    import time

    left = 60 - time.time() % 60
    if left < seconds_needed:
        time.sleep(left + 0.1)


def with_csrf(client: Any) -> None:
    """What a page gives its script: the CSRF cookie, echoed in the X-CSRF-Token header. Asked for on every call: the
    token is bound to the session, so a sign-in in between makes the one held before useless (as a page reload would)."""
    client.get("/offline")
    client.headers["x-csrf-token"] = client.cookies.get("gs_csrf")


def enroll(client: Any, enrollment_token: str | None, device: SoftAuthenticator, label: str = "") -> Any:
    """Register `device` from an enrollment link (or, with no token, for the signed-in officer)."""
    with_csrf(client)
    options = client.post("/auth/register/options", json={"enrollment_token": enrollment_token})
    assert options.status_code == 200, options.text
    response = client.post("/auth/register/verify", json={"credential": device.create(options.json()), "label": label})
    if response.status_code == 200:
        with_csrf(client)  # signed in now: the page's next load holds the new session's CSRF token
    return response


def sign_in_with(client: Any, device: SoftAuthenticator, origin: str | None = None) -> Any:
    with_csrf(client)
    options = client.post("/auth/signin/options")
    assert options.status_code == 200, options.text
    response = client.post("/auth/signin/verify", json={"credential": device.get(options.json(), origin)})
    if response.status_code == 200:
        with_csrf(client)  # signed in now: the page's next load holds the new session's CSRF token
    return response


def another_browser(client: Any) -> Any:
    """A second browser (its own cookies) on the same running app and event loop as `client`."""
    from litestar.testing import TestClient

    other = TestClient(client.app, base_url=str(client.base_url))
    other.blocking_portal = client.blocking_portal
    return other
