"""The device clock (docs/offline.md, "The device clock"): journal_entry.clock_offset_ms (the device's measured
offset, hashed when present), made_at_utc (the server's estimate of when the action was made) and wait_ms (how long
it waited before the server had it). The next migration fills the last two for the rows written before."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the device clock: journal_entry.clock_offset_ms, made_at_utc, wait_ms"

COMMON = {
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="journal", description=DESCRIPTION)
    manager.add_column(
        table_class_name="JournalEntry",
        tablename="journal_entry",
        column_name="clock_offset_ms",
        db_column_name="clock_offset_ms",
        column_class_name="BigInt",
        column_class=BigInt,
        params={**COMMON, "default": None, "null": True},
        schema=None,
    )
    manager.add_column(
        table_class_name="JournalEntry",
        tablename="journal_entry",
        column_name="made_at_utc",
        db_column_name="made_at_utc",
        column_class_name="Varchar",
        column_class=Varchar,
        params={**COMMON, "length": 40, "default": "", "null": False, "index": True},
        schema=None,
    )
    manager.add_column(
        table_class_name="JournalEntry",
        tablename="journal_entry",
        column_name="wait_ms",
        db_column_name="wait_ms",
        column_class_name="BigInt",
        column_class=BigInt,
        params={**COMMON, "default": 0, "null": False},
        schema=None,
    )
    return manager
