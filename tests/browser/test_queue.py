"""The device queue in real Chromium (docs/offline.md §1–3): a logbook entry made offline is queued at once and
survives reloads, a closed browser and a server killed mid-replay; when the server is back every entry lands
exactly once; a refusal stays on /sync until dismissed; a new app version waits until the queue is empty.

What the server applied is read from its SQLite file (read-only): `journal_entry` rows of `logbook.add_entry`,
one per command id, whose payload holds a tag unique to the test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import uuid
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any, Iterator

import pytest
from PIL import Image

from backend.lib.i18n import translate_in
from tests.browser.conftest import (
    OFFLINE_NOISE,
    SERVER_DOWN_NOISE,
    DATABASES,
    CHROMIUM,
    CHROMIUM_ARGS,
    Browsing,
    Server,
    add_authenticator,
    copy_frontend,
    enroll,
    make_server,
    wait_for_cached_page,
    wait_for_worker,
    wait_until,
)
from tests.conftest import giamsat

pytestmark = pytest.mark.browser


QUEUE = """async () => (await giamsatStore.queueEntries()).map((entry) => ({
  id: entry.envelope.id, officer: entry.officer_code, text: entry.envelope.payload.text,
  offline: entry.envelope.offline, attempts: entry.attempts, error: entry.last_error,
}))"""
REJECTED = "async () => (await giamsatStore.all('rejected')).map((entry) => ({id: entry.id, code: entry.code, reason: entry.reason}))"

# Envelopes made in the page as the form would make them, for tests that need more entries than typing gives.
ENQUEUE = """async ({officer, texts, copies, location, photos}) => {
  const locationId = location || Number(document.getElementById("location_id").value);
  const ids = [];
  for (const text of texts) {
    const payload = photos ? {location_id: locationId, text: text, photos: photos} : {location_id: locationId, text: text};
    const envelope = {
      id: crypto.randomUUID(), type: "logbook.add_entry", issued_at: new Date().toISOString(),
      device_id: giamsat.deviceId(), payload: payload, offline: !navigator.onLine, signature: null,
    };
    for (let copy = 0; copy < (copies || 1); copy++) await giamsatQueue.enqueue(envelope, officer, photos || []);
    ids.push(envelope.id);
  }
  return ids;
}"""


# Replay in this page, waiting while another context holds the replay (a worker the browser has just started
# replays an empty queue at once and lets go).
REPLAY_WHEN_FREE = """async (options) => {
  for (;;) {
    const summary = await giamsatQueue.replay(options || {});
    if (!summary.skipped) return summary;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}"""


def journal(server: Server, tag: str) -> list[tuple[str, str, int]]:
    """(command id, payload text, offline) of every applied logbook command whose text holds `tag`."""
    rows = server.query(
        "SELECT command_id, payload, offline FROM journal_entry WHERE command_type = 'logbook.add_entry' AND payload LIKE ?",
        f"%{tag}%",
    )
    return [(str(command_id), json.loads(payload)["text"], int(offline)) for command_id, payload, offline in rows]


@pytest.fixture(scope="module", params=DATABASES)
def queue_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    """This module's server (its officers sign in often, and sign-in is rate-limited per client), on SQLite and
    on PostgreSQL: the offline flows must land exactly once on both."""
    instance = make_server(tmp_path_factory, "browser-queue", request.param)
    yield instance
    instance.drop()


@pytest.fixture(scope="module")
def officer(browser: Any, queue_server: Server) -> dict[str, Any]:
    """CB001 signed in once (a passkey on Chrome's virtual authenticator); each test's device starts from these
    cookies, with its own empty IndexedDB and service worker."""
    context = browser.new_context()
    try:
        page = context.new_page()
        add_authenticator(page)
        enroll(page, queue_server.enrollment_link("CB001"))
        return context.storage_state()
    finally:
        context.close()


def open_logbook(browsing: Browsing, server: Server, state: dict[str, Any]) -> Any:
    """A signed-in device on the logbook, once online, so that the worker keeps the page for offline use."""
    page = browsing.new_page(storage_state=state)
    page.goto(server.url("/logbook"))
    page.wait_for_selector("#logbook-form")
    wait_for_worker(page)
    wait_for_cached_page(page, "/logbook")
    return page


def sign_in_on_logbook(page: Any, server: Server, code: str = "CB001") -> None:
    """Enroll a passkey on this page's device and open the logbook, as open_logbook does; for a server of the
    test's own. The DevTools session goes: an extra one makes Chromium report navigator.onLine === true under
    emulated offline."""
    cdp, _ = add_authenticator(page)
    enroll(page, server.enrollment_link(code))
    wait_for_worker(page)
    page.goto(server.url("/logbook"))
    page.wait_for_selector("#logbook-form")
    wait_for_cached_page(page, "/logbook")
    cdp.detach()


def add_entry(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.click('#logbook-form button[type="submit"]')


def badge(page: Any) -> int:
    """The header's queued count (0 when the badge is hidden)."""
    return 0 if page.is_hidden("#queue-count") else int(page.inner_text("#queue-count"))


def wait_for_badge(page: Any, count: int, timeout: float = 30.0) -> None:
    page.wait_for_function(
        """(count) => {
          const badge = document.getElementById("queue-count");
          return badge && (count === 0 ? badge.hidden : !badge.hidden && badge.textContent === String(count));
        }""",
        arg=count,
        polling=100,
        timeout=timeout * 1000,
    )


def wait_for_empty_queue(page: Any, timeout: float = 60.0) -> None:
    wait_until(page, "async () => (await giamsatStore.count('queue')) === 0", timeout=timeout)


# --- offline, reload, reconnect --------------------------------------------------------------------------------


def test_queue_offline_entries_wait_then_sync_once(queue_server: Server, officer: dict[str, Any], browsing: Browsing) -> None:
    server = queue_server
    page = open_logbook(browsing, server, officer)
    tag = uuid.uuid4().hex[:10]
    texts = [f"offline {tag} #{n:02d} — kiểm tra niêm phong" for n in range(50)]

    page.context.set_offline(True)
    for n, text in enumerate(texts, start=1):
        add_entry(page, text)
        wait_for_badge(page, n)  # queued at once, counted in the header
    queued_note = translate_in("vi", "Queued — it will be sent when the connection is back.")
    assert page.inner_text(".message-note") == queued_note
    assert page.input_value("#text") == ""  # the form is ready for the next entry
    page.reload()  # offline: the page comes from the worker, the queue from IndexedDB
    wait_for_badge(page, 50)
    queued = page.evaluate(QUEUE)
    assert [entry["text"] for entry in queued] == texts  # in the order they were made
    assert all(entry["offline"] and entry["officer"] == "CB001" for entry in queued)
    assert journal(server, tag) == []
    # The logbook shows what waits on this device above the server's sheet, named as people name the action: the
    # first 20, and how many wait in all (a day's queue drawn whole made every submit slow; /sync lists them all).
    page.wait_for_selector("#logbook-queued li >> nth=19")
    assert page.locator("#logbook-queued .entry-summary").all_inner_texts() == texts[:20]
    assert set(page.locator("#logbook-queued .entry-type").all_inner_texts()) == {translate_in("vi", "Logbook entry")}
    more = translate_in("vi", "Only the first entries are shown here: {count} actions wait on this device in all.")
    assert page.inner_text("#logbook-queued [data-device-queue-more] span") == more.replace("{count}", "50")

    page.evaluate("""() => {
      window.progressShown = [];
      const figures = document.getElementById("sync-progress-text");
      new MutationObserver(() => { if (!figures.hidden) window.progressShown.push(figures.textContent); })
        .observe(figures, {attributes: true, childList: true, characterData: true, subtree: true});
    }""")
    page.context.set_offline(False)  # the page's `online` event replays the queue
    wait_for_badge(page, 0)
    wait_for_empty_queue(page)
    assert "0 / 50" in page.evaluate("() => window.progressShown")  # the header's progress while it synced
    page.wait_for_selector("#queue-bar", state="hidden")
    page.wait_for_selector("#logbook-queued", state="hidden")

    applied = journal(server, tag)
    assert sorted(text for _, text, _ in applied) == texts
    assert sorted(command_id for command_id, _, _ in applied) == sorted(entry["id"] for entry in queued)
    assert all(offline == 1 for _, _, offline in applied)  # the journal marks them as made offline
    assert page.evaluate(REJECTED) == []
    page.goto(server.url("/logbook"))
    listed = page.locator("#logbook-entries .entry-text").all_inner_texts()
    assert all(listed.count(text) == 1 for text in texts)
    browsing.assert_clean(OFFLINE_NOISE)


def test_queue_online_entry_is_saved_through_the_queue(queue_server: Server, officer: dict[str, Any], browsing: Browsing) -> None:
    server = queue_server
    page = open_logbook(browsing, server, officer)
    tag = uuid.uuid4().hex[:10]

    add_entry(page, f"online {tag}")

    page.wait_for_selector(".message-note:has-text('%s')" % translate_in("vi", "Saved."))
    assert page.locator("#logbook-entries .entry-text").all_inner_texts().count(f"online {tag}") == 1
    assert [(text, offline) for _, text, offline in journal(server, tag)] == [(f"online {tag}", 0)]
    assert badge(page) == 0
    browsing.assert_clean()


# --- a refusal ---------------------------------------------------------------------------------------------------


def test_queue_refusal_online_is_shown_in_the_form_keeping_the_text(queue_server: Server, officer: dict[str, Any], browsing: Browsing) -> None:
    server = queue_server
    page = open_logbook(browsing, server, officer)

    add_entry(page, "    ")  # only spaces: the server refuses it, in words

    page.wait_for_selector("#logbook-error")
    assert page.get_attribute("#logbook-error", "role") == "alert"
    assert page.inner_text("#logbook-error") == translate_in("vi", "Write what happened.")
    assert page.input_value("#text") == "    "
    # Seen in the form: it does not wait on /sync as well.
    assert page.evaluate(REJECTED) == [] and page.evaluate(QUEUE) == []
    browsing.assert_clean()


def test_queue_refusal_while_away_stays_on_sync_until_dismissed(queue_server: Server, officer: dict[str, Any], browsing: Browsing) -> None:
    server = queue_server
    page = open_logbook(browsing, server, officer)
    page.goto(server.url("/sync"))
    page.wait_for_selector("#sync-page[data-ready]")
    wait_for_cached_page(page, "/sync")
    page.goto(server.url("/logbook"))
    reason = translate_in("vi", "Write what happened.")

    page.context.set_offline(True)
    add_entry(page, "   ")
    wait_for_badge(page, 1)
    page.goto(server.url("/sync"))  # offline: the frame from the worker, the entries from IndexedDB
    page.wait_for_selector("#sync-queued .sync-entry")
    page.context.set_offline(False)  # replayed from here: nobody is looking at the form

    page.wait_for_selector("#sync-rejected .sync-entry")
    assert page.inner_text("#sync-rejected .entry-reason") == reason
    assert page.is_visible("#rejected-count")
    page.reload()
    page.wait_for_selector("#sync-page[data-ready]")
    assert page.inner_text("#sync-rejected .entry-reason") == reason  # still there until the officer dismisses it
    assert page.is_visible("#sync-queued-empty")

    page.click("#sync-rejected [data-dismiss]")
    page.wait_for_selector("#sync-rejected .sync-entry", state="detached")
    assert page.is_visible("#sync-rejected-empty")
    assert page.evaluate(REJECTED) == []
    page.wait_for_selector("#rejected-count", state="hidden")
    browsing.assert_clean(OFFLINE_NOISE)


# --- export ---------------------------------------------------------------------------------------------------------------


def test_queue_export_is_a_file_that_sync_import_applies_once(
    queue_server: Server, officer: dict[str, Any], browsing: Browsing, tmp_path: Path
) -> None:
    """"Export queue" on /sync downloads the queue and its photos; `giamsat sync import` applies it on the server,
    and when the device is back online its own replay finds every command already there (duplicate)."""
    server = queue_server
    page = open_logbook(browsing, server, officer)
    location = int(page.input_value("#location_id"))
    page.goto(server.url("/sync"))
    page.wait_for_selector("#sync-page[data-ready]")
    wait_for_cached_page(page, "/sync")
    tag = uuid.uuid4().hex[:10]
    image = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(image, "JPEG")
    photo = image.getvalue()
    sha = hashlib.sha256(photo).hexdigest()

    page.context.set_offline(True)
    page.evaluate(
        """async ({sha, data}) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0)).buffer;
          await giamsatStore.putFile({sha256: sha, type: "image/jpeg", bytes, size: bytes.byteLength,
                                      created_at: new Date().toISOString(), uploaded: false});
        }""",
        {"sha": sha, "data": base64.b64encode(photo).decode()},
    )
    ids = page.evaluate(ENQUEUE, {"officer": "CB001", "texts": [f"export {tag} a"], "location": location, "photos": [sha]})
    ids += page.evaluate(ENQUEUE, {"officer": "CB001", "texts": [f"export {tag} b"], "location": location})
    with page.expect_download() as download:
        page.click("#sync-export")
    exported = tmp_path / "queue.json"
    download.value.save_as(exported)

    document = json.loads(exported.read_text())
    assert document["format"] == "giamsat-queue" and document["version"] == 1
    assert document["officer_code"] == "CB001"
    assert document["device_id"] == page.evaluate("() => giamsat.deviceId()")
    assert [(entry["officer_code"], entry["envelope"]["id"], entry["files"]) for entry in document["entries"]] == [
        ("CB001", ids[0], [sha]),
        ("CB001", ids[1], []),
    ]
    assert document["files"] == {sha: {"type": "image/jpeg", "base64": base64.b64encode(photo).decode()}}

    imported = giamsat(server.env, "sync", "import", str(exported), "--vouch-for", "CB001").stdout
    assert "2 applied" in imported, imported
    page.context.set_offline(False)  # the device's own replay: already applied, so "duplicate", and done
    wait_for_empty_queue(page)
    assert sorted(command_id for command_id, _, _ in journal(server, tag)) == sorted(ids)
    assert page.evaluate(REJECTED) == []
    assert page.evaluate("async () => (await giamsatStore.all('files')).length") == 0  # sent: the photo is let go
    browsing.assert_clean(OFFLINE_NOISE)


# --- the clock ---------------------------------------------------------------------------------------------------------------


def test_queue_clock_minutes_off_is_warned_on_every_page(queue_server: Server, officer: dict[str, Any], browsing: Browsing) -> None:
    page = browsing.new_page(storage_state=officer)
    page.clock.set_system_time(datetime.now(timezone.utc) + timedelta(minutes=10))  # the device's clock is wrong

    page.goto(queue_server.url("/sync"))  # the load's sync measures the offset against the server's time

    page.wait_for_selector("#clock-banner", state="visible")
    assert page.inner_text("#clock-banner") == translate_in(
        "vi", "This device's clock is {minutes} min off. Set the right time in the device's settings."
    ).replace("{minutes}", "10")
    page.wait_for_selector("#sync-clock-warning", state="visible")
    offset = page.evaluate("() => giamsatStore.getMeta('clock_offset_ms')")
    assert -10.5 * 60_000 < offset < -9.5 * 60_000
    page.goto(queue_server.url("/"))
    page.wait_for_selector("#clock-banner", state="visible")
    browsing.assert_clean()


# --- the same command many times -----------------------------------------------------------------------------------


def test_queue_command_replayed_100_times_is_applied_once(queue_server: Server, officer: dict[str, Any], browsing: Browsing) -> None:
    server = queue_server
    page = open_logbook(browsing, server, officer)
    tag = uuid.uuid4().hex[:10]
    page.evaluate("""() => {
      window.outcomes = [];
      new BroadcastChannel("giamsat-sync").onmessage = (event) => {
        if (event.data.kind === "outcome") window.outcomes.push(event.data.status);
      };
    }""")

    (command_id,) = page.evaluate(ENQUEUE, {"officer": "CB001", "texts": [f"once {tag}"], "copies": 100})
    summary = page.evaluate(REPLAY_WHEN_FREE)
    page.evaluate(ENQUEUE.replace("crypto.randomUUID()", repr(command_id)), {"officer": "CB001", "texts": [f"once {tag}"]})
    page.evaluate("() => giamsatQueue.replay()")  # and once more, in a later sync

    assert summary["done"] == 100 and summary["error"] is None
    wait_until(page, "() => window.outcomes.length === 101")
    outcomes = page.evaluate("() => window.outcomes")
    assert outcomes.count("applied") == 1 and outcomes.count("duplicate") == 100
    assert [(cid, text) for cid, text, _ in journal(server, tag)] == [(command_id, f"once {tag}")]
    assert page.evaluate(QUEUE) == [] and page.evaluate(REJECTED) == []
    browsing.assert_clean()


# --- the browser closed -------------------------------------------------------------------------------------------------


@pytest.fixture(params=DATABASES)
def own_server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Server]:
    """A server of the test's own, which it may stop or kill; on either database."""
    instance = make_server(tmp_path_factory, "browser-queue-own", request.param)
    yield instance
    instance.drop()


@pytest.fixture
def profile(browser: Any, browsing: Browsing, tmp_path: Path) -> Iterator[Any]:
    """Open (and reopen) Chromium on one user-data directory, as a phone keeps its browser profile."""
    opened: list[Any] = []

    def launch() -> Any:
        context = browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context.set_default_timeout(10_000)
        context.on("console", browsing._on_console)
        opened.append(context)
        return context

    yield launch
    for context in opened:
        try:
            context.close()
        except Exception:  # closed by the test already
            pass


def test_queue_survives_closing_the_browser(own_server: Server, browsing: Browsing, profile: Any) -> None:
    """The server is down while the browser is closed and reopened: whatever the browser does on its own at start
    (the worker starts, Background Sync fires on the real network), nothing can be sent, so what is found after
    the restart is the queue as it was left; then the server comes back and "Sync now" sends it, once."""
    server = own_server
    context = profile()
    page = context.pages[0] if context.pages else context.new_page()
    sign_in_on_logbook(page, server)
    tag = uuid.uuid4().hex[:10]
    texts = [f"closed {tag} #{n}" for n in range(3)]
    context.set_offline(True)
    for n, text in enumerate(texts, start=1):
        add_entry(page, text)
        wait_for_badge(page, n)
    queued = page.evaluate(QUEUE)
    context.close()
    server.stop()

    context = profile()  # the same profile: its IndexedDB, service worker and cookies
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(server.url("/logbook"))  # the server is down: the worker's copy
    wait_for_badge(page, 3)
    assert [(entry["id"], entry["text"]) for entry in page.evaluate(QUEUE)] == [(entry["id"], entry["text"]) for entry in queued]

    server.start()
    # "Sync now", through the page's own function: the page may already be replaying by itself (its retry), and an
    # emptied queue hides the button before a click could reach it (seen in CI). A replay while one runs is skipped.
    page.evaluate("() => { giamsatQueue.replay(); }")
    wait_for_badge(page, 0)
    wait_for_empty_queue(page)
    page.reload()  # a later load replays again: nothing is left to send twice
    page.wait_for_selector("#logbook-form")
    applied = journal(server, tag)
    assert sorted(text for _, text, _ in applied) == texts
    assert sorted(command_id for command_id, _, _ in applied) == sorted(entry["id"] for entry in queued)
    assert page.locator("#logbook-entries .entry-text").all_inner_texts().count(texts[0]) == 1
    browsing.assert_clean(OFFLINE_NOISE, SERVER_DOWN_NOISE)


# --- the server killed mid-replay -------------------------------------------------------------------------------------


def test_queue_server_killed_mid_replay_loses_and_duplicates_nothing(own_server: Server, browsing: Browsing) -> None:
    server = own_server
    # No service worker on this device: a worker the browser starts (for any fetch of the page) replays the queue
    # at once, through the network page.route does not see, so the kill below could miss the replay it is about.
    # The replay is the same code in the page (service_worker/queue.js).
    page = browsing.new_page(service_workers="block")
    cdp, _ = add_authenticator(page)
    enroll(page, server.enrollment_link("CB001"))
    page.goto(server.url("/logbook"))
    page.wait_for_selector("#logbook-form")
    cdp.detach()
    tag = uuid.uuid4().hex[:10]
    texts = [f"killed {tag} #{n:03d}" for n in range(300)]
    # Queued through the API (no submit, so nothing starts a replay yet); sent below in batches of 5, so the
    # replay is long enough to be killed in the middle.
    # The worker replays whenever the browser starts it (and the page after its load): wait until none runs, so
    # the replay below is the one that sends the queue.
    page.wait_for_function("async () => !(await giamsatQueue.syncing())", polling=100)
    ids = page.evaluate(ENQUEUE, {"officer": "CB001", "texts": texts})

    killed: list[int] = []

    # The 13th batch (60 entries sent before it) is let through to the server, which is killed at once: the batch
    # is in flight, and the server may or may not have committed it. Waiting for the page's progress message
    # instead was a race a loaded machine could lose (the replay had ended when the kill came).
    batches: list[str] = []

    def kill_during_the_13th_batch(route: Any) -> None:
        batches.append(route.request.url)
        route.continue_()
        if len(batches) == 13:
            killed.append(len(batches))
            os.killpg(server.process.pid, signal.SIGKILL)  # no shutdown: requests in flight die with it
            server.process.wait()

    page.route("**/api/v1/commands", kill_during_the_13th_batch)
    first = page.evaluate(REPLAY_WHEN_FREE, {"batchSize": 5})
    page.unroute("**/api/v1/commands")

    # Killed before it answered ("network") or while it answered (a cut body: "no_answer"); either way it stops.
    assert first["error"] in {"network", "no_answer"} and 60 <= first["done"] < 300, first
    left = page.evaluate(QUEUE)
    assert killed, "the server was never killed: the replay ended before it"
    assert 0 < len(left) < 300
    assert [entry["id"] for entry in left] == ids[300 - len(left):]  # the order is kept: the oldest still first
    # Only the batch it tried was written (one more attempt, the error); the rest of the queue was not touched. (The
    # page's own retry may have tried again meanwhile, against the dead server: "network".)
    tried = [entry for entry in left if entry["attempts"]]
    assert 0 < len(tried) <= 5 and tried == left[: len(tried)]
    assert {entry["error"] for entry in tried} <= {"network", "no_answer"}
    assert all(entry["attempts"] == 0 and entry["error"] is None and not entry["offline"] for entry in left[len(tried):])

    server.start()
    # The page retries by itself (backoff): it may hold the replay already, or this call does it.
    summary = page.evaluate("() => giamsatQueue.replay({batchSize: 5})")
    assert summary.get("skipped") or summary["error"] is None, summary
    wait_for_empty_queue(page)
    assert page.evaluate(QUEUE) == [] and page.evaluate(REJECTED) == []
    applied = journal(server, tag)
    assert sorted(command_id for command_id, _, _ in applied) == sorted(ids)  # all there, each once
    assert sorted(text for _, text, _ in applied) == texts
    # What waited through the failure went as made offline (the batch in flight may have landed before it).
    untried = {entry["id"] for entry in left[len(tried):]}
    assert {offline for command_id, _, offline in applied if command_id in untried} == {1}
    browsing.assert_clean(SERVER_DOWN_NOISE, OFFLINE_NOISE)


# --- a new version waits for the queue -----------------------------------------------------------------------------------

MARKER = "/* giamsat queue test: version 2 */"
UPDATE_STATE = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return {
    waiting: Boolean(registration.waiting),
    controlledByActive: navigator.serviceWorker.controller === registration.active,
    shellCaches: (await caches.keys()).filter((name) => name.startsWith("giamsat-shell-")).length,
  };
}"""
NEW_CSS = "async () => (await (await caches.match('/static/css/app.css')).text()).includes(%r)" % MARKER


@pytest.fixture
def update_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    frontend = copy_frontend(tmp_path_factory.mktemp("frontend-queue") / "frontend")
    instance = make_server(tmp_path_factory, "browser-queue-update", GIAMSAT_DEMO="1", GIAMSAT_FRONTEND_DIR=str(frontend))
    yield instance, frontend
    instance.drop()


def demo_sign_in(page: Any, server: Server, code: str) -> None:
    page.goto(server.url("/signin"))
    page.click(f'.demo-user[data-code="{code}"]')
    page.wait_for_selector(".profile")


def test_queue_new_version_waits_while_the_queue_holds_entries(update_server: tuple[Server, Path], browsing: Browsing) -> None:
    """A deploy found while the device queue is not empty installs and waits, even after the officer accepts it.

    Playwright cannot hold the queue non-empty by cutting the network: offline mode also stops the worker from
    finding the new version, and `page.route` does not see the worker's fetches. Instead the queue holds an
    entry of another officer (GS001, the supervisor, who used this shared device and signed out before it was
    sent): entries go only with their own officer's session, so while CB001 is signed in no replay can drain
    it, whatever starts one. The update waits; then GS001 signs in, the replay on that page load sends the entry,
    the queue is empty, and the consent given earlier (kept on the device) makes the new version take over.
    """
    server, frontend = update_server
    page = browsing.new_page()
    demo_sign_in(page, server, "CB001")
    wait_for_worker(page)
    page.reload()
    wait_for_worker(page)
    page.goto(server.url("/logbook"))
    tag = uuid.uuid4().hex[:10]
    (left_by_supervisor,) = page.evaluate(ENQUEUE, {"officer": "GS001", "texts": [f"supervisor {tag}"]})
    page.evaluate("() => giamsatQueue.replay()")
    assert [entry["officer"] for entry in page.evaluate(QUEUE)] == ["GS001"]  # not CB001's to send
    # A shared phone (issue 12, item 8): CB001's /sync counts GS001's entry but does not show what GS001 wrote.
    page.goto(server.url("/sync"))
    other = page.wait_for_selector("#sync-queued .sync-entry-other")
    assert other.get_attribute("data-officer") == "GS001" and other.text_content().startswith("1 ")
    assert tag not in page.text_content("#sync-queued")
    page.goto(server.url("/logbook"))
    # The page's refresh of the replicated data finishes first: a restart under its fetches would refuse them.
    page.evaluate("() => window.giamsatReplica.refresh()")

    css = frontend / "static" / "css" / "app.css"
    css.write_text(css.read_text() + "\n" + MARKER + "\n")
    server.restart()
    page.evaluate("() => { navigator.serviceWorker.getRegistration().then((registration) => registration.update()); }")
    page.wait_for_selector("#update-banner", state="visible")
    wait_until(page, "async () => Boolean((await navigator.serviceWorker.getRegistration()).waiting)")

    page.click("#update-apply")
    deferred = translate_in("vi", "A new version of giamsat is ready. It will be installed as soon as the queue is sent.")
    page.wait_for_selector("#update-text:has-text('%s')" % deferred)
    page.wait_for_timeout(4_000)  # longer than the page's 3 s fallback that reloads after an accepted update
    assert page.evaluate(UPDATE_STATE) == {"waiting": True, "controlledByActive": True, "shellCaches": 2}
    assert page.url == server.url("/logbook")
    assert journal(server, tag) == []

    page.click("#signout")
    page.wait_for_selector(".demo-user")
    page.click('.demo-user[data-code="GS001"]')
    # GS001's home page sends the entry, the queue is empty, the new version takes over and the page reloads.
    # (wait_for_function outlives that navigation; page.evaluate would not.)
    page.wait_for_function(
        """() => location.pathname === "/" && document.readyState === "complete"
                 && performance.getEntriesByType("navigation")[0].type === "reload" """,
        polling=100,
        timeout=30_000,
    )
    wait_for_worker(page)
    wait_until(page, NEW_CSS)
    wait_until(page, """async () => (await caches.keys()).filter((name) => name.startsWith("giamsat-shell-")).length === 1""")
    assert page.evaluate(UPDATE_STATE) == {"waiting": False, "controlledByActive": True, "shellCaches": 1}
    assert [(cid, text) for cid, text, _ in journal(server, tag)] == [(left_by_supervisor, f"supervisor {tag}")]
    assert page.evaluate(QUEUE) == []
    assert page.evaluate("() => localStorage.getItem('giamsat.update_accepted')") is None
    # The deploy restarts the server under the page: a nonce top-up or data refresh in flight then is refused.
    browsing.assert_clean(SERVER_DOWN_NOISE)


# --- serialize.js in the page ----------------------------------------------------------------------------------------------


def test_queue_payload_from_form_types_fields(queue_server: Server, browsing: Browsing) -> None:
    page = browsing.new_page()
    page.goto(queue_server.url("/offline"))  # any page that loads the modules
    page.wait_for_function("() => Boolean(window.giamsatSerialize)")

    payload = page.evaluate("""() => {
      const form = document.createElement("form");
      form.innerHTML = `
        <input type="hidden" name="_csrf_token" value="t"><input type="hidden" name="command_id" value="c">
        <input type="hidden" name="issued_at" value="i"><input type="hidden" name="device_id" value="d">
        <select name="location_id" data-type="int"><option value="12" selected>A</option></select>
        <input name="count" data-type="int" value="-7"><input name="blank" data-type="int" value="">
        <input name="odd" data-type="int" value="3.5">
        <textarea name="text">  Nguyễn "An"\nline 2 </textarea>
        <input type="hidden" name="photos" data-type="list" value="aa"><input type="hidden" name="photos" data-type="list" value="bb">
        <input type="checkbox" name="tags" data-type="list" value="x" checked><input type="checkbox" name="tags" data-type="list" value="y">
        <input type="checkbox" name="none" data-type="list" value="z">
        <input type="checkbox" name="flag" value="on"><input name="off" value="v" disabled>
        <button name="go" value="1">Go</button>`;
      return giamsatSerialize.payloadFromForm(form);
    }""")

    assert payload == {
        "location_id": 12,
        "count": -7,
        "blank": None,
        "odd": "3.5",
        "text": '  Nguyễn "An"\nline 2 ',
        "photos": ["aa", "bb"],
        "tags": ["x"],
        "none": [],
    }
    browsing.assert_clean()
