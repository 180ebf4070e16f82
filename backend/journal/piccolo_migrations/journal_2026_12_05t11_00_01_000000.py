"""Fill journal_entry.made_at_utc and wait_ms for the rows written before the columns existed, as
backend/journal/services.py `clock_estimate` derives them for a row without a clock offset (those rows have none):
the device time, never after received_at, and received_at minus the device time in milliseconds.

The derivation is copied here rather than imported, so that this migration does what it did when it was written;
`giamsat audit verify` checks every row against services.py, so the two cannot drift apart unseen.
(A separate migration: Piccolo runs a migration's raw functions before its column changes.)"""

from datetime import UTC, datetime, timedelta

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-05T11:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "journal_entry.made_at_utc and wait_ms for earlier rows"

PAGE = 2000


def estimate(issued_at: str, received_at: str) -> tuple[str, int]:
    """(made_at_utc, wait_ms) of a row without a clock offset."""
    issued, received = datetime.fromisoformat(issued_at), datetime.fromisoformat(received_at)
    made_at = min(issued, received)
    # received_at is spelled in UTC with microseconds; made_at_utc is spelled the same way.
    return made_at.astimezone(UTC).isoformat(timespec="microseconds"), (received - issued) // timedelta(milliseconds=1)


async def backfill_rows(engine) -> int:
    """Fill every row whose made_at_utc is empty, a page at a time; how many were filled."""

    class _Journal(Table, tablename="journal_entry", db=engine):
        pass

    sqlite = engine.engine_type == "sqlite"
    statement = (
        "UPDATE journal_entry SET made_at_utc = ?, wait_ms = ? WHERE id = ?"
        if sqlite
        else "UPDATE journal_entry SET made_at_utc = $1, wait_ms = $2 WHERE id = $3"
    )
    done, last = 0, 0
    while True:
        rows = await _Journal.raw(
            "SELECT id, issued_at, received_at FROM journal_entry WHERE made_at_utc = '' AND id > {} "
            "ORDER BY id LIMIT {}",
            last,
            PAGE,
        )
        if not rows:
            return done
        values = [(*estimate(row["issued_at"], row["received_at"]), row["id"]) for row in rows]
        async with engine.transaction() as transaction:
            await transaction.connection.executemany(statement, values)
        done, last = done + len(rows), rows[-1]["id"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="journal", description=DESCRIPTION)

    async def backfill():
        await backfill_rows(engine_finder())

    manager.add_raw(backfill)
    return manager
