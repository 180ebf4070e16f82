"""What waits on each device (issue 15, part 1's last kind): the queue client's report, stored per officer and device
for the officer of the session; the supervisor's inbox item `sync.stale_queue` past GIAMSAT_STALE_QUEUE_MINUTES,
gone once the device reports its queue sent. SQLite and PostgreSQL, through the app."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from tests.auth.soft_authenticator import another_browser
from tests.conftest import World, in_app, sign_in_as

URL = "/api/v1/sync/device-queue"


def browser_of(client: TestClient, officer_id: int) -> TestClient:
    browser = another_browser(client)
    sign_in_as(browser, officer_id)
    return browser


def js_time(moment: datetime) -> str:
    """As the device's toISOString() spells it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def report(browser: TestClient, **body: Any) -> dict[str, Any]:
    response = browser.post(URL, json={"device_id": "phone-1", "waiting": 0, "oldest_issued_at": None, "rejected": 0, **body})
    assert response.status_code == 200, response.text
    return response.json()


async def rows() -> list[dict[str, Any]]:
    from backend.sync.tables import DeviceQueueReport

    return await DeviceQueueReport.select(
        DeviceQueueReport.officer.code.as_alias("officer"),
        DeviceQueueReport.device_id,
        DeviceQueueReport.waiting,
        DeviceQueueReport.oldest_issued_at,
        DeviceQueueReport.rejected,
        DeviceQueueReport.reported_at,
    ).order_by(DeviceQueueReport.id)


def test_report_is_upserted_one_row_per_officer_and_device(client: TestClient, world: World) -> None:
    officer = browser_of(client, world["officer"])
    first_oldest = datetime.now(UTC) - timedelta(minutes=5)

    report(officer, waiting=4, oldest_issued_at=js_time(first_oldest), rejected=1)
    answer = report(officer, waiting=2, oldest_issued_at=js_time(first_oldest + timedelta(minutes=1)), rejected=0)
    report(officer, device_id="scanner-7", waiting=1, oldest_issued_at=js_time(first_oldest))

    stored = in_app(client, rows)
    assert [(row["officer"], row["device_id"], row["waiting"], row["rejected"]) for row in stored] == [
        ("CB1", "phone-1", 2, 0),
        ("CB1", "scanner-7", 1, 0),
    ]
    assert abs(stored[0]["oldest_issued_at"] - (first_oldest + timedelta(minutes=1))) < timedelta(milliseconds=1)
    assert answer["waiting"] == 2 and answer["device_id"] == "phone-1"
    assert abs(datetime.fromisoformat(answer["reported_at"]) - datetime.now(UTC)) < timedelta(minutes=1)  # server time


def test_report_is_the_sessions_officer_never_the_bodys(client: TestClient, world: World) -> None:
    officer = browser_of(client, world["officer"])

    report(officer, waiting=3, oldest_issued_at=js_time(datetime.now(UTC)), officer_id=world["other_officer"], officer_code="CB2")

    assert [(row["officer"], row["waiting"]) for row in in_app(client, rows)] == [("CB1", 3)]


def test_report_of_an_empty_queue_has_no_oldest_action(client: TestClient, world: World) -> None:
    officer = browser_of(client, world["officer"])

    answer = report(officer, waiting=0, oldest_issued_at=js_time(datetime.now(UTC) - timedelta(days=2)), rejected=2)

    assert answer["oldest_issued_at"] is None
    assert [(row["waiting"], row["oldest_issued_at"], row["rejected"]) for row in in_app(client, rows)] == [(0, None, 2)]


def test_report_with_bad_figures_is_refused_and_stores_nothing(client: TestClient, world: World) -> None:
    officer = browser_of(client, world["officer"])

    negative = officer.post(URL, json={"device_id": "phone-1", "waiting": -1, "oldest_issued_at": None, "rejected": 0})
    no_device = officer.post(URL, json={"device_id": "", "waiting": 1, "oldest_issued_at": None, "rejected": 0})

    assert (negative.status_code, no_device.status_code) == (400, 400)
    assert negative.json()["error"] == "invalid_request"
    assert in_app(client, rows) == []


def test_report_by_admin_is_forbidden_and_signed_out_is_401(client: TestClient, world: World) -> None:
    admin = browser_of(client, world["admin"])
    body = {"device_id": "phone-1", "waiting": 1, "oldest_issued_at": None, "rejected": 0}

    forbidden = admin.post(URL, json=body)
    signed_out = another_browser(client)
    signed_out.get("/offline")
    signed_out.headers["x-csrf-token"] = signed_out.cookies.get("gs_csrf")
    anonymous = signed_out.post(URL, json=body)

    assert (forbidden.status_code, forbidden.json()["error"]) == (403, "forbidden")
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "not_signed_in")
    assert in_app(client, rows) == []


# --- the supervisor's inbox: `sync.stale_queue` ---------------------------------------------------------------------


def stale_items(client: TestClient, supervisor_id: int, minutes: int | None = None) -> list[Any]:
    """The `sync.stale_queue` items of a supervisor's inbox (with GIAMSAT_STALE_QUEUE_MINUTES = `minutes`)."""
    settings = client.app.state.settings
    if minutes is not None:
        settings = dataclasses.replace(settings, sync=dataclasses.replace(settings.sync, stale_queue_minutes=minutes))

    async def run() -> list[Any]:
        from backend.inbox.services import inbox_for
        from backend.officers.services import actor_by_id

        inbox = await inbox_for(await actor_by_id(supervisor_id), settings)
        return [item for group in inbox.groups if group.kind == "sync.stale_queue" for item in group.items]

    return in_app(client, run)


def test_stale_queue_appears_past_the_setting_and_leaves_when_the_device_reports_it_sent(client: TestClient, world: World) -> None:
    officer = browser_of(client, world["officer"])
    half_hour_ago = datetime.now(UTC) - timedelta(minutes=30)
    report(officer, waiting=3, oldest_issued_at=js_time(half_hour_ago), rejected=1)

    assert stale_items(client, world["supervisor"]) == []  # 30 minutes: not old under the default 60
    (item,) = stale_items(client, world["supervisor"], minutes=20)
    assert item.ref == f"{world['officer']}/phone-1" and item.officer == "Nguyễn Văn Một"
    assert "Nguyễn Văn Một" in item.title and "phone-1" in item.title
    assert item.detail.startswith("3 ") and ", 1 " in item.detail  # waiting, refused (Vietnamese by default)
    assert abs(item.since - half_hour_ago) < timedelta(milliseconds=1) and item.actions == []
    assert item.url == "/dashboard#old-queues"

    report(officer, waiting=0, oldest_issued_at=None, rejected=1)

    assert stale_items(client, world["supervisor"], minutes=20) == []


def test_stale_queue_shows_in_the_inbox_api_only_to_the_officers_branch(client: TestClient, world: World) -> None:
    officer = browser_of(client, world["officer"])
    report(officer, waiting=5, oldest_issued_at=js_time(datetime.now(UTC) - timedelta(hours=3)), rejected=2)
    head = browser_of(client, world["supervisor"])
    other_head = browser_of(client, in_app(client, _supervisor_of_b2))

    head.cookies.set("gs_lang", "en")
    groups = {group["kind"]: group for group in head.get("/api/v1/inbox").json()["groups"]}
    (item,) = groups["sync.stale_queue"]["items"]
    assert item["title"] == "Nguyễn Văn Một: device phone-1 has actions not sent"
    assert item["detail"].startswith("5 waiting since ") and ", 2 refused (reported at " in item["detail"]
    other = other_head.get("/api/v1/inbox").json()["groups"]
    assert [group["kind"] for group in other] == []


async def _supervisor_of_b2() -> int:
    from backend.officers.services import create_officer

    return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")
