"""Signed checkpoints of the journal's chain heads, kept outside the database (issue 11, finding 7; docs/audit.md).

The hash chains prove that the rows of a chain agree with each other, not that they are the rows that were
written: whoever can write to the database can delete the last rows and move `journal_chain_head` back, or
rewrite an unsigned row and compute every later hash again. A checkpoint says, signed by a key the database
does not hold, "chain B1 had row seq 812 with this hash at this time". Exported on a schedule and kept elsewhere
(printed, mailed, another machine), checkpoints let `giamsat audit verify --anchors FILE` detect a chain cut
below an anchored row or any row at or before an anchored row rewritten.

One checkpoint is one line of JSON (a file of them is JSON Lines; every line stands alone, so files can be
appended to and concatenated):

    {"chain":"B1","command_id":"…","command_type":"logbook.add_entry","format":"giamsat-anchor-1",
     "hash":"<64 hex>","key_id":"ABCDEFGH","row_id":812,"seq":812,"anchored_at":"2026-12-05T07:00:00.000000+00:00",
     "signature":"<base64url of r‖s>"}

The signature is ECDSA P-256 with SHA-256 over the canonical JSON (backend/lib/canonical.py) of every other
field, as raw r‖s (64 bytes) in base64url without padding, with s in the lower half of the group order (the
other half would be the same signature spelled twice, and is refused).

Keys: `<data dir>/anchor-keys.pem`, made on first use, in the same pattern as the record QR's
`record-keys.pem` (backend/seals/record_qr.py): PEM blocks, every `PRIVATE KEY` and `PUBLIC KEY` verifies, the
last `PRIVATE KEY` signs; to retire a key replace its private block by its public block. It is written out here
rather than imported because the journal imports no domain, and it is a separate file because it guards
something else: a record key is on every device's list of public keys, this one must stay away from whoever
administers the database. A verifier may be given a copy holding only the public blocks (`--anchor-keys`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from backend.lib import clock
from backend.lib.canonical import canonical_bytes

FORMAT = "giamsat-anchor-1"
KEYS_FILE = "anchor-keys.pem"
KEY_ID_CHARS = 8
# The order of P-256's group: a signature's s is kept at or below half of it (see the module's docstring).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class AnchorError(Exception):
    """An anchors file or key file that cannot be trusted; the message names the file and the line."""


class Checkpoint(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One chain's last row at the time of an export, signed."""

    format: str
    chain: str
    seq: int
    hash: str
    row_id: int
    command_id: str
    command_type: str
    anchored_at: str
    key_id: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        fields = msgspec.structs.asdict(self)
        del fields["signature"]
        return canonical_bytes(fields)

    def line(self) -> str:
        """The checkpoint as one line of JSON (sorted keys), without the newline."""
        return msgspec.json.encode(self, order="sorted").decode()


# --- keys ---------------------------------------------------------------------------------------------------


def key_id_of(public_key: ec.EllipticCurvePublicKey) -> str:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b32encode(hashlib.sha256(spki).digest()).decode("ascii")[:KEY_ID_CHARS]


@dataclass(frozen=True)
class AnchorKeyring:
    """Public keys by key id (every one verifies) and the key that signs (None in a verifier's public copy)."""

    public: dict[str, ec.EllipticCurvePublicKey]
    signing: ec.EllipticCurvePrivateKey | None

    @property
    def current(self) -> str:
        if self.signing is None:
            raise AnchorError("the anchor key file holds no private key to sign with")
        return key_id_of(self.signing.public_key())


def new_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def read_keyring(path: Path) -> AnchorKeyring:
    """The keys in a PEM file: every block verifies, the last private key (if any) signs."""
    try:
        text = path.read_bytes()
    except OSError as error:
        raise AnchorError(f"{path}: cannot read the anchor keys ({error.strerror})") from error
    public: list[ec.EllipticCurvePublicKey] = []
    signing: ec.EllipticCurvePrivateKey | None = None
    for match in re.finditer(rb"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", text, re.DOTALL):
        block, label = match.group(0), match.group(1)
        try:
            if label == b"PUBLIC KEY":
                key: Any = serialization.load_pem_public_key(block)
            elif label in (b"PRIVATE KEY", b"EC PRIVATE KEY"):
                key = serialization.load_pem_private_key(block, password=None)
            else:
                raise AnchorError(f"{path}: a {label.decode()} block is not an anchor key")
        except ValueError as error:
            raise AnchorError(f"{path}: a {label.decode()} block cannot be read ({error})") from error
        if not isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) or not isinstance(key.curve, ec.SECP256R1):
            raise AnchorError(f"{path}: every anchor key is an ECDSA P-256 key")
        if isinstance(key, ec.EllipticCurvePrivateKey):
            signing = key
            key = key.public_key()
        public.append(key)
    if not public:
        raise AnchorError(f"{path} holds no anchor key")
    return AnchorKeyring({key_id_of(key): key for key in public}, signing)


def load_keyring(data_dir: Path, *, create: bool) -> AnchorKeyring:
    """The deployment's anchor keys, `<data dir>/anchor-keys.pem`; with `create`, made with one new key when missing.

    Verifying never creates a key: a new key would only make every earlier checkpoint unverifiable."""
    path = data_dir / KEYS_FILE
    if not path.exists():
        if not create:
            raise AnchorError(f"{path} does not exist: no checkpoint was ever signed here (give --anchor-keys)")
        data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked in place: os.link fails when the file exists, so two
        # exports starting at once make one key, and nobody reads a half-written file (as record-keys.pem).
        draft = data_dir / f".{KEYS_FILE}.{os.getpid()}.{os.urandom(4).hex()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private_pem(new_private_key()))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return read_keyring(path)


# --- signing and verifying -------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def sign_checkpoint(
    ring: AnchorKeyring, *, chain: str, seq: int, hash: str, row_id: int, command_id: str, command_type: str,
    anchored_at: str | None = None,
) -> Checkpoint:
    """A checkpoint of one chain's last row, signed with the current key (at the server's time by default)."""
    checkpoint = Checkpoint(
        format=FORMAT, chain=chain, seq=seq, hash=hash, row_id=row_id, command_id=command_id,
        command_type=command_type, anchored_at=anchored_at or clock.iso(clock.now()), key_id=ring.current,
    )
    assert ring.signing is not None  # ring.current said so
    r, s = decode_dss_signature(ring.signing.sign(checkpoint.signed_bytes(), ec.ECDSA(hashes.SHA256())))
    s = min(s, P256_ORDER - s)  # (r, n - s) verifies as well: write the one form that is accepted
    checkpoint.signature = _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    return checkpoint


def checkpoint_problem(checkpoint: Checkpoint, keys: dict[str, ec.EllipticCurvePublicKey]) -> str | None:
    """None when the checkpoint is signed by one of `keys` and unchanged, else what is wrong."""
    if checkpoint.format != FORMAT:
        return f"unknown format {checkpoint.format!r}"
    key = keys.get(checkpoint.key_id)
    if key is None:
        return f"signed with key {checkpoint.key_id}, which is not one of the anchor keys"
    if not re.fullmatch(r"[A-Za-z0-9_-]{86}", checkpoint.signature):
        return "the signature is not 64 bytes of base64url"
    try:
        raw = base64.urlsafe_b64decode(checkpoint.signature + "==")
    except (binascii.Error, ValueError):
        return "the signature is not 64 bytes of base64url"
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if len(raw) != 64 or _b64(raw) != checkpoint.signature or s > P256_ORDER // 2:
        return "the signature is not in its one accepted form"
    try:
        key.verify(encode_dss_signature(r, s), checkpoint.signed_bytes(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "the signature does not match the checkpoint (altered or forged)"
    return None


def read_checkpoints(paths: Iterable[Path], keys: dict[str, ec.EllipticCurvePublicKey]) -> list[Checkpoint]:
    """Every checkpoint of the files, each verified; AnchorError naming the file and line of the first bad one.

    A file of checkpoints is evidence: one line that does not verify makes the whole file untrustworthy, so it
    is refused rather than skipped. Blank lines are allowed (a printed and re-typed file)."""
    checkpoints: list[Checkpoint] = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise AnchorError(f"{path}: cannot be read ({error})") from error
        count = 0
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                checkpoint = msgspec.json.decode(text, type=Checkpoint)
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                raise AnchorError(f"{path}, line {number}: not a checkpoint ({error})") from error
            problem = checkpoint_problem(checkpoint, keys)
            if problem is not None:
                raise AnchorError(f"{path}, line {number} (chain {checkpoint.chain}, seq {checkpoint.seq}): {problem}")
            checkpoints.append(checkpoint)
            count += 1
        if count == 0:
            raise AnchorError(f"{path} holds no checkpoint")
    return checkpoints
