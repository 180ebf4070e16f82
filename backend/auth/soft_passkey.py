"""A passkey held in software: an ES256 key pair, answering WebAuthn ceremonies as a phone's authenticator does.

Used where no phone is in the loop and an officer's action must still be signed the way the journal checks every
signed action: the demo loader (`backend/transit/demo.py` signs the demo's transit steps with a passkey made for
the load and revoked after it), and the tests' and benchmarks' software authenticator
(`tests/auth/soft_authenticator.py`). It never leaves the process: the private key is not stored anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP, FLAG_UV, FLAG_AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftPasskey:
    """One passkey: its key pair, credential id and signature counter. `assertion()` is navigator.credentials.get()."""

    def __init__(self, origin: str = "http://localhost:8000") -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_public_key(self) -> bytes:
        """The public key as an authenticator reports it at registration (COSE, EC2 P-256, ES256)."""
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        body = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(body, separators=(",", ":")).encode()

    def auth_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested

    def assertion(self, challenge: str, rp_id: str, origin: str | None = None) -> dict[str, Any]:
        """An assertion over `challenge` (base64url), user present and verified, as a browser's `credential.toJSON()`
        gives it; the counter goes up by one."""
        self.sign_count += 1
        client_data = self.client_data("webauthn.get", challenge, origin)
        auth_data = self.auth_data(rp_id, FLAG_UP | FLAG_UV)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return self.credential_json(
            {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle) if self.user_handle else None,
            }
        )

    def credential_json(self, response: dict[str, Any]) -> dict[str, Any]:
        """A PublicKeyCredential as `credential.toJSON()` gives it, around a ceremony's `response`."""
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }
