"""Transit under customs supervision in real Chromium against the real server (issue 14, "Tests"; Decision 1966/QĐ-TCHQ
Arts 41-42; backend/transit/pages.py, frontend/templates/transit/), with the outbox delivering to `giamsat upstream-sim`
in its own process, on SQLite and PostgreSQL:

- the two-branch flow on a yellow-lane transit declaration of the demo data (departure HP-KV3, destination LS-HN):
  the head GS001 assigns it (CES, signed with the passkey) on a phone-sized screen with instructions (41.1.b.1); the
  officer CB001 approves it (CET A, signed; 41.1.b.2.3), seals it on the sealing page (41.1.c: the seal recorded
  OFFLINE through the device queue and synced, the handover record made and signed, "confirm sealed" signed),
  registers departure (BOA, signed; 41.1.4.a); the destination's officer CB101, on another device, opens it by its
  number, reads the departure side's notes first (41.2.a.3), checks the notice and the seal against what the
  departure branch recorded (41.2.a.1-2) and confirms arrival (BIA, signed; 41.2.b.1.2). The
  timeline names each state, who, and which clause;
- meanwhile the simulator of the national system is down twice (its "down" mode during CES, its process stopped
  during BOA): each message waits and leaves once it is back; at the end the simulator holds CES, CET, the handover
  record, the sealing confirmation, BOA and BIA of the declaration, each received once, in that order, and each
  branch's /outbox page lists its messages delivered with the simulator's reference;
- a combined transit declaration (Art 42) passes the gate (Art 35.2) and its transit page offers no BOA and no BIA,
  saying that Art 42.2 applies;
- permissions as the browser sees them: an officer gets no assignment form (only the head assigns, 41.1.b.1); the
  destination gets 404 for a lot that has not departed (41.2: the destination sees what is addressed to it).

Forms are found by their data-command (and fields by name), so that their wording and layout may change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.browser.conftest import (
    ARTIFACTS,
    DATABASES,
    OFFLINE_NOISE,
    Browsing,
    Server,
    eventually,
    free_port,
    goto,
    make_server,
    reloaded,
    sign_in,
    wait_until,
)
from tests.conftest import REPO

pytestmark = pytest.mark.browser

# The demo's transit declarations (backend/declarations/demo.py) are taken to later states by the demo's loader
# (backend/transit/demo.py), which leaves several of each lane untouched: each test picks what it needs by its facts.
YELLOW_FOR_LS_HN = """
    SELECT c.number FROM transit_case c JOIN declaration d ON d.id = c.declaration
    WHERE c.state = 'yellow' AND c.kind = 'independent_transit' AND c.destination_code = 'LS-HN' AND c.exit_mode = ''
      AND c.transit_hours > 0 AND d.allows_passage AND d.cargo_type = 'containers'
      AND (SELECT count(*) FROM declaration_container k WHERE k.declaration = d.id) = 1
    ORDER BY c.number
"""
# A combined transit declaration (Art 42) as the gate sees it: cleared, sealed upstream, containers, no warning.
COMBINED_AT_GATE = """
    SELECT c.number FROM transit_case c JOIN declaration d ON d.id = c.declaration
    WHERE c.state = 'gate_supervision' AND c.kind = 'combined_transit' AND d.allows_passage AND d.sealed
      AND d.cargo_type = 'containers' AND NOT EXISTS (SELECT 1 FROM declaration_warning w WHERE w.declaration = d.id)
    ORDER BY c.number
"""
# The commands that move a case (its state machine's steps; the seals domain's sealing step is a link).
ARRIVAL_STEPS = {"transit.confirm_exit_area", "transit.confirm_arrival", "transit.record_violation"}
STATE_STEPS = {"transit.assign", "transit.decide", "transit.propose", "transit.decide_amendment", "transit.register_departure",
               "transit.record_penalty", *ARRIVAL_STEPS}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
SEAL = "HQ-HP-0014001"
INSTRUCTIONS = "Kiểm tra kỹ giấy phép vận chuyển và số container"
# Console errors the test provokes: the network cut (OFFLINE_NOISE).


# --- the simulator of the national system, as a process ----------------------------------------------------------


class Simulator:
    """`giamsat upstream-sim` on a port, keeping what it received in a JSON file, so that it can be stopped and
    started again (an outage of the national system) without forgetting what it accepted."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.store = directory / "upstream-sim.json"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "upstream-sim", "--port", str(self.port), "--store", str(self.store)],
            cwd=REPO, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"giamsat upstream-sim exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("giamsat upstream-sim did not answer /health within 30 s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def mode(self, mode: str) -> None:
        assert self._call("POST", "/control", {"mode": mode})["mode"] == mode

    def received(self) -> dict[str, Any]:
        return self._call("GET", "/messages")


@pytest.fixture(params=DATABASES, scope="module")
def transit_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Simulator]]:
    # Its own server: sign-in is rate limited per server process, the flow changes the demo's cases, and the outbox
    # delivers to this module's simulator (a pass every 0.2 s).
    simulator = Simulator(tmp_path_factory.mktemp(f"upstream-sim-{request.param}"))
    simulator.start()
    try:
        server = make_server(
            tmp_path_factory, f"transit-{request.param}", database=request.param,
            GIAMSAT_UPSTREAM_URL=simulator.url, GIAMSAT_OUTBOX_INTERVAL_SECONDS="0.2",
        )
    except BaseException:
        simulator.stop()
        raise
    server.database = request.param  # type: ignore[attr-defined]
    yield server, simulator
    server.drop()
    simulator.stop()


# --- helpers -------------------------------------------------------------------------------------------------------


def case_state(server: Server, number: str) -> str:
    [(state,)] = server.query("SELECT state FROM transit_case WHERE number = ?", number)
    return state


def wait_state(server: Server, number: str, state: str) -> None:
    eventually(lambda: case_state(server, number) == state, f"{number} reaches {state}")


def messages(server: Server, number: str) -> list[tuple[str, str, int, str]]:
    """(kind, state, attempts, upstream reference) of the declaration's outbox messages, in their order."""
    return server.query(
        "SELECT kind, state, attempts, upstream_reference FROM outbox_message WHERE declaration_number = ? ORDER BY id", number
    )


def submit_step(page: Any, command: str) -> None:
    """Send the case page's form of `command` (each step's form names its command: data-command)."""
    page.click(f'main form[data-command="{command}"] button[type="submit"]')


def steps_offered(page: Any) -> list[str]:
    """The commands of the forms the page offers, in order."""
    return page.eval_on_selector_all("main form[data-command]", "forms => forms.map((form) => form.dataset.command)")


def open_case(page: Any, server: Server, number: str, state: str) -> None:
    goto(page, server.url(f"/transit/{number}"))
    page.wait_for_selector(f'#transit-case[data-state="{state}"]')


def timeline(page: Any) -> list[tuple[str, str, str, str]]:
    """(from, to, clause, who) of each row of the case page's timeline, oldest first."""
    return [
        (row["from"], row["to"], row["clause"], row["who"])
        for row in page.eval_on_selector_all(
            "#transit-timeline li.transit-event",
            """rows => rows.map((row) => ({from: row.dataset.from, to: row.dataset.to, clause: row.dataset.clause,
                                          who: row.querySelector('.transit-event-who').textContent.trim()}))""",
        )
    ]


# --- 4: permissions as the browser sees them --------------------------------------------------------------------------


def test_transit_an_officer_gets_no_assignment_form_and_the_destination_no_lot_before_departure(
    transit_world: tuple[Server, Simulator], browsing: Browsing
) -> None:
    server, _ = transit_world
    number = server.query(YELLOW_FOR_LS_HN)[-1][0]  # the flow test takes the first one

    # An officer of the departure branch opens a yellow-lane case: assigning is the head's (Art 41.1.b.1).
    officer = browsing.new_page()
    sign_in(officer, server, "CB001")
    officer.goto(server.url("/transit"))
    assert officer.query_selector("#transit-to-assign") is None
    open_case(officer, server, number, "yellow")
    assert not set(steps_offered(officer)) & STATE_STEPS
    assert officer.query_selector('[data-command="transit.assign"]') is None

    # The destination branch before departure: no such transit declaration for it (it sees what is addressed to it,
    # once the goods left: Art 41.2), neither on the page nor in its lists.
    destination = browsing.new_page()
    sign_in(destination, server, "CB101")
    response = destination.goto(server.url(f"/transit/{number}"))
    assert response is not None and response.status == 404
    assert destination.query_selector("#transit-case") is None
    destination.goto(server.url("/transit"))
    destination.wait_for_selector("#transit-to-confirm-arriving")
    assert destination.query_selector(f'[data-number="{number}"]') is None
    assert case_state(server, number) == "yellow"  # nothing changed
    browsing.assert_clean(r"404")


# --- 3: combined transit at the gate ---------------------------------------------------------------------------------


def test_transit_combined_declaration_passes_the_gate_with_no_boa_or_bia(transit_world: tuple[Server, Simulator], browsing: Browsing) -> None:
    server, simulator = transit_world
    number = server.query(COMBINED_AT_GATE)[0][0]
    [(container,)] = server.query(
        "SELECT k.number FROM declaration_container k JOIN declaration d ON d.id = k.declaration WHERE d.number = ? ORDER BY k.position LIMIT 1",
        number,
    )
    page = browsing.new_page()
    sign_in(page, server, "CB001")

    # At the port's gate (Art 35.2, as Art 42.2 sends combined transit to the gates by mode of transport).
    page.goto(server.url("/gate"))
    page.wait_for_selector("#gate-code:focus")
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'#gate-result [data-number="{number}"] #gate-verdict[data-eligible="true"]')
    page.click(f'tr[data-container="{container}"] .confirm-form button[type="submit"]')
    page.wait_for_selector(f'tr[data-container="{container}"][data-state="passed"]', timeout=30_000)
    eventually(lambda: server.query(
        "SELECT p.unit FROM gate_passage p JOIN declaration d ON d.id = p.declaration WHERE d.number = ? AND p.standing_key IS NOT NULL", number
    ) == [(container,)], "the passage confirmed")

    # Its transit page: supervised at the gates, no BOA and no BIA, and it says which article applies.
    open_case(page, server, number, "gate_supervision")
    assert not set(steps_offered(page)) & STATE_STEPS
    assert page.query_selector(", ".join(f'[data-command="{c}"]' for c in ARRIVAL_STEPS | {"transit.register_departure"})) is None
    assert "Vận chuyển kết hợp (Điều 42)" in page.inner_text("#transit-facts")
    assert "Điều 42.2" in page.inner_text("#transit-case .hint")
    assert page.query_selector("#transit-hours") is None
    assert [(f, t, c) for f, t, c, _ in timeline(page)] == [("", "registered", "42.1"), ("registered", "gate_supervision", "42.2")]

    # The national system hears of the passage, and of nothing else for this declaration.
    eventually(lambda: [(k, s) for k, s, _, _ in messages(server, number)] == [("gate.passage_confirmed", "delivered")], "the passage delivered")
    assert [m["kind"] for m in simulator.received()["messages"] if m["declaration"] == number] == ["gate.passage_confirmed"]
    browsing.assert_clean()


# --- 1 and 2: the two-branch flow, and the outbox through two outages ----------------------------------------------


def test_transit_two_branch_flow_signed_with_one_step_offline_and_delivered_once_after_outages(
    transit_world: tuple[Server, Simulator], browsing: Browsing
) -> None:
    server, simulator = transit_world
    number = server.query(YELLOW_FOR_LS_HN)[0][0]  # upstream's lane 2 or 3 (Art 41.1.a.2)

    # --- the head assigns on a phone (CES, signed), while the national system is down ----------------------------
    simulator.mode("down")
    head = browsing.new_page(**PHONE)
    sign_in(head, server, "GS001")
    head.goto(server.url("/transit"))
    head.click(f'#transit-to-assign [data-number="{number}"] a.button')
    head.wait_for_selector(f'#transit-case[data-number="{number}"][data-state="yellow"]')
    assert set(steps_offered(head)) & STATE_STEPS == {"transit.assign"}
    head.select_option('form[data-command="transit.assign"] select[name="officer_code"]', "CB001")
    head.fill('form[data-command="transit.assign"] textarea[name="instructions"]', INSTRUCTIONS)
    submit_step(head, "transit.assign")
    wait_state(server, number, "assigned")
    reloaded(head, '#transit-case[data-state="assigned"]', server.url(f"/transit/{number}"))
    # Laid out for the phone: nothing wider than the screen.
    assert head.evaluate("() => document.documentElement.scrollWidth") <= 390
    [(signature, offline)] = server.query(
        "SELECT signature, offline FROM journal_entry WHERE command_type = 'transit.assign' AND payload LIKE ?", f"%{number}%"
    )
    assert json.loads(signature)["credential"]["id"] and not offline
    # The CES waits while the national system answers 503, and leaves once it is back.
    eventually(lambda: [(k, s) for k, s, a, _ in messages(server, number) if a >= 1] == [("transit.CES", "waiting")], "CES tried and waiting")
    assert [m for m in simulator.received()["messages"] if m["declaration"] == number] == []
    # The head's /outbox says it waits, with its tries, while the system is down (nothing to retype afterwards).
    [(ces_id,)] = server.query("SELECT message_id FROM outbox_message WHERE declaration_number = ? AND kind = 'transit.CES'", number)
    goto(head, server.url("/outbox"))
    waiting = head.locator(f'#outbox-waiting li.outbox-message[data-message-id="{ces_id}"]')
    assert waiting.count() == 1 and number in waiting.inner_text()
    simulator.mode("accept")
    eventually(lambda: [(k, s) for k, s, _, _ in messages(server, number)] == [("transit.CES", "delivered")], "CES delivered")

    # --- the officer approves (CET A, signed) -----------------------------------------------------------------------
    officer = browsing.new_page()
    sign_in(officer, server, "CB001")
    officer.goto(server.url("/transit"))
    officer.wait_for_selector(f'#transit-assigned-to-me [data-number="{number}"]')
    open_case(officer, server, number, "assigned")
    assert set(steps_offered(officer)) & STATE_STEPS == {"transit.decide"}
    assert officer.is_checked('form[data-command="transit.decide"] input[name="code"][value="A"]')
    submit_step(officer, "transit.decide")
    wait_state(server, number, "approved")

    # --- sealing (41.1.c): the seal recorded offline, then the record and "confirm sealed" ---------------------------
    reloaded(officer, '#transit-case[data-state="approved"]', server.url(f"/transit/{number}"))
    officer.click("#transit-seal-link")
    [(container,)] = server.query(
        "SELECT c.number FROM declaration_container c JOIN declaration d ON d.id = c.declaration WHERE d.number = ?", number
    )
    officer.wait_for_selector(f'tr[data-container="{container}"]')
    wait_until(officer, "async () => { await giamsatReplica.refresh({force: true}); return Boolean(await giamsatStore.get('replica', 'locations')); }", timeout=30)
    officer.context.set_offline(True)
    officer.fill(f"#seal-{container}", SEAL)
    officer.click(f'#seal-{container}-form button[type="submit"]')
    officer.wait_for_selector(f'tr[data-container="{container}"][data-queued="{SEAL}"]', timeout=30_000)
    officer.wait_for_selector("#queue-count:not([hidden])")
    assert officer.inner_text("#queue-count").strip() == "1"
    queued = officer.evaluate("async () => (await giamsatStore.queueEntries()).map((e) => e.envelope)")
    assert [(e["type"], e["payload"]["seal_number"], e["offline"]) for e in queued] == [("seals.record_seal", SEAL, True)]
    officer.context.set_offline(False)  # the page replays on `online` by itself
    eventually(lambda: server.query("SELECT unit, seal_number FROM seals_seal s JOIN declaration d ON d.id = s.declaration WHERE d.number = ?", number)
               == [(container, SEAL)], "the offline seal synced")
    [(offline,)] = server.query("SELECT offline FROM journal_entry WHERE command_type = 'seals.record_seal' AND payload LIKE ?", f"%{number}%")
    assert offline

    goto(officer, server.url(f"/seals?number={number}"))
    officer.click("#seals-new-record summary")
    officer.select_option("#record-to-branch", "LS-HN")
    assert officer.input_value(f'[data-container-seal="{container}"]') == SEAL
    officer.fill("#record-representative", "Đỗ Văn Sáu")
    officer.click('#record-form button[type="submit"]')
    [(record_id,)] = eventually(lambda: server.query(
        "SELECT r.id FROM seals_record r JOIN declaration d ON d.id = r.declaration WHERE d.number = ?", number), "the record made")
    reloaded(officer, f"#sign-{record_id}-form", server.url(f"/seals?number={number}"))
    officer.click(f'#sign-{record_id}-form button[type="submit"]')
    eventually(lambda: server.query("SELECT state FROM seals_record WHERE id = ?", record_id) == [("signed",)], "the record signed")
    reloaded(officer, f'#seals-records article[data-record-id="{record_id}"][data-state="signed"]', server.url(f"/seals?number={number}"))
    officer.click('#confirm-sealed-form button[type="submit"]')
    wait_state(server, number, "sealed")

    # --- departure (BOA, signed), while the simulator's process is stopped -------------------------------------------
    eventually(lambda: all(s == "delivered" for _, s, _, _ in messages(server, number)), "everything before BOA delivered")
    simulator.stop()
    open_case(officer, server, number, "sealed")
    assert set(steps_offered(officer)) & STATE_STEPS == {"transit.register_departure"}
    submit_step(officer, "transit.register_departure")
    wait_state(server, number, "departed")
    eventually(lambda: [(k, s) for k, s, a, _ in messages(server, number) if a >= 1 and s != "delivered"] == [("transit.BOA", "waiting")],
               "BOA tried and waiting")
    simulator.start()
    eventually(lambda: all(s == "delivered" for _, s, _, _ in messages(server, number)), "BOA delivered after the restart")

    # --- the destination confirms arrival (BIA, signed), on its own device --------------------------------------------
    destination = browsing.new_page()
    sign_in(destination, server, "CB101")
    destination.goto(server.url("/transit"))
    destination.wait_for_selector(f'#transit-to-confirm-arriving [data-number="{number}"]')
    destination.fill("#transit-number", number)
    destination.press("#transit-number", "Enter")
    destination.wait_for_selector(f'#transit-case[data-number="{number}"][data-state="departed"]')
    # 41.2.a.3: the departure side's notes come first, the head's instructions among them.
    first = destination.eval_on_selector("main section.card", "section => section.id")
    assert first == "transit-risk"
    assert INSTRUCTIONS in destination.inner_text('#transit-risk [data-source="instructions"]')
    # 41.2.a.1-2: the check on arrival against what the departure branch recorded — the notice, the seal — before BIA.
    check = 'main form[data-command="transit.record_arrival_check"]'
    assert destination.get_attribute(f'#transit-arrival tr.transit-unit[data-unit="{container}"]', "data-seal") == SEAL
    destination.fill(f'{check} input[name="notice"]', number)  # the notice's number, typed
    destination.select_option(f'{check} select[data-unit="{container}"]', f"{container}|{SEAL}|intact")
    destination.click(f'{check} button[type="submit"]')
    eventually(lambda: server.query("SELECT arrival_check FROM transit_case WHERE number = ?", number) == [("passed",)], "the arrival check made")
    reloaded(destination, '#transit-arrival-result[data-passed="yes"]', server.url(f"/transit/{number}"))
    assert destination.get_attribute(f'#transit-arrival tr.transit-unit[data-unit="{container}"]', "data-finding") == "intact"
    assert "transit.record_arrival_check" not in steps_offered(destination)
    assert "transit.confirm_arrival" in steps_offered(destination)
    submit_step(destination, "transit.confirm_arrival")
    wait_state(server, number, "arrived")

    # --- the timeline: each state, who, which clause ------------------------------------------------------------------
    reloaded(destination, '#transit-case[data-state="arrived"]', server.url(f"/transit/{number}"))
    events = timeline(destination)
    rows = [row for row in events if row[0] != row[1]]  # the state changes (notes aside)
    notes = [row for row in events if row[0] == row[1]]
    assert any(to == "departed" and clause.startswith("41.2.a") and "(CB101)" in by for _, to, clause, by in notes), notes  # the check
    assert [(f, t, c) for f, t, c, _ in rows] == [
        ("", "registered", "41.1.a.1"),
        ("registered", "yellow", "41.1.a.2"),
        ("yellow", "assigned", "41.1.b.1"),
        ("assigned", "approved", "41.1.b.2.3"),
        ("approved", "sealed", "41.1.c.1"),
        ("sealed", "departed", "41.1.4.a"),
        ("departed", "arrived", "41.2.b.1.2"),
    ]
    who = [w for _, _, _, w in rows]
    assert "(GS001)" in who[2] and "(CB001)" in who[3] and "(CB001)" in who[4] and "(CB001)" in who[5] and "(CB101)" in who[6]
    assert all("Quyết định 1966, Điều " in w for w in who)  # in the officer's language, with the clause
    signed = server.query(
        "SELECT command_type, signature FROM journal_entry WHERE command_type IN"
        " ('transit.assign', 'transit.decide', 'transit.register_departure', 'transit.confirm_arrival') AND payload LIKE ? ORDER BY id",
        f"%{number}%",
    )
    assert [t for t, _ in signed] == ["transit.assign", "transit.decide", "transit.register_departure", "transit.confirm_arrival"]
    assert all(json.loads(s)["credential"]["id"] for _, s in signed)

    # --- the outbox: each message once, in order, at the simulator and on each branch's page -------------------------
    eventually(lambda: len(messages(server, number)) == 6 and all(s == "delivered" for _, s, _, _ in messages(server, number)), "BIA delivered")
    kinds = ["transit.CES", "transit.CET", "seals.handover_record", "seals.sealed_confirmed", "transit.BOA", "transit.BIA"]
    ours = messages(server, number)
    assert [k for k, _, _, _ in ours] == kinds
    received = simulator.received()
    stored = [m for m in received["messages"] if m["declaration"] == number]
    assert [m["kind"] for m in stored] == kinds
    ids = [m["message_id"] for m in stored]
    assert [received["receipts"].count(i) for i in ids] == [1] * len(kinds)  # each received once, none resent
    assert [m["reference"] for m in stored] == [r for _, _, _, r in ours]
    assert stored[0]["payload"] == {"state": "assigned", "officer_code": "CB001", "instructions": INSTRUCTIONS}
    assert stored[1]["payload"]["code"] == "A"
    assert [m["officer"] for m in stored] == ["GS001", "CB001", "CB001", "CB001", "CB001", "CB101"]

    goto(officer, server.url("/outbox"))
    delivered = officer.eval_on_selector_all(
        "#outbox-delivered li.outbox-message[data-state=delivered]", "items => items.map((item) => item.dataset.messageId)"
    )
    assert set(ids[:5]) <= set(delivered)
    assert officer.is_visible("#no-waiting") and officer.is_visible("#no-refused")
    goto(destination, server.url("/outbox"))
    assert ids[5] in destination.eval_on_selector_all(
        "#outbox-delivered li.outbox-message[data-state=delivered]", "items => items.map((item) => item.dataset.messageId)"
    )
    assert stored[5]["reference"] in destination.inner_text("#outbox-delivered")
    ARTIFACTS.mkdir(exist_ok=True)
    goto(head, server.url(f"/transit/{number}"))
    head.screenshot(path=str(ARTIFACTS / f"transit-phone-{server.database}.png"), full_page=True)  # type: ignore[attr-defined]
    browsing.assert_clean(OFFLINE_NOISE)
