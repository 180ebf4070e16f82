"""The list page's index: cfs_list (premises, id).

/cfs reads a CFS's newest lists a page at a time (services.lists_for: the premises, newest first, a page); with this
index PostgreSQL walks the premises' lists from the newest and stops after a page, instead of reading and sorting
every list of the CFS (bench/cfs.py, bench/README.md "CFS (issue 16)"). SQLite's single-column premises index already
ends with the rowid. A Piccolo table declares single-column indexes only, so the composite one is a raw step;
`IF NOT EXISTS` / `IF EXISTS` hold on SQLite and PostgreSQL alike. (Its own migration: Piccolo runs a migration's raw
steps before its table changes.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index cfs_list (premises, id) for the list page"

INDEX = "cfs_list_premises_id"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cfs", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {INDEX} ON cfs_list (premises, id)")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
