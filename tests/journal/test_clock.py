"""The device clock (issue 12, item 7; docs/offline.md, "The device clock"): the journal keeps the device's time as
it was sent (hashed, signed) and, beside it, the device's measured clock offset (hashed when given) and the server's
estimate of when the action was made (`made_at_utc`) with how long it waited (`wait_ms`), both derived and checked
by the audit. An absurd offset is refused and changes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, giamsat, in_app, sign_in_as
from tests.journal.test_services import envelope, journal_rows, logbook_count

HOUR_MS = 3_600_000
TOLERANCE = timedelta(minutes=2)


def js_time(moment: datetime) -> str:
    """As a browser's toISOString() spells it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def send(client: TestClient, *envelopes: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/api/v1/commands", json=list(envelopes))
    assert response.status_code == 200, response.text
    return response.json()["results"]


def at(row: dict[str, Any], column: str) -> datetime:
    return datetime.fromisoformat(row[column])


def audit(app_env: dict[str, str]) -> str:
    result = giamsat(app_env, "audit", "verify", check=False)
    return (result.stdout + result.stderr).strip()


def test_clock_offset_two_hours_ahead_stores_the_device_time_and_the_estimate(
    client: TestClient, world: World, app_env: dict[str, str]
) -> None:
    sign_in_as(client, world["officer"])
    device_time = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)  # the phone is 2 hours ahead, and knows it
    command = envelope(world["gate"], "Xe qua cổng", issued_at=js_time(device_time), clock_offset_ms=-2 * HOUR_MS)

    (outcome,) = send(client, command)

    assert outcome["status"] == "applied"
    (row,) = in_app(client, journal_rows)
    assert at(row, "issued_at") == device_time  # the device's time, as sent (it is hashed and signed)
    assert row["clock_offset_ms"] == -2 * HOUR_MS
    received = at(row, "received_at")
    assert received - TOLERANCE <= at(row, "made_at_utc") <= received  # the estimate is the real time, not +2 h
    assert abs(row["wait_ms"]) < 60_000
    assert "Journal intact: 1 rows" in audit(app_env)


def test_clock_offline_command_estimate_is_the_corrected_time_long_before_receipt(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    made = datetime.now(UTC) - timedelta(hours=3)  # made offline 3 hours ago on a phone 2 hours ahead
    command = envelope(
        world["gate"], "Ngoại tuyến", issued_at=js_time(made + timedelta(hours=2)), clock_offset_ms=-2 * HOUR_MS, offline=True
    )

    send(client, command)

    (row,) = in_app(client, journal_rows)
    assert abs(at(row, "made_at_utc") - made) < timedelta(seconds=1)
    assert 3 * HOUR_MS - 60_000 < row["wait_ms"] < 3 * HOUR_MS + 60_000


def test_clock_without_an_offset_the_estimate_is_the_device_time_never_after_the_receipt(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    behind = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)

    # No offset: a device that never measured its clock (or one from before the offset existed).
    send(client, envelope(world["gate"], "chậm", issued_at=js_time(behind)), envelope(world["gate"], "nhanh", issued_at=js_time(ahead)))

    slow, fast = in_app(client, journal_rows)
    assert slow["clock_offset_ms"] is None and fast["clock_offset_ms"] is None
    assert at(slow, "made_at_utc") == behind  # nothing better is known of when it was made
    assert HOUR_MS - 60_000 < slow["wait_ms"] < HOUR_MS + 60_000
    assert at(fast, "made_at_utc") == at(fast, "received_at")  # nothing is made after the server received it
    assert -2 * HOUR_MS - 60_000 < fast["wait_ms"] < -2 * HOUR_MS + 60_000


def test_clock_offset_enters_the_hash_only_when_given(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    from backend.journal.services import row_hash

    sign_in_as(client, world["officer"])
    send(client, envelope(world["gate"], "không đo"), envelope(world["gate"], "đã đo", clock_offset_ms=1500))
    without, with_offset = in_app(client, journal_rows)

    # A row without an offset hashes exactly as rows did before the column existed.
    assert row_hash(without["prev_hash"], {**without, "clock_offset_ms": None}) == without["hash"]
    assert with_offset["clock_offset_ms"] == 1500
    assert row_hash(with_offset["prev_hash"], {**with_offset, "clock_offset_ms": None}) != with_offset["hash"]
    assert row_hash(with_offset["prev_hash"], with_offset) == with_offset["hash"]

    async def edit(statement: str) -> None:
        from backend.journal.tables import JournalEntry

        await JournalEntry.raw(statement, str(with_offset["command_id"]))

    in_app(client, edit, "UPDATE journal_entry SET clock_offset_ms = 0 WHERE command_id = {}")
    assert "contents were altered (hash mismatch)" in audit(app_env)
    in_app(client, edit, "UPDATE journal_entry SET clock_offset_ms = 1500, made_at_utc = '2020-01-01T00:00:00.000000+00:00' WHERE command_id = {}")
    assert "made_at_utc is '2020-01-01T00:00:00.000000+00:00'" in audit(app_env)
    in_app(client, edit, f"UPDATE journal_entry SET made_at_utc = '{with_offset['made_at_utc']}', wait_ms = 99999999 WHERE command_id = {{}}")
    assert "wait_ms is 99999999" in audit(app_env)


@pytest.mark.parametrize("offset", [401 * 24 * HOUR_MS, -401 * 24 * HOUR_MS, 2**70])
def test_clock_offset_absurd_is_refused_and_changes_nothing(client: TestClient, world: World, offset: int) -> None:
    sign_in_as(client, world["officer"])
    fine, absurd = envelope(world["gate"], "trước"), envelope(world["gate"], "lệch", clock_offset_ms=offset)

    first, second = send(client, absurd, fine)

    assert first["status"] == "rejected" and first["code"] == "clock_offset_implausible"
    assert str(offset) in first["reason"]  # in words, in the officer's language
    assert second["status"] == "applied"  # the rest of the batch goes on
    assert [str(row["command_id"]) for row in in_app(client, journal_rows)] == [second["id"]]
    assert in_app(client, logbook_count) == 1
    assert send(client, {**absurd, "clock_offset_ms": None})[0]["status"] == "applied"  # refused: not seen, may come again


@pytest.mark.parametrize("offset", ["-7200000", 1.5, True])
def test_clock_offset_not_an_integer_is_a_typed_400_and_changes_nothing(client: TestClient, world: World, offset: Any) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/commands", json=[envelope(world["gate"], clock_offset_ms=offset)])

    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert in_app(client, journal_rows) == []


def test_clock_migration_fills_earlier_rows_as_the_journal_derives_them(
    client: TestClient, world: World, app_env: dict[str, str]
) -> None:
    sign_in_as(client, world["officer"])
    now = datetime.now(UTC)
    send(
        client,
        envelope(world["gate"], "tại chỗ"),
        envelope(world["gate"], "đồng hồ chậm", issued_at=js_time(now - timedelta(hours=1))),
        envelope(world["gate"], "đồng hồ nhanh", issued_at=js_time(now + timedelta(hours=2))),
        envelope(world["gate"], "ngoại tuyến", issued_at=(now - timedelta(hours=5)).isoformat(), offline=True),
    )
    written = [(row["made_at_utc"], row["wait_ms"]) for row in in_app(client, journal_rows)]

    async def forget_then_migrate() -> int:
        from backend.journal.tables import JournalEntry

        # As the rows were before the columns: empty.
        await JournalEntry.update({JournalEntry.made_at_utc: "", JournalEntry.wait_ms: 0}, force=True)
        module = importlib.import_module("backend.journal.piccolo_migrations.journal_2026_12_05t11_00_01_000000")
        return await module.backfill_rows(JournalEntry._meta.db)

    assert in_app(client, forget_then_migrate) == 4
    assert [(row["made_at_utc"], row["wait_ms"]) for row in in_app(client, journal_rows)] == written
    assert "Journal intact: 4 rows" in audit(app_env)


def test_clock_logbook_shows_the_estimate_and_the_device_time_only_when_they_differ(client: TestClient, world: World) -> None:
    from backend.lib.i18n import translate_in
    from markupsafe import escape
    from tests.logbook.test_day import VIETNAM, rows

    sign_in_as(client, world["officer"])
    now = datetime.now(UTC).replace(microsecond=0)
    ahead, right = envelope(world["gate"], "nhanh 2 giờ", issued_at=js_time(now + timedelta(hours=2)), clock_offset_ms=-2 * HOUR_MS), envelope(
        world["gate"], "đúng giờ", issued_at=js_time(now), clock_offset_ms=300
    )
    send(client, ahead, right)
    estimate = at(in_app(client, journal_rows)[0], "made_at_utc")

    def day_of(moment: datetime) -> str:
        return moment.astimezone(VIETNAM).date().isoformat()

    # A logbook day holds the actions made on it as the server estimates (logbook/services.py): from 22:00 Vietnam
    # time a device clock 2 hours ahead is already on the next day, the estimate is not.
    page = rows(client.get(f"/logbook?location={world['gate']}&day={day_of(estimate)}").text)
    other = rows(client.get(f"/logbook?location={world['gate']}&day={day_of(now)}").text)

    shown_ahead, shown_right = page[ahead["id"]], {**page, **other}[right["id"]]
    assert f">{estimate.astimezone(VIETNAM).strftime('%H:%M:%S')}</strong>" in shown_ahead  # the estimate, not +2 h
    device = (now + timedelta(hours=2)).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")
    assert str(escape(translate_in("vi", "Device clock: %(time)s", time=device))) in shown_ahead
    assert 'class="device-time"' not in shown_right  # 300 ms off: nothing to say
