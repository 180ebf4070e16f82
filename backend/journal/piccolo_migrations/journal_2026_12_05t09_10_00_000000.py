"""Signing tickets (docs/offline.md §4): signing_nonce.reusable and signing_nonce.device_id."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-05T09:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "signing tickets: signing_nonce.reusable, signing_nonce.device_id"

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
        table_class_name="SigningNonce",
        tablename="signing_nonce",
        column_name="reusable",
        db_column_name="reusable",
        column_class_name="Boolean",
        column_class=Boolean,
        params={**COMMON, "default": False, "null": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="SigningNonce",
        tablename="signing_nonce",
        column_name="device_id",
        db_column_name="device_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={**COMMON, "length": 64, "default": None, "null": True},
        schema=None,
    )
    return manager
