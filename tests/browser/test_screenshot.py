"""The phone-sized picture of the signed-in home page that the README shows.

The test writes it under test-artifacts/ like every other picture, so running the suite leaves `git status` clean.
Refreshing the README's copy (docs/screenshot-phone.png) is a deliberate act: `make screenshot`, which runs this
test with GIAMSAT_REFRESH_SCREENSHOT=1.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser.conftest import ARTIFACTS, REPO, Browsing, Server, add_authenticator, enroll

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
README_PICTURE = REPO / "docs" / "screenshot-phone.png"


def test_phone_screenshot_of_home_page(server: Server, browsing: Browsing) -> None:
    page = browsing.new_page(**PHONE)
    add_authenticator(page)
    enroll(page, server.enrollment_link("CB001"), label="Điện thoại cổng A")

    assert page.get_attribute("html", "lang") == "vi"
    # Mobile first: one column, nothing wider than the phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # The header shows the officer's whole name on a phone (no ellipsis).
    assert page.evaluate("() => { const name = document.querySelector('.who strong'); return name.scrollWidth <= name.clientWidth; }")
    target = ARTIFACTS / "screenshot-phone.png"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(target), animations="disabled", caret="hide")
    assert target.stat().st_size > 10_000
    browsing.assert_clean()
    if os.environ.get("GIAMSAT_REFRESH_SCREENSHOT") == "1":
        shutil.copyfile(target, README_PICTURE)
