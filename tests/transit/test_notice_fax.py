"""Art 41.2.b.1.1.1's fallback through the real app (SQLite and PostgreSQL): "Trường hợp Hệ thống chưa hỗ trợ chức
năng xác nhận điện tử, công chức hải quan ký tên, đóng dấu công chức, ghi ngày tháng năm xác nhận trên trang đầu
tiên Thông báo phê duyệt khai báo vận chuyển ... và fax cho Chi cục Hải quan nơi hàng hóa vận chuyển đi". The
arrival in the exit gate's area is confirmed on the System by its outbox message; while that is not delivered, the
destination's transit page lists the lot to fax (due within the day, overdue after), until the fax is recorded
(`transit.record_notice_fax`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.transit.helpers import NUMBER, People, case, check_arrival, declare, seal
from tests.transit.test_commands import arrive, depart, people  # noqa: F401 (a fixture)


def in_exit_area(client: TestClient, world: World, people: People) -> None:
    declare(client, lane=1, exit_mode="road")
    seal(people.officer, world)
    depart(people)
    check_arrival(people)
    assert arrive(people, "transit.confirm_exit_area")["status"] == "applied"


def set_area_message(state: str, back_days: int = 0) -> Any:
    """The gate-area confirmation's outbox message as the delivery pass would leave it; the step `back_days` earlier."""

    async def run() -> None:
        from backend.lib import clock
        from backend.outbox.tables import OutboxMessage
        from backend.transit.tables import TransitCase

        await OutboxMessage.update({OutboxMessage.state: state}).where(OutboxMessage.command_type == "transit.confirm_exit_area")
        if back_days:
            await TransitCase.update({TransitCase.exit_area_at: clock.now() - timedelta(days=back_days)}).where(TransitCase.number == NUMBER)

    return run


def test_notice_fax_an_arrival_not_confirmed_on_the_system_is_listed_until_its_fax_is_recorded(
    client: TestClient, world: World, people: People
) -> None:
    """Art 41.2.b.1.1.1: a gate-area arrival the System has not confirmed is listed on the destination's transit page
    with the clause, until the destination records where the notice was faxed."""
    in_exit_area(client, world, people)

    page = people.destination.client.get("/transit").text
    departure_page = people.officer.client.get("/transit").text
    outcome = people.destination.do("transit.record_notice_fax", {"number": NUMBER, "fax_to": " 0205 3881 234 "})
    after = people.destination.client.get("/transit").text

    assert f'id="notice-fax-{NUMBER}"' in page and "Điều 41.2.b.1.1.1" in page and "data-fax-overdue" not in page
    assert 'data-command="transit.record_notice_fax"' in page
    assert 'id="notice-faxes"' not in departure_page  # the destination's duty, not the departure's
    assert outcome["status"] == "applied" and outcome["result"]["fax_to"] == "0205 3881 234"
    assert 'id="notice-faxes"' not in after
    row = case(client)
    assert (row["notice_fax_to"], row["notice_faxed_by"], row["notice_faxed_at"] is not None) == ("0205 3881 234", world["other_officer"], True)


def test_notice_fax_an_arrival_the_system_confirmed_is_not_listed(client: TestClient, world: World, people: People) -> None:
    in_exit_area(client, world, people)
    in_app(client, set_area_message("delivered"))

    assert 'id="notice-faxes"' not in people.destination.client.get("/transit").text


def test_notice_fax_refused_by_the_system_stays_listed_and_is_overdue_the_next_day(client: TestClient, world: World, people: People) -> None:
    in_exit_area(client, world, people)
    in_app(client, set_area_message("refused", back_days=1))

    page = people.destination.client.get("/transit").text

    assert f'id="notice-fax-{NUMBER}"' in page and "data-fax-overdue" in page and "quá hạn" in page


def test_notice_fax_is_refused_before_the_gate_area_by_the_departure_twice_and_without_a_number(
    client: TestClient, world: World, people: People
) -> None:
    declare(client, lane=1, exit_mode="road")
    seal(people.officer, world)
    depart(people)
    check_arrival(people)
    too_soon = people.destination.do("transit.record_notice_fax", {"number": NUMBER, "fax_to": "0205 3881 234"})
    assert arrive(people, "transit.confirm_exit_area")["status"] == "applied"
    by_departure = people.officer.do("transit.record_notice_fax", {"number": NUMBER, "fax_to": "0205 3881 234"})
    blank = people.destination.do("transit.record_notice_fax", {"number": NUMBER, "fax_to": "  "})
    unchanged = case(client)["notice_faxed_at"]
    first = people.destination.do("transit.record_notice_fax", {"number": NUMBER, "fax_to": "0205 3881 234"})
    second = people.destination.do("transit.record_notice_fax", {"number": NUMBER, "fax_to": "0205 0000 000"})

    assert (too_soon["status"], too_soon["code"]) == ("rejected", "exit_area_not_confirmed")
    assert by_departure["status"] == "rejected" and by_departure["code"] == "not_your_step"
    assert (blank["status"], blank["code"]) == ("rejected", "fax_to_required")
    assert unchanged is None
    assert first["status"] == "applied" and (second["status"], second["code"]) == ("rejected", "notice_fax_already_recorded")
    assert case(client)["notice_fax_to"] == "0205 3881 234"


def test_notice_fax_form_without_script_records_it(client: TestClient, world: World, people: People) -> None:
    """The list's form posted without the page's script: the same command through the journal; a refusal is shown in
    words on the case page."""
    in_exit_area(client, world, people)

    blank = people.destination.client.post(f"/transit/{NUMBER}/record_notice_fax", data={"number": NUMBER, "fax_to": ""}, follow_redirects=False)
    sent = people.destination.client.post(
        f"/transit/{NUMBER}/record_notice_fax", data={"number": NUMBER, "fax_to": "0205 3881 234"}, follow_redirects=False
    )

    assert blank.status_code == 422 and "số fax" in blank.text
    assert sent.status_code == 303 and sent.headers["location"] == f"/transit/{NUMBER}"
    assert case(client)["notice_fax_to"] == "0205 3881 234"
