"""Every seal made before issue 16 covers its own declaration: one seals_covers row each; and a seal covers a
declaration once (a unique index on the pair). (A separate migration: Piccolo runs a migration's raw functions
before its table and column changes.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-08T08:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "seals_covers: fill it for existing seals; unique (seal, declaration)"


async def backfill() -> None:
    class _Link(Table, tablename="seals_covers", db=engine_finder()):
        pass

    await _Link.raw(
        "INSERT INTO seals_covers (seal, declaration) SELECT s.id, s.declaration FROM seals_seal s "
        "WHERE NOT EXISTS (SELECT 1 FROM seals_covers l WHERE l.seal = s.id AND l.declaration = s.declaration)"
    )
    await _Link.raw(
        "CREATE UNIQUE INDEX IF NOT EXISTS seals_covers_pair ON seals_covers (seal, declaration)"
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="seals", description=DESCRIPTION)
    manager.add_raw(backfill)
    return manager
