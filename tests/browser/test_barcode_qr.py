"""The print pages' QR image in real Chromium, under the app's own Content-Security-Policy: it loads, no CSP
violation is reported, and a screenshot of the rendered page decodes back to the payload."""

from __future__ import annotations

from typing import Any

import pytest

from backend.app import CONTENT_SECURITY_POLICY
from backend.barcodes import payload, qr
from backend.barcodes.decode import decode_photo
from backend.barcodes.payload import DocumentKind, Keyring
from tests.browser.conftest import Browsing

pytestmark = pytest.mark.browser

KEYRING = Keyring.from_secrets({"A": "deployment secret"}, "A")


def test_qr_img_tag_renders_under_the_apps_csp_and_reads_back(browsing: Browsing) -> None:
    text = payload.encode(KEYRING, "305123456789", 2, DocumentKind.CONTAINER_LIST)
    html = f"<!doctype html><html><body><h1>Danh sách container</h1>{qr.qr_img_tag(text, 'Mã vạch')}</body></html>"
    page: Any = browsing.new_page(viewport={"width": 800, "height": 600})
    page.route(
        "http://localhost/print",
        lambda route: route.fulfill(
            status=200, body=html, content_type="text/html; charset=utf-8",
            headers={"content-security-policy": CONTENT_SECURITY_POLICY},
        ),
    )

    page.goto("http://localhost/print")
    size = page.eval_on_selector("img.qr", "img => [img.complete, img.naturalWidth, img.getBoundingClientRect().width]")
    shot = page.screenshot()

    assert size[0] is True and size[1] > 0
    assert 115 < size[2] < 135  # 33 mm at 96 CSS px an inch: 125 px
    browsing.assert_clean()
    assert decode_photo(shot, "image/png") == [text]
