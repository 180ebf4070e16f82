"""Test fixtures: every database test runs on a real SQLite file and on a real PostgreSQL.

- SQLite: the schema is migrated once per session with `giamsat db upgrade` into a template file, and each
  test gets its own copy of that file.
- PostgreSQL: `GIAMSAT_TEST_POSTGRES_URL` names the server (default postgresql://postgres@localhost:5432/postgres);
  the session creates a fresh database on that server (through the named database, or the maintenance database
  `postgres` when the named one does not exist), migrates it once, and empties every table before each test.
  Each pytest-xdist worker has its own. With the variable set to "" or an unusable server the PostgreSQL half
  is skipped, unless GIAMSAT_REQUIRE_ALL=1 (CI), where it fails.

The app runs through Litestar's TestClient. Piccolo calls made by a test go through `in_app(client, fn)`,
which runs them on the app's own event loop (an asyncpg pool cannot be shared across loops).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from litestar.testing import TestClient

REPO = Path(__file__).resolve().parent.parent
ORIGIN = "http://localhost:8000"  # passkeys need a secure context: localhost, never an IP
REQUIRE_ALL = os.environ.get("GIAMSAT_REQUIRE_ALL") == "1"


def run_async(coroutine: Awaitable[Any]) -> Any:
    """Run a coroutine to completion on a fresh event loop in its own thread.

    Never on the test's thread: a Playwright (sync API) session, or any other library, may already run an
    event loop there, and asyncio.run() refuses to start inside one.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def giamsat(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `giamsat` command line with a given environment."""
    full_env = {**os.environ, "PICCOLO_CONF": "backend.piccolo_conf", **env}
    result = subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], cwd=REPO, env=full_env, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise AssertionError(f"giamsat {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


# --- SQLite ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("sqlite-template")
    giamsat({"GIAMSAT_DATA_DIR": str(data_dir), "DATABASE_URL": f"sqlite:///{data_dir / 'giamsat.db'}"}, "db", "upgrade")
    return data_dir / "giamsat.db"


# --- PostgreSQL --------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


DEFAULT_POSTGRES_URL = "postgresql://postgres@localhost:5432/postgres"


def postgres_server_url() -> str:
    """The PostgreSQL server the tests make their databases on; skips (fails in CI) when it is switched off."""
    base = os.environ.get("GIAMSAT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not base:
        message = "GIAMSAT_TEST_POSTGRES_URL is empty: PostgreSQL tests are switched off"
        if REQUIRE_ALL:
            pytest.fail(message + " (GIAMSAT_REQUIRE_ALL=1: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    return base


# Databases every PostgreSQL server has, for CREATE / DROP DATABASE when the URL's own database does not exist.
MAINTENANCE_DATABASES = ("postgres", "template1")


async def _pg_admin(url: str, sql: str) -> None:
    """Run one statement (CREATE / DROP DATABASE) on the server that `url` names.

    The URL's database is used when it exists; a stock server has only `postgres`, so a URL naming a database
    nobody created (the old default `/test`) falls back to the maintenance databases instead of failing.
    """
    import asyncpg

    try:
        connection = await asyncpg.connect(url, timeout=5)
    except asyncpg.InvalidCatalogNameError:
        connection = None
        for name in MAINTENANCE_DATABASES:
            try:
                connection = await asyncpg.connect(_with_database(url, name), timeout=5)
                break
            except asyncpg.InvalidCatalogNameError:
                continue
        if connection is None:
            raise
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = postgres_server_url()
    name = f"giamsat_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        run_async(_pg_admin(base, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable server, bad credentials: say so, and fail in CI
        message = f"PostgreSQL at {base} is not usable: {exc!r}"
        if REQUIRE_ALL:
            pytest.fail(message)
        pytest.skip(message)
    run_async(_tune_test_database(base, name))
    url = _with_database(base, name)
    data_dir = tmp_path_factory.mktemp("pg-migrate")
    giamsat({"GIAMSAT_DATA_DIR": str(data_dir), "DATABASE_URL": url}, "db", "upgrade")
    yield url
    run_async(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# PostgreSQL settings of the databases the tests make. A commit need not wait for its WAL to reach the disk:
# a crash of the test server loses nothing a test needs (the tests kill app servers, never PostgreSQL).
TEST_DATABASE_SETTINGS = ("synchronous_commit = off",)


async def _tune_test_database(url: str, name: str) -> None:
    for setting in TEST_DATABASE_SETTINGS:
        await _pg_admin(url, f'ALTER DATABASE "{name}" SET {setting}')


_emptying: dict[str, str] = {}


async def _empty_all(url: str) -> None:
    """Every table empty and every id sequence back at 1, as in a freshly migrated database.

    DELETE, children before the tables they reference, is ~15× faster than TRUNCATE on a few dozen nearly empty
    tables (TRUNCATE makes new files for every table: ~80 ms a test). The statement is worked out once per database.
    """
    import graphlib

    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        if url not in _emptying:
            tables = [row["tablename"] for row in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
            )]
            references = await connection.fetch(
                "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = 'public'::regnamespace AND conrelid <> confrelid"
            )
            children_first = graphlib.TopologicalSorter({table: set() for table in tables})
            for row in references:  # a parent after every table that references it
                children_first.add(row["parent"].strip('"'), row["child"].strip('"'))
            sequences = await connection.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            _emptying[url] = "".join(f'DELETE FROM "{table}";' for table in children_first.static_order()) + "".join(
                f'ALTER SEQUENCE "{row["sequencename"]}" RESTART;' for row in sequences
            )
        await connection.execute(_emptying[url])
    finally:
        await connection.close()


# --- the database under test ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "giamsat.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    run_async(_empty_all(url))
    return url


@pytest.fixture
def app_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "GIAMSAT_DATA_DIR": str(tmp_path / "data"),
        "GIAMSAT_ORIGIN": ORIGIN,
        "GIAMSAT_SECRET_KEY": "test-secret-key-not-for-production",
    }


@pytest.fixture
def settings(app_env: dict[str, str]) -> Any:
    from backend.settings import load_settings

    return load_settings(app_env)


@pytest.fixture
def client(settings: Any) -> Iterator[TestClient]:
    from backend.app import create_app

    with TestClient(create_app(settings), base_url=ORIGIN) as test_client:
        yield test_client


def in_app(client: TestClient, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run `await fn(*args)` on the app's event loop (where its database pool lives)."""
    return client.blocking_portal.call(fn, *args)


# --- people and places -----------------------------------------------------------------------------


class World:
    """Two branches, their locations, and one person of every role (plus one in the other branch)."""

    def __init__(self, ids: dict[str, int]) -> None:
        self.ids = ids

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


async def _make_world() -> dict[str, int]:
    from backend.officers import services
    from backend.officers.tables import LocationKind

    ids: dict[str, int] = {}
    ids["branch"] = await services.ensure_branch("B1", "Chi cục Một")
    ids["other_branch"] = await services.ensure_branch("B2", "Chi cục Hai")
    ids["gate"] = await services.ensure_location("B1-GA", "Cổng A", LocationKind.GATE, ids["branch"])
    ids["warehouse"] = await services.ensure_location("B1-KHO", "Kho", LocationKind.WAREHOUSE, ids["branch"])
    ids["other_gate"] = await services.ensure_location("B2-GA", "Cổng B2", LocationKind.GATE, ids["other_branch"])
    ids["officer"] = await services.create_officer("CB1", "Nguyễn Văn Một", "officer", "B1")
    ids["supervisor"] = await services.create_officer("GS1", "Trần Thị Hai", "supervisor", "B1")
    ids["warehouse_user"] = await services.create_officer("KHO1", "Lê Văn Ba", "warehouse", "B1", "B1-KHO")
    ids["admin"] = await services.create_officer("AD1", "Phạm Thị Bốn", "admin", None)
    ids["other_officer"] = await services.create_officer("CB2", "Hoàng Văn Năm", "officer", "B2")
    return ids


@pytest.fixture
def world(client: TestClient) -> World:
    return World(in_app(client, _make_world))


def sign_in_as(client: TestClient, officer_id: int) -> None:
    """Give the client a real server-side session (as a passkey sign-in would) and a CSRF token.

    Passkey ceremonies themselves are tested in tests/auth with a software authenticator.
    """
    from backend.auth import services

    token = in_app(client, lambda: services.create_session(officer_id, credential_id=None, user_agent="pytest"))
    client.cookies.set(services.SESSION_COOKIE, token)
    client.get("/offline")  # any GET hands out the CSRF cookie
    client.headers["x-csrf-token"] = client.cookies.get("gs_csrf")
