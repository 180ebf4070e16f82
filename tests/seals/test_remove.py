"""Taking a customs seal off (`seals.remove_seal`): cut after checking it, or recorded in error. The number is free
again, the seal stays in the evidence as removed with who, when and why; only a branch that has to do with the
goods may do it; bad input changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.seals.helpers import NUMBER, SEAL_1, SEAL_2, Person, declare, journal_rows, record_payload, rows, seal


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    declare(client)
    return Person(client, world["officer"])


def remove(person: Person, world: World, seal_number: str = SEAL_1, **more: Any) -> dict[str, Any]:
    offline = more.pop("offline", False)
    payload = {
        "location_id": more.pop("location_id", world["gate"]), "number": NUMBER, "seal_number": seal_number,
        "cause": "cut", "reason": "Cắt niêm phong để kiểm tra thực tế hàng hóa", **more,
    }
    return person.do("seals.remove_seal", payload, offline=offline)


def test_cut_seal_is_kept_as_removed_with_who_when_why_and_its_number_is_free(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)
    seal(officer, world, C2, SEAL_2)

    outcome = remove(officer, world, " hq-000101 ")

    assert outcome["status"] == "applied"
    assert outcome["result"]["seal_number"] == SEAL_1 and outcome["result"]["unit"] == C1 and outcome["result"]["cause"] == "cut"
    first, second = in_app(client, rows, "seal")
    assert (first["state"], first["active_key"], first["end_cause"], first["ended_by"]) == ("removed", None, "cut", world["officer"])
    assert first["end_reason"] == "Cắt niêm phong để kiểm tra thực tế hàng hóa" and first["ended_at"] is not None
    assert (second["state"], second["active_key"]) == ("active", SEAL_2)  # only the seal named
    assert seal(officer, world, C2, SEAL_1, replace=True)["status"] == "applied"  # the number is free again

    evidence = officer.client.get(f"/api/v1/seals/declarations/{NUMBER}").json()
    removed = next(s for s in evidence["seals"] if s["seal_number"] == SEAL_1 and s["unit"] == C1)
    assert (removed["state"], removed["end_cause"], removed["ended_by"]) == ("removed", "cut", "Nguyễn Văn Một")
    assert any(action["command_type"] == "seals.remove_seal" for action in evidence["actions"])


@pytest.mark.parametrize(("changes", "code"), [
    ({"reason": "   "}, "reason_required"),
    ({"seal_number": "HQ-999999"}, "seal_not_found"),
    ({"seal_number": "x"}, "invalid_seal_number"),
    ({"number": "999999999999"}, "declaration_not_found"),
])
def test_remove_seal_bad_input_changes_nothing(client: TestClient, world: World, officer: Person, changes: dict, code: str) -> None:
    seal(officer, world, C1, SEAL_1)

    outcome = remove(officer, world, **{"seal_number": SEAL_1, **changes})

    assert outcome["status"] == "rejected" and outcome["code"] == code and outcome["reason"]
    (row,) = in_app(client, rows, "seal")
    assert (row["state"], row["active_key"], row["end_cause"]) == ("active", SEAL_1, "")


def test_remove_seal_with_a_cause_not_known_is_refused(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)

    outcome = remove(officer, world, SEAL_1, cause="lost")

    assert outcome["status"] == "rejected" and outcome["code"] == "invalid_payload"
    assert in_app(client, rows, "seal")[0]["state"] == "active"


def test_removing_a_removed_seal_is_refused_online_and_noted_when_made_offline(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)
    remove(officer, world, SEAL_1, cause="mistake", reason="Ghi nhầm số niêm phong")

    online = remove(officer, world, SEAL_1)
    offline = remove(officer, world, SEAL_1, offline=True)  # two devices offline both removed it

    assert online["status"] == "rejected" and online["code"] == "seal_not_active"
    assert offline["status"] == "applied" and offline["result"]["already_removed"] is True
    (row,) = in_app(client, rows, "seal")
    assert (row["end_cause"], row["end_reason"]) == ("mistake", "Ghi nhầm số niêm phong")  # the first removal stands


def test_a_branch_with_nothing_to_do_with_the_goods_may_not_cut_their_seal_until_a_record_is_sent_to_it(
    client: TestClient, world: World, officer: Person
) -> None:
    seal(officer, world, C1, SEAL_1)
    seal(officer, world, C2, SEAL_2)
    receiving = Person(client, world["other_officer"])

    refused = remove(receiving, world, SEAL_1, location_id=world["other_gate"])
    assert refused["status"] == "rejected" and refused["code"] == "declaration_not_found"
    assert in_app(client, rows, "seal")[0]["state"] == "active"

    record_id = officer.do("seals.create_record", record_payload(world))["result"]["record_id"]  # to branch B2
    officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id})
    drafted = remove(receiving, world, SEAL_1, location_id=world["other_gate"])
    assert drafted["code"] == "declaration_not_found"  # made and signed, not handed over yet: still A's own paper
    officer.do("seals.hand_over", {"location_id": world["gate"], "record_id": record_id})
    cut = remove(receiving, world, SEAL_1, location_id=world["other_gate"])

    assert cut["status"] == "applied"
    assert in_app(client, rows, "seal")[0]["ended_by"] == world["other_officer"]


def test_remove_seal_replayed_is_applied_once(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)
    envelope = officer.envelope("seals.remove_seal", {
        "location_id": world["gate"], "number": NUMBER, "seal_number": SEAL_1, "cause": "cut", "reason": "Đến nơi",
    })

    first, second = officer.post(envelope)[0], officer.post(envelope)[0]

    assert (first["status"], second["status"]) == ("applied", "duplicate")
    assert [r["command_type"] for r in in_app(client, journal_rows)].count("seals.remove_seal") == 1


def test_sealing_page_offers_removal_of_an_active_seal_and_then_shows_it_ended(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)

    before = officer.client.get(f"/seals?number={NUMBER}").text
    assert f'id="remove-{C1}-form"' in before and f'id="remove-{C2}-form"' not in before  # C2 has no seal to remove

    remove(officer, world, SEAL_1, cause="mistake", reason="Ghi nhầm số niêm phong")
    after = officer.client.get(f"/seals?number={NUMBER}").text

    assert f'id="remove-{C1}-form"' not in after
    ended = after.split(f'data-seal-ended="{SEAL_1}"', 1)[1].split("</p>", 1)[0]
    assert "ghi nhầm" in ended and "Nguyễn Văn Một" in ended and "Ghi nhầm số niêm phong" in ended

    evidence = officer.client.get(f"/seals/evidence/{NUMBER}").text
    row = evidence.split(f'data-seal="{SEAL_1}" data-state="removed"', 1)[1].split("</tr>", 1)[0]
    assert "ghi nhầm" in row and "Ghi nhầm số niêm phong" in row
