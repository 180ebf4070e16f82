"""Real-Chromium fixtures: the app started the real way, Debian's Chromium driven by Playwright.

- A server is `giamsat db upgrade` + `giamsat demo` + `giamsat serve` in a fresh data directory, on a free port,
  browsed at http://localhost:PORT (passkeys and service workers need a secure context; an IP address is not one).
- Passkeys use Chrome's virtual authenticator over CDP (`add_authenticator`).
- Every context records console errors and page errors; tests assert there are none (a CSP violation is a
  console error), and each test's final state is saved to test-artifacts/<test>.png.
- A server runs on a SQLite file in its data directory, or with `database="postgres"` on a fresh PostgreSQL
  database on the GIAMSAT_TEST_POSTGRES_URL server (dropped when the server is dropped); `Server.query()` reads
  either, so the offline flows are proven on both databases.
- Without Chromium or Playwright the browser tests skip, except with GIAMSAT_REQUIRE_ALL=1 (CI), where they fail.
- GIAMSAT_CHROMIUM names another Chromium binary; GIAMSAT_TEST_SERVER_LOG=info keeps the servers' access logs
  (in each server's data directory, server.log).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.conftest import REPO, REQUIRE_ALL, _pg_admin, _tune_test_database, _with_database, giamsat, postgres_server_url, run_async

CHROMIUM = os.environ.get("GIAMSAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"
# Console errors a test provokes on purpose, for Browsing.assert_clean: the network cut, or the server stopped.
OFFLINE_NOISE = r"ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource"
SERVER_DOWN_NOISE = r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|Failed to fetch|Failed to load resource"
LINK = re.compile(r"^\s*(\w+)\s+(\S+)\s+.*?(http://\S+/enroll/\S+)\s*$")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each browser module's tests on one pytest-xdist worker, per database.

    A module's servers are module-scoped fixtures (one per database, started with the demo data in a few
    seconds); spreading one module over the workers would start its servers on each. The SQLite and the
    PostgreSQL half of a module use different servers, so they are separate groups that can run side by side.
    """
    for item in items:
        if not item.nodeid.startswith("tests/browser/"):
            continue
        module = item.nodeid.split("::", 1)[0].removeprefix("tests/browser/").removesuffix(".py")
        database = next((name for name in ("postgres", "sqlite") if f"[{name}" in item.nodeid or f"-{name}]" in item.nodeid), "")
        item.add_marker(pytest.mark.xdist_group(f"{module}-{database}" if database else module))


def unavailable(message: str) -> None:
    """No browser here: a skip on a developer's machine, a failure in CI."""
    if REQUIRE_ALL:
        pytest.fail(message + " (GIAMSAT_REQUIRE_ALL=1: browser tests must run)", pytrace=False)
    pytest.skip(message)


# --- the app, started the real way -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One `giamsat serve` process with its own data directory; restartable on the same port (a deploy)."""

    data_dir: Path
    port: int
    extra_env: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    postgres: tuple[str, str] | None = None  # (server URL, database name) when it runs on PostgreSQL

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        # A browser flow compresses an outage of hours into seconds: no offline grace (docs/offline.md), unless a
        # test sets one.
        # Each browser context says it is its own device (Browsing.new_page: an X-Forwarded-For address of its
        # own), as phones are: the sign-in rate limit counts per device, not per test run on one machine.
        return {
            "GIAMSAT_DATA_DIR": str(self.data_dir), "GIAMSAT_ORIGIN": self.origin, "GIAMSAT_OFFLINE_GRACE_SECONDS": "0",
            "GIAMSAT_TRUSTED_PROXIES": "127.0.0.1",
            **self.extra_env,
        }

    def url(self, path: str) -> str:
        return self.origin + path

    def prepare(self) -> None:
        giamsat(self.env, "db", "upgrade")
        demo = giamsat(self.env, "demo")
        for line in demo.stdout.splitlines():
            match = LINK.match(line)
            if match:
                self.links[match.group(2)] = match.group(3)
        assert {"CB001", "GS001", "KHO001", "ADMIN"} <= set(self.links), demo.stdout
        assert all(link.startswith(self.origin + "/enroll/") for link in self.links.values()), self.links

    def enrollment_link(self, code: str) -> str:
        """A fresh single-use link for an officer (`giamsat officer link`), as an admin would send one."""
        out = giamsat(self.env, "officer", "link", "--code", code).stdout
        return next(line for line in out.splitlines() if line.startswith(self.origin + "/enroll/"))

    def start(self) -> None:
        log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port), "--log-level", os.environ.get("GIAMSAT_TEST_SERVER_LOG", "warning")],
            cwd=REPO,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"giamsat serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"giamsat serve did not answer /healthz within 30 s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # its own session: uvicorn and nothing else of ours
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of a read-only query on the server's database; `?` placeholders on both databases."""
        if self.postgres is None:
            uri = f"file:{self.data_dir / 'giamsat.db'}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True, timeout=30)) as connection:
                return connection.execute(sql, params).fetchall()
        numbered = re.sub(r"\?", lambda _, n=iter(range(1, 100)): f"${next(n)}", sql)

        async def fetch() -> list[tuple[Any, ...]]:
            import asyncpg

            connection = await asyncpg.connect(self.extra_env["DATABASE_URL"])
            try:
                return [tuple(row) for row in await connection.fetch(numbered, *params)]
            finally:
                await connection.close()

        return run_async(fetch())

    def drop(self) -> None:
        """Stop, and drop its PostgreSQL database (a SQLite file goes with the temporary directory)."""
        self.stop()
        if self.postgres is not None:
            base, name = self.postgres
            run_async(_pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def log(self) -> str:
        path = self.data_dir / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]  # for server fixtures' params


def make_server(tmp_path_factory: pytest.TempPathFactory, name: str, database: str = "sqlite", **extra_env: str) -> Server:
    """A started server with the demo data; call `drop()` when done with it."""
    postgres = None
    if database == "postgres":
        base = postgres_server_url()
        postgres = (base, f"giamsat_browser_{os.getpid()}_{uuid.uuid4().hex[:6]}")
        run_async(_pg_admin(base, f'CREATE DATABASE "{postgres[1]}"'))
        run_async(_tune_test_database(base, postgres[1]))
        extra_env = {**extra_env, "DATABASE_URL": _with_database(base, postgres[1])}
    server = Server(data_dir=tmp_path_factory.mktemp(name), port=free_port(), extra_env=extra_env, postgres=postgres)
    try:
        server.prepare()
        server.start()
    except BaseException:
        server.drop()
        raise
    return server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with the demo data, shared by the browser tests that need no special settings."""
    instance = make_server(tmp_path_factory, "browser-app")
    yield instance
    instance.stop()


# --- Chromium ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error as PlaywrightError, sync_playwright
    except ImportError as exc:
        unavailable(f"Playwright is not installed: {exc}")
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    manager = sync_playwright().start()
    try:
        instance = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except PlaywrightError as exc:
        manager.stop()
        unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
    yield instance
    instance.close()
    manager.stop()


@dataclass
class Problem:
    kind: str
    text: str
    url: str = ""

    def __str__(self) -> str:
        return f"[{self.kind}] {self.text} {self.url}".strip()


_devices = itertools.count(1)


def next_device_address() -> str:
    """A private address for the next browser context (10.x.y.z), unique within the test run's process."""
    n = next(_devices)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


class Browsing:
    """Contexts opened by one test: their console problems, their final screenshots, their cleanup."""

    def __init__(self, browser: Any, name: str) -> None:
        self.browser = browser
        self.name = name
        self.contexts: list[Any] = []
        self.problems: list[Problem] = []

    def new_page(self, **context_options: Any) -> Any:
        """A new context (one "device", with a network address of its own) and its first page, with console errors
        and page errors recorded. The address: the sign-in rate limit (30 a minute per address) is per device; one
        test server shared by many tests' devices from 127.0.0.1 could reach it in a fast run."""
        context_options.setdefault("extra_http_headers", {"X-Forwarded-For": next_device_address()})
        context = self.browser.new_context(**context_options)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.problems.append(Problem("pageerror", str(error.error))))
        return context.new_page()

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            self.problems.append(Problem("console", message.text, location.get("url", "")))
        elif "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(Problem("csp", message.text))

    def assert_clean(self, *allowed: str) -> None:
        """No CSP violation and no JS error; `allowed` are regexes for errors the test provoked on purpose."""
        unexpected = [
            problem
            for problem in self.problems
            if problem.kind == "csp" or "Content Security Policy" in problem.text
            or not any(re.search(pattern, problem.text) for pattern in allowed)
        ]
        assert not unexpected, "browser console problems:\n" + "\n".join(map(str, unexpected))

    def screenshot_all(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        for c, context in enumerate(self.contexts):
            for p, page in enumerate(context.pages):
                suffix = "" if (c, p) == (0, 0) else f"-{c}-{p}"
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{self.name}{suffix}.png"), full_page=True, timeout=5_000)
                except Exception:  # a page that crashed or closed leaves no picture; the test already says why
                    pass

    def close(self) -> None:
        for context in self.contexts:
            try:
                context.close()
            except Exception:
                pass


@pytest.fixture
def browsing(browser: Any, request: pytest.FixtureRequest) -> Iterator[Browsing]:
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    session = Browsing(browser, name)
    yield session
    session.screenshot_all()
    session.close()


# --- passkeys ----------------------------------------------------------------------------------------------


def add_authenticator(page: Any) -> tuple[Any, str]:
    """Chrome's virtual platform authenticator (resident keys, user verification, presence simulated)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def enroll(page: Any, link: str, label: str = "") -> None:
    """Open an enrollment link, create the passkey, and land on the home page."""
    page.goto(link)
    if label:
        page.fill("#device-label", label)
    with page.expect_navigation(url=re.compile(r"/$")):
        page.click("#enroll-passkey")
    page.wait_for_selector(".profile")


# --- service worker ------------------------------------------------------------------------------------------

WORKER_STATE = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  const state = (worker) => worker && worker.state;
  return {
    url: location.href,
    controller: state(navigator.serviceWorker.controller),
    registered: Boolean(registration),
    installing: registration && state(registration.installing),
    waiting: registration && state(registration.waiting),
    active: registration && state(registration.active),
    caches: await caches.keys(),
  };
}"""


def wait_for_worker(page: Any) -> None:
    """Until the service worker controls the page (the first visit is claimed on activation)."""
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", polling=100)
    except Exception as exc:
        raise AssertionError(f"no service worker controls the page: {page.evaluate(WORKER_STATE)}") from exc
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")


def wait_until(page: Any, script: str, arg: Any = None, timeout: float = 10.0) -> Any:
    """Poll an (async) page function until it returns something truthy; return that.

    page.wait_for_function() does not await a promise (an async predicate is truthy at once), so questions
    that need `await` (caches, the service-worker registration) are polled here.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {script}")
        page.wait_for_timeout(100)


def sign_in(page: Any, server: Server, code: str) -> None:
    """Enroll `code`'s passkey on a virtual authenticator (kept on the page: signed commands, online and offline, are
    signed with it) and wait for the service worker."""
    add_authenticator(page)
    enroll(page, server.enrollment_link(code))
    wait_for_worker(page)


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """`check()` once it is truthy (a command sent from a page, or a delivery pass, lands a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {what} (last: {value!r})")
        time.sleep(0.1)


def goto(page: Any, url: str) -> Any:
    """page.goto, again when the page's own reload interrupts it: a form whose command was applied reloads its page
    (queue-client.js), a moment after the server's row exists; the page is then loaded afresh either way."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(5):
        try:
            return page.goto(url)
        except PlaywrightError as error:
            if "interrupted by another navigation" not in str(error) and "ERR_ABORTED" not in str(error):
                raise
            page.wait_for_load_state("load")  # the reload that interrupted it, done
            page.wait_for_timeout(300)
    return page.goto(url)


def reloaded(page: Any, selector: str, url: str) -> None:
    """Until the page shows `selector`: a page reloads itself once its command is applied (queue-client.js); when the
    server's answer came too late for that (the page said "queued"), load it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(selector, timeout=15_000)
    except PlaywrightTimeout:
        goto(page, url)
        page.wait_for_selector(selector)


def wait_for_cached_page(page: Any, path: str) -> None:
    """Until the worker keeps an offline copy of `path`."""
    wait_until(
        page,
        """async (path) => {
          const cache = await caches.open("giamsat-pages");
          return Boolean(await cache.match(path));
        }""",
        path,
    )


def copy_frontend(destination: Path) -> Path:
    """A private copy of frontend/ for a server whose shell files a test changes (GIAMSAT_FRONTEND_DIR)."""
    shutil.copytree(REPO / "frontend", destination)
    return destination
