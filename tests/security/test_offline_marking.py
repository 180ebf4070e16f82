"""Issue 11, finding 3: "offline" marks what a command is; it never widens what the command may do.

Before the fix, a signed `gate.confirm_passage` the server refused online (the goods not eligible) was applied when
sent again with `offline: true`, a flag outside the signature. Now a confirmation against a refusing check is applied
only when the device provably checked a card the goods could pass on (`card_seen`, inside the signed payload, found
in the server's record of card states) and the command really waited on the device (longer than the offline grace).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2, item
from tests.gate.test_commands import NUMBER, upsert
from tests.journal.device import Person

STOPPED = {"status_code": "CHO_KIEM_TRA", "allows_passage": False}


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    upsert(client, item(NUMBER, containers=[{"number": C1, "seal": ""}, {"number": C2, "seal": ""}]))
    return Person(client, world["officer"], own_browser=False)


def stamp(officer: Person) -> str:
    response = officer.client.get(f"/api/v1/gate/cards/{NUMBER}")
    assert response.status_code == 200, response.text
    return response.json()["updated_at"]


def confirm(officer: Person, world: World, **options: Any) -> dict[str, Any]:
    payload = {"location_id": world["gate"], "number": NUMBER, "containers": [C1]}
    payload.update(options.pop("payload", {}))
    return officer.do("gate.confirm_passage", payload, **options)


async def passages() -> list[dict[str, Any]]:
    from backend.gate.tables import Passage

    return await Passage.select(Passage.unit)


def test_offline_flag_does_not_apply_what_the_server_refuses_online(client: TestClient, world: World, officer: Person) -> None:
    upsert(client, item(NUMBER, containers=[{"number": C1, "seal": ""}, {"number": C2, "seal": ""}], **STOPPED))
    never_eligible = stamp(officer)
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)

    online = confirm(officer, world)
    claimed_now = confirm(officer, world, offline=True, issued_at=datetime.now(UTC), payload={"card_seen": never_eligible})
    without_card = confirm(officer, world, offline=True, issued_at=ten_minutes_ago)
    on_a_refusing_card = confirm(officer, world, offline=True, issued_at=ten_minutes_ago, payload={"card_seen": never_eligible})
    on_an_invented_card = confirm(officer, world, offline=True, issued_at=ten_minutes_ago, payload={"card_seen": "2026-01-01T00:00:00.000000+00:00"})

    for outcome in (online, claimed_now, without_card, on_a_refusing_card, on_an_invented_card):
        assert outcome["status"] == "rejected" and outcome["code"] == "not_eligible", outcome
    assert in_app(client, passages) == []


def test_offline_confirmation_on_a_card_that_could_pass_is_applied_and_marked(client: TestClient, world: World, officer: Person) -> None:
    seen = stamp(officer)  # the device's card, while the goods could pass
    upsert(client, item(NUMBER, containers=[{"number": C1, "seal": ""}, {"number": C2, "seal": ""}], **STOPPED))

    outcome = confirm(officer, world, offline=True, payload={"card_seen": seen})  # made 10 minutes ago, offline

    assert outcome["status"] == "applied" and outcome["result"]["server_reasons"] == ["status_not_eligible"]
    assert [row["unit"] for row in in_app(client, passages)] == [C1]


def test_card_seen_is_inside_the_signature(client: TestClient, world: World, officer: Person) -> None:
    seen = stamp(officer)
    upsert(client, item(NUMBER, containers=[{"number": C1, "seal": ""}, {"number": C2, "seal": ""}], **STOPPED))
    envelope = officer.envelope("gate.confirm_passage", {"location_id": world["gate"], "number": NUMBER, "containers": [C1]}, offline=True)

    envelope["payload"]["card_seen"] = seen  # added after signing
    (outcome,) = officer.post(envelope)

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_invalid"


def test_every_card_state_is_recorded_with_whether_goods_could_pass(client: TestClient, world: World, officer: Person) -> None:
    from backend.gate.tables import CardState

    upsert(client, item(NUMBER, containers=[{"number": C1, "seal": ""}, {"number": C2, "seal": ""}], **STOPPED))

    states = in_app(client, lambda: CardState.select(CardState.eligible).order_by(CardState.id))

    assert [row["eligible"] for row in states] == [True, False]
