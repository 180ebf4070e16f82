"""Violation records on paper records from a branch not in giamsat, made before issue 13, were addressed to no one
(`to_branch` NULL): they go to the supervisors of the branch that found them, with the paper's branch name to pass
them on to. (A separate migration: Piccolo runs a migration's raw functions before its column changes.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-06T08:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "seals_violation: address the ones addressed to no one to the branch that found them"


async def backfill() -> None:
    class _Violation(Table, tablename="seals_violation", db=engine_finder()):
        pass

    await _Violation.raw(
        "UPDATE seals_violation SET to_branch = by_branch, forward_to = COALESCE((SELECT seals_record.from_branch_name "
        "FROM seals_record WHERE seals_record.id = seals_violation.record), '') WHERE to_branch IS NULL"
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="seals", description=DESCRIPTION)
    manager.add_raw(backfill)
    return manager
