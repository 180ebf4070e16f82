"""GIAMSAT_DEMO=1 (localhost only): a bannered, password-less sign-in for trying the app without a passkey."""

from __future__ import annotations

import re
from typing import Iterator

import pytest

from tests.browser.conftest import Browsing, Server, make_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = make_server(tmp_path_factory, "browser-demo", GIAMSAT_DEMO="1")
    yield instance
    instance.stop()


def test_demo_sign_in_shows_banner_and_signs_in_the_officer(demo_server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()  # no authenticator: a browser that cannot make a passkey

    page.goto(demo_server.url("/signin"))

    assert page.is_visible(".banner-demo")
    codes = page.eval_on_selector_all(".demo-user", "(buttons) => buttons.map((button) => button.dataset.code)")
    assert sorted(codes) == ["ADMIN", "CB001", "CB101", "CFS001", "GS001", "GS101", "KHO001"]
    with page.expect_navigation(url=re.compile(r"/$")):
        page.click('.demo-user[data-code="CB001"]')
    page.wait_for_selector(".profile")
    assert page.inner_text(".who strong") == "Nguyễn Văn An"
    assert "CB001" in page.inner_text(".facts")
    assert page.is_visible(".banner-demo")  # on every page while signed in, not only the sign-in page
    browsing.assert_clean()


def test_demo_sign_in_absent_without_the_flag(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()

    page.goto(server.url("/signin"))

    assert page.locator(".banner-demo").count() == 0
    assert page.locator(".demo-user").count() == 0
    browsing.assert_clean()


def test_demo_every_page_keeps_the_content_security_policy(demo_server: Server, browsing: Browsing) -> None:
    """No inline script or style anywhere: each page of the app, visited, leaves no CSP report or JS error."""
    page = browsing.new_page()
    page.goto(demo_server.url("/signin"))
    page.click('.demo-user[data-code="ADMIN"]')
    page.wait_for_selector(".profile")

    page.click('.actions a[href="/admin/officers"]')
    page.wait_for_selector("#officers")
    # htmx (a deferred script) boosts the form once the page has loaded; a click before that is a plain POST,
    # whose address stays in the bar.
    page.wait_for_load_state("load")
    page.locator('#officers form[action$="/enrollment"] button').first.click()
    page.wait_for_selector(".enrollment-link .qr svg")
    assert page.url == demo_server.url("/admin/officers")
    page.goto(demo_server.url("/no-such-page"))
    assert page.inner_text("h1") == "404"
    for path in ["/account/devices", "/offline"]:
        page.goto(demo_server.url(path))
        page.wait_for_selector("main")

    page.click("#signout")
    page.wait_for_selector(".demo-user")
    page.click('.demo-user[data-code="CB001"]')
    page.click('.actions a[href="/logbook"]')
    page.wait_for_selector("#logbook-form")
    page.fill("#text", "")
    page.evaluate("() => document.getElementById('text').removeAttribute('required')")
    page.click('#logbook-form button[type="submit"]')
    page.wait_for_selector("#logbook-error")  # the refusal comes back as the page with its message (422)

    # A supervisor's pages, each opened as a newcomer would from the demo.
    page.click("#signout")
    page.wait_for_selector(".demo-user")
    page.click('.demo-user[data-code="GS001"]')
    page.wait_for_selector(".profile")
    for path, ready in [
        ("/gate", "#gate-scan-form"), ("/gate/reports", "#gate-reports"), ("/seals", "#seals-find-form"),
        ("/seals/receive", "#receive-code"), ("/seals/violations", "#seals-violations"),
        ("/seals/evidence", "#evidence-find-form"), ("/paper", "main"), ("/declarations", "main"),
        ("/contingency", "main"), ("/reconciliation", "main"), ("/sync", "main"),
    ]:
        page.goto(demo_server.url(path))
        page.wait_for_selector(ready, state="attached")
    browsing.assert_clean(r"status of (404|422)")
