"""Give the API tokens made before tokens expired an expiry: GIAMSAT_TOKEN_DAYS (default 90) from the migration,
not from their creation, so that upgrading does not cut off a machine client without notice.
(A separate migration: Piccolo runs a migration's raw functions before its column changes.)"""

import os
from datetime import UTC, datetime, timedelta

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-05T06:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "api_token.expires_at for earlier tokens"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="auth", description=DESCRIPTION)

    async def backfill():
        engine = engine_finder()

        class _Token(Table, tablename="api_token", db=engine):
            pass

        days = int(os.environ.get("GIAMSAT_TOKEN_DAYS") or 90)
        expires = datetime.now(UTC) + timedelta(days=days)
        await _Token.raw("UPDATE api_token SET expires_at = {} WHERE expires_at IS NULL", expires)

    manager.add_raw(backfill)
    return manager
