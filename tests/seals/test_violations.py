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
