"""Transit commands through the real app and journal (SQLite and PostgreSQL): the yellow-lane flow from CES to BIA
with its timeline, the exit gate's two steps, a violation and its penalty, COR and CAN accepted and refused, a
combined transit declaration passing without BOA/BIA, and who may do what. Signed types are signed with a
software passkey (tests/journal/device.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.journal.device import Person
from tests.transit.helpers import NUMBER, People, case, check_arrival, declare, journal_count, seal, signed_record, timeline, transit_item
from tests.seals.helpers import upsert


@pytest.fixture
def people(client: TestClient, world: World) -> People:
    return People(client, world)


def assign(people: People, number: str = NUMBER, instructions: str = "Kiểm tra kỹ giấy phép quá cảnh") -> dict:
    return people.head.do("transit.assign", {"number": number, "officer_code": "CB1", "instructions": instructions})


def cet(people: People, code: str, reason: str = "", number: str = NUMBER) -> dict:
    return people.officer.do("transit.decide", {"number": number, "code": code, "reason": reason})


def depart(people: People, **options: object) -> dict:
    return people.officer.do("transit.register_departure", {"location_id": people.world["gate"], "number": NUMBER}, **options)


def arrive(people: People, type_: str = "transit.confirm_arrival") -> dict:
    return people.destination.do(type_, {"location_id": people.world["other_gate"], "number": NUMBER})


def test_yellow_lane_from_ces_to_bia_with_its_timeline(client: TestClient, world: World, people: People) -> None:
    """A yellow-lane transit from CES to BIA, each step on the timeline with its clause: the head assigns the officer
    by CES (Art 41.1.b.1.1) with the instructions of "Nội dung giao việc" (Art 41.1.b.1.2); the officer asks for a
    supplement by CET C and checks again after the declarant's COT (Art 41.1.b.2.2), then approves by CET A
    (Art 41.1.b.2.3); after sealing, BOA registers the departure and its deadline (Art 41.1.4.a); at the destination
    the goods are checked on the spot before BIA (Art 41.2, Art 41.2.b.1.2)."""
    declare(client)  # lane 2, B1 -> B2, 24 hours

    assigned = assign(people)
    asked = cet(people, "C", "Bổ sung Bản kê vận đơn")
    upsert(client, transit_item(version=2, supplements=1))  # the declarant's COT arrives through the mirror
    after_cot = case(client)["state"]
    approved = cet(people, "A")
    seal(people.officer, world)
    sealed = case(client)["state"]
    departed = depart(people)
    unchecked = arrive(people)
    checked = check_arrival(people)
    arrived = arrive(people)

    assert [o["status"] for o in (assigned, asked, approved, departed, checked, arrived)] == ["applied"] * 6
    # The destination checks before it confirms (41.2.a.1-2, then b.1): BIA before the check is refused, in words.
    assert unchecked["code"] == "arrival_not_checked" and "41.2.a.1" in unchecked["reason"]
    assert (after_cot, sealed) == ("assigned", "sealed")
    row = case(client)
    assert row["state"] == "arrived" and row["instructions"] == "Kiểm tra kỹ giấy phép quá cảnh"
    assert row["assigned_officer"] == world["officer"] and row["decision_code"] == "A"
    assert row["deadline"] - row["departed_at"] == timedelta(hours=24)
    assert departed["result"]["deadline"] == row["deadline"].isoformat()
    assert timeline(client) == [
        ("", "registered", None, "41.1.a.1"),
        ("registered", "yellow", None, "41.1.a.2"),
        ("yellow", "assigned", "GS1", "41.1.b.1"),
        ("assigned", "supplement_requested", "CB1", "41.1.b.2.2"),
        ("supplement_requested", "assigned", None, "41.1.b.2.2"),
        ("assigned", "approved", "CB1", "41.1.b.2.3"),
        ("approved", "sealed", "CB1", "41.1.c.1"),
        ("sealed", "departed", "CB1", "41.1.4.a"),
        ("departed", "departed", "CB2", "41.2.a.2"),  # the arrival check, a note on the timeline
        ("departed", "arrived", "CB2", "41.2.b.1.2"),
    ]


def test_cet_x_refuses_with_the_reason_and_nothing_follows(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.b.2.1: not eligible for transit, the declarant is told the reason by CET X, and nothing follows."""
    declare(client)
    assign(people)

    refused = cet(people, "X", "Không có giấy phép quá cảnh")
    again = cet(people, "A")

    assert refused["status"] == "applied" and case(client)["state"] == "refused"
    assert case(client)["decision_reason"] == "Không có giấy phép quá cảnh"
    assert again["status"] == "rejected" and again["code"] == "transition_refused"
    assert "41.1.b.2.3" in again["reason"]


def test_green_lane_goes_to_sealing_without_assignment(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1)

    assign_green = assign(people)
    seal(people.officer, world)

    assert assign_green["status"] == "rejected" and "41.1.b.1" in assign_green["reason"]
    assert case(client)["state"] == "sealed"
    assert [step[1] for step in timeline(client)] == ["registered", "green", "sealed"]


def test_sealing_a_yellow_lane_transit_before_its_approval_is_refused_41_1_c(client: TestClient, world: World, people: People) -> None:
    """Decision 1966 Art 41.1.c: a transit declaration is sealed at step 3, which the green lane reaches at once
    (41.1.a.2) and the yellow lane after CET A (41.1.b.2.3): "confirm sealed" before that is refused, nothing changes;
    after the approval it goes."""
    declare(client, lane=2)
    containers = [{"number": C1, "seal_number": "HQ-000201"}, {"number": C2, "seal_number": "HQ-000202"}]
    signed_record(people.officer, world, containers, NUMBER)

    early = people.officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})

    assert early["status"] == "rejected" and early["code"] == "transit_not_approved"
    assert "41.1.c" in early["reason"] and case(client)["state"] == "yellow"
    assign(people)
    assert cet(people, "A")["status"] == "applied"
    late = people.officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    assert late["status"] == "applied", late
    assert case(client)["state"] == "sealed"


def test_boa_before_sealing_is_refused_citing_41_1_4_a_and_nothing_written(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1)
    before = in_app(client, journal_count)

    outcome = depart(people)

    assert outcome["status"] == "rejected" and outcome["code"] == "transition_refused"
    assert "41.1.4.a" in outcome["reason"] and case(client)["departed_at"] is None
    assert in_app(client, journal_count) == before


def test_exit_gate_two_steps_then_bia(client: TestClient, world: World, people: People) -> None:
    """Art 41.2.b.1.1.1: exports leaving through a road gate are confirmed arrived in the exit gate's supervision area
    (e-Customs, "Tờ khai vận chuyển độc lập"), then BIA once all goods crossed (41.2.b.1.1.2)."""
    declare(client, lane=1, exit_mode="road")
    seal(people.officer, world)
    depart(people)

    too_soon = arrive(people)
    check_arrival(people)  # the destination checks first (41.2.a.1-2)
    in_area = arrive(people, "transit.confirm_exit_area")
    crossed = arrive(people)

    assert too_soon["status"] == "rejected" and "41.2.b.1" in too_soon["reason"]
    assert (in_area["status"], crossed["status"]) == ("applied", "applied")
    assert [step[3] for step in timeline(client)][-2:] == ["41.2.b.1.1.1", "41.2.b.1.1.2"]


def test_violation_then_bia_only_after_the_penalty(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1)
    seal(people.officer, world)
    depart(people)

    violation = people.destination.do("transit.record_violation", {"location_id": world["other_gate"], "number": NUMBER, "note": "Niêm phong C1 bị đứt"})
    too_soon = arrive(people)
    by_destination = people.destination_head.do("transit.record_penalty", {"number": NUMBER, "note": "QĐ 12/QĐ-XPHC"})
    penalty = people.head.do("transit.record_penalty", {"number": NUMBER, "note": "QĐ 12/QĐ-XPHC đã thực hiện; cập nhật QLRR"})
    arrived = arrive(people)

    assert violation["status"] == "applied" and too_soon["status"] == "rejected" and "41.2.b" in too_soon["reason"]
    assert by_destination["status"] == "rejected" and by_destination["code"] == "not_your_step"
    assert (penalty["status"], arrived["status"]) == ("applied", "applied")
    row = case(client)
    assert row["violation_note"] == "Niêm phong C1 bị đứt" and row["penalty_note"].startswith("QĐ 12")


# --- amendments and cancellations (41.3) ------------------------------------------------------------------------


def amend(client: TestClient, kind: str, count: int = 1, version: int = 2, **options: object) -> None:
    upsert(client, transit_item(version=version, amendment_kind=kind, amendments=count, **options))


def handle_amendment(people: People, proposal: str, decision: str) -> list[dict]:
    return [
        assign(people, instructions="Đối chiếu chứng từ khai bổ sung"),
        people.officer.do("transit.propose", {"number": NUMBER, "proposal": proposal, "reason": "" if proposal == "accept" else "Chứng từ không khớp"}),
        people.head.do("transit.decide_amendment", {"number": NUMBER, "decision": decision, "reason": "" if decision == "accept" else "Không đủ căn cứ"}),
    ]


def test_cor_accepted_re_approves_sealed_goods(client: TestClient, world: World, people: People) -> None:
    """An amendment (COR): the head assigns it by CES (Art 41.3.a.1) with the instructions (Art 41.3.a.2); the
    officer checks it and proposes the decision to the head (Art 41.3.b); accepted, the officer approves again by
    CET A and the goods stay sealed (Art 41.3.b.2)."""
    declare(client, lane=1)
    seal(people.officer, world)
    amend(client, "COR", lane=1)

    steps = handle_amendment(people, "accept", "accept")
    wrong = cet(people, "X", "x")
    cet_a = cet(people, "A")

    assert [o["status"] for o in steps] == ["applied"] * 3 and wrong["code"] == "cet_against_decision"
    assert cet_a["status"] == "applied"
    row = case(client)
    assert row["instructions"] == "Đối chiếu chứng từ khai bổ sung"
    assert (row["state"], row["amendment_kind"], row["decision_code"]) == ("sealed", "", "A")
    assert [(t[1], t[3]) for t in timeline(client)][3:] == [
        ("amendment_received", "41.3"), ("amendment_assigned", "41.3.a"), ("amendment_proposed", "41.3.b"),
        ("amendment_accepted", "41.3.b"), ("sealed", "41.3.b.2"),
    ]


def test_cor_refused_returns_where_the_case_was(client: TestClient, world: World, people: People) -> None:
    """Art 41.3.b.1: an amendment not accepted: CET X with the reason, and the case returns where it was."""
    declare(client, lane=1)
    amend(client, "COR", lane=1)

    handle_amendment(people, "refuse", "refuse")
    cet_x = cet(people, "X", "Không chấp nhận khai bổ sung: chứng từ không khớp")

    assert cet_x["status"] == "applied"
    row = case(client)
    assert (row["state"], row["decision_code"], row["amendment_kind"]) == ("green", "X", "")


def test_can_accepted_cancels(client: TestClient, world: World, people: People) -> None:
    """Art 41.3.b.2: a cancellation (CAN) accepted: CET A cancels the transit declaration, and nothing follows."""
    declare(client)
    amend(client, "CAN")

    handle_amendment(people, "accept", "accept")
    cet_a = cet(people, "A")
    assign_after = assign(people)

    assert cet_a["status"] == "applied" and case(client)["state"] == "cancelled"
    assert assign_after["status"] == "rejected"


def test_can_refused_returns_to_the_document_check(client: TestClient, world: World, people: People) -> None:
    declare(client)
    assign(people)  # the document check had begun
    amend(client, "CAN")

    handle_amendment(people, "accept", "refuse")  # the head overrules the officer's proposal
    cet_x = cet(people, "X", "Không chấp nhận hủy")

    assert cet_x["status"] == "applied" and case(client)["state"] == "assigned"


def test_cor_before_approval_is_noted_on_the_timeline_not_applied(client: TestClient, world: World, people: People) -> None:
    declare(client)

    amend(client, "COR")

    assert case(client)["state"] == "yellow"
    async def notes() -> list[dict]:
        from backend.transit.tables import TransitEvent

        return await TransitEvent.select(TransitEvent.to_state, TransitEvent.clause, TransitEvent.note).where(TransitEvent.from_state == "yellow")

    (note,) = in_app(client, notes)
    assert note["to_state"] == "yellow" and note["clause"] == "41.3" and note["note"].startswith("COR: transition_refused")
    assert "Điều 41.3" in note["note"]


# --- combined transit (Art 42) ------------------------------------------------------------------------------------


def test_combined_transit_passes_the_gate_without_boa_or_bia(client: TestClient, world: World, people: People) -> None:
    upsert(client, transit_item(kind="combined_transit", lane=1, seal_required=False))

    passage = people.officer.do("gate.confirm_passage", {"location_id": world["gate"], "number": NUMBER, "containers": [C1]})
    boa = depart(people)
    bia = arrive(people)

    assert case(client)["state"] == "gate_supervision"
    assert passage["status"] == "applied", passage
    assert boa["status"] == "rejected" and boa["code"] == "no_boa_nor_bia" and "42.2" in boa["reason"]
    assert bia["status"] == "rejected"
    assert timeline(client) == [("", "registered", None, "42.1"), ("registered", "gate_supervision", None, "42.2")]


# --- who may do what ----------------------------------------------------------------------------------------------


def test_an_officer_cannot_assign(client: TestClient, world: World, people: People) -> None:
    declare(client)

    outcome = people.officer.do("transit.assign", {"number": NUMBER, "officer_code": "CB1"})

    assert outcome["code"] == "forbidden_role" and case(client)["state"] == "yellow"


def test_only_the_assigned_officer_sends_cet(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.b.2: the dossier is checked, and CET sent, by the officer the head assigned; a colleague or the head
    is refused."""
    declare(client)
    assign(people)

    by_colleague = people.colleague.do("transit.decide", {"number": NUMBER, "code": "A"})
    by_head = people.head.do("transit.decide", {"number": NUMBER, "code": "A"})

    assert (by_colleague["code"], by_head["code"]) == ("not_your_step", "not_your_step")
    assert case(client)["state"] == "assigned"


def test_another_branch_cannot_decide_nor_see_before_departure(client: TestClient, world: World, people: People) -> None:
    declare(client)
    assign(people)

    by_b2_head = people.destination_head.do("transit.assign", {"number": NUMBER, "officer_code": "CB2"})
    by_b2_officer = people.destination.do("transit.decide", {"number": NUMBER, "code": "A"})
    seen = people.destination.client.get(f"/api/v1/transit/declarations/{NUMBER}")

    assert (by_b2_head["code"], by_b2_officer["code"]) == ("transit_not_found", "transit_not_found")
    assert seen.status_code == 404 and "501000000001" in seen.text


def test_destination_sees_and_acts_only_once_departed_and_only_what_is_addressed_to_it(client: TestClient, world: World, people: People) -> None:
    from backend.officers.services import create_officer, ensure_branch

    in_app(client, ensure_branch, "B3", "Chi cục Ba")  # a third branch: neither departure nor destination
    third = Person(client, in_app(client, create_officer, "CB9", "Lý Văn Chín", "officer", "B3"))
    declare(client, lane=1)
    seal(people.officer, world)
    early_bia = arrive(people)
    depart(people)
    check_arrival(people)
    by_departure = people.officer.do("transit.confirm_arrival", {"location_id": world["gate"], "number": NUMBER})
    third_seen = third.client.get(f"/api/v1/transit/declarations/{NUMBER}")
    seen = people.destination.client.get(f"/api/v1/transit/declarations/{NUMBER}")
    lists = people.destination.client.get("/api/v1/transit/lists").json()

    assert early_bia["code"] == "transit_not_found"
    assert by_departure["code"] == "not_your_step"
    assert third_seen.status_code == 404
    assert seen.status_code == 200 and seen.json()["state"] == "departed" and seen.json()["timeline"][-1]["clause"] == "41.2.a.2"  # its own check
    assert [item["number"] for item in lists["to_confirm_arriving"]] == [NUMBER]


def test_officer_lists(client: TestClient, world: World, people: People) -> None:
    declare(client)
    declare(client, "501000000002", lane=1)
    assign(people)

    mine = people.officer.client.get("/api/v1/transit/lists").json()
    heads = people.head.client.get("/api/v1/transit/lists").json()
    colleague = people.colleague.client.get("/api/v1/transit/lists").json()

    assert [i["number"] for i in mine["assigned_to_me"]] == [NUMBER] and mine["to_assign"] == []
    assert [i["number"] for i in mine["to_seal"]] == ["501000000002"]
    assert colleague["assigned_to_me"] == []
    declare(client, "501000000003")
    heads = people.head.client.get("/api/v1/transit/lists").json()
    assert [i["number"] for i in heads["to_assign"]] == ["501000000003"]


# --- the outbox (backend/outbox): what the national system learns ------------------------------------------------


def test_ces_cet_boa_bia_become_outbound_messages_in_order(client: TestClient, world: World, people: People) -> None:
    declare(client)
    assign(people)
    cet(people, "A")
    seal(people.officer, world)
    depart(people)
    check_arrival(people)
    arrive(people)

    async def messages() -> list[tuple[str, str]]:
        from backend.outbox.tables import OutboxMessage

        rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.declaration_number).where(OutboxMessage.kind.like("transit.%")).order_by(OutboxMessage.id)
        return [(r["kind"], r["declaration_number"]) for r in rows]

    assert in_app(client, messages) == [(kind, NUMBER) for kind in ("transit.CES", "transit.CET", "transit.BOA", "transit.BIA")]
