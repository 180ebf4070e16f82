"""frontend/static/js/record-verify.js, run by node (its WebCrypto, `globalThis.crypto.subtle`), against its Python
twin backend/seals/record_qr.py `verify`: the same verdict, the same fields and the same key id for genuine,
altered, unknown-signer, rotated-key and garbage texts, with the keys given as the `record_keys` dataset gives them.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from backend.lib.canonical import canonical_json
from backend.seals import record_qr
from backend.seals.record_qr import Container, RecordFields, RecordKeyring
from tests.conftest import REPO, REQUIRE_ALL

RECORD_VERIFY_JS = REPO / "frontend" / "static" / "js" / "record-verify.js"

NODE_SCRIPT = """
const verifier = require(process.argv[1]);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const { texts, keys, lists } = JSON.parse(input);
  const verdicts = [];
  for (const text of texts) verdicts.push(await verifier.verify(text, keys));
  const digests = [];
  for (const list of lists) digests.push(await verifier.containersDigest(list));
  process.stdout.write(JSON.stringify({ verdicts, digests }));
});
"""

OLD = record_qr.new_private_key()
RING = RecordKeyring.of(record_qr.new_private_key(), OLD)  # rotated: OLD still verifies
OLD_RING = RecordKeyring.of(OLD)
OTHER_DEPLOYMENT = RecordKeyring.of(record_qr.new_private_key())


def record(count: int, **changes: Any) -> RecordFields:
    base = RecordFields(
        serial="10/HP-KV3/2026/000123",
        record_id=4321,
        kind="handover",
        declaration="305123456789",
        from_branch="HP-KV3",
        to_branch="HN-GL",
        containers=[Container(number=f"MSCU{1234560 + index:07d}", seals=[f"VN{200000 + index:07d}", "HP-2"]) for index in range(count)],
        goods=None,
        signed_at="2026-11-26T08:30:00Z",
    )
    return msgspec.structs.replace(base, **changes)


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=")


def with_payload(text: str, change: dict[str, Any]) -> str:
    version, key_id, encoded, signature = text.split(".")
    payload = json.loads(base64.b32decode(encoded + "=" * (-len(encoded) % 8)))
    return f"{version}.{key_id}.{b32(canonical_json({**payload, **change}).encode())}.{signature}"


def signed_raw(ring: RecordKeyring, payload: bytes) -> str:
    head = f"GSR1.{ring.current}.{b32(payload)}"
    r, s = decode_dss_signature(ring.signing.sign(head.encode(), ec.ECDSA(hashes.SHA256())))
    s = min(s, record_qr.CURVE_ORDER - s)  # as giamsat writes them: the lower s
    return f"{head}.{b32(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def high_s(text: str) -> str:
    """The same signature spelled (r, n − s): it still verifies with plain ECDSA (issue 11, finding 9)."""
    head, _, signature = text.rpartition(".")
    raw = base64.b32decode(signature + "=" * (-len(signature) % 8))
    s = record_qr.CURVE_ORDER - int.from_bytes(raw[32:], "big")
    return f"{head}.{b32(raw[:32] + s.to_bytes(32, 'big'))}"


def spare_bits_set(text: str) -> str:
    """The same signature bytes with the unused low bits of the last base32 character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return text[:-1] + alphabet[alphabet.index(text[-1]) | 0b111]


def texts() -> dict[str, str]:
    genuine = record_qr.sign_record(record(1, goods="Máy xúc đã qua sử dụng — 2 chiếc \"KOMATSU\""), RING)
    many = record_qr.sign_record(record(40), RING)
    head, _, signature = genuine.rpartition(".")
    return {
        "genuine": genuine,
        "genuine, no containers": record_qr.sign_record(record(0, kind="findings", goods="Hàng rời"), RING),
        "genuine, 40 containers as a digest": many,
        "genuine, typed in lower case and split": genuine.lower()[:40] + " \n" + genuine.lower()[40:] + "\r\n",
        "genuine, signed before the rotation": record_qr.sign_record(record(2), OLD_RING),
        "altered serial": with_payload(genuine, {"s": "10/HP-KV3/2026/000124"}),
        "altered record id": with_payload(genuine, {"i": 4322}),
        "altered declaration": with_payload(genuine, {"d": "305123456780"}),
        "altered destination": with_payload(genuine, {"t": "LS-HN"}),
        "altered seal": with_payload(genuine, {"c": [["MSCU1234560", ["VN0200009", "HP-2"]]]}),
        "altered goods": with_payload(genuine, {"g": "Hàng rời"}),
        "altered time": with_payload(genuine, {"a": "2026-11-27T08:30:00Z"}),
        "altered digest": with_payload(many, {"cn": 39}),
        "altered signature": f"{head}.{signature[:20]}{'A' if signature[20] != 'A' else 'B'}{signature[21:]}",
        "altered signature, s respelled as n - s": high_s(genuine),
        "altered signature, spare base32 bits set": spare_bits_set(genuine),
        "altered payload, no longer base32 data": f"{head[:-1]}.{signature}" if len(head.split('.')[2]) % 8 in (2, 4, 5, 7) else f"{head}AAA.{signature}",
        "altered payload, not UTF-8": signed_raw(RING, b"\xff\xfe{}")[: -104] + "." + signature,
        "relabelled to our key id": record_qr.sign_record(record(1), OTHER_DEPLOYMENT).replace(OTHER_DEPLOYMENT.current, RING.current, 1),
        "unknown signer": record_qr.sign_record(record(1), OTHER_DEPLOYMENT),
        "signed, unknown payload fields": signed_raw(RING, b'{"s":"X","z":1}'),
        "signed, not a container pair": signed_raw(RING, canonical_json({**json.loads(canonical_json({"s": "X", "i": 1, "k": "handover", "d": "1", "f": "A", "t": "B", "a": "", "g": None})), "c": [["MSCU1"]]}).encode()),
        "newer format": "GSR2" + genuine[4:],
        "empty": "",
        "a list barcode": "GS1.C.305123456789.2.AKNPSQCHV43FMVB42",
        "a declaration number": "305123456789",
        "short signature": "GSR1.ABCD.MFRGG.AAAA",
        "not base32": "GSR1.ABCD.MFRG!." + "A" * 103,
        "json": '{"s": "10/HP-KV3/2026/000123"}',
    }


def node_verify(cases: list[str], keys: list[dict[str, Any]], lists: list[Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        if REQUIRE_ALL:
            pytest.fail("node is not installed (GIAMSAT_REQUIRE_ALL=1)")
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "-e", NODE_SCRIPT, str(RECORD_VERIFY_JS)],
        input=json.dumps({"texts": cases, "keys": keys, "lists": lists}, ensure_ascii=True),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def python_verdict(text: str) -> dict[str, Any]:
    verdict = record_qr.verify(text, RING.public)
    return {
        "status": str(verdict.status),
        "fields": None if verdict.fields is None else msgspec.to_builtins(verdict.fields),
        "keyId": verdict.key_id,
    }


def test_js_verifier_agrees_with_python_on_every_text() -> None:
    cases = texts()

    found = node_verify(list(cases.values()), record_qr.public_key_items(RING), [])["verdicts"]

    assert dict(zip(cases, found)) == {name: python_verdict(text) for name, text in cases.items()}


def test_js_verifier_verdicts_are_the_expected_ones() -> None:
    cases = texts()

    found = dict(zip(cases, node_verify(list(cases.values()), record_qr.public_key_items(RING), [])["verdicts"]))

    statuses = {name: verdict["status"] for name, verdict in found.items()}
    assert {name for name, status in statuses.items() if status == "genuine"} == {name for name in cases if name.startswith("genuine")}
    assert {name for name, status in statuses.items() if status == "altered"} == {
        name for name in cases if name.startswith(("altered", "relabelled"))
    }
    assert [name for name, status in statuses.items() if status == "unknown_signer"] == ["unknown signer"]
    assert found["genuine"]["fields"]["goods"] == "Máy xúc đã qua sử dụng — 2 chiếc \"KOMATSU\""
    assert found["genuine"]["fields"]["containers"] == [{"number": "MSCU1234560", "seals": ["VN0200000", "HP-2"]}]
    assert found["genuine, 40 containers as a digest"]["fields"]["container_count"] == 40
    assert found["genuine, signed before the rotation"]["keyId"] == record_qr.key_id_of(OLD.public_key())
    assert found["altered seal"]["fields"]["containers"][0]["seals"][0] == "VN0200009"  # what the forgery claims
    assert found["unknown signer"]["keyId"] == OTHER_DEPLOYMENT.current


def test_js_verifier_keys_given_by_id_as_stored_and_with_no_keys() -> None:
    text = record_qr.sign_record(record(1), RING)
    by_id = {item["key_id"]: item for item in record_qr.public_key_items(RING)}

    with_object = node_verify([text], by_id, [])["verdicts"]  # type: ignore[arg-type]
    stored = {"dataset": "record_keys", "cursor": "v1:x", "items": record_qr.public_key_items(RING), "fetched_at": "2026-11-26T08:00:00Z"}
    with_stored = node_verify([text], stored, [])["verdicts"]  # type: ignore[arg-type]
    with_none = node_verify([text], [], [])["verdicts"]

    assert with_object[0]["status"] == "genuine"
    assert with_stored[0]["status"] == "genuine"  # the device's stored copy of the dataset, as it is
    assert with_none[0]["status"] == "unknown_signer" and with_none[0]["fields"]["serial"] == "10/HP-KV3/2026/000123"


def test_js_containers_digest_matches_python() -> None:
    lists = [
        [],
        [["MSCU1234560", ["VN0200000"]]],
        [[f"MSCU{1234560 + index:07d}", [f"VN{index:07d}", "HP-2"]] for index in range(40)],
        [["TGHU8765431", []], ["Kiện số 3 \"A\"", ["Niêm phong 1"]]],
    ]
    as_objects = [{"number": number, "seals": seals} for number, seals in lists[2]]

    digests = node_verify([], [], [*lists, as_objects])["digests"]

    assert digests == [record_qr.containers_digest(each) for each in lists] + [record_qr.containers_digest(lists[2])]
