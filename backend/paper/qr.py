"""The QR printed on a form 07: the form's serial and a short HMAC, so a forged or altered paper is detected.

    F07.<serial>.<key id><signature>
    F07.07/HP-KV3/2026/000123.AKNPSQCHV43FMVB42

- `F07` names this format; it can never be read as a list barcode (`GS1.…`, backend/barcodes/payload.py),
  whose format is left as it is, and a list barcode can never be read as a form 07.
- The keys are the barcodes domain's keyring (`barcodes.services.keyring_for`): same key ids, same rotation
  (`barcode-keys.txt`), so a form printed before a rotation still verifies.
- signature: the first 10 bytes of HMAC-SHA256, with the key named by the key id, over everything before it
  (key id included), in base32 without padding (16 characters), as for list barcodes.

Every character (upper-case letters, digits, `.`, `/`, `-`) is in the QR alphanumeric set: a serial of a
short branch code fits a version 3 code, which phone cameras and handheld scanners read at once. The serial
is looked up in the database by whoever checks a paper; the QR only proves that this server issued it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from backend.barcodes.payload import BarcodeError, Keyring, forged, unknown_key, unreadable
from backend.lib.errors import N_

PREFIX = "F07"
SIGNATURE_BYTES = 10
SIGNATURE_CHARS = 16
_FORM07 = re.compile(r"^F07\.(07/[A-Z0-9._-]{1,16}/\d{4}/\d{6})\.([A-Z])([A-Z2-7]{16})$")


def not_a_form07() -> BarcodeError:
    return BarcodeError("form07_unknown_format", N_("This code is not the QR of a giamsat form 07."))


def _signature(key: bytes, signed_part: str) -> str:
    digest = hmac.new(key, signed_part.encode("ascii"), hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.b32encode(digest).decode("ascii")


def form07_qr_text(keyring: Keyring, serial: str) -> str:
    """The QR text of the form 07 numbered `serial`, signed with the keyring's current key."""
    if not _FORM07.match(f"{PREFIX}.{serial}.A" + "A" * SIGNATURE_CHARS):
        raise ValueError(f"not a form 07 serial: {serial!r}")
    signed_part = f"{PREFIX}.{serial}.{keyring.current}"
    return signed_part + _signature(keyring.keys[keyring.current], signed_part)


def verify_form07_qr(keyring: Keyring, text: str) -> str:
    """The serial a scanned form 07 QR vouches for; raises BarcodeError when it is not one, or is forged."""
    cleaned = "".join(text.split()).upper()
    if not cleaned:
        raise unreadable()
    match = _FORM07.match(cleaned)
    if match is None:
        raise not_a_form07()
    serial, key_id, signature = match.groups()
    key = keyring.keys.get(key_id)
    if key is None:
        raise unknown_key(key_id)
    if not hmac.compare_digest(_signature(key, cleaned[:-SIGNATURE_CHARS]), signature):
        raise forged()
    return serial

