"""Changes of export place (Decision 1966, Art 43.3.c.1-c.4), end to end through the app on SQLite and PostgreSQL:
the proposal, the head's signed approval, the handover record (form 10) made with the seals domain's commands or the
new transit declaration from the mirror, the new place's report, and the BIA at the original exit gate with its note
in "Ghi chú (dành cho hải quan)"."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.conftest import World
from tests.export_place.helpers import (
    NEW_NUMBER, NUMBER, Cast, approve_new_declaration, at_exit_area, change, handover_record, inbox, last_transit_note, propose,
    register_new_declaration, transit_case,
)
from tests.seals.helpers import upsert
from tests.transit.helpers import transit_item


@pytest.fixture
def cast(client: TestClient, world: World) -> Cast:
    return Cast(client, world)


def applied(outcome: dict) -> dict:
    assert outcome["status"] == "applied", outcome
    return outcome["result"]


def test_c1_whole_lot_same_exit_gate_ends_with_bia_noting_the_actual_place(client: TestClient, cast: Cast) -> None:
    """Art 43.3.c.1.1.1 (the original place's officer proposes on the declarant's notice, its head approves), Art
    43.3.c.1.1.2 (sealed, handover record form 10 to the new place), Art 43.3.c.1.1.3 (the notice kept with the change),
    Art 43.3.c.1.2 (the new place reports the goods exported), Art 43.3.c.1.1.4 (BIA noting the actual export place)."""
    at_exit_area(cast)
    proposed = applied(propose(cast.destination, "c1", "B3-CANG"))
    change_id = proposed["change_id"]
    applied(cast.destination_head.do("export_place.decide", {"change_id": change_id, "decision": "approve"}))
    early_report = cast.new_place.do("export_place.report_exported", {"change_id": change_id})
    record_id = handover_record(cast)
    applied(cast.destination.do("export_place.hand_over", {"change_id": change_id, "record_id": record_id}))
    new_place_list = cast.new_place.client.get("/export-place").text
    new_place_page = cast.new_place.client.get(f"/export-place/changes/{change_id}").text
    early_bia = cast.destination.do("export_place.confirm_bia", {"change_id": change_id, "location_id": cast.world["other_gate"]})
    applied(cast.new_place.do("export_place.report_exported", {"change_id": change_id, "note": "Đã xuất hết"}))
    plain_bia = cast.destination.do("transit.confirm_arrival", {"location_id": cast.world["other_gate"], "number": NUMBER})
    bia_page = cast.destination.client.get(f"/export-place/changes/{change_id}").text
    closed = applied(cast.destination.do("export_place.confirm_bia", {"change_id": change_id, "location_id": cast.world["other_gate"]}))

    assert proposed["total_quantity"] == 2 and proposed["moved_quantity"] == 2
    assert early_report["code"] == "change_not_found"  # the new place knows of it once the record is handed to it
    assert early_bia["code"] == "transition_refused" and "43.3.c" in early_bia["reason"]
    assert f'data-change="{change_id}"' in new_place_list
    assert 'data-command="export_place.report_exported"' in new_place_page and 'data-command="export_place.confirm_bia"' not in new_place_page
    assert plain_bia["code"] == "change_in_progress" and "43.3.c.1.1.4" in plain_bia["reason"]
    assert 'data-command="export_place.confirm_bia"' in bia_page and "Địa điểm xuất hàng thực tế: Cảng Ba (B3-CANG)" in bia_page
    assert closed["state"] == "closed" and closed["transit_state"] == "arrived"
    assert transit_case(client)["state"] == "arrived"
    to_state, clause, note = last_transit_note(client)
    assert (to_state, clause) == ("arrived", "41.2.b.1.1.2")
    assert note == "Địa điểm xuất hàng thực tế: Cảng Ba (B3-CANG) (Điều 43.3.c.1.1.4 QĐ 1966/QĐ-TCHQ)."
    kept = change(client, change_id)
    assert (kept["record"], kept["declarant_notice"]) == (record_id, "Công văn 12/CV-ABC ngày 01/12/2026")


def test_c3_part_same_exit_gate_bia_notes_the_quantity_per_place(client: TestClient, cast: Cast) -> None:
    """Art 43.3.c.3.1.1 (proposed for a part, approved), Art 43.3.c.3.1.2 (the quantity exported at the original place,
    the rest sealed and handed over with form 10), Art 43.3.c.3.2 (the new place reports), Art 43.3.c.3.1.3 (BIA for
    the whole lot noting the quantity through each place)."""
    at_exit_area(cast)
    change_id = applied(propose(cast.destination, "c3", "B3-CANG", moved_quantity=1))["change_id"]
    applied(cast.destination_head.do("export_place.decide", {"change_id": change_id, "decision": "approve"}))
    record_id = handover_record(cast)
    wrong = cast.destination.do("export_place.hand_over", {"change_id": change_id, "record_id": record_id, "exported_quantity": 2})
    applied(cast.destination.do("export_place.hand_over", {"change_id": change_id, "record_id": record_id, "exported_quantity": 1}))
    applied(cast.new_place.do("export_place.report_exported", {"change_id": change_id}))
    closed = applied(cast.destination.do("export_place.confirm_bia", {"change_id": change_id, "location_id": cast.world["other_gate"]}))

    assert wrong["code"] == "quantity_mismatch" and "43.3.c.3.1.2" in wrong["reason"]
    assert closed["state"] == "closed"
    assert last_transit_note(client)[2] == (
        "Xuất khẩu từng phần: 1/2 tại địa điểm xuất hàng ban đầu; 1/2 tại Cảng Ba (B3-CANG) (Điều 43.3.c.3.1.3 QĐ 1966/QĐ-TCHQ)."
    )
    assert change(client, change_id)["exported_here"] == 1


def test_c2_whole_lot_other_exit_gate_notice_new_declaration_then_bia(client: TestClient, cast: Cast) -> None:
    """Art 43.3.c.2.1.1 (the branch of registration proposes, its head approves), Art 43.3.c.2.1.2 (its written notice
    to the original exit gate: a letter and an inbox item there), Art 43.3.c.2.2.1 (a new transit declaration
    required), Art 43.3.c.2.2.2 (registered and handled under Art 41 at the original exit gate), Art 43.3.c.2.2.3 (once
    approved, BIA noting its number), Art 43.3.c.2.3 (the new declaration's case is the new exit gate's)."""
    at_exit_area(cast)
    by_exit_gate = propose(cast.destination, "c2", "B4-CK")
    same_gate = propose(cast.officer, "c2", "B2-BAI")
    change_id = applied(propose(cast.officer, "c2", "B4-CK"))["change_id"]
    to_decide = inbox(client, cast.world["supervisor"])
    by_officer = cast.officer.do("export_place.decide", {"change_id": change_id, "decision": "approve"})
    letter_id = applied(cast.head.do("export_place.decide", {"change_id": change_id, "decision": "approve"}))["letter_id"]
    at_exit_gate = inbox(client, cast.ids["b2_head"])
    letter_page = cast.destination.client.get(f"/export-place/letters/{letter_id}")
    stranger_letter = cast.stranger.client.get(f"/export-place/letters/{letter_id}")
    applied(cast.destination.do("export_place.require_declaration", {"change_id": change_id}))
    unknown = cast.destination.do("export_place.link_declaration", {"change_id": change_id, "new_number": NEW_NUMBER})
    register_new_declaration(cast)
    upsert(client, {**transit_item("501000000103", lane=2, destination_branch_code="B3", exit_mode="road"), "branch_code": "B2"})
    elsewhere = cast.destination.do("export_place.link_declaration", {"change_id": change_id, "new_number": "501000000103"})
    applied(cast.destination.do("export_place.link_declaration", {"change_id": change_id, "new_number": NEW_NUMBER}))
    not_approved = cast.destination.do("export_place.confirm_bia", {"change_id": change_id, "location_id": cast.world["other_gate"]})
    waiting_page = cast.destination.client.get(f"/export-place/changes/{change_id}").text
    approve_new_declaration(cast)
    closed = applied(cast.destination.do("export_place.confirm_bia", {"change_id": change_id, "location_id": cast.world["other_gate"]}))

    assert by_exit_gate["code"] == "not_your_step" and "43.3.c.2.1" in by_exit_gate["reason"]
    assert same_gate["code"] == "same_exit_gate" and "43.3.c.1" in same_gate["reason"]
    assert ("export_place.to_decide", str(change_id)) in to_decide
    assert by_officer["code"] == "forbidden_role"
    assert ("export_place.change_notice", str(letter_id)) in at_exit_gate
    assert letter_page.status_code == 200 and "c.2.1.2" in letter_page.text and NUMBER in letter_page.text
    assert stranger_letter.status_code == 404
    assert unknown["code"] == "new_declaration_unknown" and "43.3.c.2.2" in unknown["reason"]
    assert not_approved["code"] == "new_declaration_not_approved"
    assert 'id="closed-blocked"' in waiting_page and 'data-command="export_place.confirm_bia"' not in waiting_page
    assert elsewhere["code"] == "new_declaration_elsewhere" and "43.3.c.2.2.1" in elsewhere["reason"]
    assert closed["transit_state"] == "arrived"
    assert transit_case(client, NEW_NUMBER)["destination_branch"] == cast.ids["b4"]
    assert last_transit_note(client)[2] == f"Thay đổi cửa khẩu xuất: tờ khai vận chuyển độc lập mới số {NEW_NUMBER} (Điều 43.3.c.2.2.3 QĐ 1966/QĐ-TCHQ)."


def test_c4_part_other_exit_gate_waits_for_approval_and_the_original_part(client: TestClient, cast: Cast) -> None:
    """Art 43.3.c.4.1.1 (a part, proposed by the branch of registration, approved), Art 43.3.c.4.1.2 (the written
    notice), Art 43.3.c.4.2.1 (a new transit declaration required), Art 43.3.c.4.2.2 (registered, approved under Art
    41), Art 43.3.c.4.2.3 (BIA for the original lot once the new declaration is approved and the original part
    exported, noting both quantities and the new number), Art 43.3.c.4.3 (the new declaration's case is the new gate's)."""
    at_exit_area(cast)
    too_much = propose(cast.officer, "c4", "B4-CK", moved_quantity=3)
    whole = propose(cast.officer, "c4", "B4-CK", moved_quantity=2)
    change_id = applied(propose(cast.officer, "c4", "B4-CK", moved_quantity=1))["change_id"]
    letter_id = applied(cast.head.do("export_place.decide", {"change_id": change_id, "decision": "approve"}))["letter_id"]
    applied(cast.destination.do("export_place.require_declaration", {"change_id": change_id}))
    approve_new_declaration(cast)
    applied(cast.destination.do("export_place.link_declaration", {"change_id": change_id, "new_number": NEW_NUMBER}))
    early_bia = cast.destination.do("export_place.confirm_bia", {"change_id": change_id, "location_id": cast.world["other_gate"]})
    wrong = cast.destination.do("export_place.record_part_exported", {"change_id": change_id, "exported_quantity": 2})
    applied(cast.destination.do("export_place.record_part_exported", {"change_id": change_id, "exported_quantity": 1}))
    closed = applied(cast.destination.do("export_place.confirm_bia", {"change_id": change_id, "location_id": cast.world["other_gate"]}))

    assert too_much["code"] == "quantity_over_lot" and "43.3.c.3, c.4" in too_much["reason"]
    assert whole["code"] == "quantity_not_a_part"
    assert early_bia["code"] == "transition_refused"
    assert wrong["code"] == "quantity_mismatch" and "43.3.c.4.2.3" in wrong["reason"]
    assert closed["state"] == "closed" and letter_id is not None
    assert transit_case(client, NEW_NUMBER)["destination_branch"] == cast.ids["b4"]
    assert last_transit_note(client)[2] == (
        f"Xuất khẩu tại cửa khẩu xuất ban đầu: 1/2; sẽ xuất khẩu tại cửa khẩu xuất mới Cửa khẩu Bốn (B4-CK): 1/2; "
        f"tờ khai vận chuyển độc lập mới số {NEW_NUMBER} (Điều 43.3.c.4.2.3 QĐ 1966/QĐ-TCHQ)."
    )
