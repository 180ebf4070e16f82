"""ViolationRecord.clause and forward_to (issue 13 item 7): which clause the item follows — 41.2.b.2, a violation
record for the branch the goods left, or 43.1.c.4, a proposal to the head of the branch managing the bonded
warehouse for a physical inspection — and, for a paper record from a branch not in giamsat, whom the receiving
branch's supervisors pass it on to. Earlier rows were all 41.2.b.2's."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ViolationRecord.clause and forward_to: 41.2.b.2 or 43.1.c.4, and whom a paper record's violation is passed on to"


def _params(default: str, length: int, choices: type[Enum] | None = None) -> dict:
    return {
        "length": length,
        "default": default,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": choices,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="seals", description=DESCRIPTION)
    manager.add_column(
        table_class_name="ViolationRecord",
        tablename="seals_violation",
        column_name="clause",
        db_column_name="clause",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params("41.2.b.2", 16, Enum("ViolationClause", {"TRANSIT": "41.2.b.2", "BONDED_WAREHOUSE": "43.1.c.4"})),
        schema=None,
    )
    manager.add_column(
        table_class_name="ViolationRecord",
        tablename="seals_violation",
        column_name="forward_to",
        db_column_name="forward_to",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params("", 200),
        schema=None,
    )
    return manager
