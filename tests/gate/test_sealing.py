"""The gate card follows the officers' sealing (backend/seals): a proposed or withdrawn seal requirement and "confirm
sealed" change what the gate checks (35.2.b.2.1.1), and reach devices through the gate_cards dataset. Both databases."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.conftest import World
from tests.declarations.helpers import C1, C2, item
from tests.gate.test_commands import NUMBER, upsert
from tests.journal.device import Person


def card(client: TestClient) -> dict:
    response = client.get(f"/api/v1/gate/cards/{NUMBER}")
    assert response.status_code == 200, response.text
    return response.json()


def check_codes(client: TestClient) -> list[str]:
    response = client.post("/api/v1/gate/check", json={"number": NUMBER, "containers": [C1]})
    assert response.status_code == 200, response.text
    return [reason["code"] for reason in response.json()["reasons"]]


def cards_since(client: TestClient, cursor: str | None) -> dict:
    response = client.get("/api/v1/replica/gate_cards", params={"since": cursor} if cursor else {})
    assert response.status_code == 200, response.text
    return response.json()


def test_confirm_sealed_makes_the_card_sealed_and_reaches_devices(client: TestClient, world: World) -> None:
    """Decision 1966 Art 35.2.b.2.1.1: a declaration refused because its sealing is not confirmed passes the check
    once the goods are sealed and the sealing confirmed, and the devices learn it."""
    upsert(client, item(NUMBER, seal_required=True, sealed=False))
    officer = Person(client, world["officer"], own_browser=False)
    before = cards_since(client, None)
    assert check_codes(client) == ["seal_not_confirmed"]

    containers = [{"number": C1, "seal_number": "HQ-900001"}, {"number": C2, "seal_number": "HQ-900002"}]
    for container in containers:
        outcome = officer.do("seals.record_seal", {"location_id": world["gate"], "number": NUMBER, "unit": container["number"], "seal_number": container["seal_number"]})
        assert outcome["status"] == "applied", outcome
    # Art 35.1.a.3: confirmed after the handover record is made and signed.
    record = officer.do("seals.create_record", {"location_id": world["gate"], "number": NUMBER, "to_branch": "B2", "containers": containers, "representative_name": "Đỗ Văn Sáu"})
    assert record["status"] == "applied", record
    signed = officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record["result"]["record_id"]})
    assert signed["status"] == "applied", signed
    sealed = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})

    assert sealed["status"] == "applied", sealed
    assert card(client)["sealed"] is True and check_codes(client) == []
    after = cards_since(client, before["cursor"])
    assert [(c["number"], c["sealed"]) for c in after["items"]] == [(NUMBER, True)]


def test_withdrawn_seal_requirement_is_what_the_gate_checks(client: TestClient, world: World) -> None:
    """Decision 1966 Art 35.1.b / 36.1.b: the seal requirement withdrawn ("Bỏ đề xuất niêm phong") is what the gate
    checks: no seal is asked for until the requirement is proposed again."""
    upsert(client, item(NUMBER, seal_required=True, sealed=False))
    officer = Person(client, world["officer"], own_browser=False)

    withdrawn = officer.do("seals.set_requirement", {"location_id": world["gate"], "number": NUMBER, "decision": "withdraw", "reason": "Hàng không thuộc diện niêm phong"})

    assert withdrawn["status"] == "applied", withdrawn
    assert card(client)["seal_required"] is False and check_codes(client) == []
    proposed = officer.do("seals.set_requirement", {"location_id": world["gate"], "number": NUMBER, "decision": "propose"})
    assert proposed["status"] == "applied" and card(client)["seal_required"] is True
    assert check_codes(client) == ["seal_not_confirmed"]
