"""A phone whose clock is 2 hours ahead, in real Chromium (issue 12, item 7; docs/offline.md 4c "The device clock"),
on SQLite and PostgreSQL: the officer confirms a container's passage at the gate (signed with the passkey), online.
The journal keeps the device's time (2 hours ahead, as signed), the device's measured clock offset, and the server's
estimate of when the passage was confirmed, close to the real time; the logbook shows the estimate with the device's
time beside it, and the supervisor's reconciliation page lists the action with the clock's offset in words.

Playwright's `page.clock.set_system_time` moves the page's clock (Date.now(), new Date()) and lets it run on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Iterator

import pytest

from backend.lib.i18n import translate_in
from tests.browser.conftest import DATABASES, Browsing, Server, make_server, wait_until
from tests.browser.test_gate import CONTAINERS, ONLINE, declaration, import_declarations, scan, sign_in, wait_row

pytestmark = pytest.mark.browser

AHEAD = timedelta(hours=2)
VIETNAM = timezone(timedelta(hours=7))


@pytest.fixture(params=DATABASES)
def clock_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = make_server(tmp_path_factory, f"clock-{request.param}", database=request.param)
    import_declarations(server, server.data_dir / "clock-test.json", declaration(ONLINE))
    yield server
    server.drop()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_clock_two_hours_ahead_confirmation_is_stored_and_shown_at_the_real_time(clock_server: Server, browsing: Browsing) -> None:
    server = clock_server
    page = browsing.new_page()
    page.clock.set_system_time(datetime.now(UTC) + AHEAD)  # the phone's clock is 2 hours ahead
    sign_in(page, server, "CB001")
    page.goto(server.url("/gate"))
    page.wait_for_selector("#gate-code:focus")
    # The page's sync measured the clock (and the banner warns); the device can sign.
    page.wait_for_selector("#clock-banner", state="visible")
    offset = page.evaluate("() => giamsatStore.getMeta('clock_offset_ms')")
    assert -AHEAD.total_seconds() * 1000 - 60_000 < offset < -AHEAD.total_seconds() * 1000 + 60_000
    wait_until(page, "async () => (await giamsatSigning.stock('CB001')) >= 1", timeout=30)

    first = CONTAINERS[ONLINE][0]
    scan(page, ONLINE)
    page.wait_for_selector('#gate-verdict[data-eligible="true"]')
    before = datetime.now(UTC)
    page.click(f'tr[data-container="{first}"] .confirm-form button[type="submit"]')
    wait_row(page, first, "passed")
    after = datetime.now(UTC)

    [(command_id, issued_at, received_at, made_at, clock_offset_ms, location_id)] = server.query(
        "SELECT command_id, issued_at, received_at, made_at_utc, clock_offset_ms, location_id FROM journal_entry"
        " WHERE command_type = 'gate.confirm_passage'"
    )
    # The device's time, as the device signed it: 2 hours ahead.
    assert before + AHEAD - timedelta(seconds=5) <= parse(issued_at) <= after + AHEAD + timedelta(seconds=5)
    # The offset the device measured went with the command, and the estimate is the real time.
    assert clock_offset_ms is not None and abs(clock_offset_ms - offset) < 1_000
    estimate = parse(made_at)
    assert before - timedelta(seconds=5) <= estimate <= parse(received_at) <= after + timedelta(seconds=5)
    assert abs(estimate - (parse(issued_at) + timedelta(milliseconds=clock_offset_ms))) < timedelta(milliseconds=1)
    # The passage is recorded at the estimate, not 2 hours in the future.
    [(confirmed_at,)] = server.query("SELECT confirmed_at FROM gate_passage WHERE command_id = ?", command_id)
    confirmed_at = confirmed_at if isinstance(confirmed_at, datetime) else parse(str(confirmed_at).replace(" ", "T"))
    assert abs(confirmed_at - estimate) < timedelta(milliseconds=1)

    # The logbook (filed under the Vietnam day of the estimate, logbook/services.py: from 22:00 Vietnam time the
    # device's clock, 2 hours ahead, is already on the next day) shows the estimate, and the device's time beside.
    day = estimate.astimezone(VIETNAM).date().isoformat()
    page.goto(server.url(f"/logbook?location={location_id}&day={day}"))
    row = page.locator(f"#action-{command_id}")
    assert row.locator(".made-at").inner_text() == estimate.astimezone(VIETNAM).strftime("%H:%M:%S")
    assert row.locator(".device-time").inner_text() == translate_in(
        "vi", "Device clock: %(time)s", time=parse(issued_at).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")
    )

    # The supervisor (a phone with the right time) finds it on the reconciliation page, with the clock's offset.
    supervisor = browsing.new_page()
    sign_in(supervisor, server, "GS001")
    supervisor.goto(server.url("/reconciliation"))
    item = supervisor.locator(f"#item-{command_id}")
    assert item.locator(".made-at").inner_text() == estimate.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")
    assert item.locator('[data-mark="clock"]').inner_text() == translate_in("vi", "Implausible time")
    minutes = abs(clock_offset_ms) // 60_000  # as the page words it: whole minutes
    assert item.locator(".clock-note").all_inner_texts() == [
        translate_in(
            "vi",
            "The device's clock was %(duration)s ahead of the server's.",
            duration=translate_in("vi", "%(hours)d h %(minutes)d min", hours=minutes // 60, minutes=minutes % 60),
        )
    ]
    browsing.assert_clean()
