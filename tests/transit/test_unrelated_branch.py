"""A branch that is neither the departure nor the destination of a transit declaration (Decision 1966, Art 41: the
departure branch is the branch of registration, the destination the one the declarant registered) can do nothing
to it and learns nothing of it, through the real app (SQLite and PostgreSQL). Each command is tried when the case
is exactly where its rightful party could take it, by an officer and by a supervisor of a third branch B3 (at B3's
own location where the command names one): each is told there is no such transit declaration, or no such letter,
and nothing is written. The case page, the letter page and the API answer 404. The destination branch sees nothing
before departure (41.2: the goods are addressed to it from BOA on)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Callable

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.journal.device import Person
from tests.seals.helpers import upsert
from tests.transit.helpers import NUMBER, People, case, declare, journal_count, seal, transit_item, units


@pytest.fixture
def people(client: TestClient, world: World) -> People:
    return People(client, world)


class Third:
    """B3, a branch with no part in the declaration: an officer, a supervisor, a gate."""

    def __init__(self, client: TestClient) -> None:
        from backend.officers.services import create_officer, ensure_branch, ensure_location
        from backend.officers.tables import LocationKind

        branch = in_app(client, ensure_branch, "B3", "Chi cục Ba")
        self.gate = in_app(client, ensure_location, "B3-GA", "Cổng B3", LocationKind.GATE, branch)
        self.officer = Person(client, in_app(client, create_officer, "CB9", "Lý Văn Chín", "officer", "B3"))
        self.head = Person(client, in_app(client, create_officer, "GS9", "Mai Thị Mười", "supervisor", "B3"))


@pytest.fixture
def third(client: TestClient) -> Third:
    return Third(client)


def applied(outcome: dict) -> None:
    assert outcome["status"] == "applied", outcome


def departed(client: TestClient, people: People, hours_ago: float = 0, transit_hours: int = 24) -> None:
    declare(client, lane=1, transit_hours=transit_hours)
    seal(people.officer, people.world)
    applied(people.officer.do(
        "transit.register_departure", {"location_id": people.world["gate"], "number": NUMBER}, issued_at=datetime.now(UTC) - timedelta(hours=hours_ago)
    ))


def in_exit_area(client: TestClient, people: People) -> None:
    """Departed through a road gate, checked and confirmed in the exit gate's area by the destination (41.2.b.1.1.1)."""
    declare(client, lane=1, exit_mode="road")
    seal(people.officer, people.world)
    applied(people.officer.do("transit.register_departure", {"location_id": people.world["gate"], "number": NUMBER}))
    lines = [{"unit": u["unit"], "seal_number": u["seal_number"], "finding": "intact"} for u in units(client)]
    applied(people.destination.do("transit.record_arrival_check", {"location_id": people.world["other_gate"], "number": NUMBER, "notice": NUMBER, "lines": lines}))
    applied(people.destination.do("transit.confirm_exit_area", {"location_id": people.world["other_gate"], "number": NUMBER}))


def amendment_at(client: TestClient, people: People, state: str) -> None:
    """A sealed lot with a COR received, assigned, and (for amendment_proposed) proposed by the officer (41.3)."""
    declare(client, lane=1)
    seal(people.officer, people.world)
    upsert(client, transit_item(version=2, lane=1, amendment_kind="COR", amendments=1))
    applied(people.head.do("transit.assign", {"number": NUMBER, "officer_code": "CB1", "instructions": ""}))
    if state == "amendment_proposed":
        applied(people.officer.do("transit.propose", {"number": NUMBER, "proposal": "accept", "reason": ""}))
    assert case(client)["state"] == state


def in_violation(client: TestClient, people: People) -> None:
    departed(client, people)
    applied(people.destination.do("transit.record_violation", {"location_id": people.world["other_gate"], "number": NUMBER, "note": "Sai niêm phong"}))


def overdue(client: TestClient, people: People) -> None:
    departed(client, people, hours_ago=3, transit_hours=1)


def trace_open(client: TestClient, people: People) -> None:
    overdue(client, people)
    applied(people.officer.do("transit.open_trace", {"number": NUMBER, "note": ""}))


def letter_sent(client: TestClient, people: People) -> None:
    overdue(client, people)
    applied(people.head.do("transit.request_verification", {"number": NUMBER, "letter": "Đề nghị xác minh"}))


def letter_id(client: TestClient) -> int:
    async def run() -> int:
        from backend.transit.tables import VerificationRequest

        return (await VerificationRequest.select(VerificationRequest.id).first())["id"]

    return in_app(client, run)


def check_lines(client: TestClient) -> list[dict[str, str]]:
    return [{"unit": u["unit"], "seal_number": u["seal_number"], "finding": "intact"} for u in units(client)]


# command, how the case gets where its rightful party could take it, the payload (client, B3's gate), the refusal
CASES: list[tuple[str, Callable[[TestClient, People], None], Callable[[TestClient, int], dict[str, Any]], str]] = [
    ("transit.propose", lambda c, p: amendment_at(c, p, "amendment_assigned"), lambda c, gate: {"number": NUMBER, "proposal": "accept", "reason": ""}, "transit_not_found"),
    ("transit.decide_amendment", lambda c, p: amendment_at(c, p, "amendment_proposed"), lambda c, gate: {"number": NUMBER, "decision": "accept", "reason": ""}, "transit_not_found"),
    ("transit.record_penalty", in_violation, lambda c, gate: {"number": NUMBER, "note": "QĐ xử phạt"}, "transit_not_found"),
    ("transit.request_verification", overdue, lambda c, gate: {"number": NUMBER, "letter": "Đề nghị xác minh"}, "transit_not_found"),
    ("transit.answer_verification", letter_sent, lambda c, gate: {"request_id": letter_id(c), "answer": "Hàng đã đến"}, "unknown_request"),
    ("transit.open_trace", overdue, lambda c, gate: {"number": NUMBER, "note": ""}, "transit_not_found"),
    ("transit.close_trace", trace_open, lambda c, gate: {"number": NUMBER, "outcome": "found", "note": "Đã tìm thấy"}, "transit_not_found"),
    ("transit.record_arrival_check", departed, lambda c, gate: {"location_id": gate, "number": NUMBER, "notice": NUMBER, "lines": check_lines(c)}, "transit_not_found"),
    ("transit.add_risk_note", departed, lambda c, gate: {"number": NUMBER, "text": "Lưu ý"}, "transit_not_found"),
    ("transit.confirm_arrival", departed, lambda c, gate: {"location_id": gate, "number": NUMBER}, "transit_not_found"),
    ("transit.record_violation", departed, lambda c, gate: {"location_id": gate, "number": NUMBER, "note": "x"}, "transit_not_found"),
    ("transit.record_notice_fax", in_exit_area, lambda c, gate: {"number": NUMBER, "fax_to": "0205 3881 234"}, "transit_not_found"),
]


@pytest.mark.parametrize(("type_", "arrange", "payload", "code"), CASES, ids=[c[0] for c in CASES])
def test_unrelated_branch_cannot_take_the_step(
    client: TestClient, world: World, people: People, third: Third, type_: str, arrange: Callable, payload: Callable, code: str
) -> None:
    arrange(client, people)
    before_case, before_journal = case(client), in_app(client, journal_count)

    outcomes = [who.do(type_, payload(client, third.gate)) for who in (third.officer, third.head)]

    roles = {"transit.decide_amendment", "transit.record_penalty", "transit.request_verification", "transit.close_trace"}
    expected = ["forbidden_role", code] if type_ in roles else [code, code]  # an officer cannot send a head's command
    assert [o["code"] for o in outcomes] == expected, outcomes
    assert all(o["status"] == "rejected" for o in outcomes)
    assert case(client) == before_case and in_app(client, journal_count) == before_journal


def test_unrelated_branch_gets_404_on_the_pages_and_the_api(client: TestClient, world: World, people: People, third: Third) -> None:
    letter_sent(client, people)
    request_id = letter_id(client)

    answers = {
        path: [who.client.get(path) for who in (third.officer, third.head)]
        for path in (f"/transit/{NUMBER}", f"/transit/letters/{request_id}", f"/api/v1/transit/declarations/{NUMBER}")
    }
    posted = third.head.client.post(f"/transit/{NUMBER}/request_verification", data={"number": NUMBER, "letter": "x"}, follow_redirects=False)
    lists = third.head.client.get("/api/v1/transit/lists").json()
    overdue_list = third.head.client.get("/api/v1/transit/overdue").json()
    letters = third.head.client.get("/api/v1/transit/verifications").json()
    overdue_page = third.head.client.get("/transit/overdue").text

    assert {path: [r.status_code for r in responses] for path, responses in answers.items()} == {path: [404, 404] for path in answers}
    assert all("Đề nghị xác minh" not in r.text for responses in answers.values() for r in responses)
    assert posted.status_code == 404
    assert all(items == [] for items in lists.values()) and overdue_list == [] and letters == []
    assert NUMBER not in overdue_page


def test_destination_sees_nothing_before_departure(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1)
    seal(people.officer, world)
    applied(people.officer.do("transit.add_risk_note", {"number": NUMBER, "text": "Lưu ý"}))

    page = people.destination.client.get(f"/transit/{NUMBER}")
    api = people.destination.client.get(f"/api/v1/transit/declarations/{NUMBER}")
    lists = people.destination.client.get("/api/v1/transit/lists").json()
    check = people.destination.do("transit.record_arrival_check", {"location_id": world["other_gate"], "number": NUMBER, "notice": NUMBER, "lines": []})
    note = people.destination.do("transit.add_risk_note", {"number": NUMBER, "text": "x"})

    assert (page.status_code, api.status_code) == (404, 404) and "Lưu ý" not in page.text
    assert all(NUMBER not in [item["number"] for item in items] for items in lists.values())
    assert (check["code"], note["code"]) == ("transit_not_found", "transit_not_found")
