"""The phone-sized picture of the signed-in home page that the README shows (docs/screenshot-phone.png)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import REPO, Browsing, Server, add_authenticator, enroll

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def test_phone_screenshot_of_home_page(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page(**PHONE)
    add_authenticator(page)
    enroll(page, server.enrollment_link("CB001"), label="Điện thoại cổng A")

    assert page.get_attribute("html", "lang") == "vi"
    # Mobile first: one column, nothing wider than the phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    target = REPO / "docs" / "screenshot-phone.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), animations="disabled", caret="hide")
    assert target.stat().st_size > 10_000
    browsing.assert_clean()
