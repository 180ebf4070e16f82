"""What the QR code on a container list, goods list or transit approval notice carries (docs/barcodes.md).

    GS1.<kind>.<declaration number>.<version>.<key id><signature>
    GS1.C.305123456789.2.AKNPSQCHV43FMVB42

- `GS1` names the format and its version; a later format would be `GS2`, which this server refuses as
  `barcode_unknown_format` rather than misreading it.
- kind: one letter, C container list, G goods list, T transit approval notice.
- declaration number: 12 digits; version: 1, 2, ... (a supplementary declaration raises it).
- key id: one letter A-Z naming the signing key, so keys can be rotated while old papers stay readable.
- signature: the first 10 bytes (80 bits) of HMAC-SHA256 over everything before it, including the key id,
  in base32 without padding (16 characters).

Everything is upper case letters, digits and dots: the QR "alphanumeric" mode, about 5.5 bits a character,
so a payload (38-43 characters) fits a version 2 QR (25 x 25 modules) at error correction M up to a
declaration's version 9, and a version 3 (29 x 29) beyond: codes phone cameras read easily from paper.
Upper-case base32 also survives a handheld scanner typing it.

Whether the version is still the current one is decided later against the declaration (a barcode is valid
only for the version it was printed for); decode() only says which version the paper claims.

A bare 12-digit declaration number, typed by the officer when the scanner is broken (Art 35.2.c), decodes
to an unsigned payload with `typed=True` and no kind, version or key: nothing on it vouches for a paper.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import msgspec

from backend.lib.errors import N_, DomainError

FORMAT = "GS1"
SIGNATURE_BYTES = 10
SIGNATURE_CHARS = 16  # base32 of 10 bytes, no padding
# Domain separation: the deployment's secret key also signs CSRF tokens; a barcode key derived under this
# label can never be confused with, or used as, any other key made from the same secret.
KEY_LABEL = b"giamsat/barcodes/payload-signing-key/v1/"
KEYRING_FILE = "barcode-keys.txt"


class DocumentKind(StrEnum):
    CONTAINER_LIST = "container_list"
    GOODS_LIST = "goods_list"
    TRANSIT_NOTICE = "transit_notice"


KIND_LETTERS: dict[DocumentKind, str] = {
    DocumentKind.CONTAINER_LIST: "C",
    DocumentKind.GOODS_LIST: "G",
    DocumentKind.TRANSIT_NOTICE: "T",
}
LETTER_KINDS: dict[str, DocumentKind] = {letter: kind for kind, letter in KIND_LETTERS.items()}

_NUMBER = re.compile(r"^[0-9]{12}$")  # ASCII digits only: \d would take any Unicode digit
_SIGNED = re.compile(r"^GS1\.([A-Z])\.([0-9]{12})\.([1-9][0-9]{0,5})\.([A-Z])([A-Z2-7]{16})$")


class Payload(msgspec.Struct, kw_only=True, frozen=True):
    """What a scanned or typed code says. `signed` means the signature was checked and is good."""

    number: str
    kind: DocumentKind | None = None  # None when typed
    version: int | None = None  # None when typed
    key_id: str | None = None
    signed: bool = False
    typed: bool = False  # a bare number typed by the officer (Art 35.2.c): vouches for nothing


class BarcodeError(DomainError):
    status_code = 422


def unreadable() -> BarcodeError:
    return BarcodeError("barcode_unreadable", N_("No barcode could be read. Try again, or type the declaration number."))


def unknown_format() -> BarcodeError:
    return BarcodeError(
        "barcode_unknown_format",
        N_("This code is not a giamsat list barcode or a 12-digit declaration number."),
    )


def forged() -> BarcodeError:
    return BarcodeError(
        "barcode_forged",
        N_("The barcode's signature does not match: the list may be forged or altered. Report it to the supervisor."),
    )


def unknown_key(key_id: str) -> BarcodeError:
    return BarcodeError(
        "barcode_unknown_key",
        N_("The barcode was signed with a key this server does not know (%(key_id)s). Report it to the supervisor."),
        key_id=key_id,
    )


@dataclass(frozen=True)
class Keyring:
    """Signing keys by key id; `current` signs, every key verifies (papers printed before a rotation)."""

    keys: dict[str, bytes]
    current: str

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise ValueError(f"current key {self.current!r} is not in the keyring")
        for key_id in self.keys:
            if not re.fullmatch(r"[A-Z]", key_id):
                raise ValueError(f"a key id is one letter A-Z, not {key_id!r}")

    @classmethod
    def from_secrets(cls, secrets: dict[str, str], current: str) -> Keyring:
        return cls({key_id: derive_key(secret, key_id) for key_id, secret in secrets.items()}, current)


def derive_key(secret: str, key_id: str) -> bytes:
    """The signing key for `key_id` made from a secret: HMAC-SHA256(secret, label + key id)."""
    return hmac.new(secret.encode(), KEY_LABEL + key_id.encode(), hashlib.sha256).digest()


def load_keyring(secret_key: str, data_dir: Path) -> Keyring:
    """The deployment's keyring.

    By default one key, `A`, derived from the deployment's secret key (GIAMSAT_SECRET_KEY, or the generated
    secret.key): several machines serving one site already share that secret, so they sign alike with
    nothing more to configure. To rotate, write `<data dir>/barcode-keys.txt`, one `<key id> <secret>`
    a line, the last line signing: keep `A <the old secret key>` while papers signed with it are in use.
    """
    path = data_dir / KEYRING_FILE
    if not path.exists():
        return Keyring.from_secrets({"A": secret_key}, "A")
    secrets: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key_id, _, secret = line.partition(" ")
        if not secret.strip():
            raise ValueError(f"{path}: key {key_id!r} has no secret")
        secrets[key_id] = secret.strip()
    if not secrets:
        raise ValueError(f"{path} lists no keys")
    return Keyring.from_secrets(secrets, key_id)


def _signature(key: bytes, signed_part: str) -> str:
    digest = hmac.new(key, signed_part.encode("ascii"), hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return base64.b32encode(digest).decode("ascii")  # 10 bytes: exactly 16 characters, no padding


def encode(keyring: Keyring, number: str, version: int, kind: DocumentKind | str) -> str:
    """The text of the barcode printed on a list of `kind` for declaration `number` at `version`."""
    if not _NUMBER.match(number):
        raise ValueError(f"a declaration number has 12 digits, not {number!r}")
    if not 1 <= version <= 999_999:
        raise ValueError(f"a declaration version is 1 to 999999, not {version!r}")
    key_id = keyring.current
    signed_part = f"{FORMAT}.{KIND_LETTERS[DocumentKind(kind)]}.{number}.{version}.{key_id}"
    return signed_part + _signature(keyring.keys[key_id], signed_part)


def ascii_digits(text: str) -> str:
    """Any Unicode decimal digits ("３", "٣") as the ASCII digits they are; other characters unchanged."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def decode(keyring: Keyring, text: str) -> Payload:
    """What `text` (a scanned code or a typed number) says, its signature checked; raises BarcodeError."""
    # A handheld scanner may type with Caps Lock on, or add spaces and a line end.
    cleaned = "".join(text.split()).upper()
    if not cleaned:
        raise unreadable()
    if len(cleaned) == 12 and cleaned.isdecimal():
        # A number typed on a keyboard whose digits are not ASCII (a full-width IME): the same number.
        return Payload(number=ascii_digits(cleaned), typed=True)
    match = _SIGNED.match(cleaned)
    if match is None:
        raise unknown_format()
    letter, number, version, key_id, signature = match.groups()
    key = keyring.keys.get(key_id)
    if key is None:
        raise unknown_key(key_id)
    signed_part = cleaned[: -SIGNATURE_CHARS]
    # compare_digest: how long the comparison takes tells nothing about how much of a forgery was right.
    if not hmac.compare_digest(_signature(key, signed_part), signature):
        raise forged()
    kind = LETTER_KINDS.get(letter)
    if kind is None:
        # Signed by us yet of a kind this version does not know: a newer server printed it.
        raise unknown_format()
    return Payload(number=number, kind=kind, version=int(version), key_id=key_id, signed=True)
