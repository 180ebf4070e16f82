"""CFS consolidation lists (Decision 1966 Art 44.2.b; form 25/DMXK-CFS/GSQL; issue 16 item 2): the CFS's staff build
the list of one export container on a phone (typed, scanned, or CSV) and submit it; customs of the managing branch
compare it line by line (a difference with a note and a photo) and sign both copies with a passkey; the list prints
as form 25 in two copies; the operator confirms receipt of theirs; both see the final status. Who sees and does what.
SQLite and PostgreSQL, through the app."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.cfs.workflow import TRANSITIONS, ListState, TransitionRefused, allowed, check
from tests.conftest import World, in_app
from tests.files.photos import plain_jpeg
from tests.journal.device import Person
from tests.seals.helpers import upsert
from tests.declarations.helpers import item

CONTAINER = "MSCU1234566"
EXPORT_1, EXPORT_2, EXPORT_3 = "304000000001", "304000000002", "304000000003"
IMPORT, NOT_CLEARED = "104000000009", "304000000009"
GOOD_CSV = f"số tờ khai,tên hàng,số kiện,trọng lượng\n{EXPORT_2},Giày thể thao,64,920\n\n{EXPORT_3},x,1,1\n"


@pytest.fixture
def cfs(client: TestClient, world: World) -> dict[str, int]:
    """A CFS of branch B1 with its staff member, another CFS of B1 with its own, and the declarations the lines name."""

    async def make() -> dict[str, int]:
        from backend.officers.services import create_officer, ensure_location
        from backend.officers.tables import LocationKind

        ids = {
            "cfs": await ensure_location("B1-CFS", "Kho CFS Một", LocationKind.CFS, world["branch"]),
            "other_cfs": await ensure_location("B1-CFS2", "Kho CFS Hai", LocationKind.CFS, world["branch"]),
        }
        ids["staff"] = await create_officer("CFS1", "Đinh Thị Mười", "warehouse", "B1", "B1-CFS")
        ids["other_staff"] = await create_officer("CFS2", "Lý Văn Mười Một", "warehouse", "B1", "B1-CFS2")
        ids["other_head"] = await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")
        return ids

    ids = in_app(client, make)
    upsert(
        client,
        *[item(number, kind="export") for number in (EXPORT_1, EXPORT_2, EXPORT_3)],
        item(IMPORT, kind="import"),
        item(NOT_CLEARED, kind="export", status_code="CHO_KIEM_TRA", allows_passage=False),
    )
    return ids


def line(list_id: int, declaration: str = EXPORT_1, **changes: Any) -> dict[str, Any]:
    return {"list_id": list_id, "declaration": declaration, "goods": "Áo sơ mi nam 100% cotton", "packages": 120, "weight_kg": 1850.5, **changes}


def new_list(staff: Person, **changes: Any) -> int:
    outcome = staff.do("cfs.create_list", {"container": CONTAINER, **changes})
    assert outcome["status"] == "applied", outcome
    return outcome["result"]["list_id"]


def submitted_list(staff: Person) -> tuple[int, list[int]]:
    """A list of two lines, submitted; its id and its lines' ids."""
    list_id = new_list(staff, lines=f"{EXPORT_1},Áo sơ mi,120,1850.5\n{EXPORT_2},Giày,64,920")
    assert staff.do("cfs.submit_list", {"list_id": list_id})["status"] == "applied"
    return list_id, in_app(staff.client, _line_ids, list_id)


async def _line_ids(list_id: int) -> list[int]:
    from backend.cfs.tables import CfsLine

    return [row["id"] for row in await CfsLine.select(CfsLine.id).where(CfsLine.cfs_list == list_id).order_by(CfsLine.line)]


async def _lines(list_id: int) -> list[tuple[int, str, str, int, int, str]]:
    from backend.cfs.tables import CfsLine

    rows = await CfsLine.select().where(CfsLine.cfs_list == list_id).order_by(CfsLine.line)
    return [(row["line"], row["declaration_number"], row["goods"], row["packages"], row["weight_g"], row["result"]) for row in rows]


async def _counts() -> tuple[int, int]:
    from backend.cfs.tables import CfsLine, CfsList

    return await CfsList.count(), await CfsLine.count()


def state_on(person: Person, list_id: int) -> str | None:
    page = person.client.get(f"/cfs/{list_id}")
    if page.status_code != 200:
        return None
    marker = 'id="list-state" data-state="'
    return page.text.split(marker, 1)[1].split('"', 1)[0]


# --- the whole flow ---------------------------------------------------------------------------------------------


def test_whole_flow_typed_csv_compared_signed_received_both_see_it_44_2_b_1_1(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.1 and 44.2.b.1.3: the staff start a list, type a line, import a file, submit; the officer compares
    each line (one difference with a note and a photo), signs both copies; the operator confirms receipt of copy 2;
    both see the final status."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])

    list_id = new_list(staff)
    typed = staff.do("cfs.add_line", line(list_id))
    imported = staff.client.post(f"/cfs/{list_id}/file", files={"file": ("ds.csv", ("\ufeff" + GOOD_CSV).encode(), "text/csv")}, follow_redirects=False)
    assert typed["status"] == "applied" and typed["result"]["declaration"] == EXPORT_1, typed
    assert imported.status_code == 303, imported.text
    assert in_app(client, _lines, list_id) == [
        (1, EXPORT_1, "Áo sơ mi nam 100% cotton", 120, 1_850_500, ""),
        (2, EXPORT_2, "Giày thể thao", 64, 920_000, ""),
        (3, EXPORT_3, "x", 1, 1_000, ""),
    ]
    assert officer.client.get(f"/cfs/{list_id}").status_code == 404  # a draft is the operator's until submitted

    assert staff.do("cfs.submit_list", {"list_id": list_id})["result"]["state"] == "submitted"
    first, second, third = in_app(client, _line_ids, list_id)
    sha = officer.upload(plain_jpeg())
    checks = [
        officer.do("cfs.check_line", {"list_id": list_id, "line_id": first, "result": "match"}),
        officer.do("cfs.check_line", {"list_id": list_id, "line_id": second, "result": "difference", "note": "Thiếu 4 kiện: đếm được 60", "photos": [sha]}),
    ]
    assert [c["result"]["state"] for c in checks] == ["submitted", "submitted"], checks
    early = officer.do("cfs.sign_list", {"list_id": list_id})
    last = officer.do("cfs.check_line", {"list_id": list_id, "line_id": third, "result": "match"})
    signed = officer.do("cfs.sign_list", {"list_id": list_id})
    received = staff.do("cfs.confirm_receipt", {"list_id": list_id})

    assert early["code"] == "transition_refused"  # every line compared before signing
    assert last["result"]["state"] == "checked" and signed["result"]["state"] == "signed" and received["result"]["state"] == "received"
    assert in_app(client, _lines, list_id)[1][5] == "difference"
    officer_page = officer.client.get(f"/cfs/{list_id}").text
    assert "Thiếu 4 kiện: đếm được 60" in officer_page and f"/files/{sha}/thumb" in officer_page
    assert officer.client.get(f"/files/{sha}/thumb").status_code == 200
    assert state_on(staff, list_id) == state_on(officer, list_id) == "received"
    assert f'id="cfs-list-{list_id}" data-state="received"' in staff.client.get("/cfs").text
    assert f'id="cfs-list-{list_id}" data-state="received"' in officer.client.get("/cfs").text


def test_form_25_prints_two_copies_signed_by_the_officer_44_2_b_1_3(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.3: "Ký tên, đóng dấu công chức trên 02 Danh mục hàng hóa; lưu 01 Danh mục, trả 01 Danh mục cho
    doanh nghiệp kinh doanh kho CFS": two copies, customs' and the operator's, each with the officer's signature."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id, line_ids = submitted_list(staff)
    for line_id in line_ids:
        officer.do("cfs.check_line", {"list_id": list_id, "line_id": line_id, "result": "match"})
    officer.do("cfs.sign_list", {"list_id": list_id})

    printed = staff.client.get(f"/cfs/{list_id}/print")

    assert printed.status_code == 200
    text = printed.text
    assert text.count('<p class="form10-code">Mẫu số 25/DMXK-CFS/GSQL</p>') == 2
    assert 'data-copy="1" data-holder="customs"' in text and 'data-copy="2" data-holder="operator"' in text
    assert "Bản số 1/2: Bản lưu Hải quan" in text and "Bản số 2/2: Bản trả doanh nghiệp kinh doanh kho CFS" in text
    assert 'id="form25-signed-1">Nguyễn Văn Một (CB1)' in text and 'id="form25-signed-2">Nguyễn Văn Một (CB1)' in text
    assert text.count(CONTAINER) >= 2 and EXPORT_2 in text and "2770.500" in text  # 1850.5 + 920 kg


def test_sign_without_passkey_is_refused_44_2_b_1_3(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.3: the signature replaces the officer's signature and stamp: unsigned, nothing changes."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id, line_ids = submitted_list(staff)
    for line_id in line_ids:
        officer.do("cfs.check_line", {"list_id": list_id, "line_id": line_id, "result": "match"})

    unsigned = officer.do("cfs.sign_list", {"list_id": list_id}, sign=False)
    posted = officer.client.post(f"/cfs/{list_id}/sign", data={})

    assert unsigned["status"] == "rejected" and unsigned["code"] == "signature_required"
    assert posted.status_code == 422 and 'id="sign-form-error"' in posted.text
    assert state_on(staff, list_id) == "checked"


def test_difference_without_a_note_is_refused(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id, (first, _) = submitted_list(staff)

    refused = officer.do("cfs.check_line", {"list_id": list_id, "line_id": first, "result": "difference", "note": "  "})

    assert refused["code"] == "note_required" and in_app(client, _lines, list_id)[0][5] == ""


# --- lines and their declarations -------------------------------------------------------------------------------


def test_csv_with_bad_lines_stores_nothing_and_names_each_line_in_english(client: TestClient, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    list_id = new_list(staff)
    staff.client.cookies.set("gs_lang", "en")
    bad = f"{EXPORT_1},Áo,10,100\n{IMPORT},Áo,10,100\n{EXPORT_2},Áo,mười,100\n9999,Áo,1,1\n{NOT_CLEARED},Áo,1,1\n"

    response = staff.client.post(f"/cfs/{list_id}/file", files={"file": ("ds.csv", bad.encode(), "text/csv")})

    assert response.status_code == 422 and 'id="file-form-error"' in response.text
    text = response.text
    assert "Nothing was saved." in text
    assert f"line 2: declaration {IMPORT} is not an export declaration" in text
    assert "line 3: the number of packages must be a whole number above 0: mười" in text
    assert "line 4:" in text and "line 5:" in text and "line 1:" not in text
    assert in_app(client, _counts) == (1, 0)


def test_bad_line_is_said_in_vietnamese_by_default(client: TestClient, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    list_id = new_list(staff)

    refused = staff.do("cfs.import_lines", {"list_id": list_id, "csv": f"{EXPORT_1},Áo,10,100\n{IMPORT},Áo,10,100"})

    assert refused["status"] == "rejected" and refused["code"] == "invalid_lines" and "dòng 2" in refused["reason"], refused
    assert in_app(client, _counts) == (1, 0)


@pytest.mark.parametrize(
    ("declaration", "code_word"),
    [("304000000777", "304000000777"), (IMPORT, "export"), (NOT_CLEARED, "CHO_KIEM_TRA"), ("12345", "12")],
    ids=["unknown", "import", "not_cleared", "malformed"],
)
def test_line_with_an_unknown_or_non_export_declaration_is_refused(client: TestClient, cfs: dict[str, int], declaration: str, code_word: str) -> None:
    staff = Person(client, cfs["staff"])
    list_id = new_list(staff)
    staff.client.cookies.set("gs_lang", "en")

    refused = staff.do("cfs.add_line", line(list_id, declaration))

    assert refused["status"] == "rejected" and refused["code"] == "invalid_line" and code_word in refused["reason"], refused
    assert in_app(client, _counts) == (1, 0)


def test_scanned_barcode_gives_the_declaration_and_an_old_version_is_refused(client: TestClient, cfs: dict[str, int]) -> None:
    from backend.barcodes.payload import encode
    from backend.barcodes.services import configured_keyring

    staff = Person(client, cfs["staff"])
    list_id = new_list(staff)
    current = encode(configured_keyring(), EXPORT_1, 1, "container_list")
    old = encode(configured_keyring(), EXPORT_2, 1, "container_list")
    upsert(client, item(EXPORT_2, kind="export", version=2))
    staff.client.cookies.set("gs_lang", "en")

    # A handheld scanner types in lower case with a trailing newline sometimes: still read.
    scanned = staff.client.post(f"/cfs/{list_id}/line", data={**line(list_id, current.lower() + "\n"), "packages": "5", "weight_kg": "12,5"}, follow_redirects=False)
    refused = staff.do("cfs.add_line", line(list_id, old))

    assert scanned.status_code == 303, scanned.text
    assert in_app(client, _lines, list_id) == [(1, EXPORT_1, "Áo sơ mi nam 100% cotton", 5, 12_500, "")]
    assert refused["code"] == "invalid_line" and "version 1" in refused["reason"] and "now version 2" in refused["reason"]


def test_container_number_is_checked_iso_6346(client: TestClient, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    staff.client.cookies.set("gs_lang", "en")

    refused = staff.do("cfs.create_list", {"container": "MSCU1234565"})
    page = staff.client.post("/cfs", data={"container": "MSCU1234565", "_csrf_token": staff.client.cookies.get("gs_csrf") or ""})

    assert refused["code"] == "invalid_container" and "MSCU1234566" in refused["reason"]
    assert page.status_code == 422 and 'id="create-form-error"' in page.text and 'value="MSCU1234565"' in page.text
    assert in_app(client, _counts) == (0, 0)


def test_lines_change_only_while_draft_and_submit_needs_a_line(client: TestClient, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    empty = new_list(staff)
    list_id, (first, _) = submitted_list(staff)

    nothing = staff.do("cfs.submit_list", {"list_id": empty})
    added = staff.do("cfs.add_line", line(list_id))
    removed = staff.do("cfs.remove_line", {"list_id": list_id, "line_id": first})

    assert nothing["code"] == "no_lines"
    assert (added["code"], removed["code"]) == ("list_not_draft", "list_not_draft")


def test_operator_removes_a_typed_line_from_a_draft(client: TestClient, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    list_id = new_list(staff, lines=f"{EXPORT_1},Áo,1,1\n{EXPORT_2},Giày,2,2")
    first, _ = in_app(client, _line_ids, list_id)

    removed = staff.do("cfs.remove_line", {"list_id": list_id, "line_id": first})

    assert removed["status"] == "applied" and [row[1] for row in in_app(client, _lines, list_id)] == [EXPORT_2]


def test_action_made_offline_is_applied_once(client: TestClient, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    list_id = new_list(staff)
    envelope = staff.envelope("cfs.add_line", line(list_id), offline=True)

    first = staff.post(envelope)
    again = staff.post(envelope)

    assert first[0]["status"] == "applied" and again[0]["status"] == "duplicate"
    assert in_app(client, _counts) == (1, 1)


# --- who sees and does what -------------------------------------------------------------------------------------


def test_staff_of_another_cfs_neither_see_nor_act(client: TestClient, cfs: dict[str, int]) -> None:
    staff, other = Person(client, cfs["staff"]), Person(client, cfs["other_staff"])
    draft = new_list(staff, lines=f"{EXPORT_1},Áo,1,1")
    list_id, _ = submitted_list(staff)
    for step in ("cfs.submit_list", "cfs.confirm_receipt"):
        assert other.do(step, {"list_id": draft})["code"] == "unknown_list"

    page = other.client.get(f"/cfs/{list_id}")
    printed = other.client.get(f"/cfs/{list_id}/print")
    posted = other.client.post(f"/cfs/{draft}/submit", data={})
    added = other.do("cfs.add_line", line(draft))
    imported = other.do("cfs.import_lines", {"list_id": draft, "csv": f"{EXPORT_2},Áo,1,1"})

    assert page.status_code == 404 and printed.status_code == 404 and posted.status_code == 404
    assert (added["code"], imported["code"]) == ("unknown_list", "unknown_list")
    assert f'id="cfs-list-{list_id}"' not in other.client.get("/cfs").text
    assert in_app(client, _counts) == (2, 3)


def test_operator_may_neither_check_nor_sign(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    list_id, (first, _) = submitted_list(staff)

    checked = staff.do("cfs.check_line", {"list_id": list_id, "line_id": first, "result": "match"})
    signed = staff.do("cfs.sign_list", {"list_id": list_id})
    page = staff.client.get(f"/cfs/{list_id}").text

    assert (checked["code"], signed["code"]) == ("forbidden_role", "forbidden_role")
    assert 'data-command="cfs.check_line"' not in page and 'data-command="cfs.sign_list"' not in page


def test_customs_may_not_build_the_list_nor_confirm_receipt(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id, _ = submitted_list(staff)

    created = officer.do("cfs.create_list", {"container": CONTAINER})
    received = officer.do("cfs.confirm_receipt", {"list_id": list_id})

    assert (created["code"], received["code"]) == ("forbidden_role", "forbidden_role")


def test_customs_of_another_branch_get_404(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    staff = Person(client, cfs["staff"])
    list_id, (first, _) = submitted_list(staff)
    other_officer, other_head = Person(client, world["other_officer"]), Person(client, cfs["other_head"])

    page = other_officer.client.get(f"/cfs/{list_id}")
    posted = other_officer.client.post(f"/cfs/{list_id}/check", data={"line_id": str(first), "result": "match"})
    checked = other_head.do("cfs.check_line", {"list_id": list_id, "line_id": first, "result": "match"})
    signed = other_head.do("cfs.sign_list", {"list_id": list_id})

    assert page.status_code == 404 and posted.status_code == 404
    assert (checked["code"], signed["code"]) == ("unknown_list", "unknown_list")
    assert f'id="cfs-list-{list_id}"' not in other_head.client.get("/cfs").text
    assert in_app(client, _lines, list_id)[0][5] == ""


def test_staff_of_a_warehouse_that_is_not_a_cfs_cannot_start_a_list(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    bonded = Person(client, world["warehouse_user"])

    refused = bonded.do("cfs.create_list", {"container": CONTAINER})
    named = bonded.do("cfs.create_list", {"container": CONTAINER, "premises_id": cfs["cfs"]})

    assert (refused["code"], named["code"]) == ("not_at_a_cfs", "not_at_a_cfs")
    assert 'id="cfs-no-premises"' in bonded.client.get("/cfs").text


def test_no_session_is_sent_to_sign_in(client: TestClient, cfs: dict[str, int]) -> None:
    response = client.get("/cfs", follow_redirects=False)

    assert response.status_code in (302, 303, 401) and CONTAINER not in response.text


def test_home_page_offers_cfs_lists_to_operators_and_customs(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    for person in (cfs["staff"], world["officer"], world["supervisor"]):
        assert 'href="/cfs"' in Person(client, person).client.get("/").text
    assert 'href="/cfs"' not in Person(client, world["admin"]).client.get("/").text


# --- the seam for sealing and transit ----------------------------------------------------------------------------


def test_signed_list_for_container_exposes_its_declarations_once_signed(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    from backend.cfs.services import signed_list_for_container

    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id, line_ids = submitted_list(staff)
    before = in_app(client, signed_list_for_container, CONTAINER)
    for line_id in line_ids:
        officer.do("cfs.check_line", {"list_id": list_id, "line_id": line_id, "result": "match"})
    officer.do("cfs.sign_list", {"list_id": list_id})

    after = in_app(client, signed_list_for_container, "mscu 123456-6")

    assert before is None
    assert after is not None and (after.list_id, after.container, after.declarations, after.received) == (list_id, CONTAINER, (EXPORT_1, EXPORT_2), False)
    assert after.premises_id == cfs["cfs"] and after.branch_id == world["branch"]


# --- the state machine -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("current,target", sorted(product(ListState, ListState)))
def test_workflow_allows_only_its_transitions(current: ListState, target: ListState) -> None:
    expected = (current, target) in {
        (ListState.DRAFT, ListState.SUBMITTED),
        (ListState.SUBMITTED, ListState.CHECKED),
        (ListState.CHECKED, ListState.SIGNED),
        (ListState.SIGNED, ListState.RECEIVED),
    }

    assert allowed(current, target) is expected
    if expected:
        check(current, target)
    else:
        with pytest.raises(TransitionRefused):
            check(current, target)


def test_workflow_table_is_the_four_documented_pairs() -> None:
    assert len(TRANSITIONS) == 4 and all(not allowed(state, ListState.DRAFT) for state in ListState)


def test_demo_makes_the_cfs_its_staff_and_one_submitted_list_once(client: TestClient, world: World) -> None:
    async def load() -> list[list[str]]:
        from backend.cfs.demo import load_demo_cfs
        from backend.officers.services import ensure_branch

        await ensure_branch("HP-KV3", "Chi cục HP KV3")
        return [await load_demo_cfs(client.app.state.settings.web) for _ in range(2)]

    upsert(client, item(EXPORT_1, kind="export"), item(EXPORT_2, kind="export"))
    first, again = in_app(client, load)

    assert "CFS001" in first[0] and first[1].startswith("Demo CFS consolidation list submitted by CFS001")
    assert again[1] == "Demo CFS consolidation list: there already."
    assert in_app(client, _counts) == (1, 2)
