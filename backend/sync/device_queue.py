"""What waits on each device: the queue client's reports (POST /api/v1/sync/device-queue, issue 15).

A device's queue lives in its IndexedDB (docs/offline.md); the server learns of an action only when it arrives. So
that a branch's head can call an officer whose phone has held actions for long (a lost connection, a phone left in
a drawer, a session that ended), the page's queue client reports a summary whenever it reaches the server: how many
of the signed-in officer's actions wait on this device, the oldest one's device time, and how many were refused.

A report is not a command: it is the device telling its own state, not an officer's action, so it does not go
through the journal and changes nothing of the procedure's; the newest report replaces the one before. The officer
is the session's, never the body's: a device reports only for whoever is signed in on it.

"Old" is giamsat's rule (GIAMSAT_STALE_QUEUE_MINUTES): Decision 1966 says nothing of device queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec

from backend.gate.cards import as_datetime
from backend.lib import clock
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.sync.tables import DeviceQueueReport

# Who reports: whoever queues actions on a device. An admin's few actions (contingency) are not followed up here.
REPORTING_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.WAREHOUSE)
# A device holds at most tens of thousands of entries (bench/sync.py queues 5,000): a larger count is not a queue.
MAX_COUNT = 1_000_000
LIMIT = 200  # devices listed at most, oldest queue first


class DeviceQueueIn(msgspec.Struct, kw_only=True):
    """The body of a report. No officer field: the officer is the session's (a field naming one is ignored)."""

    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]  # the envelopes' device_id
    waiting: Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
    oldest_issued_at: datetime | None = None
    rejected: Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)] = 0


class DeviceQueueOut(msgspec.Struct, kw_only=True):
    device_id: str
    waiting: int
    oldest_issued_at: str | None
    rejected: int
    reported_at: str


@dataclass(frozen=True)
class StaleQueue:
    """A device of the branch whose oldest unsent action is older than the setting, by its last report."""

    officer_id: int
    officer_code: str
    officer_name: str
    device_id: str
    waiting: int
    oldest_issued_at: datetime
    rejected: int
    reported_at: datetime


async def record_report(actor: Actor, report: DeviceQueueIn, now: datetime | None = None) -> tuple[DeviceQueueOut, bool]:
    """Store the report of `actor`'s device, replacing its previous one; answers it and whether the device is new
    (a new row: the caller counts it against the officer's quota, as a client inventing device ids would add rows)."""
    now = now or clock.now()
    # An empty queue has no oldest action, whatever the body says.
    oldest = as_datetime(report.oldest_issued_at) if report.waiting > 0 and report.oldest_issued_at else None
    key = f"{actor.id}/{report.device_id}"
    new = not await DeviceQueueReport.exists().where(DeviceQueueReport.officer_device == key)
    await DeviceQueueReport.insert(
        DeviceQueueReport(
            officer_device=key,
            officer=actor.id,
            device_id=report.device_id,
            waiting=report.waiting,
            oldest_issued_at=oldest,
            rejected=report.rejected,
            reported_at=now,
        )
    ).on_conflict(
        target=DeviceQueueReport.officer_device,
        action="DO UPDATE",
        values=[
            DeviceQueueReport.waiting,
            DeviceQueueReport.oldest_issued_at,
            DeviceQueueReport.rejected,
            DeviceQueueReport.reported_at,
        ],
    )
    answer = DeviceQueueOut(
        device_id=report.device_id,
        waiting=report.waiting,
        oldest_issued_at=clock.iso(oldest) if oldest is not None else None,
        rejected=report.rejected,
        reported_at=clock.iso(now),
    )
    return answer, new


async def stale_queues(branch_id: int | None, settings: Any, now: datetime | None = None) -> list[StaleQueue]:
    """The devices of the branch's officers whose last report says actions wait and the oldest of them is older
    than GIAMSAT_STALE_QUEUE_MINUTES, oldest first. `settings`: the app's Settings."""
    if branch_id is None:
        return []
    now = now or clock.now()
    before = now - timedelta(minutes=settings.sync.stale_queue_minutes)
    rows = await DeviceQueueReport.select(
        DeviceQueueReport.officer.as_alias("officer_id"),
        DeviceQueueReport.officer.code.as_alias("officer_code"),
        DeviceQueueReport.officer.full_name.as_alias("officer_name"),
        DeviceQueueReport.device_id,
        DeviceQueueReport.waiting,
        DeviceQueueReport.oldest_issued_at,
        DeviceQueueReport.rejected,
        DeviceQueueReport.reported_at,
    ).where(
        (DeviceQueueReport.officer.branch == branch_id)
        & (DeviceQueueReport.waiting > 0)
        & (DeviceQueueReport.oldest_issued_at < before)
    ).order_by(DeviceQueueReport.oldest_issued_at).limit(LIMIT)
    return [
        StaleQueue(
            officer_id=row["officer_id"],
            officer_code=row["officer_code"] or "",
            officer_name=row["officer_name"] or "",
            device_id=row["device_id"],
            waiting=row["waiting"],
            oldest_issued_at=as_datetime(row["oldest_issued_at"]),
            rejected=row["rejected"],
            reported_at=as_datetime(row["reported_at"]),
        )
        for row in rows
    ]
