"""The VAPID key pair (RFC 8292) that signs every push request, so a push service accepts our pushes only for the
subscriptions made with its public key (the page's `applicationServerKey`).

The private key comes from GIAMSAT_VAPID_PRIVATE_KEY (PEM, or base64url of the raw 32-byte key). Without it one is
made on first use and kept in the data directory, as the secret key is (settings._load_or_create_secret): a new key
would orphan every device's subscription, so it must survive restarts and be the same in every app process.
"""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from backend.settings import Settings, SettingsError

KEY_FILE = "vapid_private_key.pem"


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM or from base64url of its raw 32 bytes (what `vapid --gen` and web-push tools
    print); anything else is a SettingsError naming the variable."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = _b64url_decode(text)
            if len(raw) != 32:
                raise ValueError(f"{len(raw)} bytes, not 32")
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except (ValueError, TypeError, binascii.Error) as error:
        raise SettingsError(f"GIAMSAT_VAPID_PRIVATE_KEY is not a P-256 private key (PEM or base64url): {error}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SettingsError("GIAMSAT_VAPID_PRIVATE_KEY must be an elliptic-curve P-256 (prime256v1) key")
    return key


def _load_or_create_pem(data_dir: Path) -> str:
    path = data_dir / KEY_FILE
    if path.exists():
        return path.read_text()
    data_dir.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    # O_EXCL: when two workers start at once, one writes and the other reads what was written.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text()
    with os.fdopen(fd, "w") as fh:
        fh.write(pem)
    return pem


@lru_cache(maxsize=8)
def _vapid(key_text: str) -> Vapid:
    return Vapid(parse_private_key(key_text))


def vapid(settings: Settings) -> Vapid:
    """The signer of push requests (py_vapid's RFC 8292 `vapid t=..., k=...` scheme)."""
    return _vapid(settings.push.vapid_private_key or _load_or_create_pem(settings.data_dir))


def application_server_key(settings: Settings) -> str:
    """The public key as the browser's pushManager.subscribe() takes it: base64url of the uncompressed point."""
    public = vapid(settings).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public)
