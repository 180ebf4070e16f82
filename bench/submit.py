"""Benchmark: what one submit costs with a long device queue (issue 12, item 5).

    .venv/bin/python -m bench.submit                                       # SQLite; 0, 1,000 and 5,000 queued; 20 submits each
    .venv/bin/python -m bench.submit --queued 0,5000 --submits 10 --conditions offline,unreachable
    .venv/bin/python -m bench.submit --repo /tmp/giamsat-before            # another checkout's pages and server
    .venv/bin/python -m bench.sync --submit ...                            # the same, from bench/sync.py

The real path, as bench/sync.py sets it up: a fresh `giamsat serve` per database (demo data, demo sign-in on
localhost), Debian's Chromium driven by Playwright (tests/browser/conftest.py's binary and flags), officer CB001
signed in on /logbook, and the device's own code (service_worker/store.js, queue.js, queue-client.js as the pages
load them) holding the queue in IndexedDB.

For each queued size and each condition, a fresh browser context (a fresh device: its own IndexedDB and service
worker) fills the device queue with that many `logbook.add_entry` entries (the records `giamsatQueue.enqueue`
writes; see FILL_QUEUE), then
the officer submits the logbook form --submits times (type the text, click "Add to the logbook"), --pause seconds
apart (the officer types between two). The clock runs from the click until the page says the outcome:

| condition     | the device                                                        | queued entries | outcome timed                          |
|---------------|-------------------------------------------------------------------|----------------|----------------------------------------|
| `offline`     | no network (`navigator.onLine` false)                             | the officer's  | the form's note says "Queued"          |
| `unreachable` | believes it is online, the server cannot be reached (Wi-Fi without uplink): the server process is stopped (`--unreachable stop`, default: the page and the service worker both fail), or requests are aborted with the service worker blocked (`--unreachable block`; `page.route` does not see a worker's requests) | the officer's | the form's note says "Queued" (the replay failed) |
| `online`      | online, server up                                                 | another officer's (GS001, a shared phone): the submit's replay must not send them | the page reloads after "applied" and the reloaded page shows "Saved." |

The entries are filled with the network cut (so no trigger replays the officer's own); the page then settles
for --settle seconds before the first submit. Afterwards, for every case, the device queue must still hold
exactly the pre-filled entries (nothing lost, nothing sent), the submits made offline or unreachable must be
queued and absent from the journal, and every online submit must be in the journal once (and its logbook entry);
otherwise the run fails (exit status 1).

Reported per (database, queued, condition): median, p95 (nearest rank), min and max of the submits.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server, free_port  # noqa: E402
from tests.conftest import _pg_admin, _with_database, run_async  # noqa: E402

CONDITIONS = ("offline", "unreachable", "online")
SUBMIT = '#logbook-form button[type="submit"]'

# Filled in the page with the records `giamsatQueue.enqueue` writes (bench/sync.py's FILL_QUEUE calls enqueue), but
# through `giamsatStore.addToQueue`, which does not broadcast: enqueue's "queued" message makes the logbook page
# redraw its list of queued entries (device-queue-list.js reads the whole queue, every 400 ms while messages
# arrive), which turned filling 5,000 entries into 6 minutes. One message at the end has the page draw the
# queue once, as it would after the last enqueue.
FILL_QUEUE = """async ({count, officer, locationId, prefix}) => {
  const store = self.giamsatStore;
  for (let i = 0; i < count; i++) {
    const envelope = {
      id: crypto.randomUUID(), type: "logbook.add_entry", issued_at: new Date().toISOString(),
      device_id: "bench-device", offline: true,
      payload: {location_id: locationId, text: prefix + i, photos: []},
    };
    await store.addToQueue({officer_code: officer, envelope, files: [], queued_at: new Date().toISOString(),
                            attempts: 0, last_error: null, state: "queued"});
  }
  new BroadcastChannel(self.giamsatQueue.CHANNEL).postMessage({kind: "queued", id: "bench-fill"});
  return (await store.count("queue"));
}"""

# What the device holds afterwards (read once, not timed).
QUEUE_STATE = """async ({prefill, submitted}) => {
  const entries = await self.giamsatStore.queueEntries();
  const count = (prefix) => entries.filter((e) => String(e.envelope.payload.text || "").startsWith(prefix)).length;
  return {total: entries.length, prefill: count(prefill), submitted: count(submitted),
          rejected: (await self.giamsatStore.all("rejected")).length};
}"""

# Before a click: the note is emptied (so the previous "Queued" is not taken for this one) and the page marked
# (a reloaded page has no mark).
PREPARE = """() => {
  const form = document.getElementById("logbook-form");
  const note = form.parentNode.querySelector(".message-note");
  if (note) { note.textContent = ""; note.hidden = true; }
  window.__benchSubmit = true;
}"""

# The outcome the page says: "queued" (this page, the note), "applied" (a reloaded page with the flash note),
# "error" (the form's error box); null while waiting.
OUTCOME = """({queued, saved}) => {
  const form = document.getElementById("logbook-form");
  if (!form) return null;
  const note = form.parentNode.querySelector(".message-note");
  const error = form.parentNode.querySelector(".message-error");
  if (error && !error.hidden && error.textContent) return "error: " + error.textContent;
  if (!note || note.hidden) return null;
  if (window.__benchSubmit && note.textContent === queued) return "queued";
  if (!window.__benchSubmit && note.textContent === saved) return "applied";
  return null;
}"""


@dataclass
class RepoServer(Server):
    """tests/browser/conftest.py's Server, run from another checkout (its backend, pages and service worker)."""

    repo: Path = REPO
    log_file: Any = field(default=None, repr=False)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PICCOLO_CONF": "backend.piccolo_conf", **self.env}
        result = subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=self.repo, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise AssertionError(f"giamsat {' '.join(args)} failed in {self.repo}:\n{result.stdout}\n{result.stderr}")
        return result

    def prepare(self) -> None:
        self.cli("db", "upgrade")
        self.cli("demo")

    def start(self) -> None:
        import urllib.request

        log = open(self.data_dir / "server.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port), "--log-level", "warning"],
            cwd=self.repo,  # `python -m` puts the cwd first on sys.path: this checkout's backend, frontend, worker
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


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def run_case(browser: Any, server: RepoServer, queued: int, condition: str, args: argparse.Namespace) -> dict[str, Any]:
    """One fresh device: fill its queue, time the submits, check what it and the server hold."""
    block = condition == "unreachable" and args.unreachable == "block"
    context = browser.new_context(service_workers="block" if block else "allow")
    tag = uuid.uuid4().hex[:8]
    prefill, submitted = f"prefill {tag} ", f"submit {tag} "
    stopped = False
    try:
        page = context.new_page()
        page.goto(server.url("/signin"))
        page.click('.demo-user[data-code="CB001"]')
        page.wait_for_selector(".profile")
        page.goto(server.url("/logbook"))
        page.wait_for_function("() => self.giamsatQueue && self.giamsatStore")
        if not block:
            page.wait_for_function("async () => Boolean(await navigator.serviceWorker.ready)")
        location_id = int(page.eval_on_selector("#location_id", "(select) => select.value"))
        words = page.eval_on_selector("#queue-strings", "(element) => ({queued: element.dataset.queued, saved: element.dataset.saved})")

        context.set_offline(True)
        owner = "GS001" if condition == "online" else "CB001"
        filled_at = time.perf_counter()
        held = page.evaluate(FILL_QUEUE, {"count": queued, "officer": owner, "locationId": location_id, "prefix": prefill})
        fill_seconds = time.perf_counter() - filled_at
        assert held == queued, (held, queued)
        if condition == "unreachable":
            if block:
                context.route("**/*", lambda route: route.abort("connectionrefused"))
            else:
                server.stop()
                stopped = True
        if condition != "offline":
            context.set_offline(False)  # the browser fires `online`: the page replays (and fails, unreachable)
        time.sleep(args.settle)
        if args.drop_queue_list:  # diagnosis: the page without its list of queued entries (device-queue-list.js)
            page.evaluate("() => document.getElementById('logbook-queued').remove()")

        expected = "applied" if condition == "online" else "queued"
        seconds: list[float] = []
        outcomes: list[str] = []
        for i in range(args.submits):
            page.fill("#text", f"{submitted}{i}")
            page.evaluate(PREPARE)
            started = time.perf_counter()
            page.click(SUBMIT)
            handle = page.wait_for_function(OUTCOME, arg=words, timeout=args.timeout * 1000)
            seconds.append(time.perf_counter() - started)
            outcomes.append(handle.json_value())
            if outcomes[-1] == "queued":
                page.wait_for_function("() => !document.getElementById('logbook-form').dataset.queueBusy")
            time.sleep(args.pause)

        state = page.evaluate(QUEUE_STATE, {"prefill": prefill, "submitted": submitted})
        page.close()
    finally:
        context.close()
        if stopped:
            server.start()

    rows = server.query("SELECT text, count(*) FROM logbook_entry WHERE text LIKE ? GROUP BY text", f"% {tag} %")
    journal = server.query(
        "SELECT count(*), count(DISTINCT j.command_id) FROM journal_entry j JOIN logbook_entry l ON l.command_id = j.command_id"
        " WHERE l.text LIKE ?",
        f"{submitted}%",
    )[0]
    sent_prefill = sum(n for text, n in rows if text.startswith(prefill))
    sent_submits = {text: n for text, n in rows if text.startswith(submitted)}
    problems = []
    if any(outcome != expected for outcome in outcomes):
        problems.append(f"outcomes {sorted(set(outcomes))}, expected {expected}")
    if state["prefill"] != queued or sent_prefill:
        problems.append(f"pre-filled: {state['prefill']} of {queued} still queued, {sent_prefill} sent")
    if state["rejected"]:
        problems.append(f"{state['rejected']} rejected")
    if condition == "online":
        if state["submitted"] or len(sent_submits) != args.submits or any(n != 1 for n in sent_submits.values()) or journal != (args.submits, args.submits):
            problems.append(f"online submits: {state['submitted']} still queued, {len(sent_submits)} in the logbook, journal {journal}")
    elif state["submitted"] != args.submits or sent_submits:
        problems.append(f"submits: {state['submitted']} of {args.submits} queued, {len(sent_submits)} sent")
    return {
        "queued": queued,
        "condition": condition,
        "seconds": seconds,
        "fill_seconds": fill_seconds,
        "state": state,
        "applied": len(sent_submits) if condition == "online" else 0,
        "problems": problems,
    }


def run_database(database: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    data_dir = Path(tempfile.mkdtemp(prefix=f"giamsat-bench-submit-{database}-"))
    port = free_port()
    env: dict[str, str] = {"GIAMSAT_DEMO": "1"}
    server = RepoServer(data_dir=data_dir, port=port, extra_env=env, repo=Path(args.repo).resolve())
    if database == "postgresql":
        name = f"giamsat_bench_submit_{os.getpid()}"
        run_async(_pg_admin(args.postgres_url, f'CREATE DATABASE "{name}"'))
        env["DATABASE_URL"] = _with_database(args.postgres_url, name)
        server.postgres = (args.postgres_url, name)
    results = []
    try:
        server.prepare()
        server.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for queued in args.queued:
                    for condition in args.conditions:
                        result = run_case(browser, server, queued, condition, args)
                        result["database"] = database
                        results.append(result)
                        print_row(result, flush=True)
            finally:
                browser.close()
    finally:
        server.drop()
    return results


HEADER = (
    f"| {'database':<10} | {'queued':>6} | {'condition':<11} | {'median':>7} | {'p95':>7} | {'min':>7} | {'max':>7} | "
    f"{'fill':>6} | checks\n|{'-' * 12}|{'-' * 7}:|{'-' * 13}|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 8}:|{'-' * 7}:|--------|"
)


def print_row(result: dict[str, Any], flush: bool = False) -> None:
    seconds = result["seconds"]
    state = result["state"]
    checks = "ok" if not result["problems"] else "FAILED: " + "; ".join(result["problems"])
    if not result["problems"]:
        kept = f"{state['prefill']:,} kept"
        checks = f"ok ({kept}, {result['applied']} applied once)" if result["condition"] == "online" else f"ok ({kept}, {state['submitted']} queued)"
    print(
        f"| {result['database']:<10} | {result['queued']:>6,} | {result['condition']:<11} | {statistics.median(seconds):>6.3f}s | "
        f"{nearest_rank(seconds, 0.95):>6.3f}s | {min(seconds):>6.3f}s | {max(seconds):>6.3f}s | {result['fill_seconds']:>5.1f}s | {checks}",
        flush=flush,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite", help="sqlite, postgresql or both (comma-separated)")
    parser.add_argument("--queued", default="0,1000,5000", help="queue sizes, comma-separated")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="offline, unreachable, online")
    parser.add_argument("--submits", type=int, default=20, help="timed submits per queue size and condition")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between two submits (the officer types)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds after filling the queue before the first submit")
    parser.add_argument("--unreachable", choices=("stop", "block"), default="stop",
                        help="stop: the server is stopped; block: requests aborted, service worker blocked")
    parser.add_argument("--drop-queue-list", action="store_true",
                        help="diagnosis: remove the logbook's list of queued entries from the page before the submits")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a submit may take before the run fails")
    parser.add_argument("--repo", default=str(REPO), help="the checkout whose server, pages and worker are measured")
    parser.add_argument("--postgres-url", default=os.environ.get("GIAMSAT_TEST_POSTGRES_URL", "postgresql://postgres@localhost:5432/postgres"))
    args = parser.parse_args(argv)
    args.queued = [int(n) for n in args.queued.split(",") if n.strip()]
    args.conditions = [name.strip() for name in args.conditions.split(",") if name.strip()]
    unknown = set(args.conditions) - set(CONDITIONS)
    if unknown:
        parser.error(f"unknown conditions: {', '.join(sorted(unknown))}")

    repo = Path(args.repo).resolve()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    print(
        f"{repo} at {commit or '?'}; {args.submits} submits per case, {args.pause:g} s apart; unreachable: {args.unreachable}; "
        + ("queue list removed; " if args.drop_queue_list else "")
        + f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs",
        flush=True,
    )
    print(HEADER, flush=True)
    failed = False
    for database in [name.strip() for name in args.databases.split(",") if name.strip()]:
        for result in run_database(database, args):
            failed |= bool(result["problems"])
    print(f"load {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
