"""One row per item of a branch in inbox_seen: a unique index on (branch_id, item_key).

A refresh of a branch's inbox runs alone (PostgreSQL: an advisory lock per branch; SQLite: one writer), so the
index is the database's own word that an item is remembered once. A Piccolo table declares single-column indexes
only, so the composite one is a raw step, in its own migration (Piccolo runs a migration's raw steps before its
table changes)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T14:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index inbox_seen (branch_id, item_key)"

INDEX = "inbox_seen_branch_item"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inbox", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX} ON inbox_seen (branch_id, item_key)")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
