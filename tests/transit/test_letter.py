"""The letter asking the destination branch to verify a lot past its deadline (Decision 1966, Art 41.1.4.b: "đề xuất
Chi cục trưởng ban hành văn bản đề nghị Chi cục Hải quan nơi hàng hóa vận chuyển đến kiểm tra xác nhận về tình trạng
lô hàng"), printable, through the real app (SQLite and PostgreSQL): what it says, who may read it, where it is linked
from; and the overdue list's index in both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.journal.device import Person
from tests.transit.helpers import NUMBER, People, declare, seal

LETTER = "Đề nghị Chi cục Hai kiểm tra, xác nhận tình trạng lô hàng"


@pytest.fixture
def people(client: TestClient, world: World) -> People:
    return People(client, world)


def overdue_with_letter(client: TestClient, people: People) -> int:
    """A lot B1 -> B2 departed 3 hours ago with 1 hour to travel, and the head's letter about it: its id."""
    declare(client, lane=1, transit_hours=1)
    seal(people.officer, people.world)
    departed = people.officer.do(
        "transit.register_departure", {"location_id": people.world["gate"], "number": NUMBER}, issued_at=datetime.now(UTC) - timedelta(hours=3)
    )
    assert departed["status"] == "applied", departed
    letter = people.head.do("transit.request_verification", {"number": NUMBER, "letter": LETTER})
    assert letter["status"] == "applied", letter
    return letter["result"]["request_id"]


def test_letter_prints_both_branches_the_lot_its_seals_times_and_the_head(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.4.b: the letter ("ban hành văn bản đề nghị"), printable on A4, says who asks whom about which lot."""
    request_id = overdue_with_letter(client, people)

    response = people.head.client.get(f"/transit/letters/{request_id}")
    html = response.text

    assert response.status_code == 200 and 'id="transit-letter"' in html
    assert re.search(r'id="transit-letter-from">CHI CỤC MỘT \(B1\)<', html)
    assert "Kính gửi: Chi cục Hai (B2)" in html
    assert re.search(rf'id="transit-letter-number">{NUMBER} ', html)
    assert re.findall(r'<tr class="transit-letter-unit" data-unit="(\w+)"><td class="form07-no">\d</td><td>[^<]*</td><td>([\w-]+)</td>', html) == [
        (C1, "HQ-000201"), (C2, "HQ-000202"),
    ]
    assert re.search(r'id="transit-letter-boa">\d\d/\d\d/\d{4} \d\d:\d\d<', html)
    assert re.search(r'id="transit-letter-deadline">\d\d/\d\d/\d{4} \d\d:\d\d<', html)
    assert LETTER in html and 'id="transit-letter-head">Trần Thị Hai<' in html and "Điều 41.1.4.b" in html
    assert "data-print" in html  # the print button (print.js), A4 (print.css @page)


def test_letter_in_english_for_an_officer_reading_english(client: TestClient, world: World, people: People) -> None:
    request_id = overdue_with_letter(client, people)
    people.destination.client.post("/lang", data={"lang": "en", "next": "/"})

    html = people.destination.client.get(f"/transit/letters/{request_id}").text

    assert "To: Chi cục Hai (B2)" in html and "HEAD OF THE BRANCH" in html and "Decision 1966/QĐ-TCHQ, Art 41.1.4.b" in html


def test_letter_is_for_its_two_branches_only(client: TestClient, world: World, people: People) -> None:
    """Art 41.1.4.b: the letter is read by the branch that sent it and the branch it was sent to, nobody else."""
    from backend.officers.services import create_officer, ensure_branch

    request_id = overdue_with_letter(client, people)
    in_app(client, ensure_branch, "B3", "Chi cục Ba")
    third = Person(client, in_app(client, create_officer, "CB9", "Lý Văn Chín", "supervisor", "B3"))

    departure = people.officer.client.get(f"/transit/letters/{request_id}")
    destination = people.destination.client.get(f"/transit/letters/{request_id}")
    stranger = third.client.get(f"/transit/letters/{request_id}")
    unknown = people.head.client.get(f"/transit/letters/{request_id + 1}")

    assert (departure.status_code, destination.status_code) == (200, 200)
    assert (stranger.status_code, unknown.status_code) == (404, 404)
    assert LETTER not in stranger.text and "Chi cục của bạn không gửi hoặc nhận văn bản này." in stranger.text


def test_letter_is_linked_from_the_overdue_list_and_the_destinations_letters(client: TestClient, world: World, people: People) -> None:
    request_id = overdue_with_letter(client, people)
    link = f'href="/transit/letters/{request_id}"'

    overdue = people.head.client.get("/transit/overdue").text
    destination_list = people.destination.client.get("/transit").text
    destination_case = people.destination.client.get(f"/transit/{NUMBER}").text

    assert link in overdue and link in destination_list and link in destination_case


def test_the_overdue_list_has_its_index(client: TestClient) -> None:
    """`transit_case (departure_branch, state, deadline)`, made by the migration's raw step, in both databases."""

    async def columns() -> list[str]:
        from backend.transit.tables import TransitCase

        engine = TransitCase._meta.db
        if engine.engine_type == "sqlite":
            rows = await TransitCase.raw("SELECT name FROM pragma_index_info('transit_case_departure_state_deadline') ORDER BY seqno")
            return [row["name"] for row in rows]
        rows = await TransitCase.raw("SELECT indexdef FROM pg_indexes WHERE indexname = 'transit_case_departure_state_deadline'")
        return re.search(r"\((.*)\)", rows[0]["indexdef"]).group(1).split(", ") if rows else []

    assert in_app(client, columns) == ["departure_branch", "state", "deadline"]
