"""The officer's gate loop in real Chromium against the real server (issue 4; frontend/static/js/gate-page.js), on
SQLite and PostgreSQL:

- online: sign in with a passkey, scan by typing into the scanner field and pressing Enter, see the device's verdict,
  confirm two containers (each signed with the passkey), cancel one with a reason;
- offline: the same from the gate cards the device keeps, queued and signed offline;
- back online: synced once; the declaration changed upstream meanwhile, so the confirmations are applied (the goods
  have gone) with the server's reasons, and show on the supervisor's reconciliation page;
- a declaration that may not pass: no confirm button, the report goes to the supervisors' list.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from backend.barcodes import iso6346
from tests.browser.conftest import (
    DATABASES,
    OFFLINE_NOISE,
    Browsing,
    Server,
    make_server,
    sign_in,
    wait_until,
)
from tests.conftest import giamsat

pytestmark = pytest.mark.browser


def container(first_ten: str) -> str:
    return first_ten + str(iso6346.check_digit(first_ten))


ONLINE = "305900000001"
OFFLINE = "305900000002"
STOPPED = "305900000003"
CONTAINERS = {
    ONLINE: [container("GSTU100001"), container("GSTU100002"), container("GSTU100003")],
    OFFLINE: [container("GSTU200001"), container("GSTU200002"), container("GSTU200003")],
    STOPPED: [container("GSTU300001")],
}


def declaration(number: str, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "number": number,
        "kind": "import",
        "version": 1,
        "status_code": "THONG_QUAN",
        "allows_passage": True,
        "lane": 1,
        "branch_code": "HP-KV3",
        "seal_required": False,
        "sealed": False,
        "cargo_type": "containers",
        "containers": [{"number": c, "seal": f"VN{i:05d}"} for i, c in enumerate(CONTAINERS[number])],
        "goods_description": "Thép cuộn cán nóng",
        "warnings": [],
    }
    item.update(changes)
    return item


def import_declarations(server: Server, path: Path, *items: dict[str, Any]) -> None:
    path.write_text(json.dumps(list(items), ensure_ascii=False))
    giamsat(server.env, "declarations", "import", str(path))


@pytest.fixture(params=DATABASES)
def gate_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Its own server: sign-in is rate limited per server process, and this test changes declarations.
    server = make_server(tmp_path_factory, f"gate-{request.param}", database=request.param)
    import_declarations(
        server,
        server.data_dir / "gate-test.json",
        declaration(ONLINE),
        declaration(OFFLINE),
        declaration(STOPPED, status_code="CHO_KIEM_HOA", allows_passage=False),
    )
    yield server
    server.drop()


def row_state(page: Any, number: str) -> str:
    return page.get_attribute(f'tr[data-container="{number}"]', "data-state")


def wait_row(page: Any, number: str, state: str) -> None:
    page.wait_for_selector(f'tr[data-container="{number}"][data-state="{state}"]', timeout=30_000)


def scan(page: Any, text: str) -> None:
    """A handheld scanner: types into the focused field and presses Enter."""
    page.focus("#gate-code")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def standing(server: Server, number: str) -> list[str]:
    rows = server.query(
        "SELECT p.unit FROM gate_passage p JOIN declaration d ON d.id = p.declaration"
        " WHERE d.number = ? AND p.standing_key IS NOT NULL ORDER BY p.id",
        number,
    )
    return [unit for (unit,) in rows]


def rows_when_applied(server: Server, sql: str, timeout: float = 30.0) -> list[tuple[Any, ...]]:
    """The rows `sql` finds once there are some (a command sent from the page is applied a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = server.query(sql)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_gate_confirm_cancel_online_then_offline_synced_once_and_reconciled(gate_server: Server, browsing: Browsing) -> None:
    server = gate_server
    page = browsing.new_page()
    sign_in(page, server, "CB001")
    page.goto(server.url("/gate"))
    page.wait_for_selector("#gate-code:focus")
    # The device's data: gate cards and passages, and nonces to sign with offline.
    wait_until(
        page,
        """async (number) => { await giamsatReplica.refresh({force: true});
           const cards = await giamsatStore.get("replica", "gate_cards");
           return Boolean(cards && cards.items.some((card) => card.key === number)); }""",
        OFFLINE,
        timeout=30,
    )
    wait_until(page, "async () => (await giamsatSigning.stock('CB001')) >= giamsatSigning.STOCK", timeout=30)

    # --- online: scan, verdict, confirm two, cancel one -----------------------------------------------------------
    first, second, third = CONTAINERS[ONLINE]
    scan(page, ONLINE)
    page.wait_for_selector('#gate-verdict[data-eligible="true"]')
    assert page.text_content("#gate-verdict").strip() == "Đủ điều kiện qua khu vực giám sát"
    assert page.text_content("#gate-progress").strip() == "Đã qua 0 / 3"
    assert page.get_attribute("#gate-source", "data-source") == "device"  # checked on the phone, at once
    # The container on the truck, read by the scanner: one not declared is refused with its clause; a declared one
    # marks its row and takes the focus to its Confirm button, so Enter confirms it.
    page.fill("#gate-truck", container("ABCU999999"))
    page.press("#gate-truck", "Enter")
    page.wait_for_selector('#gate-truck-reasons li[data-code="container_not_declared"]')
    assert page.input_value("#report-form input[name=containers]") == container("ABCU999999")
    page.fill("#gate-truck", first.lower())
    page.press("#gate-truck", "Enter")
    page.wait_for_selector(f'tr.is-target[data-container="{first}"] .confirm-form button[type="submit"]:focus')
    page.keyboard.press("Enter")
    wait_row(page, first, "passed")
    assert page.is_visible("#gate-outcome")
    page.click(f'tr[data-container="{second}"] .confirm-form button[type="submit"]')
    wait_row(page, second, "passed")
    assert page.text_content("#gate-progress").strip() == "Đã qua 2 / 3"
    assert standing(server, ONLINE) == [first, second]

    page.click(f'tr[data-container="{second}"] details.cancel summary')
    page.fill(f"#cancel-{second}-form-reason", "Nhầm container trên xe")
    page.click(f'#cancel-{second}-form button[type="submit"]')
    wait_row(page, second, "waiting")
    assert page.text_content("#gate-progress").strip() == "Đã qua 1 / 3"
    assert row_state(page, third) == "waiting"
    assert standing(server, ONLINE) == [first]
    [(reason,)] = server.query("SELECT cancel_reason FROM gate_passage WHERE standing_key IS NULL")
    assert reason == "Nhầm container trên xe"
    signed = server.query("SELECT signature FROM journal_entry WHERE command_type IN ('gate.confirm_passage', 'gate.cancel_passage')")
    assert len(signed) == 3 and all(json.loads(signature)["credential"]["id"] for (signature,) in signed)

    # --- offline: the same from the device's gate cards --------------------------------------------------------
    page.context.set_offline(True)
    one, two, _ = CONTAINERS[OFFLINE]
    scan(page, OFFLINE)
    page.wait_for_selector(f'#gate-result [data-number="{OFFLINE}"] #gate-verdict[data-eligible="true"]')
    page.click(f'tr[data-container="{one}"] .confirm-form button[type="submit"]')
    wait_row(page, one, "queued")
    page.click(f'tr[data-container="{two}"] .confirm-form button[type="submit"]')
    wait_row(page, two, "queued")
    assert page.text_content("#gate-progress").strip() == "Đã qua 2 / 3"
    queued = page.evaluate("async () => (await giamsatStore.queueEntries()).map((e) => e.envelope)")
    assert [(e["type"], e["payload"]["containers"], e["offline"], bool(e["signature"])) for e in queued] == [
        ("gate.confirm_passage", [one], True, True),
        ("gate.confirm_passage", [two], True, True),
    ]
    # Meanwhile upstream withdraws the declaration's clearance.
    import_declarations(server, server.data_dir / "withdrawn.json", declaration(OFFLINE, status_code="TAM_DUNG", allows_passage=False))

    # --- back online: synced once, applied with the server's reasons -------------------------------------------
    page.context.set_offline(False)  # the page replays on `online` by itself
    wait_until(page, "async () => (await giamsatStore.queueEntries()).length === 0", timeout=60)
    rows = server.query(
        "SELECT command_id, offline, contingency FROM journal_entry WHERE command_type = 'gate.confirm_passage' AND payload LIKE ?",
        f"%{OFFLINE}%",
    )
    assert sorted(str(command_id) for command_id, _, _ in rows) == sorted(e["id"] for e in queued)  # each once
    assert all(bool(offline) and bool(contingency) for _, offline, contingency in rows)
    assert standing(server, OFFLINE) == [one, two]
    reasons = server.query(
        "SELECT p.server_reasons FROM gate_passage p JOIN declaration d ON d.id = p.declaration WHERE d.number = ?", OFFLINE
    )
    assert all([r["code"] for r in json.loads(text)] == ["status_not_eligible"] for (text,) in reasons)

    # --- the supervisor sees them on the reconciliation page -----------------------------------------------------
    supervisor = browsing.new_page()
    sign_in(supervisor, server, "GS001")
    supervisor.goto(server.url("/reconciliation"))
    content = supervisor.content()
    assert "TAM_DUNG" in content and OFFLINE in content
    browsing.assert_clean(OFFLINE_NOISE)


def test_gate_declaration_that_may_not_pass_has_no_confirm_and_its_report_reaches_the_supervisor(gate_server: Server, browsing: Browsing) -> None:
    server = gate_server
    page = browsing.new_page()
    sign_in(page, server, "CB001")
    page.goto(server.url("/gate"))

    scan(page, STOPPED)

    page.wait_for_selector('#gate-verdict[data-eligible="false"]')
    assert page.is_visible('#gate-reasons li[data-code="status_not_eligible"]')
    assert "Điều 35.2.a.1" in page.text_content('#gate-reasons li[data-code="status_not_eligible"]')
    assert page.query_selector(".confirm-form") is None
    # 35.2.b.2.2: cancelling the confirmations already made is not a choice: the form says it will, with no box to untick.
    assert "Điều 35.2.b.2.2" in page.text_content("#report-form-cancels")
    assert page.query_selector("#report-form input[type=checkbox]") is None
    page.fill("#report-form-note", "Tờ khai chưa thông quan, chủ hàng vẫn đưa xe vào cổng")
    page.click('#report-form button[type="submit"]')
    # The server's row, once the report is applied: an empty device queue alone may be seen before the submit
    # has queued the entry.
    [(kind, note)] = rows_when_applied(server, "SELECT kind, note FROM gate_report")
    assert kind == "mismatch" and note.startswith("Tờ khai chưa thông quan")

    supervisor = browsing.new_page()
    sign_in(supervisor, server, "GS001")
    supervisor.goto(server.url("/gate/reports"))
    assert "Tờ khai chưa thông quan" in supervisor.text_content("#gate-reports")
    browsing.assert_clean()


def test_border_gate_checks_outside_state_and_refuses_exit(gate_server: Server, browsing: Browsing) -> None:
    """Art 36.2.b at a road border gate: the officer's own check of the goods' outside state joins the verdict;
    damaged goods may not leave (36.2.c.2.3), and the exit refused reaches the border branch's records. The
    declaration is registered at the port branch: the border officer's device has no card for it, so the server's
    card is used (online)."""
    server = gate_server
    page = browsing.new_page()
    sign_in(page, server, "CB101")
    page.goto(server.url("/gate"))
    assert "cửa khẩu biên giới (Điều 36)" in page.text_content("#gate-location")

    scan(page, ONLINE)

    page.wait_for_selector('#gate-verdict[data-eligible="true"]')
    assert page.get_attribute("#gate-source", "data-source") == "server"
    assert page.is_visible('#gate-reasons li[data-code="outside_state_unchecked"]')
    page.check('input[data-outside="damaged"]')
    page.wait_for_selector('#gate-verdict[data-eligible="false"]')
    assert "36.2.c.2.3" in page.text_content('#gate-reasons li[data-code="goods_damaged"]')
    assert page.query_selector(".confirm-form") is None
    page.click("details.report:has(#refuse-form) summary")
    assert "Điều 36.2.c.2.2" in page.text_content("#refuse-form-cancels")  # the confirmations made are cancelled
    page.fill("#refuse-form-note", "Container móp méo, niêm phong hãng tàu bị cắt")
    page.click('#refuse-form button[type="submit"]')
    [(kind, reasons, branch)] = rows_when_applied(server, 
        "SELECT r.kind, r.reasons, b.code FROM gate_report r JOIN branch b ON b.id = r.branch"
    )
    assert kind == "exit_refused" and branch == "LS-HN"
    assert [r["code"] for r in json.loads(reasons)] == ["goods_damaged"]
    browsing.assert_clean()
