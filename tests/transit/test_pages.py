"""The transit pages through the real app (SQLite and PostgreSQL): the officer's transit list shows each list to the
right people; a case's page offers exactly the next steps its state allows the reader (each a form posting its
command through the device queue), its timeline says every step with who, when and which clause, and the
destination reads the departure side's risk notes first (Decision 1966, Art 41.2.a.3); commands sent as the device
sends them move the page on; another branch is told there is no such declaration (404); a refused step shows its
reason with its clause, in the officer's language. The overdue list (Art 41.1.4.b) highlights the lots past their
time with the letter and the trace case."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from tests.conftest import World
from tests.journal.device import Person
from tests.declarations.helpers import C1, C2
from tests.seals.helpers import signed_record
from tests.transit.helpers import NUMBER, People, check_arrival, declare, seal

GREEN = "501000000002"


@pytest.fixture
def people(client: TestClient, world: World) -> People:
    return People(client, world)


def page(person: Person, number: str = NUMBER) -> str:
    response = person.client.get(f"/transit/{number}")
    assert response.status_code == 200, response.text[:300]
    return response.text


def steps(html: str) -> list[str]:
    """The next steps a page offers, in order (each a form, a link to the sealing page, or a refusal)."""
    return re.findall(r'<section class="transit-step" data-step="(\w+)"', html)


def forms(html: str) -> set[str]:
    """The command of each form with data-command on the page."""
    return set(re.findall(r'<form [^>]*data-command="([\w.]+)"', html))


def state(html: str) -> str:
    return re.search(r'id="transit-case" data-number="\d+" data-state="(\w+)"', html).group(1)


def listed(html: str, list_id: str) -> list[str]:
    """The declaration numbers of one list of the transit list page (an absent list: None)."""
    found = re.search(rf'<ol class="list transit-list" id="{list_id}">(.*?)</ol>', html, re.S)
    return re.findall(r'data-number="(\d+)"', found.group(1)) if found else None


def timeline(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<li class="list-item transit-event" data-from="(\w*)" data-to="(\w+)" data-clause="([\w.]+)">', html)


def seal_second(person: Person, world: World, number: str) -> None:
    """Seal a second declaration's containers with other seals than helpers.seal's (a seal is on one unit at a time)."""
    containers = [{"number": C1, "seal_number": "HQ-000301"}, {"number": C2, "seal_number": "HQ-000302"}]
    signed_record(person, world, containers, number)
    applied(person.do("seals.confirm_sealed", {"location_id": world["gate"], "number": number}))


def assign(people: People, number: str = NUMBER) -> dict:
    return people.head.do("transit.assign", {"number": number, "officer_code": "CB1", "instructions": "Kiểm tra kỹ giấy phép"})


def applied(outcome: dict) -> None:
    assert outcome["status"] == "applied", outcome


def depart(people: People, number: str = NUMBER, **options: object) -> None:
    applied(people.officer.do("transit.register_departure", {"location_id": people.world["gate"], "number": number}, **options))


def test_transit_list_shows_each_list_to_the_right_people(client: TestClient, world: World, people: People) -> None:
    declare(client)  # yellow, B1 -> B2
    declare(client, GREEN, lane=1)
    declare(client, "501000000003", lane=1)
    seal_second(people.officer, world, "501000000003")
    depart(people, "501000000003")

    head = people.head.client.get("/transit").text
    officer = people.officer.client.get("/transit").text
    applied(assign(people))
    assigned = people.officer.client.get("/transit").text
    destination = people.destination.client.get("/transit").text

    assert listed(head, "transit-to-assign") == [NUMBER] and listed(head, "transit-to-seal") == [GREEN]
    assert listed(officer, "transit-to-assign") is None  # an officer does not assign (Art 41.1.b.1)
    assert listed(officer, "transit-assigned-to-me") == [] and listed(assigned, "transit-assigned-to-me") == [NUMBER]
    assert listed(officer, "transit-to-confirm-arriving") == [] and listed(officer, "transit-to-depart") == []
    assert listed(destination, "transit-to-confirm-arriving") == ["501000000003"]
    assert listed(destination, "transit-to-seal") == [] and listed(destination, "transit-assigned-to-me") == []
    assert 'id="transit-number"' in officer and "autofocus" in officer  # a scanner types the notice's number


def test_case_page_offers_exactly_the_next_steps_of_its_state_to_each_party(client: TestClient, world: World, people: People) -> None:
    declare(client)

    yellow = {who: steps(page(getattr(people, who))) for who in ("head", "officer", "colleague")}
    applied(assign(people))
    assigned = {who: page(getattr(people, who)) for who in ("head", "officer", "colleague")}
    applied(people.officer.do("transit.decide", {"number": NUMBER, "code": "A", "reason": ""}))
    approved = {who: steps(page(getattr(people, who))) for who in ("head", "officer")}
    seal(people.officer, world)
    sealed = {who: steps(page(getattr(people, who))) for who in ("head", "colleague")}
    depart(people)
    departed = {who: steps(page(getattr(people, who))) for who in ("officer", "destination")}
    applied(people.destination.do("transit.record_violation", {"location_id": world["other_gate"], "number": NUMBER, "note": "Sai số container"}))
    violation = {who: steps(page(getattr(people, who))) for who in ("head", "officer", "destination")}

    assert yellow == {"head": ["assign"], "officer": [], "colleague": []}
    assert steps(assigned["officer"]) == ["decide"] and forms(assigned["officer"]) == {"transit.decide", "transit.add_risk_note"}
    assert re.findall(r'name="code" value="(\w)"', assigned["officer"]) == ["A", "C", "X"]
    assert steps(assigned["head"]) == [] and steps(assigned["colleague"]) == []  # only the officer CES named
    assert approved == {"head": ["seal"], "officer": ["seal"]}  # the seals domain's step (41.1.c)
    assert sealed == {"head": ["register_departure"], "colleague": ["register_departure"]}
    assert departed == {"officer": [], "destination": ["record_arrival_check", "confirm_arrival", "record_violation"]}
    assert violation == {"head": ["record_penalty"], "officer": [], "destination": []}


def test_two_step_exit_gate_offers_the_gate_area_before_bia(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1, exit_mode="road")
    seal(people.officer, world)
    depart(people)

    first = page(people.destination)
    applied(check_arrival(people))
    applied(people.destination.do("transit.confirm_exit_area", {"location_id": world["other_gate"], "number": NUMBER}))
    second = page(people.destination)

    assert steps(first) == ["record_arrival_check", "confirm_exit_area", "record_violation"] and 'id="transit-exit-mode"' in first
    assert steps(second) == ["confirm_arrival", "record_violation"]


def test_amendment_steps_go_to_the_officer_and_the_head_in_turn(client: TestClient, world: World, people: People) -> None:
    from tests.seals.helpers import upsert
    from tests.transit.helpers import transit_item

    declare(client, lane=1)
    upsert(client, transit_item(lane=1, version=2, amendment_kind="CAN", amendments=1))  # a CAN arrives (41.3)

    received = steps(page(people.head))
    applied(assign(people))
    to_propose = steps(page(people.officer))
    applied(people.officer.do("transit.propose", {"number": NUMBER, "proposal": "accept", "reason": ""}))
    to_decide = (steps(page(people.head)), steps(page(people.officer)))
    applied(people.head.do("transit.decide_amendment", {"number": NUMBER, "decision": "accept", "reason": ""}))
    cet = page(people.officer)

    assert received == ["assign"] and to_propose == ["propose"] and to_decide == (["decide_amendment"], [])
    assert steps(cet) == ["decide"] and re.findall(r'name="code" value="(\w)"', cet) == ["A"]  # an accepted CAN: CET A cancels


def test_posting_through_the_queue_moves_the_page_on_and_the_timeline_says_each_step(client: TestClient, world: World, people: People) -> None:
    declare(client)
    before = page(people.officer)

    applied(assign(people))
    applied(people.officer.do("transit.decide", {"number": NUMBER, "code": "A", "reason": ""}))
    seal(people.officer, world)
    depart(people)
    applied(check_arrival(people))
    applied(people.destination.do("transit.confirm_arrival", {"location_id": world["other_gate"], "number": NUMBER}))
    after = page(people.officer)
    at_destination = page(people.destination)

    assert state(before) == "yellow" and state(after) == "arrived" and steps(after) == []
    assert timeline(after) == [
        ("", "registered", "41.1.a.1"),
        ("registered", "yellow", "41.1.a.2"),
        ("yellow", "assigned", "41.1.b.1"),
        ("assigned", "approved", "41.1.b.2.3"),
        ("approved", "sealed", "41.1.c.1"),
        ("sealed", "departed", "41.1.4.a"),
        ("departed", "departed", "41.2.a.2"),  # the arrival check
        ("departed", "arrived", "41.2.b.1.2"),
    ]
    # In words, in the officer's language (Vietnamese by default): the states, who, which clause.
    assert "Luồng vàng: chờ phân công → " in after and "Đã đến đích" in after
    assert "Trần Thị Hai (GS1)" in after and "Hoàng Văn Năm (CB2)" in after and "Quyết định 1966, Điều 41.1.b.1" in after
    assert timeline(at_destination) == timeline(after)  # the destination reads the whole life of what it received


def test_destination_reads_the_departure_risk_notes_first(client: TestClient, world: World, people: People) -> None:
    """Art 41.2.a.3: what the departure branch flagged (warnings, the head's instructions) comes first at the destination."""
    from tests.seals.helpers import upsert
    from tests.transit.helpers import transit_item

    flagged = transit_item()
    flagged["warnings"] = [{"text": "Doanh nghiệp thuộc diện quản lý rủi ro cao", "source": "upstream"}]
    upsert(client, flagged)
    applied(assign(people))
    applied(people.officer.do("transit.decide", {"number": NUMBER, "code": "A", "reason": ""}))
    seal(people.officer, world)
    depart(people)

    destination = page(people.destination)
    departure = page(people.officer)

    assert destination.index('id="transit-risk"') < destination.index('id="transit-case"')  # before anything else
    assert departure.index('id="transit-case"') < departure.index('id="transit-risk"')
    notes = re.findall(r'<li class="transit-risk-note" data-source="(\w+)">', destination)
    assert notes == ["upstream", "instructions"]
    assert "Doanh nghiệp thuộc diện quản lý rủi ro cao" in destination and "Kiểm tra kỹ giấy phép" in destination


def test_another_branch_gets_404_until_the_goods_are_addressed_to_it(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1)
    before = people.destination.client.get(f"/transit/{NUMBER}")
    posted = people.destination.client.post(
        f"/transit/{NUMBER}/confirm_arrival", data={"location_id": str(world["other_gate"]), "number": NUMBER}, follow_redirects=False
    )
    seal(people.officer, world)
    depart(people)
    after = people.destination.client.get(f"/transit/{NUMBER}")

    assert before.status_code == 404 and posted.status_code == 404
    assert NUMBER in before.text and 'id="transit-case"' not in before.text
    assert after.status_code == 200 and state(after.text) == "departed"


def test_refused_step_shows_its_reason_with_its_clause(client: TestClient, world: World, people: People) -> None:
    from tests.seals.helpers import upsert
    from tests.transit.helpers import transit_item

    no_time = transit_item(lane=1)
    del no_time["transit"]  # upstream sent no transit facts: no transit time, no destination
    upsert(client, no_time)
    seal(people.officer, world)
    declare(client, GREEN)  # yellow, assigned to CB1
    applied(assign(people, GREEN))

    blocked = page(people.officer)
    by_colleague = people.colleague.client.post(  # not the officer CES named, and nothing to propose on
        f"/transit/{GREEN}/propose", data={"number": GREEN, "proposal": "refuse", "reason": "Thiếu giấy phép"}, follow_redirects=False
    )
    unsigned = people.officer.client.post(  # CET replaces a signature: without the page's script it cannot be signed
        f"/transit/{GREEN}/decide", data={"number": GREEN, "code": "X", "reason": "Thiếu giấy phép"}, follow_redirects=False
    )
    first = people.officer.do("transit.decide", {"number": GREEN, "code": "C", "reason": "Bổ sung Bản kê"})
    queued_late = people.officer.do("transit.decide", {"number": GREEN, "code": "A", "reason": ""})  # the case moved meanwhile
    people.officer.client.post("/lang", data={"lang": "en", "next": "/"})
    in_english = people.officer.do("transit.decide", {"number": GREEN, "code": "A", "reason": ""})

    assert steps(blocked) == ["register_departure"] and "transit.register_departure" not in forms(blocked)
    assert re.search(r'id="transit-register_departure-blocked">[^<]*Quyết định 1966, Điều 41\.1\.4\.b', blocked)
    assert by_colleague.status_code == 422 and 'id="transit-error"' in by_colleague.text
    assert "(Quyết định 1966, Điều 41.3.b)" in by_colleague.text
    assert unsigned.status_code == 422 and 'id="transit-decide-error"' in unsigned.text
    applied(first)
    assert queued_late["status"] == "rejected" and "Điều 41.1.b.2.3" in queued_late["reason"]
    assert in_english["status"] == "rejected" and "Decision 1966, Art 41.1.b.2.3" in in_english["reason"]


def test_step_form_without_script_applies_the_command_and_returns_to_the_page(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1)
    seal(people.officer, world)
    depart(people)

    response = people.destination.client.post(
        f"/transit/{NUMBER}/record_violation",
        data={"location_id": str(world["other_gate"]), "number": NUMBER, "note": "Niêm phong bị cắt"},
        follow_redirects=False,
    )
    refused = people.destination.client.post(
        f"/transit/{NUMBER}/record_violation", data={"location_id": str(world["other_gate"]), "number": NUMBER, "note": ""}, follow_redirects=False
    )

    assert response.status_code == 303 and response.headers["location"] == f"/transit/{NUMBER}"
    assert state(page(people.destination)) == "violation" and "Niêm phong bị cắt" in page(people.destination)
    assert refused.status_code == 422 and "Điều 41.2.b.2" in refused.text  # refused: not from here any more


def test_overdue_page_highlights_late_lots_with_the_letter_and_the_trace_case(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1, transit_hours=1)
    seal(people.officer, world)
    depart(people, issued_at=datetime.now(UTC) - timedelta(hours=3))
    declare(client, GREEN, lane=1, transit_hours=48)
    seal_second(people.officer, world, GREEN)
    depart(people, GREEN)

    head = people.head.client.get("/transit/overdue").text
    officer = people.officer.client.get("/transit/overdue").text
    destination = people.destination.client.get("/transit/overdue").text
    letter = people.head.do("transit.request_verification", {"number": NUMBER, "letter": "Đề nghị xác minh lô hàng"})
    applied(people.officer.do("transit.open_trace", {"number": NUMBER, "note": "Liên hệ người khai"}))
    after = people.head.client.get("/transit/overdue").text
    answered = page(people.destination)

    lots = re.findall(r'<section class="card transit-overdue transit-lot" data-number="(\d+)"', head)
    assert lots == [NUMBER]  # the other lot is within its time
    assert re.findall(r'data-step="(\w+)"', head) == ["request_verification", "open_trace"]
    assert re.findall(r'data-step="(\w+)"', officer) == ["open_trace"]  # the letter is the head's
    assert 'id="transit-overdue-empty"' in destination  # the departure branch's list only
    applied(letter)
    assert re.findall(r'data-step="(\w+)"', after) == ["request_verification", "close_trace"] and "Đề nghị xác minh lô hàng" in after
    assert 'class="transit-trace"' in after and "Liên hệ người khai" in after
    assert steps(answered) == ["record_arrival_check", "confirm_arrival", "record_violation", "answer_verification"]
    assert f'action="/transit/{NUMBER}/open_trace?back=overdue"' in head
    home = people.officer.client.get("/transit").text
    assert 'id="transit-overdue-link">' in home and re.search(r"transit-overdue-link\">[^<]*1<", home)


def test_home_page_has_the_transit_tile_for_officers_and_supervisors(client: TestClient, world: World, people: People) -> None:
    from tests.conftest import sign_in_as

    tiles = {who: 'href="/transit"' in getattr(people, who).client.get("/").text for who in ("officer", "head")}
    sign_in_as(client, world["warehouse_user"])
    warehouse = client.get("/").text

    assert tiles == {"officer": True, "head": True} and 'href="/transit"' not in warehouse
