"""The supervisor's inbox on a phone (issue 15): the demo's head GS001 decides on the inbox itself — assigns a
yellow-lane transit lot (CES, signed with the passkey, the officer chosen in the item), and records a penalty while
offline, which waits in the device queue and is applied once when the network is back; each decided item leaves
the inbox. Real Chromium, the virtual authenticator, SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.browser.conftest import DATABASES, OFFLINE_NOISE, Browsing, Server, add_authenticator, enroll, make_server, wait_for_worker, wait_until

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module", params=DATABASES)
def inbox_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    """Its own server: the test decides the demo's items."""
    instance = make_server(tmp_path_factory, "inbox-app", request.param)
    yield instance
    instance.drop()


def refs(page: Any, kind: str) -> list[str]:
    return page.eval_on_selector_all(f'li.inbox-item[data-kind="{kind}"]', "items => items.map((item) => item.dataset.ref)")


def case_state(server: Server, number: str) -> str:
    [(state,)] = server.query("SELECT state FROM transit_case WHERE number = ?", number)
    return state


def test_inbox_head_assigns_signed_and_records_a_penalty_offline_on_a_phone(inbox_server: Server, browsing: Browsing) -> None:
    server = inbox_server
    page = browsing.new_page(**PHONE)
    add_authenticator(page)  # kept: CES is signed with it
    enroll(page, server.enrollment_link("GS001"))
    wait_for_worker(page)
    page.goto(server.url("/inbox"))
    page.wait_for_selector("#inbox")
    to_assign = refs(page, "transit.to_assign")
    (violation,) = refs(page, "transit.violation")  # the demo's lot found in violation at LS-HN (41.2.b.2)
    assert to_assign and refs(page, "transit.overdue")  # the demo's overdue lot (41.1.4.b)
    assert "41.1.b.1" in page.text_content('section.inbox-group[data-kind="transit.to_assign"]')

    # CES in two taps: the officer, then Assign; signed with the passkey, applied, the page reloads without it.
    yellow = {number for (number,) in server.query("SELECT number FROM transit_case WHERE state = 'yellow'")}
    number = next(ref for ref in to_assign if ref in yellow)  # (an amendment received is assigned the same way)
    form = f'li.inbox-item[data-kind="transit.to_assign"][data-ref="{number}"] form[data-command="transit.assign"]'
    page.select_option(f"{form} select[name=officer_code]", "CB001")
    page.fill(f"{form} input[name=instructions]", "Kiểm tra hợp đồng vận chuyển")
    with page.expect_navigation(timeout=30_000):
        page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#inbox")
    assert number not in refs(page, "transit.to_assign")
    assert case_state(server, number) == "assigned"
    [(signature,)] = server.query("SELECT signature FROM journal_entry WHERE command_type = 'transit.assign' AND payload LIKE ?", f"%{number}%")
    assert signature  # the head's passkey assertion, kept by the journal

    # The penalty recorded offline: queued on the phone, applied once when the network is back.
    page.context.set_offline(True)
    form = f'li.inbox-item[data-kind="transit.violation"][data-ref="{violation}"] form[data-command="transit.record_penalty"]'
    page.fill(f"{form} input[name=note]", "Doanh nghiệp đã nộp phạt theo quyết định")
    page.click(f"{form} button[type=submit]")
    wait_until(page, "async () => (await giamsatStore.queueEntries()).length === 1", timeout=20)
    assert case_state(server, violation) == "violation"
    page.context.set_offline(False)
    wait_until(page, "async () => (await giamsatStore.queueEntries()).length === 0", timeout=60)
    assert case_state(server, violation) == "penalty_carried_out"
    rows = server.query("SELECT offline FROM journal_entry WHERE command_type = 'transit.record_penalty'")
    assert rows == [(1,)] or rows == [(True,)]  # once, marked as made offline
    page.goto(server.url("/inbox"))
    page.wait_for_selector("#inbox")
    assert refs(page, "transit.violation") == []
    browsing.assert_clean(OFFLINE_NOISE)
