"""Seals commands through the real app and journal (SQLite and PostgreSQL): the seal requirement, seal numbers (a
number in active use is refused, online; kept and noted for reconciliation when made offline), corrections,
"confirm sealed", who may do what, and replays. Signed types are signed with a software passkey."""

from __future__ import annotations

import json

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.seals.helpers import (
    C3, NUMBER, SEAL_1, SEAL_2, SEAL_3, Person, declare, journal_rows, rows, seal, signed_record,
)

ALL_SEALED = [{"number": C1, "seal_number": SEAL_1}, {"number": C2, "seal_number": SEAL_2}, {"number": C3, "seal_number": SEAL_3}]


BAD_CONTAINER = C1[:-1] + ("0" if C1[-1] != "0" else "1")  # a wrong check digit


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    declare(client)
    return Person(client, world["officer"])


def seal_state(client: TestClient) -> dict[str, bool | None]:
    async def run() -> dict[str, bool | None]:
        from backend.declarations.tables import Declaration
        from backend.seals.services import seal_state

        row = await Declaration.select(Declaration.id).where(Declaration.number == NUMBER).first()
        return (await seal_state([row["id"]]))[row["id"]]

    return in_app(client, run)


# --- seal numbers ----------------------------------------------------------------------------------------------------


def test_record_seal_stores_it_active_with_its_unit(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.1.a.1 / 36.1.a.1: the seal put on the goods is recorded, active on its container, by the
    officer at the place of sealing."""
    outcome = seal(officer, world, C1.lower(), " hq-000101 ")

    assert outcome["status"] == "applied"
    assert outcome["result"] == {
        "number": NUMBER, "declaration_id": outcome["result"]["declaration_id"], "seal_id": 1, "unit": C1,
        "seal_number": SEAL_1, "replaced": [], "server_notes": [],
    }
    (row,) = in_app(client, rows, "seal")
    assert (row["unit_kind"], row["unit"], row["seal_number"], row["active_key"], row["state"]) == ("container", C1, SEAL_1, SEAL_1, "active")
    assert row["officer"] == world["officer"] and row["location"] == world["gate"]


def test_record_seal_number_already_active_is_refused_and_nothing_stored(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)

    again = seal(officer, world, C2, SEAL_1)

    assert again["status"] == "rejected" and again["code"] == "seal_in_use"
    assert SEAL_1 in again["reason"] and C1 in again["reason"] and "Nguyễn Văn Một" in again["reason"]
    assert [row["unit"] for row in in_app(client, rows, "seal")] == [C1]


def test_record_seal_number_active_in_another_branch_is_refused(client: TestClient, world: World, officer: Person) -> None:
    declare(client, "104000000002", branch_code="B2")  # goods of the other branch, sealed there
    seal(officer, world, C1, SEAL_1)
    other = Person(client, world["other_officer"])

    outcome = seal(other, world, C2, SEAL_1, number="104000000002", location_id=world["other_gate"])

    assert outcome["status"] == "rejected" and outcome["code"] == "seal_in_use"
    assert len(in_app(client, rows, "seal")) == 1


def test_record_seal_on_a_sealed_unit_needs_replace_and_frees_the_old_number(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)

    refused = seal(officer, world, C1, SEAL_2)
    replaced = seal(officer, world, C1, SEAL_2, replace=True)
    reused = seal(officer, world, C2, SEAL_1)  # the replaced seal's number is no longer in active use

    assert refused["status"] == "rejected" and refused["code"] == "unit_already_sealed"
    assert replaced["status"] == "applied" and replaced["result"]["replaced"] == [SEAL_1]
    assert reused["status"] == "applied"
    seals = in_app(client, rows, "seal")
    assert [(r["unit"], r["seal_number"], r["state"], r["active_key"]) for r in seals] == [
        (C1, SEAL_1, "replaced", None), (C1, SEAL_2, "active", SEAL_2), (C2, SEAL_1, "active", SEAL_1),
    ]
    assert seals[0]["ended_by"] == world["officer"]


@pytest.mark.parametrize(("field", "value", "code"), [
    ("seal_number", "x", "invalid_seal_number"),
    ("seal_number", "HQ 00@1", "invalid_seal_number"),
    ("unit", BAD_CONTAINER, "container_invalid"),
    ("number", "12345", "bad_number"),
    ("number", "999999999999", "declaration_not_found"),
])
def test_record_seal_bad_input_is_refused_in_words(client: TestClient, world: World, officer: Person, field: str, value: str, code: str) -> None:
    payload = {"location_id": world["gate"], "number": NUMBER, "unit": C1, "seal_number": SEAL_1, field: value}

    outcome = officer.do("seals.record_seal", payload)

    assert outcome["status"] == "rejected" and outcome["code"] == code and outcome["reason"]
    assert in_app(client, rows, "seal") == []


def test_record_seal_on_a_wagon_keeps_its_number_41_1_c_1_1(client: TestClient, world: World, officer: Person) -> None:
    """Art 41.1.c.1.1 seals "container/toa tàu/kiện hàng": a wagon's number is its letters and digits, written with
    spaces or hyphens as painted (tests/seals/test_transit_sealing.py has the whole table)."""
    outcome = seal(officer, world, "  toa 3312 ", SEAL_1, unit_kind="wagon")

    assert outcome["status"] == "applied" and outcome["result"]["unit"] == "TOA3312"


def test_record_seal_made_offline_with_a_number_in_use_is_kept_and_noted_for_reconciliation(client: TestClient, world: World, officer: Person) -> None:
    declare(client, "104000000002")
    seal(officer, world, C1, SEAL_1)

    outcome = seal(officer, world, C2, SEAL_1, number="104000000002", offline=True)

    assert outcome["status"] == "applied" and outcome["result"]["server_notes"] == ["seal_in_use"]
    first, second = in_app(client, rows, "seal")
    assert (first["active_key"], first["state"]) == (SEAL_1, "active")
    assert (second["active_key"], second["state"], second["conflict_with"]) == (None, "active", first["id"])

    async def notes() -> list[str]:
        from backend.seals.commands import _recheck_seal
        from backend.sync.reconciliation import RECONCILE_CHECKS

        assert RECONCILE_CHECKS["seals.record_seal"] is _recheck_seal
        (row,) = [r for r in await journal_rows() if r["command_id"] == second["command_id"]]
        assert row["contingency"]
        return await RECONCILE_CHECKS["seals.record_seal"](row)

    found = in_app(client, notes)
    assert any(SEAL_1 in note and C1 in note for note in found) and len(found) == 2


def test_record_seal_replayed_command_id_is_applied_once(client: TestClient, world: World, officer: Person) -> None:
    envelope = officer.envelope("seals.record_seal", {"location_id": world["gate"], "number": NUMBER, "unit": C1, "seal_number": SEAL_1})

    first = officer.post(envelope)[0]
    second = officer.post(envelope)[0]

    assert first["status"] == "applied" and second["status"] == "duplicate"
    assert second["result"] == first["result"]
    assert len(in_app(client, rows, "seal")) == 1
    assert [r["command_type"] for r in in_app(client, journal_rows)] == ["seals.record_seal"]


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", [
    "seals.set_requirement", "seals.record_seal", "seals.remove_seal", "seals.correct", "seals.confirm_sealed", "seals.create_record",
    "seals.sign_record", "seals.hand_over", "seals.receive_record", "seals.record_discrepancy", "seals.enter_paper_record", "seals.close_violation",
])
def test_warehouse_staff_are_refused_every_seals_command(client: TestClient, world: World, type_: str) -> None:
    declare(client)
    staff = Person(client, world["warehouse_user"])

    outcome = staff.do(type_, {"location_id": world["warehouse"], "number": NUMBER})

    assert outcome["status"] == "rejected" and outcome["code"] == "forbidden_role"
    assert in_app(client, journal_rows) == []


def test_record_seal_at_a_location_of_another_branch_is_refused(client: TestClient, world: World, officer: Person) -> None:
    outcome = seal(officer, world, C1, SEAL_1, location_id=world["other_gate"])

    assert outcome["status"] == "rejected" and outcome["code"] == "location_not_in_branch"
    assert in_app(client, rows, "seal") == []


# --- requirement, corrections, sealed ----------------------------------------------------------------------------------


def test_set_requirement_propose_then_withdraw_is_the_officers_word(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.1.b / 36.1.b: the officer proposes or withdraws the seal requirement ("Đề xuất/Bỏ đề
    xuất niêm phong hàng hóa"); a withdrawal needs its reason."""
    assert seal_state(client) == {"required": None, "sealed": False}

    proposed = officer.do("seals.set_requirement", {"location_id": world["gate"], "number": NUMBER, "decision": "propose"})
    assert proposed["status"] == "applied" and seal_state(client) == {"required": True, "sealed": False}
    no_reason = officer.do("seals.set_requirement", {"location_id": world["gate"], "number": NUMBER, "decision": "withdraw"})
    withdrawn = officer.do("seals.set_requirement", {"location_id": world["gate"], "number": NUMBER, "decision": "withdraw", "reason": "Hàng không thuộc diện niêm phong"})

    assert no_reason["status"] == "rejected" and no_reason["code"] == "reason_required"
    assert withdrawn["status"] == "applied" and seal_state(client) == {"required": False, "sealed": False}
    assert [(r["required"], r["reason"]) for r in in_app(client, rows, "decision")] == [(True, ""), (False, "Hàng không thuộc diện niêm phong")]


def test_correct_container_number_is_recorded_and_moves_its_seal(client: TestClient, world: World, officer: Person) -> None:
    from tests.declarations.helpers import container

    right = container("TGHU654321")
    seal(officer, world, C1, SEAL_1)

    outcome = officer.do("seals.correct", {
        "location_id": world["gate"], "number": NUMBER, "field": "container_number", "container": C1,
        "old_value": C1, "new_value": right, "reason": "Số container trên tờ khai ghi nhầm",
    })

    assert outcome["status"] == "applied" and outcome["result"]["old"] == C1 and outcome["result"]["new"] == right
    assert outcome["result"]["seals_moved"] == 1
    (correction,) = in_app(client, rows, "correction")
    assert (correction["field"], correction["old_value"], correction["new_value"], correction["reason"]) == (
        "container_number", C1, right, "Số container trên tờ khai ghi nhầm",
    )
    assert [r["unit"] for r in in_app(client, rows, "seal")] == [right]


def test_correct_carrier_seal_is_recorded_with_the_declared_value(client: TestClient, world: World, officer: Person) -> None:
    outcome = officer.do("seals.correct", {
        "location_id": world["gate"], "number": NUMBER, "field": "carrier_seal", "container": C2,
        "old_value": "CS222", "new_value": "cs 229", "reason": "Seal hãng tàu thực tế khác",
    })

    assert outcome["status"] == "applied"
    (correction,) = in_app(client, rows, "correction")
    assert (correction["container"], correction["old_value"], correction["new_value"]) == (C2, "CS222", "CS 229")


@pytest.mark.parametrize(("changes", "code"), [
    ({"reason": "  "}, "reason_required"),
    ({"container": "CSQU3054383"}, "container_not_declared"),
    ({"new_value": BAD_CONTAINER}, "container_invalid"),
])
def test_correct_bad_input_changes_nothing(client: TestClient, world: World, officer: Person, changes: dict, code: str) -> None:
    payload = {"location_id": world["gate"], "number": NUMBER, "field": "container_number", "container": C1,
               "old_value": C1, "new_value": C3, "reason": "nhầm", **changes}

    outcome = officer.do("seals.correct", payload)

    assert outcome["status"] == "rejected" and outcome["code"] == code
    assert in_app(client, rows, "correction") == []


def test_confirm_sealed_after_the_signed_handover_record_is_signed_and_once(client: TestClient, world: World, officer: Person) -> None:
    """Art 35.1.a.3, 36.1.a.3: every container sealed, the handover record made and signed, then confirmed, once."""
    record_id = signed_record(officer, world, ALL_SEALED)

    confirmed = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    again = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})

    assert confirmed["status"] == "applied" and confirmed["result"]["seal_count"] == 3
    assert confirmed["result"]["record_id"] == record_id
    assert again["status"] == "rejected" and again["code"] == "already_sealed"
    assert seal_state(client) == {"required": None, "sealed": True}
    row = [r for r in in_app(client, journal_rows) if r["command_type"] == "seals.confirm_sealed"][0]
    assert json.loads(row["signature"])["credential"]["id"] == officer.device.id


def test_confirm_sealed_of_sealed_containers_without_a_handover_record_is_refused_35_1_a_3(client: TestClient, world: World, officer: Person) -> None:
    """Art 35.1.a.3, 36.1.a.3: "Xác nhận đã niêm phong sau khi đã lập Biên bản bàn giao" — sealed containers are
    confirmed after their handover record, not instead of it. Made offline it is kept, noted for reconciliation."""
    for unit, number in ((C1, SEAL_1), (C2, SEAL_2), (C3, SEAL_3)):
        seal(officer, world, unit, number)
    officer.client.cookies.set("gs_lang", "en")

    online = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    nothing_stored = in_app(client, rows, "confirmation"), seal_state(client)["sealed"]
    offline = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER}, offline=True)

    assert online["status"] == "rejected" and online["code"] == "record_required"
    assert "Art 35.1.a.3 and 36.1.a.3" in online["reason"] and "sau khi đã lập Biên bản bàn giao" in online["reason"]
    assert nothing_stored == ([], False)
    assert offline["status"] == "applied" and offline["result"]["server_notes"] == ["no_record"]

    async def notes() -> list[str]:
        from backend.sync.reconciliation import RECONCILE_CHECKS

        row = [r for r in await journal_rows() if r["command_type"] == "seals.confirm_sealed"][0]
        return await RECONCILE_CHECKS["seals.confirm_sealed"](row)

    (note,) = in_app(client, notes)
    assert "35.1.a.3" in note


def test_confirm_sealed_with_a_draft_record_only_is_refused_until_it_is_signed(client: TestClient, world: World, officer: Person) -> None:
    """Art 35.1.a.3: the record is made (printed, signed by the officer and the representative) before confirming."""
    for unit, number in ((C1, SEAL_1), (C2, SEAL_2), (C3, SEAL_3)):
        seal(officer, world, unit, number)
    from tests.seals.helpers import record_payload

    draft = officer.do("seals.create_record", record_payload(world, containers=ALL_SEALED))
    before = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": draft["result"]["record_id"]})
    after = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})

    assert before["status"] == "rejected" and before["code"] == "record_required"
    assert after["status"] == "applied" and after["result"]["record_id"] == draft["result"]["record_id"]


def test_confirm_sealed_without_signature_is_refused(client: TestClient, world: World, officer: Person) -> None:
    envelope = officer.envelope("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    del envelope["signature"]

    (outcome,) = officer.post(envelope)

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_required"


def test_confirm_sealed_with_containers_unsealed_is_refused_online_and_noted_offline(client: TestClient, world: World, officer: Person) -> None:
    nothing = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    seal(officer, world, C1, SEAL_1)
    online = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    offline = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER}, offline=True)

    assert nothing["status"] == "rejected" and nothing["code"] == "nothing_sealed"
    assert online["status"] == "rejected" and online["code"] == "containers_unsealed" and C2 in online["reason"] and C3 in online["reason"]
    assert offline["status"] == "applied" and offline["result"]["server_notes"] == ["containers_unsealed"]

    async def notes() -> list[str]:
        from backend.sync.reconciliation import RECONCILE_CHECKS

        row = [r for r in await journal_rows() if r["command_type"] == "seals.confirm_sealed"][0]
        return await RECONCILE_CHECKS["seals.confirm_sealed"](row)

    (note,) = in_app(client, notes)
    assert C2 in note and C3 in note


def test_seal_made_offline_with_a_number_in_use_shows_on_the_supervisors_reconciliation_page(client: TestClient, world: World, officer: Person) -> None:
    declare(client, "104000000002")
    seal(officer, world, C1, SEAL_1)
    seal(officer, world, C2, SEAL_1, number="104000000002", offline=True)
    supervisor = Person(client, world["supervisor"])

    page = supervisor.client.get("/reconciliation")

    assert page.status_code == 200
    assert f"niêm phong số {SEAL_1} đang được sử dụng cho {C1} của tờ khai {NUMBER}" in page.text
    assert "Niêm phong kia mang cùng số vẫn đang có hiệu lực." in page.text


def test_record_seal_made_offline_on_a_sealed_unit_replaces_the_older_seal_and_says_so(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)

    outcome = seal(officer, world, C1, SEAL_2, offline=True)

    assert outcome["status"] == "applied" and outcome["result"]["server_notes"] == ["unit_already_sealed"]
    assert [(r["seal_number"], r["state"]) for r in in_app(client, rows, "seal")] == [(SEAL_1, "replaced"), (SEAL_2, "active")]


def test_confirm_sealed_twice_offline_keeps_one_confirmation_and_notes_the_second(client: TestClient, world: World, officer: Person) -> None:
    signed_record(officer, world, ALL_SEALED)
    first = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER}, offline=True)

    second = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER}, offline=True)

    assert first["status"] == "applied" and second["status"] == "applied"
    assert second["result"]["already_confirmed"] is True and second["result"]["confirmation_id"] == first["result"]["confirmation_id"]
    assert len(in_app(client, rows, "confirmation")) == 1


def test_confirm_sealed_counts_a_corrected_container_by_its_corrected_number(client: TestClient, world: World, officer: Person) -> None:
    from tests.declarations.helpers import container

    right = container("TGHU654321")
    officer.do("seals.correct", {
        "location_id": world["gate"], "number": NUMBER, "field": "container_number", "container": C3,
        "old_value": C3, "new_value": right, "reason": "Số container ghi nhầm",
    })
    signed_record(officer, world, [{"number": C1, "seal_number": SEAL_1}, {"number": C2, "seal_number": SEAL_2}, {"number": right, "seal_number": SEAL_3}])

    outcome = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})

    assert outcome["status"] == "applied" and outcome["result"]["seal_count"] == 3
