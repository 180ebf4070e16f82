"""Bonded warehouses (Decision 1966 Art 43; 44.2.a; issue 16 item 3): goods in from abroad enter stock when the
managing branch receives the handover record (43.1.c), or by an officer's supervised entry (43.1.d, 43.2.b); goods
out on the warehouse's release note — abroad (43.3.a.1-a.2, then Art 41), into the domestic market (43.4.b.1-b.2), a
non-tariff zone (43.5: sealed, handover record) or another bonded warehouse (43.6) — each taking its quantities out of
stock, never below zero; signs of a violation proposed to the head, whose decision is signed. Who sees what.
SQLite and PostgreSQL, through the app."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.bonded.workflow import TRANSITIONS, ReleaseState, allowed
from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2, item
from tests.journal.device import Person
from tests.seals.helpers import seal, upsert

FROM_ABROAD, FROM_DOMESTIC, SAME_BRANCH, EXPORT = "104000000011", "104000000012", "104000000013", "304000000014"
TRANSIT_OK, TRANSIT_INLAND, TRANSIT_UNKNOWN, TRANSIT_ELSEWHERE = "501000000021", "501000000022", "501000000023", "501000000024"
OUT_IMPORT, NOT_CLEARED = "104000000031", "104000000032"
STOCK = "Máy xúc bánh xích,chiếc,3\nThép cuộn cán nóng,tấn,12.5"
ALL_CONDITIONS = ["declaration_cleared", "policy_documents", "duties", "goods_identity"]


def transit(number: str, destination: str, branch: str = "B1") -> dict[str, Any]:
    return item(number, kind="independent_transit", status_code="PHE_DUYET_VC", branch_code=branch, transit={"destination_branch_code": destination, "transit_hours": 24})


@pytest.fixture
def bonded(client: TestClient, world: World) -> dict[str, int]:
    """World's bonded warehouse B1-KHO (staff KHO1), a second one B1-KHO2 with its own staff, an inland branch B3 with a
    warehouse only, a supervisor of B2, and the declarations the movements name."""

    async def make() -> dict[str, int]:
        from backend.officers.services import create_officer, ensure_branch, ensure_location
        from backend.officers.tables import LocationKind

        ids = {"other_warehouse": await ensure_location("B1-KHO2", "Kho ngoại quan Hai", LocationKind.WAREHOUSE, world["branch"])}
        ids["other_staff"] = await create_officer("KHO2", "Lý Văn Mười", "warehouse", "B1", "B1-KHO2")
        ids["other_head"] = await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")
        ids["cfs"] = await ensure_location("B1-CFS", "Kho CFS Một", LocationKind.CFS, world["branch"])
        ids["cfs_staff"] = await create_officer("CFS1", "Đinh Thị Mười", "warehouse", "B1", "B1-CFS")
        inland = await ensure_branch("B3", "Chi cục nội địa Ba")
        await ensure_location("B3-KHO", "Kho Ba", LocationKind.WAREHOUSE, inland)
        return ids

    ids = in_app(client, make)
    upsert(
        client,
        item(FROM_ABROAD, places=["B2-GA"]),
        item(FROM_DOMESTIC),
        item(SAME_BRANCH, places=["B1-GA"]),
        item(EXPORT, kind="export"),
        transit(TRANSIT_OK, "B2"),
        transit(TRANSIT_INLAND, "B3"),
        transit(TRANSIT_UNKNOWN, "ZZ-99"),
        transit(TRANSIT_ELSEWHERE, "B2", branch="B2"),
        item(OUT_IMPORT),
        item(NOT_CLEARED, status_code="CHO_KIEM_TRA", allows_passage=False),
    )
    return ids


async def _lots(premises_id: int) -> list[tuple[str, str, str, int, int]]:
    from backend.bonded.tables import BondedLot

    rows = await BondedLot.select().where(BondedLot.premises == premises_id).order_by(BondedLot.id)
    return [(r["declaration_number"], r["goods"], r["unit"], r["quantity_in_m"], r["quantity_left_m"]) for r in rows]


async def _lot_ids(premises_id: int) -> list[int]:
    from backend.bonded.tables import BondedLot

    return [r["id"] for r in await BondedLot.select(BondedLot.id).where(BondedLot.premises == premises_id).order_by(BondedLot.id)]


async def _counts() -> tuple[int, int, int, int]:
    from backend.bonded.tables import BondedEntry, BondedLot, BondedProposal, BondedRelease

    return await BondedEntry.count(), await BondedLot.count(), await BondedRelease.count(), await BondedProposal.count()


def stocked(officer: Person, world: World, number: str = FROM_DOMESTIC) -> list[int]:
    """The warehouse's stock after a supervised entry of STOCK (3 chiếc, 12.5 tấn); the lots' ids."""
    entry = officer.do("bonded.supervise_entry", {"premises_id": world["warehouse"], "kind": "domestic", "declaration": number, "goods": STOCK})
    assert entry["status"] == "applied", entry
    return in_app(officer.client, _lot_ids, world["warehouse"])


def release(staff: Person, kind: str, declaration: str, lines: str, **more: Any) -> dict[str, Any]:
    return staff.do("bonded.create_release", {"kind": kind, "declaration": declaration, "note_number": "PXK-001", "lines": lines, **more})


def state_on(person: Person, release_id: int) -> str | None:
    page = person.client.get(f"/bonded/out/{release_id}")
    if page.status_code != 200:
        return None
    return page.text.split('id="release-state" data-state="', 1)[1].split('"', 1)[0]


# --- goods in ---------------------------------------------------------------------------------------------------


def received_at(client: TestClient, world: World, location_id: int, *, receive: bool = True) -> dict[str, Any]:
    """The gate's branch (B2) seals FROM_ABROAD's containers, makes, signs and hands over a handover record with one
    goods line to B1, whose officer receives it at `location_id` (unless `receive` is false); the record's result."""
    gate, officer = Person(client, world["other_officer"]), Person(client, world["officer"])
    containers = [{"number": C1, "seal_number": "HQ-000201"}, {"number": C2, "seal_number": "HQ-000202"}]
    for unit in containers:
        assert seal(gate, world, unit["number"], unit["seal_number"], location_id=world["other_gate"], number=FROM_ABROAD)["status"] == "applied"
    goods = [{"name": "Máy xúc bánh xích", "quantity": 2, "unit": "chiếc", "type": "hàng rời", "marks": "PC200", "origin": "Nhật Bản"}]
    made = gate.do("seals.create_record", {"location_id": world["other_gate"], "kind": "handover", "number": FROM_ABROAD, "to_branch": "B1",
                                           "containers": containers, "goods": goods, "representative_name": "Đỗ Văn Sáu"})
    assert made["status"] == "applied", made
    record_id = made["result"]["record_id"]
    for type_ in ("seals.sign_record", "seals.hand_over"):
        assert gate.do(type_, {"location_id": world["other_gate"], "record_id": record_id})["status"] == "applied"
    if receive:
        received = officer.do("seals.receive_record", {"location_id": location_id, "record_id": record_id, "containers": [{**c, "intact": True} for c in containers]})
        assert received["status"] == "applied", received
    return made["result"]


def test_goods_from_abroad_enter_stock_when_the_managing_branch_receives_the_record_43_1_c(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.1.c.1-c.3: the gate's branch (B2) seals and hands the record over to the branch managing the bonded
    warehouse (B1), which receives it at the warehouse: the record's goods lines enter the warehouse's stock, once."""
    made = received_at(client, world, world["warehouse"])

    assert in_app(client, _lots, world["warehouse"]) == [(FROM_ABROAD, "Máy xúc bánh xích", "chiếc", 2000, 2000)]
    page = Person(client, world["warehouse_user"]).client.get("/bonded").text
    assert FROM_ABROAD in page and made["serial"] in page and 'data-kind="abroad"' in page


def test_entry_supervised_from_the_domestic_market_and_from_a_gate_of_the_same_branch_43_2_b_43_1_d(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.2.b: goods from the domestic market supervised in by the managing branch; 43.1.d (TT38 Art 91.6): from a
    gate of the same branch, entry supervised without a handover record; a declaration naming no gate of the branch
    is sent back to the record's receipt."""
    officer = Person(client, world["officer"])

    domestic = officer.do("bonded.supervise_entry", {"premises_id": world["warehouse"], "kind": "domestic", "declaration": FROM_DOMESTIC, "goods": STOCK})
    same = officer.do("bonded.supervise_entry", {"premises_id": world["warehouse"], "kind": "same_branch", "declaration": SAME_BRANCH, "goods": "Cuộn cáp điện;cuộn;40"})
    not_same = officer.do("bonded.supervise_entry", {"premises_id": world["warehouse"], "kind": "same_branch", "declaration": FROM_ABROAD, "goods": "x,kiện,1"})

    assert domestic["result"]["clause"] == "43.2.b" and same["result"]["clause"] == "43.1.d"
    assert not_same["code"] == "not_same_branch" and "43.1.d" in not_same["reason"]
    assert in_app(client, _lots, world["warehouse"]) == [
        (FROM_DOMESTIC, "Máy xúc bánh xích", "chiếc", 3000, 3000),
        (FROM_DOMESTIC, "Thép cuộn cán nóng", "tấn", 12500, 12500),
        (SAME_BRANCH, "Cuộn cáp điện", "cuộn", 40000, 40000),
    ]


def test_bad_entry_is_refused_in_words_and_changes_nothing(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    officer.client.cookies.set("gs_lang", "en")
    base = {"premises_id": world["warehouse"], "kind": "domestic", "declaration": FROM_DOMESTIC}

    bad_lines = officer.do("bonded.supervise_entry", {**base, "goods": "Máy xúc,chiếc,3\nThép,tấn,-1\nchỉ hai,cột"})
    export = officer.do("bonded.supervise_entry", {**base, "declaration": EXPORT, "goods": "x,kiện,1"})
    not_cleared = officer.do("bonded.supervise_entry", {**base, "declaration": NOT_CLEARED, "goods": "x,kiện,1"})
    by_staff = staff.do("bonded.supervise_entry", {**base, "goods": "x,kiện,1"})
    staff.client.cookies.set("gs_lang", "vi")
    page = staff.client.post("/bonded/release", data={"premises_id": str(world["warehouse"]), "kind": "domestic", "declaration": OUT_IMPORT, "note_number": "PXK-9", "lines": "abc,1"})

    assert bad_lines["code"] == "invalid_lines" and "line 2" in bad_lines["reason"] and "line 3" in bad_lines["reason"]
    assert export["code"] == "not_import" and "43.2.b" in export["reason"]
    assert not_cleared["code"] == "not_cleared"
    assert by_staff["code"] == "forbidden_role"
    assert page.status_code == 422 and f'id="release-form-{world["warehouse"]}-error"' in page.text and "không phải số lô" in page.text
    assert in_app(client, _counts) == (0, 0, 0, 0)


# --- goods out --------------------------------------------------------------------------------------------------


def test_goods_out_abroad_quantity_compared_exit_gate_checked_then_transit_43_3_a_1(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.3.a.1: the staff enter the release note for the independent transit declaration; the officer compares
    what is loaded with the note and the declaration (a difference is refused: propose an inspection instead) — the
    warehouse's branch follows Art 41 (Art 43.3.a);
    43.3.a.2: the exit gate is a branch with a border gate or port; then the goods follow Art 41 (/transit)."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    lot_a, lot_b = stocked(officer, world)

    made = release(staff, "abroad", TRANSIT_OK, f"{lot_a},2\n{lot_b},12.5")
    release_id = made["result"]["release_id"]
    differs = officer.do("bonded.check_release", {"release_id": release_id, "loaded": "1,2\n2,12", "declaration_matches": True})
    not_compared = officer.do("bonded.check_release", {"release_id": release_id, "loaded": "1,2\n2,12.5"})
    checked = officer.do("bonded.check_release", {"release_id": release_id, "loaded": "1,2\n2,12.5", "declaration_matches": True})

    assert made["result"]["state"] == "submitted"
    assert differs["code"] == "quantity_differs" and "43.3.a.1" in differs["reason"] and "12.5" in differs["reason"]
    assert not_compared["code"] == "declaration_not_compared"
    assert checked["result"]["state"] == "done" and checked["result"]["clause"] == "43.3.a"
    assert [lot[4] for lot in in_app(client, _lots, world["warehouse"])] == [1000, 0]
    page = officer.client.get(f"/bonded/out/{release_id}").text
    assert f'href="/transit/{TRANSIT_OK}"' in page and 'id="check-form"' not in page
    assert state_on(staff, release_id) == "done"
    printed = staff.client.get(f"/bonded/out/{release_id}/print").text
    assert "ĐỐI CHIẾU PHIẾU XUẤT KHO" in printed and "PXK-001" in printed and 'id="release-print-checked">Nguyễn Văn Một' in printed


def test_goods_out_abroad_to_a_wrong_exit_gate_is_refused_43_3_a_2(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.3.a.2 (TT38 Art 91.3.c): an exit branch with no border gate or port, or not in the branches catalog,
    is refused with the clause; so is a declaration that is not an independent transit declaration (43.3.a), or
    one registered at another branch; nothing leaves stock."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    lot_a, _ = stocked(officer, world)

    inland = release(staff, "abroad", TRANSIT_INLAND, f"{lot_a},1")
    unknown = release(staff, "abroad", TRANSIT_UNKNOWN, f"{lot_a},1")
    not_transit = release(staff, "abroad", OUT_IMPORT, f"{lot_a},1")
    elsewhere = release(staff, "abroad", TRANSIT_ELSEWHERE, f"{lot_a},1")

    assert inland["code"] == "exit_gate_not_border" and "43.3.a.2" in inland["reason"] and "Chi cục nội địa Ba" in inland["reason"]
    assert unknown["code"] == "exit_gate_unknown" and "ZZ-99" in unknown["reason"]
    assert not_transit["code"] == "not_transit" and elsewhere["code"] == "not_registered_here"
    assert [lot[4] for lot in in_app(client, _lots, world["warehouse"])] == [3000, 12500]
    assert in_app(client, _counts)[2] == 0


def test_goods_into_the_domestic_market_conditions_ticked_and_quantity_compared_43_4_b(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.4.b.1: the conditions of TT38 Art 91.4.c, every one ticked (a missing one refused, named); 43.4.b.2: the
    quantity out compared with the note."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    lot_a, _ = stocked(officer, world)
    release_id = release(staff, "domestic", OUT_IMPORT, f"{lot_a},1")["result"]["release_id"]
    officer.client.cookies.set("gs_lang", "en")

    missing = officer.do("bonded.check_release", {"release_id": release_id, "loaded": "1,1", "declaration_matches": True, "conditions": ALL_CONDITIONS[:3]})
    page = officer.client.post(f"/bonded/out/{release_id}/check", data={"loaded": "1,1", "declaration_matches": "true", "conditions": ALL_CONDITIONS[:2]})
    done = officer.client.post(f"/bonded/out/{release_id}/check", data={"loaded": "1,1", "declaration_matches": "true", "conditions": ALL_CONDITIONS}, follow_redirects=False)

    assert missing["code"] == "conditions_not_met" and "43.4.b.1" in missing["reason"] and "Tick every condition" in missing["reason"]
    assert page.status_code == 422 and 'id="check-form-error"' in page.text and "Duties paid or guaranteed" in page.text
    assert done.status_code == 303 and state_on(staff, release_id) == "done"
    assert in_app(client, _lots, world["warehouse"])[0][4] == 2000


def test_goods_into_a_non_tariff_zone_are_done_only_with_the_handover_record_43_5(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.5: as 43.4, and the warehouse's branch seals and makes a handover record for the zone's branch (the seals
    domain's commands, linked pre-filled); the movement is not done until that record exists."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    lot_a, _ = stocked(officer, world)
    no_zone = release(staff, "non_tariff", OUT_IMPORT, f"{lot_a},1")
    release_id = release(staff, "non_tariff", OUT_IMPORT, f"{lot_a},1", to_branch="B2")["result"]["release_id"]
    checked = officer.do("bonded.check_release", {"release_id": release_id, "loaded": "1,1", "declaration_matches": True, "conditions": ALL_CONDITIONS})
    early = officer.do("bonded.attach_record", {"release_id": release_id, "record_id": 999})
    page = officer.client.get(f"/bonded/out/{release_id}").text

    assert no_zone["code"] == "zone_branch_required" and "43.5" in no_zone["reason"]
    assert checked["result"]["state"] == "awaiting_record"
    assert early["code"] == "record_not_found" and "43.5" in early["reason"]
    assert f'href="/seals?number={OUT_IMPORT}&amp;location={world["warehouse"]}"' in page, page.split('id="release-attach"')[1][:600]
    assert 'id="attach-wait"' in page

    assert seal(officer, world, C1, "HQ-000301", location_id=world["warehouse"], number=OUT_IMPORT)["status"] == "applied"
    made = officer.do("seals.create_record", {"location_id": world["warehouse"], "kind": "handover", "number": OUT_IMPORT, "to_branch": "B2",
                                              "containers": [{"number": C1, "seal_number": "HQ-000301"}], "representative_name": "Đỗ Văn Sáu"})
    record_id = made["result"]["record_id"]
    draft = officer.do("bonded.attach_record", {"release_id": release_id, "record_id": record_id})
    assert officer.do("seals.sign_record", {"location_id": world["warehouse"], "record_id": record_id})["status"] == "applied"
    attached = officer.client.post(f"/bonded/out/{release_id}/attach", data={"record_id": str(record_id)}, follow_redirects=False)

    assert draft["code"] == "record_not_found"  # a draft is not a record yet
    assert attached.status_code == 303 and state_on(staff, release_id) == "done"
    assert made["result"]["serial"] in officer.client.get(f"/bonded/out/{release_id}").text


def test_goods_into_another_bonded_warehouse_supervised_by_the_old_branch_43_6(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.6.b: the old warehouse's branch supervises the goods out; the other warehouse is named by its code."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    _, lot_b = stocked(officer, world)

    itself = release(staff, "bonded", OUT_IMPORT, f"{lot_b},5", to_premises="B1-KHO")
    made = release(staff, "bonded", OUT_IMPORT, f"{lot_b},5", to_premises="B1-KHO2")
    checked = officer.do("bonded.check_release", {"release_id": made["result"]["release_id"], "loaded": "1,5", "declaration_matches": True})

    assert itself["code"] == "other_warehouse_required" and "43.6" in itself["reason"]
    assert checked["result"]["state"] == "done" and checked["result"]["clause"] == "43.6.b"
    assert in_app(client, _lots, world["warehouse"])[1][4] == 7500


def test_stock_never_goes_negative_more_than_left_is_refused_and_nothing_changes(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43: goods out come out of the warehouse's stock: a note asking more than what is left is refused whole,
    even when its first line fits (the lot taken before is given back)."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    lot_a, lot_b = stocked(officer, world)
    assert release(staff, "domestic", OUT_IMPORT, f"{lot_a},2")["status"] == "applied"

    too_much = release(staff, "domestic", OUT_IMPORT, f"{lot_b},1\n{lot_a},1.5")
    twice = release(staff, "domestic", OUT_IMPORT, f"{lot_b},1\n{lot_b},1")
    other_lot = release(staff, "domestic", OUT_IMPORT, "999999,1")

    assert too_much["code"] == "more_than_stock" and "1 chiếc" in too_much["reason"] and "1.5" in too_much["reason"]
    assert twice["code"] == "lot_twice" and other_lot["code"] == "unknown_lot"
    assert [lot[4] for lot in in_app(client, _lots, world["warehouse"])] == [1000, 12500]
    assert in_app(client, _counts)[2] == 1


def test_imported_goods_from_a_cfs_into_the_domestic_market_as_from_a_bonded_warehouse_44_2_a(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 44.2.a: imported goods received at a CFS (the record's receipt there) go into the domestic market checked
    as goods out of a bonded warehouse inland (Art 43.4); nothing else leaves a CFS on this page."""
    received_at(client, world, bonded["cfs"])
    staff, officer = Person(client, bonded["cfs_staff"]), Person(client, world["officer"])
    (lot_id,) = in_app(client, _lot_ids, bonded["cfs"])

    abroad = release(staff, "abroad", TRANSIT_OK, f"{lot_id},1")
    made = release(staff, "domestic", OUT_IMPORT, f"{lot_id},2")
    checked = officer.do("bonded.check_release", {"release_id": made["result"]["release_id"], "loaded": "1,2", "declaration_matches": True, "conditions": ALL_CONDITIONS})

    assert abroad["code"] == "cfs_domestic_only" and "44.2.a" in abroad["reason"]
    assert checked["result"]["state"] == "done" and in_app(client, _lots, bonded["cfs"])[0][4] == 0


# --- who sees what ----------------------------------------------------------------------------------------------


def test_only_the_warehouses_staff_and_the_managing_branch_see_it(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Staff of another premises, an officer of another branch: 404 and refused; an admin: no page."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    lot_a, _ = stocked(officer, world)
    release_id = release(staff, "domestic", OUT_IMPORT, f"{lot_a},1")["result"]["release_id"]
    other_staff, other_officer = Person(client, bonded["other_staff"]), Person(client, world["other_officer"])

    assert staff.client.get(f"/bonded/out/{release_id}").status_code == 200
    assert other_staff.client.get(f"/bonded/out/{release_id}").status_code == 404
    assert other_officer.client.get(f"/bonded/out/{release_id}").status_code == 404
    assert "Máy xúc bánh xích" not in other_staff.client.get("/bonded").text
    assert 'id="bonded-none"' in other_officer.client.get("/bonded").text
    foreign = release(other_staff, "domestic", OUT_IMPORT, f"{lot_a},1", premises_id=world["warehouse"])
    assert foreign["code"] == "unknown_bonded"
    assert other_officer.do("bonded.check_release", {"release_id": release_id, "loaded": "1,1", "declaration_matches": True})["code"] == "unknown_bonded"
    assert other_officer.do("bonded.supervise_entry", {"premises_id": world["warehouse"], "kind": "domestic", "declaration": FROM_DOMESTIC, "goods": "x,kiện,1"})["code"] == "unknown_bonded"
    sign_in_as(client, world["admin"])
    assert client.get("/bonded").status_code in (403, 404) and client.get(f"/bonded/out/{release_id}").status_code in (403, 404)
    assert in_app(client, _lots, world["warehouse"])[0][4] == 2000


# --- signs of a violation -----------------------------------------------------------------------------------------


def test_inspection_proposal_reaches_the_heads_inbox_and_the_signed_decision_closes_it_43_3_a_1(client: TestClient, world: World, bonded: dict[str, int]) -> None:
    """Art 43.3.a.1 (and 43.2.b on entry): "đề xuất Chi cục trưởng ... kiểm tra thực tế": the officer's proposal waits
    in the inbox of the branch's supervisors; the head decides, signed; another branch's head does not see it."""
    officer, staff = Person(client, world["officer"]), Person(client, world["warehouse_user"])
    head, other_head = Person(client, world["supervisor"]), Person(client, bonded["other_head"])
    lot_a, _ = stocked(officer, world)
    release_id = release(staff, "abroad", TRANSIT_OK, f"{lot_a},1")["result"]["release_id"]

    by_staff = staff.do("bonded.propose_inspection", {"release_id": release_id, "text": "x"})
    empty = officer.do("bonded.propose_inspection", {"release_id": release_id, "text": "  "})
    proposed = officer.do("bonded.propose_inspection", {"release_id": release_id, "text": "Kiện hàng có dấu hiệu bị mở"})
    entry_id = officer.do("bonded.supervise_entry", {"premises_id": world["warehouse"], "kind": "domestic", "declaration": FROM_DOMESTIC, "goods": "x,kiện,1"})["result"]["entry_id"]
    on_entry = officer.client.post("/bonded/propose", data={"entry_id": str(entry_id), "text": "Niêm phong không nguyên vẹn"}, follow_redirects=False)

    assert by_staff["code"] == "forbidden_role" and empty["code"] == "text_required"
    assert proposed["result"]["clause"] == "43.3.a.1" and on_entry.status_code == 303
    inbox = head.client.get("/api/v1/inbox").json()
    (group,) = [g for g in inbox["groups"] if g["kind"] == "bonded.inspection"]
    assert sorted(i["detail"] for i in group["items"]) == ["Kiện hàng có dấu hiệu bị mở", "Niêm phong không nguyên vẹn"]
    assert not [g for g in other_head.client.get("/api/v1/inbox").json()["groups"] if g["kind"] == "bonded.inspection"]

    proposal_id = proposed["result"]["proposal_id"]
    unsigned = head.do("bonded.decide_inspection", {"proposal_id": proposal_id, "decision": "inspect"}, sign=False)
    by_officer = officer.do("bonded.decide_inspection", {"proposal_id": proposal_id, "decision": "inspect"})
    elsewhere = other_head.do("bonded.decide_inspection", {"proposal_id": proposal_id, "decision": "inspect"})
    no_reason = head.do("bonded.decide_inspection", {"proposal_id": proposal_id, "decision": "no_inspection"})
    decided = head.do("bonded.decide_inspection", {"proposal_id": proposal_id, "decision": "inspect", "note": "Kiểm tra thực tế 100%"})
    again = head.do("bonded.decide_inspection", {"proposal_id": proposal_id, "decision": "no_inspection", "note": "x"})

    assert unsigned["code"] == "signature_required" and by_officer["code"] == "forbidden_role" and elsewhere["code"] == "unknown_bonded"
    assert no_reason["code"] == "note_required"
    assert decided["result"]["state"] == "inspect" and again["code"] == "already_decided"
    page = officer.client.get(f"/bonded/out/{release_id}").text
    assert 'id="proposal-' in page and 'data-state="inspect"' in page and "Kiểm tra thực tế 100%" in page
    (group,) = [g for g in head.client.get("/api/v1/inbox").json()["groups"] if g["kind"] == "bonded.inspection"]
    assert [i["detail"] for i in group["items"]] == ["Niêm phong không nguyên vẹn"]


# --- the state machine ------------------------------------------------------------------------------------------


def test_release_state_machine_allows_exactly_its_table() -> None:
    for current, target in product(ReleaseState, ReleaseState):
        assert allowed(current, target) == ((current, target) in TRANSITIONS)
    assert TRANSITIONS == {(ReleaseState.SUBMITTED, ReleaseState.DONE), (ReleaseState.SUBMITTED, ReleaseState.AWAITING_RECORD), (ReleaseState.AWAITING_RECORD, ReleaseState.DONE)}
