"""The verifiable QR printed on every page of a handover record (issue 5; docs/record-qr.md).

    GSR1.<key id>.<payload>.<signature>
    GSR1.K7QD.PMRGG4RCFVWGK3DP....MF2WC3DFN5ZWK5DJ...

- `GSR1` names the format and its version; `GSR2…` or anything else is `unreadable` here, never misread.
- key id: 4 base32 characters, the start of SHA-256 over the public key (SubjectPublicKeyInfo, DER). Derived from
  the key itself, so another deployment's key never shares an id with ours by construction of a counter (it would
  have to collide on 20 bits, and then its paper would read `altered`, never `genuine`).
- payload: base32 (RFC 4648, upper case, no padding) of the canonical JSON (backend/lib/canonical.py) of the
  record's essential fields under one-letter names (PAYLOAD_NAMES): serial, record id, kind, declaration
  number, from branch, to branch, containers with their seal numbers, unsealable goods summary, signed time.
- signature: ECDSA P-256 with SHA-256 over the ASCII text `GSR1.<key id>.<payload>` (the key id and the
  version are signed too), as raw r‖s (64 bytes, what WebCrypto makes and expects, not DER), in base32.

Every character is an upper-case letter, a digit or a dot: the QR "alphanumeric" mode (5.5 bits a character),
so base32 costs 8.8 bits a payload byte where base64url in byte mode would cost 10.7; and a handheld scanner
typing with Caps Lock on changes nothing (the text is read upper-cased).

When the containers make the code too big for a phone to read from paper (more than MAX_INLINE_CHARS), the
payload carries, instead of the list, its count and the SHA-256 of its canonical JSON (`cn`, `cd`); the list
is printed on the page, and whoever holds the list (typed or scanned) can check it with `containers_digest`.
A goods summary too long for the code is replaced by its digest (`gd`) the same way (the containers are kept
in the code first: they are what the receiving officer checks seal by seal).

Why ECDSA P-256 and not Ed25519: every browser's WebCrypto verifies ECDSA P-256 (Safari, Chrome, Firefox, the
Android WebViews officers' phones run), whereas Ed25519 came to Chrome only in 2025 (137) and is missing from
the older phones a branch still uses. The signature is 64 bytes either way.

Keys: `<data dir>/record-keys.pem`, made on first use (O_EXCL: two workers starting at once make one). It holds
PEM blocks: every `PRIVATE KEY` (PKCS#8) and `PUBLIC KEY` verifies; the last `PRIVATE KEY` signs. To rotate,
append a new private key (`rotate_key`); to retire an old one, replace its private block by its public block,
so papers printed with it still verify while no one can sign with it any more. Several machines serving one
site share the file (copy it). Devices get the public keys by the `record_keys` replica dataset and verify
offline (frontend/static/js/record-verify.js, the twin of `verify`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from backend.lib.canonical import canonical_bytes

FORMAT = "GSR1"
KEYS_FILE = "record-keys.pem"
KEY_ID_CHARS = 4
SIGNATURE_BYTES = 64  # r ‖ s, 32 bytes each
# P-256's group order. An ECDSA signature (r, s) also verifies as (r, n − s): signatures are written with the lower
# of the two and a higher s is refused, so that one record has one genuine text (issue 11, finding 9).
CURVE_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER = CURVE_ORDER // 2
SIGNATURE_CHARS = 103  # base32 of 64 bytes, no padding
# Above this many characters the containers (then the goods summary) go in as a digest: 529 alphanumeric
# characters are the most a version 15 code holds at error correction M (77 x 77 modules: 46 mm at 0.6 mm a
# module), which phone cameras read from an A4 print; docs/record-qr.md has the measured sizes.
MAX_INLINE_CHARS = 529

# The payload's names: one letter, because every byte of the payload costs 8.8 bits in the code.
PAYLOAD_NAMES = {
    "serial": "s",
    "record_id": "i",
    "kind": "k",
    "declaration": "d",
    "from_branch": "f",
    "to_branch": "t",
    "containers": "c",  # [[container number, [seal number, ...]], ...]
    "goods": "g",  # the unsealable goods summary, or null
    "signed_at": "a",  # UTC, to the second: 2026-11-26T08:30:00Z
    "container_count": "cn",  # instead of "c" when the list is printed only
    "containers_digest": "cd",  # base64url (no padding) SHA-256 of the canonical JSON of "c"
    "goods_digest": "gd",  # instead of "g": base64url SHA-256 of the canonical JSON of the summary
}
_NAMES_BACK = {short: name for name, short in PAYLOAD_NAMES.items()}
_B32 = "[A-Z2-7]"
_TEXT = re.compile(rf"^GSR1\.({_B32}{{{KEY_ID_CHARS}}})\.({_B32}+)\.({_B32}{{{SIGNATURE_CHARS}}})$")


class Container(msgspec.Struct, frozen=True):
    """A container and the seal numbers put on it ([number, [seals]] in the payload)."""

    number: str
    seals: list[str] = []


class RecordFields(msgspec.Struct, kw_only=True, frozen=True):
    """What a handover record's QR vouches for. `containers` is None when the code carries only their count and
    digest (the list is printed); `goods` is None when there are no unsealable goods or only `goods_digest`."""

    serial: str
    record_id: int
    kind: str
    declaration: str
    from_branch: str
    to_branch: str
    containers: list[Container] | None = None
    goods: str | None = None
    signed_at: str = ""
    container_count: int | None = None
    containers_digest: str | None = None
    goods_digest: str | None = None


class Status(StrEnum):
    GENUINE = "genuine"  # signed by one of our keys, unchanged
    ALTERED = "altered"  # names one of our keys, but the signature does not match what is printed
    UNKNOWN_SIGNER = "unknown_signer"  # a record QR, signed with a key this deployment does not know
    UNREADABLE = "unreadable"  # not a record QR (or a newer format)


class Verdict(msgspec.Struct, kw_only=True, frozen=True):
    """What a scanned record QR says. `fields` is what the paper claims; trust it only when `status` is genuine."""

    status: Status
    fields: RecordFields | None = None
    key_id: str | None = None


# --- encoding ---------------------------------------------------------------------------------------------


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _digest(value: Any) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(canonical_bytes(value)).digest()).decode("ascii").rstrip("=")


def containers_digest(containers: list[Container] | list[list[Any]]) -> str:
    """The digest a code carries for a container list it does not hold (`containers_digest` of its fields):
    base64url SHA-256 of the canonical JSON of [[number, [seals]], ...], in the printed order."""
    return _digest([list(item) if isinstance(item, (list, tuple)) else [item.number, list(item.seals)] for item in containers])


def goods_digest(goods: str) -> str:
    return _digest(goods)


def signed_time(moment: datetime) -> str:
    """A time as the payload writes it: UTC to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _payload(fields: RecordFields, inline_containers: bool, inline_goods: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "s": fields.serial,
        "i": fields.record_id,
        "k": fields.kind,
        "d": fields.declaration,
        "f": fields.from_branch,
        "t": fields.to_branch,
        "a": fields.signed_at,
    }
    containers = [[item.number, list(item.seals)] for item in fields.containers or []]
    if inline_containers:
        payload["c"] = containers
    else:
        payload["cn"] = len(containers)
        payload["cd"] = containers_digest(containers)
    if fields.goods is None or inline_goods:
        payload["g"] = fields.goods
    else:
        payload["gd"] = goods_digest(fields.goods)
    return payload


def _fields(payload: Any) -> RecordFields:
    """The fields of a decoded payload; raises ValueError when it is not one."""
    if not isinstance(payload, dict) or not set(payload) <= set(_NAMES_BACK):
        raise ValueError("not a record payload")
    named = {_NAMES_BACK[key]: value for key, value in payload.items()}
    if isinstance(named.get("containers"), list):
        if not all(isinstance(item, list) and len(item) == 2 for item in named["containers"]):
            raise ValueError("a container is [number, [seals]]")
        named["containers"] = [{"number": item[0], "seals": item[1]} for item in named["containers"]]
    return msgspec.convert(named, RecordFields, strict=True)


# --- keys ---------------------------------------------------------------------------------------------------


def key_id_of(public_key: ec.EllipticCurvePublicKey) -> str:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _b32(hashlib.sha256(spki).digest())[:KEY_ID_CHARS]


@dataclass(frozen=True)
class RecordKeyring:
    """A deployment's record keys: `public` by key id (every one verifies), `signing` the current private key."""

    public: dict[str, ec.EllipticCurvePublicKey]
    signing: ec.EllipticCurvePrivateKey

    @property
    def current(self) -> str:
        return key_id_of(self.signing.public_key())

    @classmethod
    def of(cls, signing: ec.EllipticCurvePrivateKey, *others: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> RecordKeyring:
        public = [key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key for key in others]
        public.append(signing.public_key())
        return cls({key_id_of(key): key for key in public}, signing)


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _check_curve(key: Any, path: Path) -> None:
    if not isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path}: every record key is an ECDSA P-256 key")


def read_keyring(path: Path) -> RecordKeyring:
    """The keyring in a PEM file: every block verifies, the last private key signs."""
    public: list[ec.EllipticCurvePublicKey] = []
    signing: ec.EllipticCurvePrivateKey | None = None
    for match in re.finditer(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", path.read_bytes(), re.DOTALL):
        block, label = match.group(0), match.group(1)
        if label == b"PUBLIC KEY":
            key: Any = serialization.load_pem_public_key(block)
            _check_curve(key, path)
            public.append(key)
        elif label in (b"PRIVATE KEY", b"EC PRIVATE KEY"):
            key = serialization.load_pem_private_key(block, password=None)
            _check_curve(key, path)
            public.append(key.public_key())
            signing = key
        else:
            raise ValueError(f"{path}: a {label.decode()} block is not a record key")
    if signing is None:
        raise ValueError(f"{path} holds no private key to sign with")
    return RecordKeyring({key_id_of(key): key for key in public}, signing)


def load_keyring(data_dir: Path) -> RecordKeyring:
    """The deployment's record keys, from `<data dir>/record-keys.pem`, made with one new key on first use."""
    path = data_dir / KEYS_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked in place: os.link fails when the file exists, so when
        # two workers start at once one key wins, and no worker ever reads a half-written file.
        draft = data_dir / f".{KEYS_FILE}.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_pem(new_private_key()))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker made it just now: its key is the one
        finally:
            draft.unlink()
    return read_keyring(path)


def rotate_key(data_dir: Path) -> str:
    """Append a new signing key to the keyring file (restart the app to sign with it); its key id."""
    ring = load_keyring(data_dir)  # the file exists and is sound before it is added to
    key = new_private_key()
    while key_id_of(key.public_key()) in ring.public:  # one chance in a million: ids name one key each
        key = new_private_key()
    with open(data_dir / KEYS_FILE, "ab") as fh:
        fh.write(b"\n" + _pem(key))
    return key_id_of(key.public_key())


@lru_cache(maxsize=4)
def _keyring(data_dir: Path) -> RecordKeyring:
    return load_keyring(data_dir)


_configured: Path | None = None


def configure(settings: Any) -> None:
    """Name the data directory whose keys sign (create_app calls it, as it configures the barcodes' keyring);
    without it, the one of `get_settings()`."""
    global _configured
    _configured = settings.data_dir


def keyring_for(settings: Any) -> RecordKeyring:
    """The record keys of the deployment `settings` describe, read once per process."""
    return _keyring(settings.data_dir)


def keyring() -> RecordKeyring:
    """This deployment's record keys, read once per process (restart after a rotation)."""
    if _configured is None:
        from backend.settings import get_settings

        return _keyring(get_settings().data_dir)
    return _keyring(_configured)


def public_key_item(key_id: str, key: ec.EllipticCurvePublicKey, current: bool) -> dict[str, Any]:
    """A public key as devices keep it: its id, a JWK for `crypto.subtle.importKey("jwk", ...)` and the SPKI."""
    numbers = key.public_numbers()
    coordinate = lambda value: base64.urlsafe_b64encode(value.to_bytes(32, "big")).decode("ascii").rstrip("=")  # noqa: E731
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "key": key_id,
        "key_id": key_id,
        "algorithm": "ES256",
        "jwk": {"kty": "EC", "crv": "P-256", "x": coordinate(numbers.x), "y": coordinate(numbers.y)},
        "spki": base64.b64encode(spki).decode("ascii"),
        "current": current,
    }


def public_key_items(ring: RecordKeyring) -> list[dict[str, Any]]:
    """Every public key of a keyring, by key id."""
    return [public_key_item(key_id, key, key_id == ring.current) for key_id, key in sorted(ring.public.items())]


def keys_from_items(items: list[Mapping[str, Any]]) -> dict[str, ec.EllipticCurvePublicKey]:
    """The public keys of a device's dataset items (what the JS verifier is given), for `verify`."""
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for item in items:
        key = serialization.load_der_public_key(base64.b64decode(item["spki"]))
        assert isinstance(key, ec.EllipticCurvePublicKey)
        keys[item["key_id"]] = key
    return keys


# --- signing and verifying ------------------------------------------------------------------------------------


def _signed_text(ring: RecordKeyring, payload: dict[str, Any]) -> str:
    head = f"{FORMAT}.{ring.current}.{_b32(canonical_bytes(payload))}"
    r, s = decode_dss_signature(ring.signing.sign(head.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    if s > HALF_ORDER:
        s = CURVE_ORDER - s
    return f"{head}.{_b32(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def sign_record(fields: RecordFields, ring: RecordKeyring | None = None) -> str:
    """The QR text of a handover record: its fields signed with the current key (this deployment's by default).

    Everything stays in the code while the text fits MAX_INLINE_CHARS; else the goods summary's digest replaces
    it, else the containers' count and digest replace them, else both. `signed_at` empty: now."""
    ring = ring or keyring()
    if not fields.signed_at:
        fields = msgspec.structs.replace(fields, signed_at=signed_time(datetime.now(UTC)))
    text = ""
    # Containers inline first: they are what the receiving officer checks seal by seal.
    for inline_containers, inline_goods in ((True, True), (True, False), (False, True), (False, False)):
        text = _signed_text(ring, _payload(fields, inline_containers, inline_goods))
        if len(text) <= MAX_INLINE_CHARS:
            break
    return text


def verify(text: str, public_keys: Mapping[str, ec.EllipticCurvePublicKey]) -> Verdict:
    """What a scanned record QR says, checked against `public_keys` (key id -> key) alone: no database, no
    network, as the device does it offline."""
    cleaned = "".join(str(text).split()).upper()
    match = _TEXT.match(cleaned)
    if match is None:
        return Verdict(status=Status.UNREADABLE)
    key_id, encoded, signature = match.groups()
    try:
        fields: RecordFields | None = _fields(json.loads(_unb32(encoded).decode("utf-8")))
    except (ValueError, binascii.Error, UnicodeDecodeError, msgspec.ValidationError):
        fields = None  # what an altered paper claims may not even be readable
    key = public_keys.get(key_id)
    if key is None:
        return Verdict(status=Status.UNKNOWN_SIGNER, fields=fields, key_id=key_id)
    raw = _unb32(signature)
    # One text per signature: no spare bits set in the last base32 character, no high s (both would still verify).
    if len(raw) != SIGNATURE_BYTES or _b32(raw) != signature or int.from_bytes(raw[32:], "big") > HALF_ORDER:
        return Verdict(status=Status.ALTERED, fields=fields, key_id=key_id)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.verify(der, cleaned[: -SIGNATURE_CHARS - 1].encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return Verdict(status=Status.ALTERED, fields=fields, key_id=key_id)
    if fields is None:
        return Verdict(status=Status.UNREADABLE, key_id=key_id)  # signed by us, yet not a payload this version reads
    return Verdict(status=Status.GENUINE, fields=fields, key_id=key_id)
