"""The handover record's QR (backend/seals/record_qr.py): signed by the deployment's key, verified with public keys
alone; every altered field, another deployment's key, garbage, rotated keys; the size of the code on paper; the
public keys for devices (the handler and the `record_keys` dataset, called directly until the seals domain
registers them)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import TestClient

from backend.barcodes import payload as barcode_payload
from backend.barcodes.qr import qr_version
from backend.lib.canonical import canonical_json
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.seals import record_qr, record_qr_replica, record_qr_routes
from backend.seals.record_qr import Container, RecordFields, RecordKeyring, Status
from backend.settings import load_settings
from tests.conftest import run_async

RING = RecordKeyring.of(record_qr.new_private_key())
OTHER_DEPLOYMENT = RecordKeyring.of(record_qr.new_private_key())


def container(index: int) -> Container:
    return Container(number=f"MSCU{1234560 + index:07d}", seals=[f"VN{200000 + index:07d}"])


def fields(count: int = 2, **changes: Any) -> RecordFields:
    base = RecordFields(
        serial="10/HP-KV3/2026/000123",
        record_id=4321,
        kind="handover",
        declaration="305123456789",
        from_branch="HP-KV3",
        to_branch="HN-GL",
        containers=[container(index) for index in range(count)],
        goods=None,
        signed_at="2026-11-26T08:30:00Z",
    )
    return msgspec.structs.replace(base, **changes)


def parts(text: str) -> tuple[str, str, dict[str, Any], str]:
    """(format, key id, decoded payload, signature) of a record QR text."""
    version, key_id, encoded, signature = text.split(".")
    return version, key_id, json.loads(base64.b32decode(encoded + "=" * (-len(encoded) % 8))), signature


def with_payload(text: str, payload: dict[str, Any]) -> str:
    """The text with another payload and the original signature: what a forger who edits the paper makes."""
    version, key_id, _, signature = parts(text)
    encoded = base64.b32encode(canonical_json(payload).encode()).decode().rstrip("=")
    return f"{version}.{key_id}.{encoded}.{signature}"


# --- sign and verify --------------------------------------------------------------------------------------------


def test_sign_record_round_trip_is_genuine_with_every_field() -> None:
    record = fields(2, goods="Máy xúc đã qua sử dụng, 2 chiếc, hiệu KOMATSU")

    text = record_qr.sign_record(record, RING)
    verdict = record_qr.verify(text, RING.public)

    assert verdict.status == Status.GENUINE
    assert verdict.key_id == RING.current
    assert verdict.fields == record
    assert text.startswith(f"GSR1.{RING.current}.")
    assert set(text[5:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567.")  # base32 and dots: the QR alphanumeric mode


def test_sign_record_payload_is_the_canonical_json_of_the_short_names() -> None:
    text = record_qr.sign_record(fields(1, goods="Hàng rời"), RING)

    _, _, payload, _ = parts(text)

    assert payload == {
        "s": "10/HP-KV3/2026/000123",
        "i": 4321,
        "k": "handover",
        "d": "305123456789",
        "f": "HP-KV3",
        "t": "HN-GL",
        "c": [["MSCU1234560", ["VN0200000"]]],
        "g": "Hàng rời",
        "a": "2026-11-26T08:30:00Z",
    }
    encoded = text.split(".")[2]
    assert base64.b32decode(encoded + "=" * (-len(encoded) % 8)).decode() == canonical_json(payload)


def test_signature_is_raw_r_s_over_the_text_before_it() -> None:
    text = record_qr.sign_record(fields(1), RING)
    head, _, signature = text.rpartition(".")

    raw = base64.b32decode(signature + "=" * (-len(signature) % 8))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))

    assert len(raw) == 64
    RING.signing.public_key().verify(der, head.encode("ascii"), ec.ECDSA(hashes.SHA256()))  # raises if not


def test_sign_record_without_a_time_signs_now() -> None:
    text = record_qr.sign_record(fields(1, signed_at=""), RING)

    verdict = record_qr.verify(text, RING.public)

    assert verdict.status == Status.GENUINE
    assert verdict.fields is not None and len(verdict.fields.signed_at) == 20
    assert verdict.fields.signed_at.startswith("20") and verdict.fields.signed_at.endswith("Z")


def test_verify_reads_a_text_typed_with_caps_lock_or_split_by_a_scanner() -> None:
    text = record_qr.sign_record(fields(1), RING)
    typed = text.lower()[:50] + " \n" + text.lower()[50:] + "\r\n"

    verdict = record_qr.verify(typed, RING.public)

    assert verdict.status == Status.GENUINE
    assert verdict.fields == fields(1)


ALTERATIONS: dict[str, tuple[str, Any]] = {
    "serial": ("s", "10/HP-KV3/2026/000124"),
    "record_id": ("i", 4322),
    "kind": ("k", "findings"),
    "declaration": ("d", "305123456780"),
    "from_branch": ("f", "HP-KV1"),
    "to_branch": ("t", "LS-HN"),
    "container_number": ("c", [["MSCU1234561", ["VN0200000"]], ["MSCU1234561", ["VN0200001"]]]),
    "seal_number": ("c", [["MSCU1234560", ["VN0200009"]], ["MSCU1234561", ["VN0200001"]]]),
    "container_removed": ("c", [["MSCU1234560", ["VN0200000"]]]),
    "seal_added": ("c", [["MSCU1234560", ["VN0200000", "VN0200002"]], ["MSCU1234561", ["VN0200001"]]]),
    "goods": ("g", "Hàng rời"),
    "signed_at": ("a", "2026-11-27T08:30:00Z"),
}


@pytest.mark.parametrize("name", list(ALTERATIONS))
def test_verify_every_altered_field_is_altered(name: str) -> None:
    text = record_qr.sign_record(fields(2), RING)
    short, value = ALTERATIONS[name]
    _, _, payload, _ = parts(text)
    forged = with_payload(text, {**payload, short: value})

    verdict = record_qr.verify(forged, RING.public)

    assert verdict.status == Status.ALTERED
    assert verdict.key_id == RING.current
    assert verdict.fields is not None  # what the forged paper claims, for the officer to see, not to trust
    assert verdict.fields != fields(2)


def test_verify_an_altered_digest_or_a_changed_character_is_altered() -> None:
    long_text = record_qr.sign_record(fields(40), RING)
    _, _, payload, _ = parts(long_text)
    text = record_qr.sign_record(fields(1), RING)
    head, _, signature = text.rpartition(".")
    flipped = "A" if signature[10] != "A" else "B"

    digest_changed = record_qr.verify(with_payload(long_text, {**payload, "cd": record_qr.containers_digest([])}), RING.public)
    count_changed = record_qr.verify(with_payload(long_text, {**payload, "cn": 39}), RING.public)
    signature_changed = record_qr.verify(f"{head}.{signature[:10]}{flipped}{signature[11:]}", RING.public)
    field_added = record_qr.verify(with_payload(text, {**parts(text)[2], "g": "Thêm hàng"}), RING.public)

    assert [digest_changed.status, count_changed.status, signature_changed.status, field_added.status] == [Status.ALTERED] * 4


def test_verify_another_deployments_key_is_unknown_signer() -> None:
    text = record_qr.sign_record(fields(1), OTHER_DEPLOYMENT)

    verdict = record_qr.verify(text, RING.public)

    assert verdict.status == Status.UNKNOWN_SIGNER
    assert verdict.key_id == OTHER_DEPLOYMENT.current != RING.current
    assert verdict.fields == fields(1)  # what it claims, from a signer we do not know
    assert record_qr.verify(text, OTHER_DEPLOYMENT.public).status == Status.GENUINE


def test_verify_another_deployments_signature_under_our_key_id_is_altered() -> None:
    ours = record_qr.sign_record(fields(1), RING)
    theirs = record_qr.sign_record(fields(1), OTHER_DEPLOYMENT)
    relabelled = theirs.replace(f"GSR1.{OTHER_DEPLOYMENT.current}.", f"GSR1.{RING.current}.", 1)

    verdict = record_qr.verify(relabelled, RING.public)

    assert verdict.status == Status.ALTERED
    assert ours != relabelled


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "305123456789",
        barcode_payload.encode(barcode_payload.Keyring.from_secrets({"A": "s"}, "A"), "305123456789", 1, "container_list"),
        "GSR1",
        "GSR1...",
        "GSR1.ABCD.MFRGG.AAAA",  # a signature too short
        "GSR1.ABC.MFRGG." + "A" * 103,  # a key id too short
        "GSR1.ABCD.MFRG!." + "A" * 103,  # not base32
        "GSR1.ABCD.MFRGG." + "A" * 104,  # a signature too long
        "{\"s\": \"BBBG/HP-KV3/2026/000123\"}",
    ],
)
def test_verify_garbage_is_unreadable(text: str) -> None:
    verdict = record_qr.verify(text, RING.public)

    assert verdict == record_qr.Verdict(status=Status.UNREADABLE)


def test_verify_a_newer_format_is_unreadable_not_misread() -> None:
    text = record_qr.sign_record(fields(1), RING)

    verdict = record_qr.verify("GSR2" + text[4:], RING.public)

    assert verdict.status == Status.UNREADABLE and verdict.fields is None


def test_verify_a_signed_payload_this_version_cannot_read_is_unreadable() -> None:
    # Signed by our key (a newer server's payload with a field this one does not know): not genuine fields.
    head = "GSR1." + RING.current + "." + base64.b32encode(b'{"s":"X","z":1}').decode().rstrip("=")
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(RING.signing.sign(head.encode(), ec.ECDSA(hashes.SHA256())))
    s = min(s, record_qr.CURVE_ORDER - s)  # as giamsat writes them: the lower s
    text = head + "." + base64.b32encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode().rstrip("=")

    verdict = record_qr.verify(text, RING.public)

    assert verdict.status == Status.UNREADABLE and verdict.key_id == RING.current and verdict.fields is None


# --- the size of the code on paper ----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "inline", "max_version"), [(1, True, 12), (10, False, 14), (40, False, 14)])
def test_qr_text_length_and_version_by_container_count(count: int, inline: bool, max_version: int) -> None:
    record = fields(count)

    text = record_qr.sign_record(record, RING)
    verdict = record_qr.verify(text, RING.public)

    assert len(text) <= record_qr.MAX_INLINE_CHARS
    assert qr_version(text) <= max_version  # measured: 1 container 393 chars v12; 10 and 40: 428 chars v13
    assert verdict.status == Status.GENUINE and verdict.fields is not None
    if inline:
        assert verdict.fields.containers == record.containers and verdict.fields.container_count is None
    else:
        # The list is printed on the page; the code vouches for it by its count and digest.
        assert verdict.fields.containers is None
        assert verdict.fields.container_count == count
        assert verdict.fields.containers_digest == record_qr.containers_digest(record.containers or [])
        assert verdict.fields.containers_digest != record_qr.containers_digest((record.containers or [])[:-1])


def test_sign_record_keeps_a_few_containers_inline_and_digests_more() -> None:
    inline = [count for count in range(0, 12) if record_qr.verify(record_qr.sign_record(fields(count), RING), RING.public).fields.containers is not None]  # type: ignore[union-attr]

    # Up to 3 or 4 containers (with this serial), then the count and digest for every longer list.
    assert inline == list(range(len(inline))) and len(inline) >= 3


def test_sign_record_digests_a_goods_summary_too_long_for_the_code() -> None:
    goods = "Máy móc thiết bị đã qua sử dụng, hàng không niêm phong được do kích thước lớn; " * 8
    record = fields(0, kind="findings", goods=goods)
    with_containers = fields(2, goods=goods)
    many = fields(20, goods=goods)

    verdict = record_qr.verify(record_qr.sign_record(record, RING), RING.public)

    assert verdict.status == Status.GENUINE and verdict.fields is not None
    assert verdict.fields.goods is None and verdict.fields.goods_digest == record_qr.goods_digest(goods)
    assert verdict.fields.containers == []  # the containers stay in the code first
    two = record_qr.verify(record_qr.sign_record(with_containers, RING), RING.public).fields
    assert two is not None and two.containers == with_containers.containers and two.goods is None
    both = record_qr.verify(record_qr.sign_record(many, RING), RING.public).fields
    assert both is not None and both.containers is None and both.goods is None
    assert both.container_count == 20 and both.goods_digest == record_qr.goods_digest(goods)


# --- the deployment's keys ------------------------------------------------------------------------------------------


def test_load_keyring_makes_one_key_once_readable_only_by_the_app(tmp_path: Path) -> None:
    first = record_qr.load_keyring(tmp_path / "data")
    second = record_qr.load_keyring(tmp_path / "data")
    path = tmp_path / "data" / record_qr.KEYS_FILE

    assert first.current == second.current and list(first.public) == [first.current]
    assert len(first.current) == 4
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_load_keyring_by_workers_starting_at_once_makes_one_key(tmp_path: Path) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        rings = list(pool.map(lambda _: record_qr.load_keyring(tmp_path), range(16)))

    assert len({ring.current for ring in rings}) == 1
    assert [path.name for path in tmp_path.iterdir()] == [record_qr.KEYS_FILE]  # no draft left behind


def test_key_rotation_old_records_still_verify_and_the_new_key_signs(tmp_path: Path) -> None:
    before = record_qr.load_keyring(tmp_path)
    old_text = record_qr.sign_record(fields(1), before)

    new_id = record_qr.rotate_key(tmp_path)
    after = record_qr.load_keyring(tmp_path)
    new_text = record_qr.sign_record(fields(1), after)

    assert after.current == new_id != before.current
    assert set(after.public) == {before.current, new_id}
    assert record_qr.verify(old_text, after.public).status == Status.GENUINE
    assert record_qr.verify(new_text, after.public).status == Status.GENUINE
    assert new_text.split(".")[1] == new_id
    assert record_qr.verify(new_text, before.public).status == Status.UNKNOWN_SIGNER  # a device not yet synced


def test_a_retired_key_kept_as_a_public_key_still_verifies(tmp_path: Path) -> None:
    old = record_qr.load_keyring(tmp_path)
    old_text = record_qr.sign_record(fields(1), old)
    record_qr.rotate_key(tmp_path)
    path = tmp_path / record_qr.KEYS_FILE
    old_private = path.read_text().split("\n-----BEGIN PRIVATE KEY-----")[0]
    old_public = old.public[old.current].public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    path.write_text(path.read_text().replace(old_private, old_public))

    retired = record_qr.load_keyring(tmp_path)

    assert "PRIVATE" not in path.read_text().split("-----END PUBLIC KEY-----")[0]
    assert old.current in retired.public and retired.current != old.current
    assert record_qr.verify(old_text, retired.public).status == Status.GENUINE


def test_read_keyring_refuses_a_file_with_no_signing_key_or_another_curve(tmp_path: Path) -> None:
    public_only = tmp_path / "public.pem"
    public_only.write_bytes(RING.signing.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    other_curve = tmp_path / "p384.pem"
    other_curve.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    with pytest.raises(ValueError, match="no private key"):
        record_qr.read_keyring(public_only)
    with pytest.raises(ValueError, match="P-256"):
        record_qr.read_keyring(other_curve)


# --- the public keys for devices ------------------------------------------------------------------------------------


def test_public_key_items_give_the_jwk_and_spki_of_every_key() -> None:
    ring = RecordKeyring.of(record_qr.new_private_key(), OTHER_DEPLOYMENT.signing)

    items = record_qr.public_key_items(ring)
    keys = record_qr.keys_from_items(items)

    assert [item["key_id"] for item in items] == sorted(ring.public)
    assert [item["current"] for item in items if item["key_id"] == ring.current] == [True]
    assert sum(item["current"] for item in items) == 1
    for item in items:
        numbers = ring.public[item["key_id"]].public_numbers()
        x = base64.urlsafe_b64decode(item["jwk"]["x"] + "==")
        assert item["jwk"]["kty"] == "EC" and item["jwk"]["crv"] == "P-256" and item["algorithm"] == "ES256"
        assert int.from_bytes(x, "big") == numbers.x and len(x) == 32
        assert keys[item["key_id"]].public_numbers() == numbers
        assert item["key"] == item["key_id"]


def test_record_keys_handler_answers_the_deployments_public_keys(tmp_path: Path) -> None:
    settings = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path / "data"), "GIAMSAT_SECRET_KEY": "x" * 40})
    app = Litestar(route_handlers=record_qr_routes.ROUTES, state=State({"settings": settings}))
    expected = record_qr.keyring_for(settings)

    with TestClient(app) as client:
        response = client.get("/api/v1/seals/record-keys")

    assert response.status_code == 200
    body = response.json()
    assert [key["key_id"] for key in body["keys"]] == [expected.current]
    assert body["keys"][0]["current"] is True
    assert body["keys"] == record_qr.public_key_items(expected)
    text = record_qr.sign_record(fields(1), expected)
    assert record_qr.verify(text, record_qr.keys_from_items(body["keys"])).status == Status.GENUINE


def test_record_keys_dataset_is_a_snapshot_of_the_configured_keys(tmp_path: Path) -> None:
    settings = load_settings({"GIAMSAT_DATA_DIR": str(tmp_path / "data"), "GIAMSAT_SECRET_KEY": "x" * 40})
    actor = Actor(id=1, code="CB1", full_name="Nguyễn Văn Một", role=Role.OFFICER, branch_id=1, branch_code="B1", branch_name="Chi cục Một")
    record_qr.configure(settings)
    try:
        first = run_async(record_qr_replica.record_keys(actor, None))
        again = run_async(record_qr_replica.record_keys(actor, first.cursor))
    finally:
        record_qr._configured = None

    assert record_qr_replica.NAME == "record_keys" and first.dataset == "record_keys"
    assert first.changed and first.replace
    assert first.items == record_qr.public_key_items(record_qr.keyring_for(settings))
    assert not again.changed and again.items == []


@pytest.mark.parametrize("count", [1, 3, 10, 40])
def test_qr_of_a_record_reads_back_from_a_blurred_photo_at_3_px_a_module(count: int) -> None:
    # A phone's photo of the printed page: the code shrunk to 3 px a module, blurred, saved as a JPEG.
    import io

    from PIL import Image, ImageFilter

    from backend.barcodes.decode import decode_photo
    from backend.barcodes.qr import PNG_MODULE_PX, qr_png

    text = record_qr.sign_record(fields(count), RING)
    code = Image.open(io.BytesIO(qr_png(text))).convert("L")
    side = code.width * 3 // PNG_MODULE_PX
    photo = code.resize((side, side), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=70)

    assert decode_photo(out.getvalue(), "image/jpeg") == [text]


def test_record_qr_signature_has_one_spelling() -> None:
    # Issue 11, finding 9: (r, n − s) and a last base32 character with its spare bits set verify with plain ECDSA
    # too; giamsat writes the lower s and refuses the other spellings, so one record has one genuine text.
    from tests.seals.test_record_verify_js import RING, high_s, record, spare_bits_set

    texts = [record_qr.sign_record(record(n), RING) for n in range(1, 9)]

    assert all(record_qr.verify(text, RING.public).status == record_qr.Status.GENUINE for text in texts)
    assert {record_qr.verify(high_s(text), RING.public).status for text in texts} == {record_qr.Status.ALTERED}
    assert {record_qr.verify(spare_bits_set(text), RING.public).status for text in texts} == {record_qr.Status.ALTERED}
