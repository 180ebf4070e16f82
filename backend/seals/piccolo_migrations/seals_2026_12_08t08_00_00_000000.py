"""seals_covers (issue 16 item 2, Decision 1966 Art 44.2.b.1.2): one seal on a container consolidated at a CFS
covers every declaration of its consolidation list; seals_seal.cfs_list names that list."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Declaration(Table, tablename="declaration", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


class Seal(Table, tablename="seals_seal", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-12-08T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "seals_covers: the declarations a seal covers; seals_seal.cfs_list (Art 44.2.b.1.2)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="seals", description=DESCRIPTION
    )

    manager.add_table(
        class_name="SealDeclaration",
        tablename="seals_covers",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="SealDeclaration",
        tablename="seals_covers",
        column_name="seal",
        db_column_name="seal",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Seal,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="SealDeclaration",
        tablename="seals_covers",
        column_name="declaration",
        db_column_name="declaration",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Declaration,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Seal",
        tablename="seals_seal",
        column_name="cfs_list",
        db_column_name="cfs_list",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
