"""The departure branch's violation records (Art 43.1.c): what a receiving branch found not as recorded reaches the
departure branch's supervisors on /seals/violations; a supervisor closes one saying what was done
(`seals.close_violation`), from the page's command or its no-script form. Another branch's supervisor neither sees
nor closes it; officers may not close (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2
from tests.seals.helpers import NUMBER, SEAL_1, SEAL_2, Person, declare, journal_rows, record_payload, rows, seal

FOUND = "Niêm phong container bị cắt"


@pytest.fixture
def violation(client: TestClient, world: World) -> int:
    """A record of B1 handed over to B2, where an officer found the seal on C1 cut."""
    declare(client)
    officer = Person(client, world["officer"])
    seal(officer, world, C1, SEAL_1)
    seal(officer, world, C2, SEAL_2)
    record_id = officer.do("seals.create_record", record_payload(world))["result"]["record_id"]
    for type_ in ("seals.sign_record", "seals.hand_over"):
        assert officer.do(type_, {"location_id": world["gate"], "record_id": record_id})["status"] == "applied"
    found = [{"number": C1, "seal_number": SEAL_1, "intact": False}, {"number": C2, "seal_number": SEAL_2}]
    outcome = Person(client, world["other_officer"]).do(
        "seals.record_discrepancy", {"location_id": world["other_gate"], "record_id": record_id, "text": FOUND, "containers": found}
    )
    assert outcome["status"] == "applied", outcome
    return in_app(client, rows, "violation")[0]["id"]


def close(person: Person, violation_id: int, note: str = "Đã lập hồ sơ xử lý vi phạm") -> dict[str, Any]:
    return person.do("seals.close_violation", {"violation_id": violation_id, "note": note})


def test_supervisor_sees_the_violation_and_closes_it_with_what_was_done(client: TestClient, world: World, violation: int) -> None:
    supervisor = Person(client, world["supervisor"])

    listed = supervisor.client.get("/seals/violations").text
    outcome = close(supervisor, violation)
    still_open = supervisor.client.get("/seals/violations").text
    everything = supervisor.client.get("/seals/violations?show=all").text

    assert f'data-violation-id="{violation}"' in listed and FOUND in listed
    item = listed.split(f'data-violation-id="{violation}"', 1)[1].split("</li>\n    \n", 1)[0]
    assert f"{C1} · niêm phong {SEAL_1} · <strong>không nguyên vẹn</strong>" in item and f"{C2} · niêm phong {SEAL_2} · nguyên vẹn" in item
    assert f'href="/seals/evidence/{NUMBER}"' in item and "Chi cục Hai (B2)" in item and "Hoàng Văn Năm" in item
    assert f'id="close-violation-{violation}-form"' in item
    assert outcome["status"] == "applied" and outcome["result"]["violation_id"] == violation
    assert 'id="violations-empty"' in still_open and "data-violation-id" not in still_open
    assert 'data-closed="true"' in everything and "Đã lập hồ sơ xử lý vi phạm" in everything and "Trần Thị Hai" in everything
    (row,) = in_app(client, rows, "violation")
    assert (row["closed_by"], row["closing_note"]) == (world["supervisor"], "Đã lập hồ sơ xử lý vi phạm")
    assert close(supervisor, violation)["code"] == "violation_closed"  # once


def test_closing_needs_what_was_done(client: TestClient, world: World, violation: int) -> None:
    outcome = close(Person(client, world["supervisor"]), violation, note="  ")

    assert outcome["status"] == "rejected" and outcome["code"] == "note_required"
    assert in_app(client, rows, "violation")[0]["closed_at"] is None


def test_another_branchs_supervisor_neither_sees_nor_closes_it_and_officers_may_not_close(client: TestClient, world: World, violation: int) -> None:
    from backend.officers import services

    other = Person(client, in_app(client, lambda: services.create_officer("GS2", "Giám sát Hai", "supervisor", "B2")))

    assert "data-violation-id" not in other.client.get("/seals/violations?show=all").text
    assert close(other, violation)["code"] == "violation_not_found"
    assert close(other, 999999)["code"] == "violation_not_found"
    assert close(Person(client, world["officer"]), violation)["code"] == "forbidden_role"
    assert Person(client, world["officer"]).client.get("/seals/violations").status_code == 403
    assert in_app(client, rows, "violation")[0]["closed_at"] is None


def test_the_page_without_its_script_closes_it_through_the_same_command(client: TestClient, world: World, violation: int) -> None:
    sign_in_as(client, world["supervisor"])

    refused = client.post("/seals/violations", data={"violation_id": str(violation), "note": ""})
    closed = client.post("/seals/violations", data={"violation_id": str(violation), "note": "Đã xử lý"}, follow_redirects=False)

    assert refused.status_code == 422 and "Ghi rõ việc đã xử lý." in refused.text
    assert closed.status_code == 303 and closed.headers["location"] == "/seals/violations"
    assert in_app(client, rows, "violation")[0]["closing_note"] == "Đã xử lý"
    assert [r["command_type"] for r in in_app(client, journal_rows)].count("seals.close_violation") == 1


def test_home_offers_the_violation_records_to_supervisors_only(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])
    assert 'href="/seals/violations"' in client.get("/").text
    client.cookies.clear()
    sign_in_as(client, world["officer"])
    assert 'href="/seals/violations"' not in client.get("/").text


# --- whom a discrepancy goes to: 41.2.b.2 (transit arrival) or 43.1.c.4 (bonded warehouse) ---------------------------


async def _b2_supervisor_and_warehouse(world: World) -> tuple[int, int]:
    from backend.officers import services
    from backend.officers.tables import LocationKind

    supervisor = await services.create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")
    warehouse = await services.ensure_location("B2-KNQ", "Kho ngoại quan B2", LocationKind.WAREHOUSE, world["other_branch"])
    return supervisor, warehouse


def _handed_over_to_b2(client: TestClient, world: World) -> int:
    declare(client)
    officer = Person(client, world["officer"])
    seal(officer, world, C1, SEAL_1)
    seal(officer, world, C2, SEAL_2)
    record_id = officer.do("seals.create_record", record_payload(world))["result"]["record_id"]
    for type_ in ("seals.sign_record", "seals.hand_over"):
        assert officer.do(type_, {"location_id": world["gate"], "record_id": record_id})["status"] == "applied"
    return record_id


def test_discrepancy_at_a_gate_is_a_violation_record_for_the_departure_branch_41_2_b_2(client: TestClient, world: World, violation: int) -> None:
    """Art 41.2.b.2: "lập Biên bản vi phạm và chuyển Chi cục Hải quan nơi hàng hóa chuyển đi": found at B2's gate, it
    goes to B1's supervisors, labelled with its clause."""
    (row,) = in_app(client, rows, "violation")
    listed = Person(client, world["supervisor"]).client.get("/seals/violations").text

    assert (row["clause"], row["to_branch"], row["forward_to"]) == ("41.2.b.2", world["branch"], "")
    assert 'data-clause="41.2.b.2">Biên bản vi phạm (Điều 41.2.b.2)' in listed


def test_discrepancy_at_a_bonded_warehouse_is_proposed_to_the_head_of_the_branch_managing_it_43_1_c_4(client: TestClient, world: World) -> None:
    """Art 43.1.c.4: "Trường hợp có dấu hiệu vi phạm pháp luật thì đề xuất Chi cục trưởng Chi cục Hải quan tiến hành
    kiểm tra thực tế": found at B2's bonded warehouse, the proposal goes to B2's head (its supervisors), not to B1,
    the branch the goods left (that is 41.2.b.2's rule, for transit arrival)."""
    b2_supervisor_id, warehouse = in_app(client, lambda: _b2_supervisor_and_warehouse(world))
    record_id = _handed_over_to_b2(client, world)
    receiver = Person(client, world["other_officer"])

    page = receiver.client.get(f"/seals/receive?location={warehouse}").text
    outcome = receiver.do("seals.record_discrepancy", {"location_id": warehouse, "record_id": record_id, "text": FOUND})

    assert 'data-clause="43.1.c.4">Đề xuất Chi cục trưởng kiểm tra thực tế (Điều 43.1.c.4)' in page
    assert outcome["status"] == "applied", outcome
    assert (outcome["result"]["clause"], outcome["result"]["addressed_to"]) == ("43.1.c.4", "B2")
    (row,) = in_app(client, rows, "violation")
    assert (row["clause"], row["to_branch"], row["by_branch"]) == ("43.1.c.4", world["other_branch"], world["other_branch"])
    b2 = Person(client, b2_supervisor_id).client.get("/seals/violations").text
    b1 = Person(client, world["supervisor"]).client.get("/seals/violations").text
    assert f'data-violation-id="{row["id"]}"' in b2 and "Đề xuất kiểm tra thực tế hàng hóa tại kho ngoại quan (Điều 43.1.c.4)" in b2
    assert "data-violation-id" not in b1
    closed = Person(client, b2_supervisor_id).do("seals.close_violation", {"violation_id": row["id"], "note": "Đã kiểm tra thực tế"})
    assert closed["status"] == "applied", closed


def test_discrepancy_on_a_paper_record_from_a_branch_outside_giamsat_reaches_the_receiving_supervisors_41_2_b_2(
    client: TestClient, world: World
) -> None:
    """Art 41.2.b.2 sends the violation record to the branch the goods left; when that branch does not use giamsat
    (its record came on paper, 43.1.c.1), the receiving branch's supervisors get it, told whom to send it to. It used
    to be addressed to no one."""
    b2_supervisor_id, _ = in_app(client, lambda: _b2_supervisor_and_warehouse(world))
    declare(client)
    receiver = Person(client, world["other_officer"])
    entered = receiver.do("seals.enter_paper_record", {
        "location_id": world["other_gate"], "paper_number": "15/BBBG-GSQL", "paper_date": "2026-11-20",
        "from_branch_name": "Chi cục Hải quan cửa khẩu Hữu Nghị", "number": NUMBER,
        "containers": [{"number": C1, "seal_number": SEAL_1}],
    })
    assert entered["status"] == "applied", entered

    outcome = receiver.do("seals.record_discrepancy", {"location_id": world["other_gate"], "record_id": entered["result"]["record_id"], "text": FOUND})

    assert outcome["status"] == "applied", outcome
    assert (outcome["result"]["clause"], outcome["result"]["addressed_to"], outcome["result"]["forward_to"]) == (
        "41.2.b.2", "B2", "Chi cục Hải quan cửa khẩu Hữu Nghị"
    )
    listed = Person(client, b2_supervisor_id).client.get("/seals/violations").text
    assert FOUND in listed and 'data-forward-to="Chi cục Hải quan cửa khẩu Hữu Nghị"' in listed
    assert "Chi cục lập biên bản, Chi cục Hải quan cửa khẩu Hữu Nghị, không dùng giamsat" in listed
