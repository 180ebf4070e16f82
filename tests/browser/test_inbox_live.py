"""The inbox, live, on two supervisors' phones (issue 15, item 3): an officer reports a mismatch at the gate; the
item appears on both heads' open inboxes without a reload; one head closes it on the inbox, signing with the
passkey; it leaves the other head's page by itself. Real Chromium, the virtual authenticator, SQLite and PostgreSQL.

Closing a gate report is signed here because the branch asks for it (GIAMSAT_EXTRA_SIGNED_COMMANDS, docs/offline.md):
the head's decision on a report carries the head's signature, as the paper report did."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.browser.conftest import DATABASES, Browsing, Server, add_authenticator, enroll, make_server, wait_for_worker
from tests.browser.test_gate import STOPPED, declaration, import_declarations, rows_when_applied, scan, sign_in
from tests.browser.test_inbox import PHONE
from tests.conftest import giamsat

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=DATABASES)
def live_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    server = make_server(
        tmp_path_factory, "inbox-live", request.param, GIAMSAT_EXTRA_SIGNED_COMMANDS="gate.close_report", GIAMSAT_INBOX_TICK_SECONDS="0"
    )
    import_declarations(server, server.data_dir / "stopped.json", declaration(STOPPED, status_code="CHO_KIEM_HOA", allows_passage=False))
    # A second head of the demo branch.
    giamsat(server.env, "officer", "add", "--code", "GS002", "--name", "Đỗ Thị Bảy", "--role", "supervisor", "--branch", "HP-KV3")
    yield server
    server.drop()


def open_inbox(page: Any, server: Server) -> None:
    page.goto(server.url("/inbox"))
    page.wait_for_selector("#inbox-live:not([hidden]):not(.inbox-away)")
    page.evaluate("() => { window.sameInboxPage = true; }")  # gone if the page reloads


def report_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all('li.inbox-item[data-kind="gate.report"]', "items => items.map((item) => item.dataset.ref)")


def test_inbox_live_item_reaches_both_heads_and_a_signed_decision_leaves_the_other(live_server: Server, browsing: Browsing) -> None:
    server = live_server
    head = browsing.new_page(**PHONE)
    add_authenticator(head)  # kept: the decision is signed with it
    enroll(head, server.enrollment_link("GS001"))
    wait_for_worker(head)
    other_head = browsing.new_page(**PHONE)
    add_authenticator(other_head)
    enroll(other_head, server.enrollment_link("GS002"))
    open_inbox(head, server)
    open_inbox(other_head, server)
    before = set(report_ids(head))
    total = int(head.text_content("#inbox-total"))

    officer = browsing.new_page()
    sign_in(officer, server, "CB001")
    officer.goto(server.url("/gate"))
    scan(officer, STOPPED)
    officer.fill("#report-form-note", "Tờ khai chưa thông quan, xe đã vào cổng")
    officer.click('#report-form button[type="submit"]')
    [(report_id,)] = rows_when_applied(server, "SELECT id FROM gate_report WHERE note LIKE '%xe đã vào cổng%'")

    # Live: on both open inboxes, no reload.
    item = f'li.inbox-item[data-kind="gate.report"][data-ref="{report_id}"]'
    for page in (head, other_head):
        page.wait_for_selector(item, timeout=20_000)
        assert "xe đã vào cổng" in page.text_content(item)
        assert page.evaluate("() => window.sameInboxPage === true")
    assert set(report_ids(head)) == before | {str(report_id)}
    assert int(head.text_content("#inbox-total")) == total + 1

    # The head closes it on the item itself: signed with the passkey, applied once.
    form = f'{item} form[data-command="gate.close_report"]'
    head.fill(f"{form} input[name=note]", "Đã lập biên bản, chuyển kiểm tra")
    head.click(f"{form} button[type=submit]")
    [(closed_at,)] = rows_when_applied(server, f"SELECT closed_at FROM gate_report WHERE id = {int(report_id)} AND closed_at IS NOT NULL")
    [(signature,)] = server.query("SELECT signature FROM journal_entry WHERE command_type = 'gate.close_report'")
    assert closed_at and signature  # the head's passkey assertion, kept by the journal

    # It leaves the other head's page by itself.
    other_head.wait_for_selector(item, state="detached", timeout=20_000)
    assert other_head.evaluate("() => window.sameInboxPage === true")
    assert set(report_ids(other_head)) == before
    head.wait_for_selector(item, state="detached", timeout=20_000)  # (its page may reload after the decision)
    browsing.assert_clean()
