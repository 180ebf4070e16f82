"""A new version of the app never takes over mid-work: its service worker installs, waits, and the page offers
"update ready"; only when the officer presses the button does the new worker take control and the page reload.

The server runs on a private copy of frontend/ (GIAMSAT_FRONTEND_DIR); a "deploy" edits a shell file in that
copy and restarts the server on the same port, which changes the worker's version.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.browser.conftest import (
    Browsing,
    Server,
    add_authenticator,
    copy_frontend,
    enroll,
    make_server,
    wait_for_worker,
    wait_until,
)

pytestmark = pytest.mark.browser

MARKER = "/* giamsat update test: version 2 */"

STATE = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  const css = await (await fetch("/static/css/app.css")).text();
  return {
    waiting: Boolean(registration.waiting),
    controlledByActive: navigator.serviceWorker.controller === registration.active,
    newCss: css.includes(%r),
    shellCaches: (await caches.keys()).filter((name) => name.startsWith("giamsat-shell-")).length,
  };
}""" % MARKER


@pytest.fixture(scope="module")
def frontend_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_frontend(tmp_path_factory.mktemp("frontend-v1") / "frontend")


@pytest.fixture(scope="module")
def update_server(tmp_path_factory: pytest.TempPathFactory, frontend_copy: Path) -> Iterator[Server]:
    instance = make_server(tmp_path_factory, "browser-update", GIAMSAT_FRONTEND_DIR=str(frontend_copy))
    yield instance
    instance.stop()


def state(page: Any) -> dict[str, Any]:
    return page.evaluate(STATE)


# The vendored files the worker keeps across versions (sw.js, PINNED_CACHE): each entry's key and the Date the
# server answered it with, which stays the same unless the file was fetched again.
PINNED = """async () => {
  const cache = await caches.open("giamsat-pinned");
  const entries = {};
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    entries[new URL(request.url).pathname + new URL(request.url).search] = response.headers.get("date");
  }
  return entries;
}"""


def test_update_waits_for_the_officer_then_reloads_under_new_version(
    update_server: Server, frontend_copy: Path, browsing: Browsing
) -> None:
    page = browsing.new_page()
    add_authenticator(page)
    enroll(page, update_server.links["CB001"])
    wait_for_worker(page)
    page.reload()  # a page loaded under the worker, as on any later day
    wait_for_worker(page)
    assert state(page) == {"waiting": False, "controlledByActive": True, "newCss": False, "shellCaches": 1}

    # The page's refresh of the replicated data finishes first: a restart under its fetches would refuse them.
    page.evaluate("() => window.giamsatReplica.refresh()")
    pinned_before = page.evaluate(PINNED)
    assert {key.split("?")[0] for key in pinned_before} >= {"/static/vendor/htmx-2.0.11.min.js", "/static/vendor/zxing-wasm-3.1.3-reader.wasm"}
    time.sleep(1.1)  # a file fetched again would carry a later Date

    # Deploy: a shell file changes (its modification time moves on, as with any deploy) and the server restarts.
    css = frontend_copy / "static" / "css" / "app.css"
    css.write_text(css.read_text() + "\n" + MARKER + "\n")
    update_server.restart()
    page.evaluate("() => { navigator.serviceWorker.getRegistration().then((registration) => registration.update()); }")

    page.wait_for_selector("#update-banner", state="visible")
    wait_until(page, "async () => Boolean((await navigator.serviceWorker.getRegistration()).waiting)")
    waiting = state(page)
    assert waiting["waiting"] and waiting["controlledByActive"], waiting
    assert waiting["newCss"] is False, "the old worker (and its shell) must stay in control until the officer accepts"
    assert waiting["shellCaches"] == 2

    # Work goes on under the old version: a boosted navigation keeps the offer on screen.
    page.click('.actions a[href="/account/devices"]')
    page.wait_for_url(re.compile(r"/account/devices$"))
    page.wait_for_selector("#update-banner", state="visible")

    with page.expect_navigation():
        page.click("#update-apply")
    page.wait_for_load_state("load")
    wait_for_worker(page)
    # The new worker drops the old version's shell cache when it activates.
    wait_until(page, """async () => (await caches.keys()).filter((name) => name.startsWith("giamsat-shell-")).length === 1""")
    assert state(page) == {"waiting": False, "controlledByActive": True, "newCss": True, "shellCaches": 1}
    assert page.is_hidden("#update-banner")
    # The vendored files (the 1.1 MB barcode reader among them) were not downloaded again by the new version.
    assert page.evaluate(PINNED) == pinned_before
    browsing.assert_clean()
