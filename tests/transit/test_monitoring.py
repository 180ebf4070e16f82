"""Monitoring after departure (Decision 1966, Art 41.1.4.b), SQLite and PostgreSQL: the overdue list of the departure
branch with a controlled clock, the letter asking the destination branch to verify (an item for that branch, which
answers it), and a lot never arrived becoming a trace case with its outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from backend.officers.schemas import Actor
from backend.officers.tables import Role
from tests.conftest import World, in_app
from tests.transit.helpers import NUMBER, People, case, check_arrival, declare, seal, timeline


@pytest.fixture
def people(client: TestClient, world: World) -> People:
    return People(client, world)


def departed(client: TestClient, people: People, number: str = NUMBER, hours_ago: float = 0, transit_hours: int = 1) -> dict:
    """A green-lane lot sealed and departed `hours_ago` (BOA made then, sent now), with its registered transit time."""
    declare(client, number, lane=1, transit_hours=transit_hours)
    seal(people.officer, people.world, number)
    issued = datetime.now(UTC) - timedelta(hours=hours_ago)
    outcome = people.officer.do("transit.register_departure", {"location_id": people.world["gate"], "number": number}, issued_at=issued)
    assert outcome["status"] == "applied", outcome
    return case(client, number)


def actor(world: World, who: str, branch: str) -> Actor:
    code, role = {"officer": ("CB1", Role.OFFICER), "other_officer": ("CB2", Role.OFFICER)}[who]
    return Actor(id=world[who], code=code, full_name="", role=role, branch_id=world[branch], branch_code=None, branch_name=None)


def test_overdue_list_follows_the_clock_and_the_departure_branch(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.4.b: "quá thời hạn đăng ký mà chưa có thông tin xác nhận hàng đã đến đích": the departure branch's list, by the registered transit time."""
    from backend.transit.services import overdue_list

    row = departed(client, people, transit_hours=24)
    deadline = row["deadline"]
    departure, destination = actor(world, "officer", "branch"), actor(world, "other_officer", "other_branch")

    before = in_app(client, overdue_list, departure, deadline - timedelta(minutes=1))
    after = in_app(client, overdue_list, departure, deadline + timedelta(minutes=1))
    at_destination = in_app(client, overdue_list, destination, deadline + timedelta(minutes=1))

    assert before == [] and at_destination == []
    assert [(item.number, item.overdue, item.deadline) for item in after] == [(NUMBER, True, deadline)]


def test_arrival_takes_a_lot_off_the_overdue_list(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.4.b: a lot confirmed arrived (BIA) is no longer overdue."""
    departed(client, people, hours_ago=3)
    listed = people.officer.client.get("/api/v1/transit/overdue").json()

    check_arrival(people)
    people.destination.do("transit.confirm_arrival", {"location_id": world["other_gate"], "number": NUMBER})

    assert [item["number"] for item in listed] == [NUMBER]
    assert people.officer.client.get("/api/v1/transit/overdue").json() == []


def test_verification_letter_is_an_item_for_the_destination_which_answers_it(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.4.b: the head's letter asking the destination branch to verify, an item for that branch, which answers it."""
    departed(client, people, hours_ago=3)

    by_officer = people.officer.do("transit.request_verification", {"number": NUMBER, "letter": "x"})
    letter = people.head.do("transit.request_verification", {"number": NUMBER, "letter": "Đề nghị kiểm tra, xác nhận tình trạng lô hàng"})
    items = people.destination.client.get("/api/v1/transit/verifications").json()
    not_ours = people.colleague.do("transit.answer_verification", {"request_id": letter["result"]["request_id"], "answer": "x"})
    answer = people.destination.do("transit.answer_verification", {"request_id": letter["result"]["request_id"], "answer": "Chưa thấy hàng đến"})

    assert by_officer["code"] == "forbidden_role" and letter["status"] == "applied"
    assert [(i["number"], i["from_branch_code"], i["letter"], i["answered_at"]) for i in items] == [(NUMBER, "B1", "Đề nghị kiểm tra, xác nhận tình trạng lô hàng", None)]
    assert not_ours["code"] == "unknown_request" and answer["status"] == "applied"
    assert people.destination.client.get("/api/v1/transit/verifications").json()[0]["answer"] == "Chưa thấy hàng đến"
    assert [(step[0], step[1], step[3]) for step in timeline(client)][-2:] == [("departed", "departed", "41.1.4.b")] * 2
    assert people.officer.client.get("/api/v1/transit/verifications").json() == []  # B1 receives no letter of its own


def test_letter_and_trace_before_the_deadline_are_refused(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.4.b: the letter and the trace are for lots past their registered transit time only."""
    departed(client, people, transit_hours=24)

    letter = people.head.do("transit.request_verification", {"number": NUMBER, "letter": "x"})
    trace = people.officer.do("transit.open_trace", {"number": NUMBER})

    assert (letter["code"], trace["code"]) == ("not_overdue", "not_overdue") and "41.1.4.b" in letter["reason"]


def test_lot_never_arrived_becomes_a_trace_case_with_its_outcome(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.4.b: "phải chịu trách nhiệm truy tìm": the departure branch traces the lot and records the outcome."""
    departed(client, people, hours_ago=3)

    opened = people.officer.do("transit.open_trace", {"number": NUMBER, "note": "Liên hệ người vận chuyển"})
    by_destination = people.destination.do("transit.open_trace", {"number": NUMBER})
    closed = people.head.do("transit.close_trace", {"number": NUMBER, "outcome": "not_found", "note": "Không tìm thấy; chuyển xử lý vi phạm"})
    again = people.head.do("transit.close_trace", {"number": NUMBER, "outcome": "found", "note": "x"})

    assert opened["status"] == "applied" and closed["status"] == "applied"
    assert by_destination["code"] == "not_your_step" and again["code"] == "no_open_trace"
    row = case(client)
    assert (row["trace_outcome"], row["trace_note"], row["trace_opened_by"], row["trace_closed_by"]) == (
        "not_found", "Không tìm thấy; chuyển xử lý vi phạm", world["officer"], world["supervisor"]
    )
    view = people.head.client.get(f"/api/v1/transit/declarations/{NUMBER}").json()
    assert view["trace_outcome"] == "not_found" and view["overdue"] is True
