"""The overdue list's index: transit_case (departure_branch, state, deadline).

services.overdue_list reads a branch's departed lots past their deadline, oldest first; with this index it reads
only them (bench/transit.py: 2.8 ms -> 0.3 ms for a branch of 10,000 lots in flight). A Piccolo table declares
single-column indexes only, so the composite one is a raw step; `IF NOT EXISTS` / `IF EXISTS` hold on SQLite and
PostgreSQL alike. (Its own migration: Piccolo runs a migration's raw steps before its table changes.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-05T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index transit_case (departure_branch, state, deadline) for the overdue list"

INDEX = "transit_case_departure_state_deadline"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="transit", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON transit_case (departure_branch, state, deadline)"
        )

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
