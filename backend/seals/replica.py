"""The `handover_records` replica dataset: the records handed over to the officer's branch, which its officers
check when the goods arrive, online or offline (scan the record's QR or type its serial, compare, confirm).

Small and answered whole (`snapshot`, its cursor a digest of the content): the records addressed to the branch that
changed in the last `RECENT_DAYS` days, so one that was received or found in discrepancy still reaches the device
and says so. Records of another branch never reach a device: the dataset sees only the asking officer's branch.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec

from backend.lib import clock
from backend.officers.schemas import Actor
from backend.seals import record_qr_replica  # noqa: F401  (registers the record_keys dataset)
from backend.seals import services
from backend.sync.replica import ReplicaPage, dataset, snapshot

NAME = "handover_records"
RECENT_DAYS = 30


@dataset(NAME)
async def handover_records(actor: Actor, since: str | None) -> ReplicaPage:
    """The records addressed to the officer's branch, keyed by record id."""
    if actor.role not in services.SEAL_ROLES or not actor.branch_id:
        return snapshot(NAME, [], since)
    records = await services.records_addressed_to(actor.branch_id, clock.now() - timedelta(days=RECENT_DAYS))
    items = [{"key": str(record.id), **msgspec.to_builtins(record)} for record in records]
    return snapshot(NAME, items, since)
