"""Reconciliation for the branch head: actions made offline or in contingency mode, or with an implausible device
time, that no supervisor has reviewed yet (Decision 1966 Art 35.2.d.2, 36.2.đ.2: what was done while the System was
down is checked once it is back; docs/offline.md). One item for them all: the page lists and reviews them."""

from __future__ import annotations

from datetime import timedelta

from backend.gate.cards import as_datetime
from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxItem
from backend.journal.tables import JournalEntry
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.sync import reconciliation


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
