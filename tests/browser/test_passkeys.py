"""An officer's first day, in real Chromium with Chrome's virtual authenticator.

Enroll a passkey from the link, sign out, sign in again (the button and conditional UI, racing on purpose),
switch to English, write in the logbook, add a second device and revoke it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.journal.demo_signing import PASSKEY_LABEL
from backend.lib.i18n import translate_in
from tests.browser.conftest import Browsing, Server, add_authenticator, enroll

pytestmark = pytest.mark.browser

BRANCH_NAME = "Chi cục Hải quan cửa khẩu cảng Hải Phòng khu vực III"
HOME = re.compile(r"/$")


def vi(message: str, **params: str) -> str:
    return translate_in("vi", message, **params)


def sign_out(page: Any) -> None:
    with page.expect_navigation(url=re.compile(r"/signin")):
        page.click("#signout")


def test_passkey_enrollment_lands_on_home_in_vietnamese(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()
    add_authenticator(page)

    enroll(page, server.links["CB001"], label="Điện thoại cổng A")

    assert page.get_attribute("html", "lang") == "vi"
    assert page.inner_text(".profile h1") == vi("Hello, %(name)s", name="Nguyễn Văn An")
    assert vi("Hello, %(name)s", name="x") != "Hello, x", "the Vietnamese catalog should translate the home page"
    facts = page.inner_text(".facts")
    assert "CB001" in facts and BRANCH_NAME in facts
    assert page.inner_text("#role") == vi("Supervision officer")
    assert page.inner_text(".who strong") == "Nguyễn Văn An"
    assert page.locator('.actions a[href="/logbook"]').count() == 1
    browsing.assert_clean()


class SignInRace:
    """Holds the sign-in page's first (conditional) options request until the button has been pressed.

    With the virtual authenticator a conditional request completes by itself, so without this hold the button
    would never be reached. Holding it puts both ceremonies in flight at once; a verify that arrives before the
    held request was answered is held too, until after it, so a late conditional answer (which replaces the
    challenge cookie) would break that verify if the page let the two fight.
    """

    def __init__(self, page: Any) -> None:
        self.page = page
        self.held_options: list[Any] = []
        self.held_verify: list[Any] = []
        self.released = False
        self.calls: list[str] = []
        page.route("**/auth/signin/options", self._options)
        page.route("**/auth/signin/verify", self._verify)

    def _options(self, route: Any) -> None:
        self.calls.append("options")
        if not self.held_options and not self.released:
            self.held_options.append(route)
        else:
            route.continue_()

    def _verify(self, route: Any) -> None:
        self.calls.append("verify")
        if self.released:
            route.continue_()
        else:
            self.held_verify.append(route)

    def wait_for_conditional(self) -> None:
        for _ in range(50):  # route handlers run while Playwright waits
            if self.held_options:
                return
            self.page.wait_for_timeout(100)
        raise AssertionError("the sign-in page did not start a conditional passkey request on load")

    def press_button(self) -> None:
        with self.page.expect_navigation(url=HOME):
            self.page.click("#signin-passkey")
            self.page.wait_for_timeout(300)
            self.released = True
            try:
                self.held_options[0].continue_()
            except Exception:  # the page cancelled it: the request is gone, nothing to release
                pass
            self.page.wait_for_timeout(300)
            for route in self.held_verify:
                route.continue_()
        self.page.unroute("**/auth/signin/options")
        self.page.unroute("**/auth/signin/verify")
        self.page.wait_for_selector(".profile")


def test_passkey_sign_in_button_while_conditional_ui_waits(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()
    add_authenticator(page)
    enroll(page, server.enrollment_link("GS001"))
    race = SignInRace(page)  # before signing out: sign-out lands on /signin, which starts the conditional request
    sign_out(page)

    race.wait_for_conditional()
    race.press_button()

    assert page.inner_text(".who strong") == "Trần Thị Bình"
    assert race.calls.count("verify") == 1, race.calls
    browsing.assert_clean()


def test_passkey_conditional_ui_signs_in(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()
    add_authenticator(page)
    enroll(page, server.enrollment_link("KHO001"))
    sign_out(page)

    # The virtual authenticator answers the autofill request by itself, as an officer picking the passkey would
    # (on a loaded machine that took more than the default 10 s once in CI: the page had loaded, the sign-in not yet).
    # Waiting for the signed-in page's element rather than for one navigation: on a loaded CI machine the navigation
    # to the home page was once aborted by the next one (net::ERR_ABORTED) although the sign-in had succeeded.
    page.goto(server.url("/signin"))
    page.wait_for_selector(".profile", timeout=30_000)

    assert HOME.search(page.url)
    assert page.inner_text(".who strong") == "Lê Văn Cường"
    assert page.locator("#signin-message").count() == 0
    browsing.assert_clean()


def test_passkey_officer_day_language_logbook_and_devices(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()
    add_authenticator(page)
    enroll(page, server.enrollment_link("CB001"), label="Scanner CB001")
    race = SignInRace(page)
    sign_out(page)
    assert page.get_attribute("html", "lang") == "vi"
    assert page.inner_text("#signin-passkey") == vi("Sign in with a passkey")

    race.wait_for_conditional()
    race.press_button()
    assert page.inner_text(".who strong") == "Nguyễn Văn An"

    # Switch to English.
    page.click('.lang-choice[value="en"]')
    # A selector wait is retried across the navigation the choice makes (a function wait can run in the
    # document being torn down and fail with "execution context was destroyed").
    page.wait_for_selector("html[lang='en']", state="attached")
    assert page.inner_text(".profile h1") == "Hello, Nguyễn Văn An"
    assert page.inner_text("#role") == "Supervision officer"
    assert page.inner_text("#signout") == "Sign out"
    assert page.get_attribute('.lang-choice[value="en"]', "aria-current") == "true"

    # The logbook: add an entry with the representative's name and ID number, and see it listed.
    page.click('.actions a[href="/logbook"]')
    page.wait_for_selector("#logbook-form")
    assert page.url.endswith("/logbook")
    page.fill("#text", "Container TGHU 123456 7 sealed at Gate A, seal intact.")
    page.fill("#representative_name", "Đỗ Thị Hoa")
    page.fill("#representative_id_number", "031190001234")
    page.click('#logbook-form button[type="submit"]')
    entry = page.locator("#logbook-entries .entry", has_text="TGHU 123456 7")
    entry.wait_for()
    assert "Đỗ Thị Hoa" in entry.inner_text() and "031190001234" in entry.inner_text()
    assert page.input_value("#text") == ""

    # My devices: a link for a second device, enrolled in another browser (its own authenticator).
    page.goto(server.url("/account/devices"))
    devices_before = page.locator("#passkeys .list-item").count()
    page.click('form[action="/account/devices/link"] button')
    link = page.locator("#enrollment-link").inner_text()
    assert link.startswith(server.origin + "/enroll/")
    assert page.url == server.url("/account/devices"), "the POST's URL must not land in history (reload: 405)"
    assert page.locator(".qr svg").count() == 1

    second = browsing.new_page()
    add_authenticator(second)
    enroll(second, link, label="Second phone")
    assert second.inner_text(".who strong") == "Nguyễn Văn An"
    # Its page's refresh of the replicated data finishes first: revoking the passkey below ends this session, and
    # a fetch still under way would be answered 401.
    second.evaluate("() => window.giamsatReplica.refresh()")

    page.goto(server.url("/account/devices"))
    assert page.locator("#passkeys .list-item").count() == devices_before + 1
    row = page.locator("#passkeys .list-item", has_text="Second phone")
    row.locator('button[type="submit"]').click()
    page.locator("#passkeys .list-item.is-revoked", has_text="Second phone").wait_for()
    # Only the one revoked here (besides the demo loader's, revoked after loading: backend/journal/demo_signing.py).
    revoked = page.locator("#passkeys .list-item.is-revoked").all_inner_texts()
    assert [text for text in revoked if PASSKEY_LABEL not in text] == [next(text for text in revoked if "Second phone" in text)]
    assert page.locator("#passkeys .list-item", has_text="Scanner CB001").get_attribute("class") == "list-item"

    # The revoked device's session ended with its passkey.
    second.goto(server.url("/"))
    assert "/signin" in second.url
    browsing.assert_clean()
