"""Art 43.1.c.3's fallback through the real app (SQLite and PostgreSQL): "Trường hợp chưa xác nhận được trên Hệ thống
thì ký tên, đóng dấu công chức, xác nhận hàng hóa vận chuyển đến trên Biên bản bàn giao và fax Biên bản bàn giao cho
Chi cục Hải quan nơi hàng hóa được vận chuyển đi trong ngày". A receipt is confirmed on the System by its outbox
message; while that is not delivered, the receiving page lists the record to fax (due within the day, overdue after),
until the receiving branch records the fax (`seals.record_fax`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.seals.helpers import Person, rows
from tests.seals.test_records import as_found, handed_over, officer, receiver  # noqa: F401 (fixtures)


def received(officer: Person, receiver: Person, world: World) -> int:
    record_id = handed_over(officer, world)
    outcome = receiver.do("seals.receive_record", {"location_id": world["other_gate"], "record_id": record_id, "containers": as_found()})
    assert outcome["status"] == "applied", outcome
    return record_id


def set_receipt_message(state: str, back_days: int = 0) -> Any:
    """The receipt's outbox message as the delivery pass would leave it; the receipt `back_days` earlier."""

    async def run() -> None:
        from backend.lib import clock
        from backend.outbox.tables import OutboxMessage
        from backend.seals.tables import HandoverRecord

        await OutboxMessage.update({OutboxMessage.state: state}).where(OutboxMessage.command_type == "seals.receive_record")
        if back_days:
            await HandoverRecord.update({HandoverRecord.received_at: clock.now() - timedelta(days=back_days)}).where(
                HandoverRecord.state == "received"
            )

    return run


def test_record_fax_43_1_c_3_a_receipt_not_confirmed_on_the_system_is_listed_until_its_fax_is_recorded(
    client: TestClient, world: World, officer: Person, receiver: Person
) -> None:
    """Art 43.1.c.3: a receipt the System has not confirmed is listed to fax, with the print of the record and the
    clause, until the receiving branch records where the fax went."""
    record_id = received(officer, receiver, world)

    page = receiver.client.get("/seals/receive").text
    outcome = receiver.do("seals.record_fax", {"record_id": record_id, "fax_to": " 0205 3881 234 "})
    after = receiver.client.get("/seals/receive").text

    assert f'id="fax-{record_id}"' in page and "Điều 43.1.c.3" in page and "data-fax-overdue" not in page
    assert 'data-command="seals.record_fax"' in page and f'href="/seals/records/{record_id}/print"' in page
    assert outcome["status"] == "applied" and outcome["result"]["fax_to"] == "0205 3881 234"
    assert f'id="fax-{record_id}"' not in after and 'id="faxes-due"' not in after
    (row,) = in_app(client, rows, "record")
    assert (row["fax_to"], row["faxed_by"], row["faxed_at"] is not None) == ("0205 3881 234", world["other_officer"], True)


def test_record_fax_a_receipt_the_system_confirmed_is_not_listed(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = received(officer, receiver, world)
    in_app(client, set_receipt_message("delivered"))

    page = receiver.client.get("/seals/receive").text

    assert f'id="fax-{record_id}"' not in page and 'id="faxes-due"' not in page


def test_record_fax_a_receipt_the_system_refused_stays_listed_and_is_overdue_the_next_day(
    client: TestClient, world: World, officer: Person, receiver: Person
) -> None:
    record_id = received(officer, receiver, world)
    in_app(client, set_receipt_message("refused", back_days=1))

    page = receiver.client.get("/seals/receive").text

    assert f'id="fax-{record_id}"' in page and "data-fax-overdue" in page and "quá hạn" in page


def test_record_fax_is_refused_before_the_receipt_by_another_branch_twice_and_without_a_number(
    client: TestClient, world: World, officer: Person, receiver: Person
) -> None:
    waiting = handed_over(officer, world)
    before_receipt = receiver.do("seals.record_fax", {"record_id": waiting, "fax_to": "0205 3881 234"})
    record_id = received(officer, receiver, world)
    by_departure = officer.do("seals.record_fax", {"record_id": record_id, "fax_to": "0205 3881 234"})
    blank = receiver.do("seals.record_fax", {"record_id": record_id, "fax_to": "   "})
    unchanged = [row["faxed_at"] for row in in_app(client, rows, "record")]
    first = receiver.do("seals.record_fax", {"record_id": record_id, "fax_to": "0205 3881 234"})
    second = receiver.do("seals.record_fax", {"record_id": record_id, "fax_to": "0205 0000 000"})

    assert (before_receipt["status"], before_receipt["code"]) == ("rejected", "record_not_received")
    assert (by_departure["status"], by_departure["code"]) == ("rejected", "unknown_record")
    assert (blank["status"], blank["code"]) == ("rejected", "fax_to_required")
    assert unchanged == [None, None]
    assert first["status"] == "applied" and (second["status"], second["code"]) == ("rejected", "fax_already_recorded")
    assert [row["fax_to"] for row in in_app(client, rows, "record")] == ["", "0205 3881 234"]
