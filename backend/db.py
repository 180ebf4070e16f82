"""Database engines: SQLite by default, PostgreSQL when DATABASE_URL says so.

The engine is made from settings and bound to every table of every domain app, so one process can
build apps for several databases (the tests run every database test on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import importlib
from contextlib import asynccontextmanager
from typing import AsyncIterator

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from backend.domains import DOMAINS
from backend.settings import DatabaseSettings


def make_engine(database: DatabaseSettings) -> Engine:
    if database.kind == "postgresql":
        return PostgresEngine(config={"dsn": database.url}, log_queries=False)
    path = database.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: several workers share one file; a writer waits up to 30 s for the lock instead of failing.
    return SQLiteEngine(path=str(path), timeout=30)


def all_tables() -> list[type[Table]]:
    tables: list[type[Table]] = []
    for domain in DOMAINS:
        app_config = importlib.import_module(f"backend.{domain}.piccolo_app").APP_CONFIG
        tables.extend(app_config.table_classes)
    return tables


def bind_engine(engine: Engine) -> None:
    """Point every table at `engine` (Piccolo otherwise caches the engine of piccolo_conf on first use)."""
    for table in all_tables():
        table._meta.db = engine


async def start(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=20)
    else:
        # WAL lets readers go on while one writer writes; it is a property of the file, so setting it once is enough.
        await engine.run_ddl("PRAGMA journal_mode=WAL")


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


@asynccontextmanager
async def write_transaction(engine: Engine) -> AsyncIterator[object]:
    """A transaction that will write.

    On SQLite it is BEGIN IMMEDIATE, taking the write lock at once: a deferred transaction that reads
    first and writes later can fail with 'database is locked' when another writer got in between.
    """
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with engine.transaction() as txn:
            yield txn


def kind(engine: Engine) -> str:
    return "postgresql" if isinstance(engine, PostgresEngine) else "sqlite"
