"""The printed container list in real Chromium: the demo officer opens it from the lookup, the page keeps the CSP,
and the QR code read back from a screenshot (on screen and as printed) is the payload printed under it, signed
by this server for the declaration's current version."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

from backend.barcodes import payload
from backend.barcodes.decode import decode_photo
from backend.barcodes.payload import DocumentKind
from backend.settings import load_settings
from tests.browser.conftest import ARTIFACTS, Browsing, Server, make_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = make_server(tmp_path_factory, "browser-print-lists", GIAMSAT_DEMO="1")
    yield instance
    instance.stop()


def keyring_of(server: Server) -> payload.Keyring:
    """The server's keyring, read as the server reads it (its data directory's secret key)."""
    settings = load_settings(server.env)
    return payload.load_keyring(settings.secret_key, settings.data_dir)


def sign_in_demo(page: Any, server: Server, code: str) -> None:
    page.goto(server.url("/signin"))
    with page.expect_navigation(url=re.compile(r"/$")):
        page.click(f'.demo-user[data-code="{code}"]')
    page.wait_for_selector(".profile")


def test_container_list_prints_and_its_qr_reads_back(demo_server: Server, browsing: Browsing) -> None:
    # An amended demo declaration of container cargo that may pass: its list carries version 2 or 3.
    number, version, containers = demo_server.query(
        "SELECT d.number, d.version, COUNT(c.id) FROM declaration d JOIN declaration_container c ON c.declaration = d.id"
        " WHERE d.cargo_type = 'containers' AND d.allows_passage = ? AND d.version > 1"
        " GROUP BY d.id, d.number, d.version ORDER BY d.number LIMIT 1",
        True,
    )[0]
    page = browsing.new_page(viewport={"width": 900, "height": 1200})
    sign_in_demo(page, demo_server, "CB001")

    page.goto(demo_server.url(f"/declarations?number={number}"))
    page.click("#declaration-print-list")
    page.wait_for_selector("#print-list")
    page.wait_for_function("() => document.querySelector('#print-list img.qr').complete")

    assert page.url == demo_server.url(f"/declarations/{number}/container-list")
    assert page.inner_text("#list-number") == number and page.inner_text("#list-version") == str(version)
    assert page.locator(".list-container").count() == containers
    assert page.is_visible("[data-print]")  # print.js revealed the button
    printed = page.inner_text("#list-payload")
    decoded = payload.decode(keyring_of(demo_server), printed)
    assert (decoded.number, decoded.version, decoded.kind, decoded.signed) == (number, version, DocumentKind.CONTAINER_LIST, True)
    assert decode_photo(page.screenshot(full_page=True), "image/png") == [printed]

    # As printed: the app's chrome and the print button are gone, the sheet and its code stay.
    page.emulate_media(media="print")
    assert not page.is_visible(".topbar") and not page.is_visible("[data-print]") and not page.is_visible(".footer")
    assert page.is_visible("#print-list img.qr")
    ARTIFACTS.mkdir(exist_ok=True)
    paper = page.screenshot(full_page=True, path=str(ARTIFACTS / "print-container-list-as-printed.png"))
    assert decode_photo(paper, "image/png") == [printed]
    page.pdf(path=str(ARTIFACTS / "print-container-list.pdf"), format="A4", print_background=True)
    page.emulate_media(media="screen")
    browsing.assert_clean()


def test_goods_list_of_bulk_cargo_reads_back(demo_server: Server, browsing: Browsing) -> None:
    number, version = demo_server.query(
        "SELECT number, version FROM declaration WHERE cargo_type = 'bulk' AND allows_passage = ? ORDER BY number LIMIT 1", True
    )[0]
    page = browsing.new_page(viewport={"width": 900, "height": 1200})
    sign_in_demo(page, demo_server, "GS001")

    page.goto(demo_server.url(f"/declarations/{number}/goods-list"))
    page.wait_for_function("() => document.querySelector('#print-list img.qr').complete")

    printed = page.inner_text("#list-payload")
    decoded = payload.decode(keyring_of(demo_server), printed)
    assert (decoded.number, decoded.version, decoded.kind) == (number, version, DocumentKind.GOODS_LIST)
    assert page.inner_text("#list-weight") not in ("", "—")
    assert decode_photo(page.screenshot(full_page=True), "image/png") == [printed]
    browsing.assert_clean()


def test_container_list_fits_a_phone(demo_server: Server, browsing: Browsing) -> None:
    """Mobile first: the officer checks the list on a phone before printing; nothing is wider than the screen."""
    number = demo_server.query(
        "SELECT d.number FROM declaration d JOIN declaration_container c ON c.declaration = d.id"
        " WHERE d.cargo_type = 'containers' AND d.allows_passage = ? GROUP BY d.id, d.number"
        " ORDER BY COUNT(c.id) DESC, d.number LIMIT 1",
        True,
    )[0][0]
    page = browsing.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    sign_in_demo(page, demo_server, "CB001")

    page.goto(demo_server.url(f"/declarations/{number}/container-list"))
    page.wait_for_function("() => document.querySelector('#print-list img.qr').complete")

    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.is_visible("#print-list img.qr") and page.inner_text("#list-number") == number
    browsing.assert_clean()
