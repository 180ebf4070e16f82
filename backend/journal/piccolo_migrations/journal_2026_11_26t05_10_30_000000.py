"""Fill journal_entry.declaration_number for the rows written before the column existed: the `number` of their
result when it is a string of at most 12 characters, as backend/journal/services.py sets it for new rows.
(A separate migration: Piccolo runs a migration's raw functions before its column changes.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-11-26T05:10:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "journal_entry.declaration_number for earlier rows"

POSTGRES = """
UPDATE journal_entry SET declaration_number = result::json->>'number'
WHERE declaration_number IS NULL
  AND json_typeof(result::json->'number') = 'string'
  AND length(result::json->>'number') <= 12
"""
SQLITE = """
UPDATE journal_entry SET declaration_number = json_extract(result, '$.number')
WHERE declaration_number IS NULL
  AND json_valid(result)
  AND json_type(result, '$.number') = 'text'
  AND length(json_extract(result, '$.number')) <= 12
"""


def backfill_sql(engine_type: str) -> str:
    return POSTGRES if engine_type == "postgres" else SQLITE


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="journal", description=DESCRIPTION)

    async def backfill():
        engine = engine_finder()

        class _Journal(Table, tablename="journal_entry", db=engine):
            pass

        await _Journal.raw(backfill_sql(engine.engine_type))

    manager.add_raw(backfill)
    return manager
