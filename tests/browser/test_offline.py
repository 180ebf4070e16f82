"""The app shell offline: after one signed-in visit the service worker serves the home page, its CSS and
scripts with the network cut (Playwright's offline mode cuts the worker's own fetches too); a page never
opened on this device shows the offline page."""

from __future__ import annotations

import pytest

from backend.lib.i18n import translate_in
from tests.browser.conftest import (
    OFFLINE_NOISE,
    Browsing,
    Server,
    add_authenticator,
    enroll,
    wait_for_cached_page,
    wait_for_worker,
    wait_until,
)

pytestmark = pytest.mark.browser

BRAND_BLUE = "rgb(11, 61, 110)"  # --brand in app.css: proof the stylesheet came from the worker's cache


def test_offline_shell_reloads_home_and_falls_back_to_offline_page(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()
    cdp, _ = add_authenticator(page)
    enroll(page, server.enrollment_link("CB001"))
    wait_for_worker(page)
    wait_for_cached_page(page, "/")
    # An extra DevTools session makes Chromium report navigator.onLine === true after a reload even with the
    # network emulated offline (fetches still fail). The passkey is made; the authenticator can go.
    cdp.detach()

    page.context.set_offline(True)
    page.reload()

    assert page.inner_text(".who strong") == "Nguyễn Văn An"
    assert page.inner_text(".profile h1") == translate_in("vi", "Hello, %(name)s", name="Nguyễn Văn An")
    assert page.evaluate("() => getComputedStyle(document.querySelector('.topbar')).backgroundColor") == BRAND_BLUE
    assert page.is_visible("#offline-banner")
    assert page.evaluate("() => typeof htmx") == "object"  # the vendored htmx came from the shell cache

    # A page never opened here: the offline page, by a plain navigation and by an htmx-boosted link.
    page.goto(server.url("/account/devices"))
    assert page.inner_text("h1") == translate_in("vi", "You are offline")
    assert page.is_visible("#offline-banner")
    page.goto(server.url("/"))
    page.click('.actions a[href="/logbook"]')
    page.wait_for_selector("h1:has-text('%s')" % translate_in("vi", "You are offline"))
    assert page.evaluate("() => getComputedStyle(document.querySelector('.topbar')).backgroundColor") == BRAND_BLUE

    page.context.set_offline(False)
    page.goto(server.url("/logbook"))
    page.wait_for_selector("#logbook-form")
    assert page.is_hidden("#offline-banner")
    browsing.assert_clean(OFFLINE_NOISE)


def test_offline_sign_out_forgets_the_officers_pages(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()
    cdp, _ = add_authenticator(page)
    enroll(page, server.enrollment_link("GS001"))
    wait_for_worker(page)
    wait_for_cached_page(page, "/")
    page.click('.actions a[href="/logbook"]')  # an htmx-boosted visit: htmx keeps a history snapshot
    page.wait_for_selector("#logbook-form")
    wait_for_cached_page(page, "/logbook")
    cdp.detach()

    assert page.evaluate("() => sessionStorage.getItem('htmx-history-cache')") is not None
    with page.expect_navigation(url=lambda url: url.endswith("/signin")):
        page.click("#signout")
    wait_until(page, """async () => {
      const cache = await caches.open("giamsat-pages");
      return !(await cache.match("/")) && !(await cache.match("/logbook"));
    }""")
    assert page.evaluate("() => sessionStorage.getItem('htmx-history-cache')") is None

    page.context.set_offline(True)
    page.goto(server.url("/"))
    assert page.inner_text("h1") == translate_in("vi", "You are offline")
    assert page.locator(".who").count() == 0
    page.context.set_offline(False)
    browsing.assert_clean(OFFLINE_NOISE)
