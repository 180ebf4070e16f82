"""Issue 11, findings 1, 2 and 9: a branch's relation to goods comes from facts it cannot make up (seals/policy.py).

Branch B1 registered the declaration; branch B2 (`other_officer`) has nothing to do with its goods until upstream names
one of B2's places for them, or B1 hands a record of them over to B2. Before the fix, one unsigned command B2 may
send (a seal requirement "proposed" at its own gate) made B2 "concerned": it then read B1's evidence and photos and
changed B1's gate verdict.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, sign_in_as
from tests.files.photos import plain_jpeg
from tests.journal.device import Person
from tests.seals.helpers import C1, C2, NUMBER, SEAL_1, declare, seal


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    declare(client)  # registered at B1
    return Person(client, world["officer"])


@pytest.fixture
def outsider(client: TestClient, world: World) -> Person:
    return Person(client, world["other_officer"])


def check_codes(person: Person) -> list[str]:
    response = person.client.post("/api/v1/gate/check", json={"number": NUMBER, "containers": [C1]})
    assert response.status_code == 200, response.text
    return [reason["code"] for reason in response.json()["reasons"]]


def at_outsiders_gate(world: World, **payload: Any) -> dict[str, Any]:
    return {"location_id": world["other_gate"], "number": NUMBER, **payload}


def test_branch_c_cannot_make_itself_concerned_and_read_branch_a_evidence(client: TestClient, world: World, officer: Person, outsider: Person) -> None:
    seal(officer, world, C1, SEAL_1)

    proposed = outsider.do("seals.set_requirement", at_outsiders_gate(world, decision="propose"))
    evidence = outsider.client.get(f"/api/v1/seals/declarations/{NUMBER}")
    page = outsider.client.get(f"/seals/evidence/{NUMBER}")

    assert proposed["status"] == "rejected" and proposed["code"] == "declaration_not_found"
    assert evidence.status_code == 404 and evidence.json()["error"] == "declaration_not_found"
    assert page.status_code == 404
    assert officer.client.get(f"/api/v1/seals/declarations/{NUMBER}").status_code == 200


def test_branch_c_cannot_pull_a_leaked_photo_into_its_logbook_and_read_it(client: TestClient, world: World, officer: Person, outsider: Person) -> None:
    sha = officer.upload(plain_jpeg(color=(200, 10, 10)))
    made = officer.do("logbook.add_entry", {"location_id": world["gate"], "text": "hàng không niêm phong được", "photos": [sha]})
    assert made["status"] == "applied", made

    pulled = outsider.do("logbook.add_entry", {"location_id": world["other_gate"], "text": "ảnh của B1", "photos": [sha]})
    photo = outsider.client.get(f"/files/{sha}", headers={"accept": "application/json"})

    assert pulled["status"] == "rejected" and pulled["code"] == "photo_not_yours"
    assert photo.status_code == 404
    assert officer.client.get(f"/files/{sha}").status_code == 200


@pytest.mark.parametrize(
    "type_, payload",
    [
        ("seals.set_requirement", {"decision": "withdraw", "reason": "không cần"}),
        ("seals.remove_seal", {"seal_number": SEAL_1, "cause": "mistake", "reason": "nhầm"}),
        ("seals.correct", {"field": "carrier_seal", "container": C1, "old_value": "CS111", "new_value": "XX999", "reason": "sai"}),
        ("seals.record_seal", {"unit": C2, "seal_number": "HQ-777777"}),
        ("seals.confirm_sealed", {}),
    ],
    ids=["withdraw", "remove", "correct", "record", "confirm"],
)
def test_branch_c_cannot_change_branch_a_seals_or_gate_verdict(
    client: TestClient, world: World, officer: Person, outsider: Person, type_: str, payload: dict[str, Any]
) -> None:
    officer.do("seals.set_requirement", {"location_id": world["gate"], "number": NUMBER, "decision": "propose"})
    seal(officer, world, C1, SEAL_1)
    before = check_codes(officer)

    outcome = outsider.do(type_, at_outsiders_gate(world, **payload))

    assert outcome["status"] == "rejected" and outcome["code"] == "declaration_not_found", outcome
    assert check_codes(officer) == before == ["seal_not_confirmed"]


def test_a_branch_upstream_names_among_the_places_may_seal_and_see_the_evidence(client: TestClient, world: World, outsider: Person) -> None:
    declare(client, places=["B2-GA"])  # upstream: the goods leave through B2's gate
    officer = Person(client, world["officer"])
    seal(officer, world, C1, SEAL_1)

    sealed_there = seal(outsider, world, C2, "HQ-000555", location_id=world["other_gate"])
    evidence = outsider.client.get(f"/api/v1/seals/declarations/{NUMBER}")

    assert sealed_there["status"] == "applied", sealed_there
    assert evidence.status_code == 200 and [s["seal_number"] for s in evidence.json()["seals"]] == [SEAL_1, "HQ-000555"]


def test_a_paper_record_naming_an_unrelated_branch_cannot_file_a_violation_against_it(client: TestClient, world: World, officer: Person, outsider: Person) -> None:
    paper = {
        "location_id": world["other_gate"], "kind": "handover", "number": NUMBER, "from_branch": "B1",
        "paper_number": "01/BBBG", "paper_date": "2026-12-01",
        "containers": [{"number": C1, "seal_number": SEAL_1}], "representative_name": "Bịa Đặt",
    }

    invented = outsider.do("seals.enter_paper_record", paper)
    declare(client, places=["B2-GA"])  # now upstream says the goods come to B2
    entered = outsider.do("seals.enter_paper_record", paper)

    assert invented["status"] == "rejected" and invented["code"] == "declaration_not_found"
    assert entered["status"] == "applied", entered


def test_warehouse_staff_cannot_open_the_branch_photos(client: TestClient, world: World, officer: Person) -> None:
    sha = officer.upload(plain_jpeg(color=(10, 200, 10)))
    assert officer.do("logbook.add_entry", {"location_id": world["gate"], "text": "ảnh", "photos": [sha]})["status"] == "applied"
    sign_in_as(client, world["warehouse_user"])

    response = client.get(f"/files/{sha}/thumb", headers={"accept": "application/json"})

    assert response.status_code == 404
