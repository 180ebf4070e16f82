"""Paper declarations and the Art 38.2 approval in real Chromium, signed with passkeys (Chrome's virtual
authenticator), through the device queue (docs/offline.md), against the real server:

- an officer confirms a paper declaration that carries the eligibility mark (signed), sees its form 07 listed
  and opens its A4 print page (QR shown, no CSP error);
- the officer records a request to take export goods out (Art 37.3); the branch head approves it (signed);
  the officer issues form 07 for it (signed); the request ends `form_issued`, with the next serial.

What the server holds is read from its database (read-only).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest

from backend.lib.i18n import translate_in
from tests.browser.conftest import ARTIFACTS, DATABASES, Browsing, Server, add_authenticator, enroll, make_server, wait_until

pytestmark = pytest.mark.browser

YEAR = datetime.now(timezone(timedelta(hours=7))).year


@pytest.fixture(scope="module", params=DATABASES)
def paper_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    """Its own server: sign-in is rate limited per server process."""
    instance = make_server(tmp_path_factory, "paper-app", request.param)
    yield instance
    instance.drop()


def signed_in_on_paper(browsing: Browsing, server: Server, code: str) -> Any:
    """A device of officer `code` with a passkey, on /paper, holding nonces to sign with."""
    page = browsing.new_page()
    add_authenticator(page)
    enroll(page, server.enrollment_link(code))
    page.goto(server.url("/paper"))
    page.wait_for_selector("#paper-forms")
    wait_until(page, f"async () => (await giamsatSigning.stock('{code}')) >= 1", timeout=20)
    return page


def submit_and_wait_for_reload(page: Any, button: str) -> None:
    """Submit a command form; queue-client.js reloads the page once the server applied it."""
    with page.expect_navigation(timeout=30_000):
        page.click(button)
    page.wait_for_selector("#paper-forms")


def test_paper_declaration_and_approved_request_make_signed_forms(paper_server: Server, browsing: Browsing) -> None:
    server = paper_server
    officer = signed_in_on_paper(browsing, server, "CB001")
    signed = officer.get_attribute('meta[name="signed-commands"]', "content").split(",")
    assert {"paper.confirm_declaration", "paper.decide_request", "paper.issue_form07"} <= set(signed)

    # 1. A paper declaration with the eligibility mark: box 36 signed, form 07 made.
    officer.fill("#confirm-number", "HQ-GIAY/2026/0042")
    officer.fill("#confirm-date", "2026-11-20")
    officer.select_option("#confirm-kind", "import")
    officer.fill("#confirm-declarant", "Công ty TNHH Thương mại Hải Phòng")
    officer.fill("#confirm-tax", "0201234567")
    officer.fill("#confirm-vehicle", "15C-123.45")
    officer.fill("#confirm-containers", "CSQU3054383")
    officer.fill("#confirm-goods", "Gạo trắng 5% tấm; 20; tấn; 20000; 400; VN-01\nThùng carton; 2; tấn")
    officer.check("#confirm-eligible")
    submit_and_wait_for_reload(officer, '#confirm-form button[type="submit"]')
    first_serial = f"07/HP-KV3/{YEAR}/000001"
    officer.wait_for_selector(f"#form07-list .paper-serial:has-text('{first_serial}')")
    [(payload, signature)] = server.query(
        "SELECT payload, signature FROM journal_entry WHERE command_type = 'paper.confirm_declaration'"
    )
    assert "HQ-GIAY/2026/0042" in payload and signature  # signed with the officer's passkey

    # Its print page: the form's values, the QR, a print button.
    officer.click(f"#form07-list .paper-serial:has-text('{first_serial}')")
    officer.wait_for_selector("#form07")
    sheet = officer.inner_text("#form07")
    for shown in [translate_in("vi", "LIST OF GOODS ELIGIBLE TO PASS THE CUSTOMS SUPERVISION ZONE"),
                  translate_in("vi", "Form No. 07/DSHHG/GSQL"), first_serial, "HQ-GIAY/2026/0042",
                  "Gạo trắng 5% tấm", "Thùng carton", "CSQU3054383", "Nguyễn Văn An"]:
        assert shown in sheet, shown
    assert officer.is_visible("img.form07-qr") and officer.is_visible("button[data-print]")
    assert officer.evaluate("() => document.querySelector('img.form07-qr').naturalWidth") > 0
    assert re.fullmatch(rf"F07\.{re.escape(first_serial)}\.A[A-Z2-7]{{16}}", officer.inner_text("#form07-qr-text"))
    officer.emulate_media(media="print")  # as printed: the app's frame and the buttons are gone, the form stays
    assert not officer.is_visible("button[data-print]") and officer.is_visible("#form07-goods")
    ARTIFACTS.mkdir(exist_ok=True)
    officer.screenshot(path=str(ARTIFACTS / "paper-form07-print.png"), full_page=True)
    officer.emulate_media(media="screen")

    # 2. A request to take export goods out of the port (not signed: the head's approval is what counts).
    officer.goto(server.url("/paper"))
    officer.wait_for_selector("#request-form")
    officer.fill("#request-declarant", "Công ty TNHH Xuất khẩu Nông sản Việt")
    officer.fill("#request-number", "15/2026/CV-NSV")
    officer.fill("#request-date", "2026-11-24")
    officer.fill("#request-operator", "Cảng Tân Vũ")
    officer.fill("#request-confirmation", "88/XN-TV")
    officer.fill("#request-confirmation-date", "2026-11-25")
    officer.fill("#request-goods", "Hạt điều nhân; 18; tấn; 18000; 720; NSV")
    submit_and_wait_for_reload(officer, '#request-form button[type="submit"]')
    [(request_id, state)] = server.query("SELECT id, state FROM paper_export_exit_request")
    assert state == "requested"
    officer.wait_for_selector(f"#withdraw-{request_id}-form")
    assert officer.query_selector(f"#approve-{request_id}-form") is None  # the officer cannot decide

    # 3. The branch head approves it, signing.
    supervisor = signed_in_on_paper(browsing, server, "GS001")
    supervisor.wait_for_selector(f"#approve-{request_id}-form")
    assert "15/2026/CV-NSV" in supervisor.inner_text(f"#request-{request_id}")
    submit_and_wait_for_reload(supervisor, f'#approve-{request_id}-form button[type="submit"]')
    supervisor.wait_for_selector("#waiting-none")
    assert server.query("SELECT state FROM paper_export_exit_request") == [("approved",)]

    # 4. The officer issues form 07 for the approved request, signing.
    officer.goto(server.url("/paper"))
    officer.wait_for_selector(f"#issue-{request_id}-form")
    wait_until(officer, "async () => (await giamsatSigning.stock('CB001')) >= 1", timeout=20)
    submit_and_wait_for_reload(officer, f'#issue-{request_id}-form button[type="submit"]')
    second_serial = f"07/HP-KV3/{YEAR}/000002"
    officer.wait_for_selector(f"#form07-list .paper-serial:has-text('{second_serial}')")
    assert server.query("SELECT state FROM paper_export_exit_request") == [("form_issued",)]
    signed_types = {row[0] for row in server.query("SELECT command_type FROM journal_entry WHERE signature IS NOT NULL")}
    assert {"paper.confirm_declaration", "paper.decide_request", "paper.issue_form07"} <= signed_types
    browsing.assert_clean()
