"""Reading the logbook."""

from __future__ import annotations

from datetime import datetime

import msgspec

from backend.logbook.tables import LogbookEntry
from backend.officers.schemas import Actor


class LogbookLine(msgspec.Struct, kw_only=True):
    id: int
    location_name: str
    officer_name: str
    text: str
    representative_name: str
    representative_id_number: str
    issued_at: datetime
    recorded_at: datetime


async def entries_for_branch(actor: Actor, limit: int = 200) -> list[LogbookLine]:
    """The newest entries of the actor's branch, newest first."""
    rows = (
        await LogbookEntry.select(
            LogbookEntry.id,
            LogbookEntry.location.name.as_alias("location_name"),
            LogbookEntry.officer.full_name.as_alias("officer_name"),
            LogbookEntry.text,
            LogbookEntry.representative_name,
            LogbookEntry.representative_id_number,
            LogbookEntry.issued_at,
            LogbookEntry.recorded_at,
        )
        .where(LogbookEntry.location.branch == actor.branch_id)
        .order_by(LogbookEntry.recorded_at, ascending=False)
        .limit(limit)
    )
    return [msgspec.convert(row, LogbookLine) for row in rows]
