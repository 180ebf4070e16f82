"""A handover record's QR verified OFFLINE in real Chromium (frontend/static/js/record-verify.js), under the app's
own Content-Security-Policy, with the public keys as the `record_keys` dataset gives them.

The record pages and the scan page are the seals domain's; the page under test is a small one served at the real
server's origin with `page.route` (same origin: the scripts are the server's own static files), loaded online, then
the network is cut (`set_offline`) before anything is read or verified:
- the printed QR (a PNG of the code, as the print page shows it) is read in the page by the vendored reader
  (camera-scan.js) and verified: genuine;
- a tampered printed QR (a seal number changed, the signature kept) reads as "altered"; one signed by another
  deployment's key as "unknown_signer"; a list barcode as "unreadable";
- the texts are signed by the server's own keyring (the key file in its data directory).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from backend.app import CONTENT_SECURITY_POLICY
from backend.barcodes import qr
from backend.lib.canonical import canonical_json
from backend.seals import record_qr
from backend.seals.record_qr import Container, RecordFields, RecordKeyring
from tests.browser.conftest import OFFLINE_NOISE, Browsing, Server

pytestmark = pytest.mark.browser

TEST_PATH = "/__record_qr_test"
PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/css/app.css">
<script src="/sw/store.js" defer></script>
<script src="/static/js/camera-scan.js" defer></script>
<script src="/static/js/record-verify.js" defer></script>
<title>record</title></head>
<body><main id="main"><h1>Kiểm tra biên bản bàn giao</h1></main></body></html>"""

READ_AND_VERIFY = """async ({png, keys}) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const texts = await giamsatCamera.decodeImage(new Blob([bytes], {type: "image/png"}));
  const verdicts = [];
  for (const text of texts) verdicts.push(await giamsatRecordVerify.verify(text, keys));
  return {texts, verdicts};
}"""

RECORD = RecordFields(
    serial="10/HP-KV3/2026/000123",
    record_id=17,
    kind="handover",
    declaration="305123456789",
    from_branch="HP-KV3",
    to_branch="HN-GL",
    containers=[
        Container(number="MSCU1234565", seals=["VN0200001"]),
        Container(number="TGHU8765430", seals=["VN0200002", "HP-2"]),
    ],
    goods="Máy xúc đã qua sử dụng, 2 chiếc",
    signed_at="2026-11-26T08:30:00Z",
)


def tampered(text: str) -> str:
    """The text with a seal number changed and the signature kept: a paper whose code was re-made by a forger."""
    version, key_id, encoded, signature = text.split(".")
    payload = json.loads(base64.b32decode(encoded + "=" * (-len(encoded) % 8)))
    payload["c"][0][1] = ["VN0299999"]
    forged = base64.b32encode(canonical_json(payload).encode()).decode().rstrip("=")
    return f"{version}.{key_id}.{forged}.{signature}"


def png(text: str) -> str:
    return base64.b64encode(qr.qr_png(text)).decode("ascii")


def open_offline(browsing: Browsing, server: Server) -> tuple[Any, list[str]]:
    """The test page loaded online (its scripts and the code reader), then cut from the network."""
    page = browsing.new_page(service_workers="block")  # the worker would answer the routed URL itself
    page.route(
        server.url(TEST_PATH),
        lambda route: route.fulfill(
            status=200, body=PAGE, content_type="text/html; charset=utf-8",
            headers={"content-security-policy": CONTENT_SECURITY_POLICY},
        ),
    )
    page.goto(server.url(TEST_PATH))
    page.wait_for_function("() => Boolean(window.giamsatRecordVerify && window.giamsatCamera && window.giamsatStore)")
    assert page.evaluate("() => giamsatCamera.reader()") == "wasm"  # the reader is on the device
    page.context.set_offline(True)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    return page, asked


def test_printed_record_qr_is_verified_offline_genuine_and_tampered_altered(server: Server, browsing: Browsing) -> None:
    ring = record_qr.load_keyring(server.data_dir)  # the server's own key file
    keys = record_qr.public_key_items(ring)  # what the record_keys dataset gives a device
    text = record_qr.sign_record(RECORD, ring)
    page, asked = open_offline(browsing, server)

    genuine = page.evaluate(READ_AND_VERIFY, {"png": png(text), "keys": keys})
    altered = page.evaluate(READ_AND_VERIFY, {"png": png(tampered(text)), "keys": keys})

    assert genuine["texts"] == [text]
    assert genuine["verdicts"] == [
        {
            "status": "genuine",
            "keyId": ring.current,
            "fields": {
                "serial": "10/HP-KV3/2026/000123",
                "record_id": 17,
                "kind": "handover",
                "declaration": "305123456789",
                "from_branch": "HP-KV3",
                "to_branch": "HN-GL",
                "containers": [
                    {"number": "MSCU1234565", "seals": ["VN0200001"]},
                    {"number": "TGHU8765430", "seals": ["VN0200002", "HP-2"]},
                ],
                "goods": "Máy xúc đã qua sử dụng, 2 chiếc",
                "signed_at": "2026-11-26T08:30:00Z",
                "container_count": None,
                "containers_digest": None,
                "goods_digest": None,
            },
        }
    ]
    assert altered["texts"] == [tampered(text)]
    assert altered["verdicts"][0]["status"] == "altered"
    assert altered["verdicts"][0]["fields"]["containers"][0]["seals"] == ["VN0299999"]  # what the forgery claims
    assert asked == []  # nothing asked of the network: verified on the device alone
    browsing.assert_clean(OFFLINE_NOISE)


def test_record_qr_offline_unknown_signer_unreadable_and_many_containers(server: Server, browsing: Browsing) -> None:
    ring = record_qr.load_keyring(server.data_dir)
    keys = record_qr.public_key_items(ring)
    other = RecordKeyring.of(record_qr.new_private_key())
    forty = RecordFields(
        **{**{name: getattr(RECORD, name) for name in ("serial", "record_id", "kind", "declaration", "from_branch", "to_branch", "signed_at")}},
        containers=[Container(number=f"MSCU{1234560 + index:07d}", seals=[f"VN{200000 + index:07d}"]) for index in range(40)],
    )
    page, asked = open_offline(browsing, server)

    from_other = page.evaluate(READ_AND_VERIFY, {"png": png(record_qr.sign_record(RECORD, other)), "keys": keys})
    a_list_barcode = page.evaluate(READ_AND_VERIFY, {"png": png("GS1.C.305123456789.2.AKNPSQCHV43FMVB42"), "keys": keys})
    many = page.evaluate(READ_AND_VERIFY, {"png": png(record_qr.sign_record(forty, ring)), "keys": keys})
    typed = page.evaluate(
        "([text, keys]) => giamsatRecordVerify.verify(text, keys)", [record_qr.sign_record(RECORD, ring).lower() + "\n", keys]
    )
    digest = page.evaluate("(list) => giamsatRecordVerify.containersDigest(list)", [[c.number, c.seals] for c in forty.containers or []])

    assert from_other["verdicts"][0]["status"] == "unknown_signer"
    assert from_other["verdicts"][0]["keyId"] == other.current != ring.current
    assert a_list_barcode["verdicts"] == [{"status": "unreadable", "fields": None, "keyId": None}]
    assert many["verdicts"][0]["status"] == "genuine"
    assert many["verdicts"][0]["fields"]["containers"] is None and many["verdicts"][0]["fields"]["container_count"] == 40
    assert many["verdicts"][0]["fields"]["containers_digest"] == digest == record_qr.containers_digest(forty.containers or [])
    assert typed["status"] == "genuine"
    assert asked == []
    browsing.assert_clean(OFFLINE_NOISE)


def test_record_qr_verified_offline_with_the_keys_the_device_holds(server: Server, browsing: Browsing) -> None:
    ring = record_qr.load_keyring(server.data_dir)
    text = record_qr.sign_record(RECORD, ring)
    page, asked = open_offline(browsing, server)

    before_sync = page.evaluate("(text) => giamsatRecordVerify.verifyOnDevice(text)", text)
    # The device's copy of the record_keys dataset, as replica.js stores what the server answers.
    page.evaluate(
        "(items) => giamsatStore.put('replica', {dataset: 'record_keys', cursor: 'v1:test', items, fetched_at: new Date().toISOString()})",
        record_qr.public_key_items(ring),
    )
    after_sync = page.evaluate("(text) => giamsatRecordVerify.verifyOnDevice(text)", text)
    forged = page.evaluate("(text) => giamsatRecordVerify.verifyOnDevice(text)", tampered(text))

    assert before_sync["status"] == "unknown_signer"  # never synced: sync, then scan again
    assert after_sync["status"] == "genuine" and after_sync["fields"]["serial"] == RECORD.serial
    assert forged["status"] == "altered"
    assert asked == []
    browsing.assert_clean(OFFLINE_NOISE)
