"""Implausible times on /reconciliation (issue 12, item 7; docs/offline.md, "The device clock"): an action whose
time, corrected by the device's measured clock offset, is after the server received it, one made longer than
GIAMSAT_CLOCK_PAST_HOURS before (10 here), and one made on a device whose clock was off by more than 2 minutes are
listed for the supervisor with the reasons in words, whether or not they were made offline; a normal one is not.
The page shows the server's estimate of the time, and the device's own time beside it when they differ. SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.sync.test_pages import entry, item, items, reviews, send, vi

HOUR_MS = 3_600_000
VIETNAM = timezone(timedelta(hours=7))


@pytest.fixture
def settings(app_env: dict[str, str]) -> Any:
    from backend.settings import load_settings

    return load_settings({**app_env, "GIAMSAT_CLOCK_PAST_HOURS": "10"})


def shown(moment: datetime) -> str:
    """A time as the reconciliation page shows it (Vietnam time)."""
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")


def duration(milliseconds: int) -> str:
    """A duration as the page words it in Vietnamese (logbook.services.waited_text): hours and minutes here."""
    hours, minutes = divmod(abs(milliseconds) // 60_000, 60)
    return translate_in("vi", "%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)


async def journal_row(command_id: str) -> dict[str, Any]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().where(JournalEntry.command_id == command_id).first()


def clock_notes(fragment: str) -> list[str]:
    return re.findall(r'<p class="message clock-note">(.*?)</p>', fragment)


def test_clock_future_and_off_clocks_are_listed_and_a_normal_one_is_not(client: TestClient, world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    sign_in_as(client, world["officer"])
    normal, future, measured = send(
        client,
        entry(world["gate"], "Bình thường", now, clock_offset_ms=800),
        # A phone 2 hours ahead that never measured its clock: its time is after the server received it.
        entry(world["gate"], "Tương lai", now + timedelta(hours=2)),
        # A phone 2 hours ahead that measured it: the estimate is right, the clock is still off.
        entry(world["gate"], "Đồng hồ nhanh", now + timedelta(hours=2), clock_offset_ms=-2 * HOUR_MS),
    )
    sign_in_as(client, world["supervisor"])

    page = client.get("/reconciliation").text

    assert normal not in items(page)
    assert sorted(items(page)) == sorted([future, measured])
    assert clock_notes(item(page, future)) == [
        vi(
            "Its time, corrected by the device's clock offset, is %(duration)s after the server received it: the "
            "device's clock or its offset is wrong.",
            duration=duration(in_app(client, journal_row, future)["wait_ms"]),
        )
    ]
    assert clock_notes(item(page, measured)) == [vi("The device's clock was %(duration)s ahead of the server's.", duration=duration(2 * HOUR_MS))]
    assert 'data-mark="clock"' in item(page, future) and 'data-mark="clock"' in item(page, measured)
    # The time shown is the server's estimate; the device's own beside it, since they differ by 2 hours.
    row = in_app(client, journal_row, measured)
    estimate = datetime.fromisoformat(row["made_at_utc"])
    assert abs(estimate - now) < timedelta(seconds=5)
    assert f'class="made-at" title="{vi("Estimated time")}">{shown(estimate)}<' in item(page, measured)
    assert vi("Device clock: %(time)s", time=shown(now + timedelta(hours=2))) in item(page, measured)


def test_clock_far_past_is_listed_beyond_the_setting_only(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    sign_in_as(client, world["officer"])
    # Made offline (marked, so listed anyway): one 12 hours before it reached the server, one 8 hours.
    old, recent = send(
        client,
        entry(world["gate"], "12 giờ trước", now - timedelta(hours=12), offline=True, clock_offset_ms=0),
        entry(world["gate"], "8 giờ trước", now - timedelta(hours=8), offline=True, clock_offset_ms=0),
    )
    sign_in_as(client, world["supervisor"])

    page = client.get("/reconciliation").text

    assert clock_notes(item(page, old)) == [
        vi(
            "Made %(duration)s before the server received it, longer than %(hours)d hours.",
            duration=duration(in_app(client, journal_row, old)["wait_ms"]),
            hours=10,
        )
    ]
    assert clock_notes(item(page, recent)) == []  # 8 hours offline: within GIAMSAT_CLOCK_PAST_HOURS
    assert 'data-mark="clock"' not in item(page, recent)


def test_clock_device_behind_without_an_offset_is_listed_when_not_marked_offline(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    sign_in_as(client, world["officer"])
    behind, queued = send(
        client,
        entry(world["gate"], "Đồng hồ chậm", now - timedelta(hours=1)),  # no offset, not offline
        entry(world["gate"], "Xếp hàng, đã đo", now - timedelta(hours=1), clock_offset_ms=1000),  # measured: it waited
    )
    sign_in_as(client, world["supervisor"])

    page = client.get("/reconciliation").text

    assert items(page) == [behind]
    assert clock_notes(item(page, behind)) == [
        vi(
            "Not marked offline, yet its device time is %(duration)s before the server received it: the device's "
            "clock may be behind (it gave no measured offset).",
            duration=duration(in_app(client, journal_row, behind)["wait_ms"]),
        )
    ]


def test_clock_listed_online_action_can_be_marked_reconciled(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    (future,) = send(client, entry(world["gate"], "Tương lai", datetime.now(UTC) + timedelta(hours=2)))
    row = in_app(client, journal_row, future)
    assert not row["contingency"]  # not an offline or contingency action: listed for its time alone
    sign_in_as(client, world["supervisor"])

    answer = client.post("/reconciliation/review", data={"command_ids": [future], "note": "Đồng hồ sai"}, follow_redirects=False)

    assert answer.status_code == 303
    assert [str(review["command_id"]) for review in in_app(client, reviews)] == [future]
    assert items(client.get("/reconciliation").text) == []
    assert items(client.get("/reconciliation?show=reviewed").text) == [future]


def test_clock_a_normal_online_action_cannot_be_marked_reconciled(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    (normal,) = send(client, entry(world["gate"], "Bình thường", datetime.now(UTC), clock_offset_ms=-500))
    sign_in_as(client, world["supervisor"])

    page = client.post("/reconciliation/review", data={"command_ids": [normal], "note": ""})

    assert page.status_code == 422
    assert in_app(client, reviews) == []


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_clock_past_hours_setting_must_be_a_positive_whole_number(app_env: dict[str, str], value: str) -> None:
    from backend.settings import SettingsError, load_settings

    with pytest.raises((SettingsError, ValueError)):
        load_settings({**app_env, "GIAMSAT_CLOCK_PAST_HOURS": value})
