"""Database engines: SQLite by default, PostgreSQL when DATABASE_URL says so.

The engine is made from settings and bound to every table of every domain app, so one process can
build apps for several databases (the tests run every database test on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.table import Table

from backend.domains import DOMAINS
from backend.settings import DatabaseSettings


def make_engine(database: DatabaseSettings) -> Engine:
    if database.kind == "postgresql":
        return PostgresEngine(config={"dsn": database.url}, log_queries=False)
    path = database.sqlite_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: several workers share one file; a writer waits up to 30 s for the lock instead of failing.
    return KeptSQLiteEngine(path=str(path), timeout=30)


class KeptSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLiteEngine, keeping a few connections open between `db.start()` and `db.stop()`.

    Piccolo opens a new connection (and its thread) for every query outside a transaction and for every
    transaction, and runs `PRAGMA foreign_keys = 1` before every query inside one (stack-notes: 1,390 req/s
    for a primary-key read, 9,681 with one kept connection). Started, this engine hands out `POOL_SIZE` kept
    connections instead (foreign keys switched on once per connection, one thread hop per query): a query
    outside a transaction borrows one for that statement (autocommit, so WAL readers see the latest commit),
    a transaction borrows one until it ends. In-process writers queue on `write_lock` (see write_transaction)
    rather than in SQLite's busy handler, which sleeps in steps of up to 100 ms.
    Not started (migrations, piccolo_conf), or used from another event loop, it behaves as Piccolo's own.
    """

    POOL_SIZE = 4

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Queue[aiosqlite.Connection] | None = None
        self._connections: list[aiosqlite.Connection] = []
        self.write_lock: asyncio.Lock | None = None

    async def start_pool(self) -> None:
        if self._idle is not None:
            return
        self._loop, self._idle, self.write_lock = asyncio.get_running_loop(), asyncio.Queue(), asyncio.Lock()
        for _ in range(self.POOL_SIZE):
            self._idle.put_nowait(await self._open())

    async def close_pool(self) -> None:
        connections, self._connections, self._idle, self._loop, self.write_lock = self._connections, [], None, None, None
        for connection in connections:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _open(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # A kept connection's thread must not keep the process alive if db.stop() is never reached (a crash):
        # what was committed is in the file (WAL) either way.
        thread = getattr(connection, "_thread", None)
        if thread is not None:
            thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # as Piccolo's own connections
        await connection.execute_fetchall("PRAGMA foreign_keys = 1")
        self._connections.append(connection)
        return connection

    def pooled(self) -> bool:
        try:
            return self._idle is not None and asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    async def borrow(self) -> aiosqlite.Connection:
        assert self._idle is not None
        return await self._idle.get()

    async def give_back(self, connection: aiosqlite.Connection, *, clean: bool = True) -> None:
        """Return a borrowed connection; one that may still be inside a transaction is closed and replaced."""
        if self._idle is None or connection not in self._connections:
            with contextlib.suppress(Exception):
                await connection.close()
            return
        if not clean:
            with contextlib.suppress(Exception):
                await connection.execute_fetchall("ROLLBACK")
            if connection.in_transaction:
                self._connections.remove(connection)
                await connection.close()
                connection = await self._open()
        self._idle.put_nowait(connection)

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        if not self.pooled() or (query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection = await self.borrow()
        try:
            return await connection.execute_fetchall(query, args or [])
        finally:
            await self.give_back(connection)  # autocommit: no transaction is left open

    async def _run_in_existing_connection(
        self, connection: Any, query: str, args: list[Any] | None = None, query_type: str = "generic", table: Any = None
    ) -> Any:
        # Every connection got `PRAGMA foreign_keys = 1` when it was opened (Piccolo's get_connection).
        if query_type == "insert" and self.get_version_sync() < 3.35:
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        return await connection.execute_fetchall(query, args or [])

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        if self.pooled():
            return _KeptSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)
        return super().transaction(transaction_type=transaction_type, allow_nested=allow_nested)


class _KeptSQLiteTransaction(SQLiteTransaction):
    """A transaction on a borrowed connection, given back (not closed) at the end."""

    __slots__ = ()

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        engine: KeptSQLiteEngine = self.engine  # type: ignore[assignment]
        self.connection = await engine.borrow()
        try:
            await self.begin()
        except BaseException:
            await engine.give_back(self.connection, clean=False)
            raise
        self.context = engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        engine: KeptSQLiteEngine = self.engine  # type: ignore[assignment]
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            await engine.give_back(self.connection, clean=False)
            raise
        finally:
            engine.current_transaction.reset(self.context)
        await engine.give_back(self.connection)
        return exception is None


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


async def _end_of_use(connection: Any) -> None:
    """What the pool does when a connection comes back (asyncpg has already rolled back any open transaction).

    asyncpg's default also runs `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`: a
    round trip for every query outside a transaction and after every transaction, with nothing to undo
    here, since giamsat keeps no session state on a connection: no SET, LISTEN, cursors held across
    transactions or session-level advisory locks (the journal's chain lock is transaction-level).
    """


async def start(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=20, reset=_end_of_use)
    else:
        # WAL lets readers go on while one writer writes; it is a property of the file, so setting it once is enough.
        await engine.run_ddl("PRAGMA journal_mode=WAL")
        if isinstance(engine, KeptSQLiteEngine):
            await engine.start_pool()


async def stop(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, KeptSQLiteEngine):
        await engine.close_pool()


@asynccontextmanager
async def write_transaction(engine: Engine) -> AsyncIterator[object]:
    """A transaction that will write.

    On SQLite it is BEGIN IMMEDIATE, taking the write lock at once: a deferred transaction that reads
    first and writes later can fail with 'database is locked' when another writer got in between.
    Writers of this process queue on the engine's asyncio lock first (not when nested in a transaction).
    """
    if isinstance(engine, SQLiteEngine):
        lock = engine.write_lock if isinstance(engine, KeptSQLiteEngine) and engine.pooled() else None
        if lock is None or engine.current_transaction.get() is not None:
            async with engine.transaction(transaction_type=TransactionType.immediate) as txn:
                yield txn
        else:
            async with lock, engine.transaction(transaction_type=TransactionType.immediate) as txn:
                yield txn
    else:
        async with engine.transaction() as txn:
            yield txn


async def execute_in(transaction: Any, statement: str) -> None:
    """Run a statement without parameters (SAVEPOINT, ROLLBACK TO ...) on a transaction's own connection."""
    connection = transaction.connection
    if isinstance(connection, aiosqlite.Connection):
        await connection.execute_fetchall(statement)  # one thread hop, no cursor left behind
    else:
        await connection.execute(statement)


async def insert_many(transaction: Any, table: type[Table], rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys, in column order) on a transaction's own connection, as one
    prepared statement executed for every row (asyncpg pipelines it; sqlite3 loops in its thread).

    Piccolo's multi-row insert makes a Table instance per row and renders every value into one statement:
    ~80 µs of CPU per journal row, measured, where this costs a few.
    """
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f'"{column}"' for column in columns)
    connection = transaction.connection
    if isinstance(connection, aiosqlite.Connection):
        marks = ", ".join("?" for _ in columns)
    else:
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    statement = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks})'
    await connection.executemany(statement, [tuple(row[column] for column in columns) for row in rows])


def kind(engine: Engine) -> str:
    return "postgresql" if isinstance(engine, PostgresEngine) else "sqlite"
