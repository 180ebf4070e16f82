"""The form 07 QR: F07.<serial>.<key id><signature>, made with the barcodes keyring; forgeries refused."""

from __future__ import annotations

import pytest

from backend.barcodes.payload import BarcodeError, Keyring, decode
from backend.paper.qr import form07_qr_text, verify_form07_qr

KEYS = Keyring.from_secrets({"A": "old secret", "B": "new secret"}, "B")
SERIAL = "07/HP-KV3/2026/000123"


def test_qr_text_verifies_to_its_serial() -> None:
    text = form07_qr_text(KEYS, SERIAL)

    assert text.startswith("F07.07/HP-KV3/2026/000123.B") and len(text) == len("F07." + SERIAL + ".B") + 16
    assert verify_form07_qr(KEYS, text) == SERIAL
    assert verify_form07_qr(KEYS, " " + text.lower() + "\n") == SERIAL  # a scanner with Caps Lock, a line end


def test_form_printed_before_a_rotation_still_verifies() -> None:
    old = form07_qr_text(Keyring.from_secrets({"A": "old secret"}, "A"), SERIAL)

    assert verify_form07_qr(KEYS, old) == SERIAL


@pytest.mark.parametrize(
    ("forge", "code"),
    [
        (lambda text: text.replace("000123", "000124"), "barcode_forged"),  # another serial, same signature
        (lambda text: text.replace("HP-KV3", "HP-KV2"), "barcode_forged"),
        (lambda text: text[:-1] + ("A" if text[-1] != "A" else "B"), "barcode_forged"),
        (lambda text: text.replace(".B", ".C", 1), "barcode_unknown_key"),
        (lambda text: "F08" + text[3:], "form07_unknown_format"),
        (lambda text: "", "barcode_unreadable"),
    ],
    ids=["serial", "branch", "signature", "key", "prefix", "empty"],
)
def test_forged_or_foreign_qr_is_refused(forge, code: str) -> None:
    with pytest.raises(BarcodeError) as refused:
        verify_form07_qr(KEYS, forge(form07_qr_text(KEYS, SERIAL)))

    assert refused.value.code == code


def test_list_barcode_and_form07_qr_are_never_confused() -> None:
    form07 = form07_qr_text(KEYS, SERIAL)

    with pytest.raises(BarcodeError) as as_list:
        decode(KEYS, form07)
    with pytest.raises(BarcodeError) as as_form:
        verify_form07_qr(KEYS, "GS1.C.305123456789.2.AKNPSQCHV43FMVB42")

    assert as_list.value.code == "barcode_unknown_format" and as_form.value.code == "form07_unknown_format"


def test_a_serial_is_needed() -> None:
    with pytest.raises(ValueError):
        form07_qr_text(KEYS, "not a serial")
