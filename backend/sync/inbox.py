"""The sync domain's items for the branch head.

Reconciliation: actions made offline or in contingency mode, or with an implausible device time, that no supervisor
has reviewed yet (Decision 1966 Art 35.2.d.2, 36.2.đ.2: what was done while the System was down is checked once it
is back; docs/offline.md). One item for them all: the page lists and reviews them.

Old device queues: a device of the branch whose oldest unsent action is older than GIAMSAT_STALE_QUEUE_MINUTES, by
its last report (sync/device_queue.py). giamsat's own rule, the procedure is silent on device queues: the head calls
the officer, so the item offers no decision and leaves when the device reports its queue sent."""

from __future__ import annotations

from datetime import timedelta

from backend.gate.cards import as_datetime
from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxItem
from backend.journal.tables import JournalEntry
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.lib.templates import local_time
from backend.sync import device_queue, reconciliation


@inbox_kind("sync.reconciliation", label=N_("Actions to reconcile after an outage"), clause="35.2.d.2, 36.2.đ.2", order=90)
async def unreviewed(asking: Asking) -> list[InboxItem]:
    where = reconciliation.marked_where(asking.actor, past=timedelta(hours=asking.settings.sync.clock_past_hours))
    oldest = await JournalEntry.select(JournalEntry.received_at).where(where).order_by(JournalEntry.seq).first()
    if oldest is None:
        return []
    count = await JournalEntry.count().where(where)
    return [
        InboxItem(
            kind="sync.reconciliation",
            ref=asking.actor.branch_code or "",
            title=gettext("Actions to review: %(count)d", count=count),
            since=as_datetime(oldest["received_at"]),  # the journal keeps its times as ISO text on SQLite
            url="/reconciliation",
        )
    ]


# No clause: Decision 1966 says nothing of device queues (giamsat's rule, docs/inbox.md).
@inbox_kind("sync.stale_queue", label=N_("Devices with actions not sent for long"), clause="", order=91)
async def stale_queues(asking: Asking) -> list[InboxItem]:
    return [
        InboxItem(
            kind="sync.stale_queue",
            ref=f"{queue.officer_id}/{queue.device_id}",
            title=gettext("%(officer)s: device %(device)s has actions not sent", officer=queue.officer_name, device=queue.device_id),
            detail=gettext(
                "%(waiting)d waiting since %(since)s, %(rejected)d refused (reported at %(reported)s)",
                waiting=queue.waiting,
                since=local_time(queue.oldest_issued_at),
                rejected=queue.rejected,
                reported=local_time(queue.reported_at),
            ),
            officer=queue.officer_name,
            since=queue.oldest_issued_at,
            url="/dashboard#old-queues",
        )
        for queue in await device_queue.stale_queues(asking.actor.branch_id, asking.settings, asking.now)
    ]
