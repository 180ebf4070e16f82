"""The `handover_records` replica dataset: the records handed over to the officer's branch, which its officers
check when the goods arrive, online or offline (scan the record's QR or type its serial, compare, confirm).

Small and answered whole (`snapshot`, its cursor a digest of the content): the records addressed to the branch and
waiting for their receipt, however old (an overdue record is what Art 41.1.4.b wants followed up, not dropped), and
those received or found in discrepancy in the last GIAMSAT_CHECKED_RECORD_DAYS days (giamsat's rule), so one just
checked still reaches the device and says so. Records of another branch never reach a device: the dataset sees only the asking officer's branch.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from backend.lib import clock
from backend.officers.schemas import Actor
from backend.seals import record_qr_replica  # noqa: F401  (registers the record_keys dataset)
from backend.seals import services
from backend.settings import get_settings
from backend.sync.replica import ReplicaPage, dataset, snapshot

NAME = "handover_records"


def checked_since() -> datetime:
    """Since when a checked record is still listed (GIAMSAT_CHECKED_RECORD_DAYS)."""
    return clock.now() - timedelta(days=get_settings().seals.checked_record_days)


@dataset(NAME)
async def handover_records(actor: Actor, since: str | None) -> ReplicaPage:
    """The records addressed to the officer's branch, keyed by record id."""
    if actor.role not in services.SEAL_ROLES or not actor.branch_id:
        return snapshot(NAME, [], since)
    records = await services.records_addressed_to(actor.branch_id, checked_since())
    items = [{"key": str(record.id), **msgspec.to_builtins(record)} for record in records]
    return snapshot(NAME, items, since)
