"""The payload printed in a list's QR code (backend/barcodes/payload.py, docs/barcodes.md). No database."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from backend.barcodes import payload
from backend.barcodes.payload import BarcodeError, DocumentKind, Keyring, Payload

KEYRING = Keyring.from_secrets({"A": "deployment secret"}, "A")
NUMBER = "305123456789"


def signed(number: str = NUMBER, version: int = 2, kind: DocumentKind = DocumentKind.CONTAINER_LIST, keyring: Keyring = KEYRING) -> str:
    return payload.encode(keyring, number, version, kind)


def refusal(text: str, keyring: Keyring = KEYRING) -> str:
    with pytest.raises(BarcodeError) as caught:
        payload.decode(keyring, text)
    return caught.value.code


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_payload_round_trip_gives_number_version_kind_and_key(kind: DocumentKind) -> None:
    text = signed(version=7, kind=kind)

    decoded = payload.decode(KEYRING, text)

    assert decoded == Payload(number=NUMBER, kind=kind, version=7, key_id="A", signed=True, typed=False)


def test_payload_text_is_compact_qr_alphanumeric_ascii() -> None:
    text = signed(version=12)

    assert text.startswith("GS1.C.305123456789.12.A")
    assert len(text) == 39
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_payload_read_with_caps_lock_spaces_and_line_end_is_the_same() -> None:
    text = signed()

    assert payload.decode(KEYRING, " " + text.lower() + "\r\n") == payload.decode(KEYRING, text)


def test_payload_forged_signature_is_refused_as_forged() -> None:
    text = signed()
    forged = text[:-16] + base64.b32encode(b"\x00" * 10).decode()

    assert refusal(forged) == "barcode_forged"


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda t: t.replace(".305123456789.", ".305123456788."), id="number"),
        pytest.param(lambda t: t.replace(".2.A", ".3.A"), id="version"),
        pytest.param(lambda t: t.replace("GS1.C.", "GS1.G."), id="kind"),
        pytest.param(lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), id="signature"),
    ],
)
def test_payload_altered_field_is_refused_as_forged(alter) -> None:
    altered = alter(signed())

    assert altered != signed()
    assert refusal(altered) == "barcode_forged"


def test_payload_signed_by_another_deployment_is_forged() -> None:
    other = Keyring.from_secrets({"A": "another secret"}, "A")

    assert refusal(signed(keyring=other)) == "barcode_forged"


def test_payload_unknown_key_id_is_refused_and_named() -> None:
    text = signed(keyring=Keyring.from_secrets({"B": "deployment secret"}, "B"))

    with pytest.raises(BarcodeError) as caught:
        payload.decode(KEYRING, text)

    assert caught.value.code == "barcode_unknown_key" and caught.value.params == {"key_id": "B"}


def test_payload_after_rotation_old_papers_still_read_and_new_ones_use_new_key() -> None:
    old_paper = signed()
    rotated = Keyring.from_secrets({"A": "deployment secret", "B": "new secret"}, "B")

    new_paper = signed(keyring=rotated)

    assert payload.decode(rotated, old_paper).key_id == "A"
    assert payload.decode(rotated, new_paper).key_id == "B" and ".B" in new_paper


@pytest.mark.parametrize(
    "text",
    [
        "GS2.C.305123456789.2.AAAAAAAAAAAAAAAAA",  # a later format
        "GS1.C.30512345678.2.AAAAAAAAAAAAAAAAA",  # 11 digits
        "GS1.C.305123456789.0.AAAAAAAAAAAAAAAAA",  # version 0
        "GS1.C.305123456789.2.AAAAAAAAAAAAAAAA",  # signature one character short
        "GS1.C.305123456789.2.A1AAAAAAAAAAAAAAA",  # not base32
        "https://example.com/305123456789",
        "30512345678",  # a typed number one digit short
        "TGHU1234567",  # a container number scanned by mistake
    ],
)
def test_payload_bad_format_is_refused_as_unknown_format(text: str) -> None:
    assert refusal(text) == "barcode_unknown_format"


def test_payload_signed_with_a_kind_letter_this_version_does_not_know_is_unknown_format() -> None:
    signed_part = "GS1.X.305123456789.2.A"
    text = signed_part + payload._signature(KEYRING.keys["A"], signed_part)

    assert refusal(text) == "barcode_unknown_format"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_payload_empty_is_unreadable(text: str) -> None:
    assert refusal(text) == "barcode_unreadable"


def test_payload_typed_number_is_unsigned_and_marked_typed() -> None:
    """Decision 1966 Art 35.2.c / 36.2.d: with no barcode reader the officer types the declaration number; it
    decodes as typed and unsigned, with no barcode version to expire."""
    decoded = payload.decode(KEYRING, " 305123456789 ")

    assert decoded == Payload(number=NUMBER, kind=None, version=None, key_id=None, signed=False, typed=True)


@pytest.mark.parametrize("number, version", [("30512345678", 1), ("30512345678X", 1), (NUMBER, 0), (NUMBER, 1_000_000)])
def test_payload_encode_refuses_bad_number_or_version(number: str, version: int) -> None:
    with pytest.raises(ValueError):
        payload.encode(KEYRING, number, version, DocumentKind.GOODS_LIST)


def test_payload_key_is_separated_from_the_secret_and_per_key_id() -> None:
    key_a = payload.derive_key("s", "A")

    assert key_a != payload.derive_key("s", "B") and key_a != b"s" and len(key_a) == 32


def test_payload_keyring_default_is_key_a_from_secret_key(tmp_path: Path) -> None:
    keyring = payload.load_keyring("deployment secret", tmp_path)

    assert keyring.current == "A" and keyring.keys == KEYRING.keys


def test_payload_keyring_file_last_line_signs(tmp_path: Path) -> None:
    (tmp_path / payload.KEYRING_FILE).write_text("# rotated 2026-11\nA deployment secret\n\nB new secret\n")

    keyring = payload.load_keyring("ignored once the file exists", tmp_path)

    assert keyring.current == "B"
    assert keyring.keys == Keyring.from_secrets({"A": "deployment secret", "B": "new secret"}, "B").keys


def test_payload_keyring_refuses_key_id_that_is_not_one_letter() -> None:
    with pytest.raises(ValueError):
        Keyring.from_secrets({"AB": "x"}, "AB")


@pytest.mark.parametrize("content", ["A\n", "# only a comment\n", "AB secret\n"])
def test_payload_keyring_file_without_usable_keys_is_refused(tmp_path: Path, content: str) -> None:
    (tmp_path / payload.KEYRING_FILE).write_text(content)

    with pytest.raises(ValueError):
        payload.load_keyring("deployment secret", tmp_path)
