"""The change of export place's state machine walked pair by pair (Decision 1966, Art 43.3.c), and who may do what:
43.3.c's preamble (only in the exit gate's area, before BIA, one change at a time), heads only approve, the right
branch's head, an unrelated branch told nothing (404), warehouse staff nothing; the pages (the transit page's link,
the change's next step only, its refusal in words). SQLite and PostgreSQL where the database is touched."""

from __future__ import annotations

from itertools import product

import pytest
from litestar.testing import TestClient

from backend.export_place.workflow import TRANSITIONS, ChangeKind, ChangeState, TransitionRefused, check
from tests.conftest import World
from tests.export_place.helpers import NUMBER, Cast, at_exit_area, departed, handover_record, into_exit_area, propose

DETAILS = {"reason": "x", "record_id": 1, "new_number": "501000000102", "exported_here": 1}


def test_43_3_c_every_pair_of_states_is_allowed_only_by_the_table() -> None:
    """Art 43.3.c.1-c.4: each case's steps in its order, every other pair refused citing the clause of what comes first."""
    for kind, current, target in product(ChangeKind, ChangeState, ChangeState):
        change = {"kind": kind.value, "state": current.value}
        if (kind, current, target) in TRANSITIONS:
            assert check(change, target, DETAILS).clause.startswith("43.3.c." + kind.value[1])
        else:
            with pytest.raises(TransitionRefused) as refused:
                check(change, target, DETAILS)
            assert "43.3.c" in refused.value.params["why"].message


@pytest.fixture
def cast(client: TestClient, world: World) -> Cast:
    return Cast(client, world)


def test_43_3_c_preamble_only_in_the_exit_area_before_bia_one_change_at_a_time(client: TestClient, cast: Cast) -> None:
    """Art 43.3.c (preamble): goods in the exit gate's supervision area, BIA not done; a second change waits."""
    departed(cast)
    before_exit_area = propose(cast.officer, "c2", "B4-CK")
    into_exit_area(cast)
    first = propose(cast.officer, "c2", "B4-CK")
    second = propose(cast.destination, "c1", "B3-CANG")
    empty_notice = propose(cast.destination, "c1", "B3-CANG", declarant_notice=" ")
    unknown_place = propose(cast.officer, "c2", "NOWHERE")

    assert before_exit_area["code"] == "not_in_exit_area" and "43.3.c" in before_exit_area["reason"]
    assert first["status"] == "applied"
    assert second["code"] == "change_open"
    assert empty_notice["code"] in ("change_open", "notice_required")
    assert unknown_place["code"] in ("change_open", "unknown_place")


def test_43_3_c_who_heads_approve_unrelated_branches_and_warehouse_staff(client: TestClient, cast: Cast) -> None:
    """Art 43.3.c.1.1.1: the original place's officer proposes and its head approves: not an officer, not the head of
    the branch of registration; a branch with no relation to the lot gets 404; warehouse staff nothing."""
    at_exit_area(cast)
    by_registration_officer = propose(cast.officer, "c1", "B3-CANG")
    change_id = propose(cast.destination, "c1", "B3-CANG")["result"]["change_id"]
    by_officer = cast.destination.do("export_place.decide", {"change_id": change_id, "decision": "approve"})
    by_other_head = cast.head.do("export_place.decide", {"change_id": change_id, "decision": "approve"})
    by_stranger = cast.stranger.do("export_place.hand_over", {"change_id": change_id, "record_id": 1})
    by_warehouse = cast.warehouse.do("export_place.propose", {"number": NUMBER, "kind": "c1", "new_place": "B3-CANG", "declarant_notice": "x"})
    refused_without_reason = cast.destination_head.do("export_place.decide", {"change_id": change_id, "decision": "refuse"})
    stranger_page = cast.stranger.client.get(f"/export-place/changes/{change_id}")
    warehouse_page = cast.warehouse.client.get("/export-place")
    head_page = cast.destination_head.client.get(f"/export-place/changes/{change_id}")
    officer_page = cast.destination.client.get(f"/export-place/changes/{change_id}")

    assert by_registration_officer["code"] == "not_your_step" and "43.3.c.1.1" in by_registration_officer["reason"]
    assert by_officer["code"] == "forbidden_role"
    assert by_other_head["code"] == "not_your_step" and "43.3.c.1.1.1" in by_other_head["reason"]
    assert by_stranger["code"] == "change_not_found"
    assert by_warehouse["code"] == "forbidden_role"
    assert refused_without_reason["code"] == "reason_required"
    assert stranger_page.status_code == 404 and warehouse_page.status_code == 403
    assert 'data-command="export_place.decide"' in head_page.text and 'id="approved-form"' in head_page.text
    assert 'data-command="export_place.decide"' not in officer_page.text and 'id="next-step"' not in officer_page.text


def test_43_3_c_1_pages_link_from_transit_and_refuse_in_words(client: TestClient, cast: Cast) -> None:
    """Art 43.3.c.1.1.2: the transit page links to the change form in the exit area; the change page offers only the
    next step; a record not addressed to the new place is refused in the officer's language without the script."""
    at_exit_area(cast)
    transit_page = cast.destination.client.get(f"/transit/{NUMBER}")
    form_page = cast.destination.client.get(f"/export-place/new/{NUMBER}")
    posted = cast.destination.client.post(
        f"/export-place/new/{NUMBER}", data={"kind": "c1", "new_place": "B3-CANG", "declarant_notice": "CV 1/2026", "moved_quantity": "0"}, follow_redirects=False
    )
    change_id = int(posted.headers["location"].rsplit("/", 1)[1])
    cast.destination_head.do("export_place.decide", {"change_id": change_id, "decision": "approve"})
    before_record = cast.destination.client.get(f"/export-place/changes/{change_id}")
    wrong_record = handover_record(cast, to_branch="B4")
    with_record = cast.destination.client.get(f"/export-place/changes/{change_id}")
    refused = cast.destination.client.post(f"/export-place/changes/{change_id}/handed_over", data={"record_id": str(wrong_record)})

    assert f'href="/export-place/new/{NUMBER}"' in transit_page.text
    assert form_page.status_code == 200 and 'data-command="export_place.propose"' in form_page.text
    assert posted.status_code == 303
    assert 'id="make-record-link"' in before_record.text and f"/seals?number={NUMBER}" in before_record.text
    assert 'id="make-record-link"' in with_record.text  # a record to B4 is not one to the new place (B3)
    assert refused.status_code == 422 and "43.3.c.1.1.2" in refused.text
