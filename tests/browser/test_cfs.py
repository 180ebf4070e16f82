"""A CFS consolidation list in real Chromium against the real server (issue 16, "Tests"; Decision 1966/QĐ-TCHQ Art
44.2.b, form 25/DMXK-CFS/GSQL; backend/cfs/, frontend/templates/cfs/), on phone-sized screens, SQLite and PostgreSQL:

- the CFS's staff member CFS001 (warehouse role, passkey on a virtual authenticator) starts a list for one container,
  adds its first line as a handheld scanner does (the declaration's digits typed into the autofocused field, ending
  with Enter) and the two others pasted as CSV, and submits it;
- the officer CB001 of the managing branch (HP-KV3) compares each line (44.2.b.1.1) with the phone OFFLINE: the three
  comparisons (one a difference, with its note) wait in the device queue, nothing reaches the server; back online the
  queue is replayed and each comparison is applied once — one sent again is answered `duplicate`, the journal holds
  each command once and the page shows each line compared once;
- the officer seals the container (44.2.b.1.2) on the seals page (`seal_container`: today one declaration's page);
- the officer signs the list with the passkey (44.2.b.1.3, a signed command); form 25 prints: two copies
  ("Bản số 1/2", "Bản số 2/2"), every line in each, the difference's note, the officer's name;
- the operator confirms receipt of copy 2; both see the list under "Done" on their phones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from backend.barcodes import iso6346
from backend.lib.i18n import translate_in
from tests.browser.conftest import (
    DATABASES,
    OFFLINE_NOISE,
    Browsing,
    Server,
    eventually,
    goto,
    make_server,
    reloaded,
    sign_in,
    wait_until,
)
from tests.conftest import giamsat

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
CONTAINER = "CFSU900001" + str(iso6346.check_digit("CFSU900001"))
DECLARATIONS = ["304900000101", "304900000102", "304900000103"]
GOODS = ["Áo sơ mi nam 100% cotton", "Giày thể thao", "Túi xách da"]
SEAL = "HQ-HP-0044201"
NOTE = "Thiếu 2 kiện so với danh mục"


def export_declaration(number: str, goods: str) -> dict[str, Any]:
    """An export declaration cleared at HP-KV3 whose goods are consolidated in CONTAINER at the demo's CFS."""
    return {
        "number": number, "kind": "export", "version": 1, "status_code": "THONG_QUAN", "allows_passage": True,
        "lane": 1, "branch_code": "HP-KV3", "seal_required": True, "sealed": False, "cargo_type": "containers",
        "containers": [{"number": CONTAINER, "seal": ""}], "goods_description": goods, "warnings": [],
    }


@pytest.fixture(scope="module", params=DATABASES)
def cfs_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Its own server: sign-in is rate limited per server process, and the flow adds declarations and a list.
    server = make_server(tmp_path_factory, f"cfs-{request.param}", database=request.param)
    path: Path = server.data_dir / "cfs-test.json"
    path.write_text(json.dumps([export_declaration(n, g) for n, g in zip(DECLARATIONS, GOODS)], ensure_ascii=False))
    giamsat(server.env, "declarations", "import", str(path))
    yield server
    server.drop()


# --- helpers ----------------------------------------------------------------------------------------------------------


def vi(message: str, **params: Any) -> str:
    return translate_in("vi", message, **params)


def list_state(server: Server, list_id: int) -> str:
    [(state,)] = server.query("SELECT state FROM cfs_list WHERE id = ?", list_id)
    return state


def wait_state(server: Server, list_id: int, state: str) -> None:
    eventually(lambda: list_state(server, list_id) == state, f"list {list_id} reaches {state}")


def open_list(page: Any, server: Server, list_id: int, state: str) -> None:
    """The list's page showing `state` (loaded again: the page that sent the command reloads itself once applied)."""
    goto(page, server.url(f"/cfs/{list_id}"))
    page.wait_for_selector(f'#cfs-list[data-state="{state}"]')


def queued(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("async () => (await giamsatStore.queueEntries()).map((e) => e.envelope)")


def seal_container(page: Any, server: Server, declarations: list[str], container: str, seal: str) -> None:
    """Art 44.2.b.1.2: the officer seals the consolidated container, on the seals page. Today a seal belongs to one
    declaration: it is recorded on the page of the list's first declaration (the container is on each); when one seal
    covers all the list's declarations, this step is where the test follows the new page."""
    goto(page, server.url(f"/seals?number={declarations[0]}"))
    page.wait_for_selector(f'tr[data-container="{container}"]')
    page.fill(f"#seal-{container}", seal)
    page.click(f'#seal-{container}-form button[type="submit"]')
    eventually(lambda: server.query("SELECT unit FROM seals_seal WHERE seal_number = ? AND state = 'active'", seal) == [(container,)],
               "the container sealed")


# --- the flow ------------------------------------------------------------------------------------------------------------


def test_cfs_list_44_2_b_built_compared_offline_sealed_signed_printed_and_received_on_phones(cfs_server: Server, browsing: Browsing) -> None:
    server = cfs_server

    # --- the CFS's staff build the list (form 25) for one container -----------------------------------------------
    operator = browsing.new_page(**PHONE)
    sign_in(operator, server, "CFS001")
    goto(operator, server.url("/cfs"))
    operator.fill("#cfs-container", CONTAINER)
    operator.click('#create-form button[type="submit"]')
    [(list_id,)] = eventually(lambda: server.query("SELECT id FROM cfs_list WHERE container = ?", CONTAINER), "the list started")
    reloaded(operator, f"#cfs-open #cfs-list-{list_id}", server.url("/cfs"))  # the page reloads itself, listing it
    operator.click(f"#cfs-list-{list_id} a")
    operator.wait_for_selector('#cfs-list[data-state="draft"]')
    # The first line: goods, packages and weight typed, then the declaration's barcode read by a handheld scanner,
    # which types into the declaration field (the page's autofocused one) and ends with Enter: the line is sent.
    operator.fill("#line-goods", GOODS[0])
    operator.fill("#line-packages", "120")
    operator.fill("#line-weight", "1850,5")  # a decimal comma, as typed on a Vietnamese keyboard
    operator.focus("#line-declaration")
    operator.keyboard.type(DECLARATIONS[0])
    operator.keyboard.press("Enter")
    eventually(lambda: server.query("SELECT count(*) FROM cfs_line WHERE cfs_list = ?", list_id) == [(1,)], "the scanned line")
    reloaded(operator, "#line-1", server.url(f"/cfs/{list_id}"))
    # The two others pasted from the warehouse system.
    operator.fill("#paste-csv", f"{DECLARATIONS[1]}, {GOODS[1]}, 64, 920\n{DECLARATIONS[2]}, {GOODS[2]}, 30, 415.25\n")
    operator.click('#paste-form button[type="submit"]')
    eventually(lambda: server.query("SELECT count(*) FROM cfs_line WHERE cfs_list = ?", list_id) == [(3,)], "the pasted lines")
    reloaded(operator, "#line-3", server.url(f"/cfs/{list_id}"))
    assert operator.evaluate("() => document.documentElement.scrollWidth") <= 390  # laid out for the phone
    operator.click('#submit-form button[type="submit"]')
    wait_state(server, list_id, "submitted")
    lines = server.query("SELECT id, line, declaration_number, packages, weight_g FROM cfs_line WHERE cfs_list = ? ORDER BY line", list_id)
    assert [(n, number, packages, grams) for _, n, number, packages, grams in lines] == [
        (1, DECLARATIONS[0], 120, 1_850_500), (2, DECLARATIONS[1], 64, 920_000), (3, DECLARATIONS[2], 30, 415_250),
    ]
    line_ids = [line_id for line_id, *_ in lines]

    # --- the officer compares each line, offline (44.2.b.1.1) ------------------------------------------------------------
    officer = browsing.new_page(**PHONE)
    sign_in(officer, server, "CB001")
    goto(officer, server.url("/cfs"))
    officer.wait_for_selector(f"#cfs-open #cfs-list-{list_id}")
    open_list(officer, server, list_id, "submitted")
    assert officer.evaluate("() => document.documentElement.scrollWidth") <= 390
    officer.context.set_offline(True)
    officer.click(f'#match-form-{line_ids[0]} button[type="submit"]')
    wait_until(officer, "async () => (await giamsatStore.queueEntries()).length === 1", timeout=30)
    officer.click(f'#match-form-{line_ids[1]} button[type="submit"]')
    wait_until(officer, "async () => (await giamsatStore.queueEntries()).length === 2", timeout=30)
    officer.click(f"#difference-form-{line_ids[2]} >> xpath=.. >> summary")
    officer.fill(f"#note-{line_ids[2]}", NOTE)
    officer.click(f'#difference-form-{line_ids[2]} button[type="submit"]')
    wait_until(officer, "async () => (await giamsatStore.queueEntries()).length === 3", timeout=30)
    waiting = queued(officer)
    assert [(e["type"], e["payload"]["line_id"], e["payload"]["result"], e["offline"]) for e in waiting] == [
        ("cfs.check_line", line_ids[0], "match", True), ("cfs.check_line", line_ids[1], "match", True),
        ("cfs.check_line", line_ids[2], "difference", True),
    ]
    assert server.query("SELECT count(*) FROM cfs_line WHERE cfs_list = ? AND result <> ''", list_id) == [(0,)]  # nothing sent

    officer.context.set_offline(False)
    # The tap on "sync now" without the button: the page's own replay on `online` may be sending already (a replay
    # started while another runs is skipped).
    officer.evaluate("() => { giamsatQueue.replay(); }")
    wait_until(officer, "async () => (await giamsatStore.count('queue')) === 0", timeout=60)
    wait_state(server, list_id, "checked")
    # The same comparison sent once more (a replay after a lost answer) is answered from the journal, not applied.
    csrf = next(cookie["value"] for cookie in officer.context.cookies() if cookie["name"] == "gs_csrf")
    again = officer.request.post(server.url("/api/v1/commands"), data=json.dumps([waiting[0]]),
                                 headers={"content-type": "application/json", "x-csrf-token": csrf})
    assert again.ok and again.json()["results"][0]["status"] == "duplicate"
    checks = server.query("SELECT command_id, payload, offline FROM journal_entry WHERE command_type = 'cfs.check_line' ORDER BY id")
    assert sorted(str(command_id) for command_id, _, _ in checks) == sorted(e["id"] for e in waiting)  # each once
    assert sorted(json.loads(payload)["line_id"] for _, payload, _ in checks) == sorted(line_ids) and all(offline for _, _, offline in checks)
    open_list(officer, server, list_id, "checked")
    assert officer.eval_on_selector_all(".cfs-line", "items => items.map((item) => item.dataset.result)") == ["match", "match", "difference"]
    assert officer.locator(".cfs-line .cfs-check-match").count() == 2 and officer.locator(".cfs-line .cfs-check-difference").count() == 1
    assert NOTE in officer.inner_text("#line-3")

    # --- the officer seals the container (44.2.b.1.2) and signs the list with the passkey (44.2.b.1.3) ----------------
    seal_container(officer, server, DECLARATIONS, CONTAINER, SEAL)
    open_list(officer, server, list_id, "checked")
    assert vi("%(count)s lines differ from the container: they print with your notes.", count=1) in officer.inner_text("#sign-differences")
    officer.click('#sign-form button[type="submit"]')
    wait_state(server, list_id, "signed")
    [(signature,)] = server.query("SELECT signature FROM journal_entry WHERE command_type = 'cfs.sign_list'")
    assert json.loads(signature)["credential"]["id"]

    # --- form 25 prints: two copies, the lines, the officer's name ------------------------------------------------------
    open_list(officer, server, list_id, "signed")
    goto(officer, server.url(f"/cfs/{list_id}/print"))
    copies = officer.locator("article.form25")
    assert copies.count() == 2
    assert [copies.nth(n).get_attribute("data-holder") for n in range(2)] == ["customs", "operator"]
    [(officer_name,)] = server.query("SELECT full_name FROM officer WHERE code = 'CB001'")
    for n in range(2):
        text = copies.nth(n).inner_text()
        assert f"Bản số {n + 1}/2" in text and CONTAINER in text and NOTE in text
        assert all(number in text for number in DECLARATIONS)
        assert copies.nth(n).locator("tr.form25-line").count() == 3
        assert f"{officer_name} (CB001)" in copies.nth(n).locator(f"#form25-signed-{n + 1}").inner_text()

    # --- the operator confirms receipt; both see "Done" ------------------------------------------------------------------
    open_list(operator, server, list_id, "signed")
    operator.click('#receive-form button[type="submit"]')
    wait_state(server, list_id, "received")
    done = vi("Done: signed, and the operator received their copy")
    for phone in (operator, officer):
        open_list(phone, server, list_id, "received")
        assert phone.inner_text("#list-state").strip() == done
        goto(phone, server.url("/cfs"))
        phone.wait_for_selector(f"#cfs-done #cfs-list-{list_id}")
        assert done in phone.inner_text(f"#cfs-list-{list_id}")
        assert phone.query_selector(f"#cfs-open #cfs-list-{list_id}") is None
    browsing.assert_clean(OFFLINE_NOISE)
