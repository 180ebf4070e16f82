"""Gate commands through the real app and journal (SQLite and PostgreSQL): confirm passage per container or per lot,
at most once; cancel with a reason; the server's re-check (refused online, applied and noted for reconciliation when
made offline); a scanned barcode's version and signature; reports to the supervisor; exit refused at a land border;
who may do what. Confirmations and cancellations are signed with a software passkey."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2, container, item
from tests.journal.device import Person
from tests.journal.test_signing import send

C3 = container("TEMU000001")
NUMBER = "104000000001"


def upsert(client: TestClient, *items: dict[str, Any]) -> None:
    async def run() -> None:
        from backend.declarations.services import upsert_many

        results = await upsert_many(list(items), "test")
        assert all(result.status != "refused" for result in results), results

    in_app(client, run)


def officer_of(client: TestClient, officer_id: int) -> Person:
    """An officer whose phone signs; the test's client is their browser (signed in by the passkey ceremony)."""
    return Person(client, officer_id, own_browser=False)


def confirm(officer: Person, location: int, *containers: str, **more: Any) -> dict[str, Any]:
    payload = {"location_id": location, "number": more.pop("number", NUMBER), "containers": list(containers), **more}
    offline = payload.pop("offline", False)
    return officer.do("gate.confirm_passage", payload, offline=offline)


async def passages() -> list[dict[str, Any]]:
    from backend.gate.tables import Passage

    return await Passage.select(Passage.all_columns(), Passage.declaration.number.as_alias("number")).order_by(Passage.id)


async def reports() -> list[dict[str, Any]]:
    from backend.gate.tables import GateReport

    return await GateReport.select().order_by(GateReport.id)


async def journal_types() -> list[str]:
    from backend.journal.tables import JournalEntry

    return [row["command_type"] for row in await JournalEntry.select(JournalEntry.command_type).order_by(JournalEntry.id)]


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    upsert(client, item(NUMBER, containers=[{"number": c, "seal": ""} for c in (C1, C2, C3)]))
    return officer_of(client, world["officer"])


# --- confirm -------------------------------------------------------------------------------------------------------


def test_confirm_two_containers_one_by_one_counts_passed_and_is_signed(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.2.b.1: when the check matches, the officer confirms the containers passed, each
    confirmation signed with the officer's passkey (the signature and stamp on the list)."""
    first = confirm(officer, world["gate"], C1)
    second = confirm(officer, world["gate"], C2.lower())

    assert first["status"] == "applied" and first["result"]["passed"] == 1 and first["result"]["total"] == 3
    assert second["status"] == "applied" and second["result"] == {"number": NUMBER, "units": [C2], "passed": 2, "total": 3, "server_reasons": []}
    rows = in_app(client, passages)
    assert [(r["unit"], r["standing_key"] is not None, r["version"], r["scanned"]) for r in rows] == [(C1, True, 1, False), (C2, True, 1, False)]
    from backend.journal.tables import JournalEntry

    signatures = in_app(client, lambda: JournalEntry.select(JournalEntry.signature).order_by(JournalEntry.id))
    assert all(json.loads(row["signature"])["credential"]["id"] == officer.device.id for row in signatures)


def test_confirm_same_container_twice_is_refused_naming_the_first(client: TestClient, world: World, officer: Person) -> None:
    confirm(officer, world["gate"], C1)

    again = confirm(officer, world["gate"], C1)

    assert again["status"] == "rejected" and again["code"] == "already_passed"
    assert "Nguyễn Văn Một" in again["reason"] and "Cổng A" in again["reason"]
    assert len(in_app(client, passages)) == 1


def test_confirm_without_signature_is_refused(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.2.b.1: a confirmation the officer has not signed is refused and records nothing."""
    envelope = officer.envelope("gate.confirm_passage", {"location_id": world["gate"], "number": NUMBER, "containers": [C1]})
    del envelope["signature"]

    (outcome,) = send(client, envelope)

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_required"
    assert in_app(client, passages) == []


def test_confirm_scanned_barcode_of_current_version_is_marked_scanned(client: TestClient, world: World, officer: Person) -> None:
    from backend.barcodes import payload
    from backend.barcodes.services import configured_keyring

    code = payload.encode(configured_keyring(), NUMBER, 1, "container_list")

    outcome = confirm(officer, world["gate"], C1, barcode=code)

    assert outcome["status"] == "applied"
    assert bool(in_app(client, passages)[0]["scanned"])


def test_confirm_with_barcode_expired_by_supplementary_declaration_is_refused_in_vietnamese(client: TestClient, world: World, officer: Person) -> None:
    from backend.barcodes import payload
    from backend.barcodes.services import configured_keyring

    old_code = payload.encode(configured_keyring(), NUMBER, 1, "container_list")
    upsert(client, item(NUMBER, version=2, containers=[{"number": c, "seal": ""} for c in (C1, C2, C3)]))

    outcome = confirm(officer, world["gate"], C1, barcode=old_code)

    assert outcome["status"] == "rejected" and outcome["code"] == "not_eligible"
    assert "phiên bản 1" in outcome["reason"] or "version 1" in outcome["reason"]
    assert "B1" in outcome["reason"]
    assert in_app(client, passages) == []


@pytest.mark.parametrize("border_gate", [False, True], ids=["port", "border"])
@pytest.mark.parametrize("tamper", ["forged", "other_declaration"])
def test_confirm_with_forged_or_foreign_barcode_is_refused(
    client: TestClient, world: World, officer: Person, tamper: str, border_gate: bool
) -> None:
    """Decision 1966 Art 35.2.a (a port gate) and 36.2.b (a land border gate): the officer reads the list's barcode
    and compares it with the list presented; a forged barcode, or another declaration's, is refused citing that
    lead-in, not the status check of 35.2.a.1."""
    from backend.barcodes import payload
    from backend.barcodes.services import configured_keyring
    from backend.officers.tables import Location

    if border_gate:
        in_app(client, lambda: Location.update({Location.border_gate: True}).where(Location.id == world["gate"]))
    if tamper == "forged":
        code = payload.encode(configured_keyring(), NUMBER, 1, "container_list")
        code = code[:-1] + ("A" if code[-1] != "A" else "B")
    else:
        code = payload.encode(configured_keyring(), "104000000999", 1, "container_list")

    outcome = confirm(officer, world["gate"], C1, barcode=code)

    assert outcome["status"] == "rejected" and outcome["code"] == "not_eligible"
    clause = "36.2.b" if border_gate else "35.2.a"
    assert f"({clause})" in outcome["reason"] or clause in outcome["reason"], outcome["reason"]
    assert in_app(client, passages) == []


def test_confirm_when_status_does_not_allow_passage_is_refused_online(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.2.a.1: the server checks the declaration's status and refuses a confirmation that the
    status does not allow."""
    upsert(client, item(NUMBER, status_code="CHO_KIEM_TRA", allows_passage=False, containers=[{"number": C1, "seal": ""}]))

    outcome = confirm(officer, world["gate"], C1)

    assert outcome["status"] == "rejected" and outcome["code"] == "not_eligible"
    assert "CHO_KIEM_TRA" in outcome["reason"]
    assert in_app(client, passages) == [] and in_app(client, journal_types) == []


def test_confirm_made_offline_on_stale_card_is_applied_and_noted_for_reconciliation(client: TestClient, world: World, officer: Person) -> None:
    # The device confirmed from its gate card while offline; meanwhile upstream withdrew the status.
    seen = officer.client.get(f"/api/v1/gate/cards/{NUMBER}").json()["updated_at"]
    upsert(client, item(NUMBER, status_code="CHO_KIEM_TRA", allows_passage=False, containers=[{"number": C1, "seal": ""}]))

    outcome = confirm(officer, world["gate"], C1, offline=True, card_seen=seen)

    assert outcome["status"] == "applied" and outcome["result"]["server_reasons"] == ["status_not_eligible"]
    (row,) = in_app(client, passages)
    assert [r["code"] for r in json.loads(row["server_reasons"])] == ["status_not_eligible"]
    from backend.journal.tables import JournalEntry
    from backend.sync.reconciliation import RECONCILE_CHECKS

    (entry,) = in_app(client, lambda: JournalEntry.select())
    assert entry["contingency"]
    notes = in_app(client, RECONCILE_CHECKS["gate.confirm_passage"], entry)
    assert any("CHO_KIEM_TRA" in note for note in notes), notes


def test_confirm_container_not_declared_is_refused(client: TestClient, world: World, officer: Person) -> None:
    outcome = confirm(officer, world["gate"], container("ABCU111111"))

    assert outcome["status"] == "rejected" and outcome["code"] == "not_eligible"
    assert in_app(client, passages) == []


def test_confirm_container_with_wrong_check_digit_is_refused_with_hint_even_offline(client: TestClient, world: World, officer: Person) -> None:
    wrong = C1[:-1] + str((int(C1[-1]) + 1) % 10)

    outcome = confirm(officer, world["gate"], wrong, offline=True)

    assert outcome["status"] == "rejected" and outcome["code"] == "container_invalid"
    assert C1 in outcome["reason"]


def test_confirm_bulk_lot_needs_weight_and_checks_tolerance(client: TestClient, world: World, officer: Person) -> None:
    upsert(client, item("104000000002", cargo_type="bulk", containers=[], weight_kg=25000.0))
    payload = {"location_id": world["gate"], "number": "104000000002", "lot": True}

    without = officer.do("gate.confirm_passage", payload)
    beyond = officer.do("gate.confirm_passage", {**payload, "weight_kg": 26000})
    within = officer.do("gate.confirm_passage", {**payload, "weight_kg": 25300})

    assert without["code"] == "weight_required"
    assert beyond["code"] == "not_eligible" and "25,000" in beyond["reason"]
    assert within["status"] == "applied" and within["result"]["units"] == ["LOT"] and within["result"]["total"] == 1


def test_confirm_at_location_of_another_branch_is_refused(client: TestClient, world: World, officer: Person) -> None:
    outcome = confirm(officer, world["other_gate"], C1)

    assert outcome["code"] == "location_not_in_branch"
    assert in_app(client, passages) == []


def test_warehouse_staff_cannot_confirm(client: TestClient, world: World) -> None:
    upsert(client, item(NUMBER))
    sign_in_as(client, world["warehouse_user"])
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "gate.confirm_passage",
        "issued_at": datetime.now(UTC).isoformat(),
        "device_id": "kho",
        "payload": {"location_id": world["gate"], "number": NUMBER, "containers": [C1]},
    }

    (outcome,) = send(client, envelope)

    assert outcome["status"] == "rejected" and outcome["code"] == "forbidden_role"


def test_replayed_confirmation_is_applied_once(client: TestClient, world: World, officer: Person) -> None:
    envelope = officer.envelope("gate.confirm_passage", {"location_id": world["gate"], "number": NUMBER, "containers": [C1]})

    first, again = send(client, envelope)[0], send(client, envelope)[0]

    assert first["status"] == "applied" and again["status"] == "duplicate"
    assert len(in_app(client, passages)) == 1


# --- cancel --------------------------------------------------------------------------------------------------------


def test_cancel_with_reason_frees_the_container_to_be_confirmed_again(client: TestClient, world: World, officer: Person) -> None:
    confirm(officer, world["gate"], C1)
    confirm(officer, world["gate"], C2)

    cancelled = officer.do("gate.cancel_passage", {"location_id": world["gate"], "number": NUMBER, "unit": C2, "reason": "Sai container trên xe"})
    again = confirm(officer, world["gate"], C2)

    assert cancelled["status"] == "applied" and cancelled["result"]["passed"] == 1
    assert again["status"] == "applied" and again["result"]["passed"] == 2
    rows = in_app(client, passages)
    assert [(r["unit"], r["cancel_reason"], r["standing_key"] is None) for r in rows] == [
        (C1, "", False),
        (C2, "Sai container trên xe", True),
        (C2, "", False),
    ]


def test_cancel_needs_a_reason_and_a_standing_confirmation(client: TestClient, world: World, officer: Person) -> None:
    confirm(officer, world["gate"], C1)

    blank = officer.do("gate.cancel_passage", {"location_id": world["gate"], "number": NUMBER, "unit": C1, "reason": "  "})
    nothing = officer.do("gate.cancel_passage", {"location_id": world["gate"], "number": NUMBER, "unit": C2, "reason": "x"})

    assert blank["code"] == "reason_required" and nothing["code"] == "not_confirmed"
    assert in_app(client, passages)[0]["standing_key"] is not None


def test_officer_of_another_branch_cannot_cancel_this_branchs_confirmation(client: TestClient, world: World, officer: Person) -> None:
    confirm(officer, world["gate"], C1)
    other = officer_of(client, world["other_officer"])

    outcome = other.do("gate.cancel_passage", {"location_id": world["other_gate"], "number": NUMBER, "unit": C1, "reason": "x"})

    assert outcome["status"] == "rejected" and outcome["code"] == "other_branch"
    assert in_app(client, passages)[0]["standing_key"] is not None


def test_officer_of_another_branch_sees_the_container_already_passed(client: TestClient, world: World, officer: Person) -> None:
    confirm(officer, world["gate"], C1)
    other = officer_of(client, world["other_officer"])

    outcome = confirm(other, world["other_gate"], C1)

    assert outcome["code"] == "already_passed"


# --- reports -------------------------------------------------------------------------------------------------------


def test_report_mismatch_cancels_confirmations_and_reaches_the_branch(client: TestClient, world: World, officer: Person) -> None:
    """35.2.b.2.2 "Thực hiện hủy xác nhận … (trong trường hợp đã xác nhận)", 35.2.b.2.3: the report reaches the branch
    and the confirmation already made is cancelled, naming the clause."""
    confirm(officer, world["gate"], C1)

    outcome = officer.do(
        "gate.report_mismatch",
        {"location_id": world["gate"], "number": NUMBER, "reasons": ["container_not_declared"], "containers": [C3], "note": "Xe chở container lạ"},
    )

    assert outcome["status"] == "applied" and outcome["result"]["cancelled_passages"] == 1
    assert outcome["result"]["cancel_clause"] == "35.2.b.2.2"
    (report,) = in_app(client, reports)
    assert report["kind"] == "mismatch" and report["branch"] == world["branch"] and report["note"] == "Xe chở container lạ"
    assert json.loads(report["containers"]) == [C3]
    (passage,) = in_app(client, passages)
    assert passage["standing_key"] is None and passage["cancel_reason"] == "35.2.b.2.2 · Xe chở container lạ"


def test_report_mismatch_cancels_confirmations_even_when_the_payload_says_not_to_35_2_b_2_2(
    client: TestClient, world: World, officer: Person
) -> None:
    """35.2.b.2.2: cancelling is required, not optional. A report queued by an older page with the box unticked
    (`cancel_confirmations: false`) still applies, and still cancels."""
    confirm(officer, world["gate"], C1, C2)

    outcome = officer.do(
        "gate.report_mismatch",
        {"location_id": world["gate"], "number": NUMBER, "note": "Sai số container", "cancel_confirmations": False},
    )

    assert outcome["status"] == "applied" and outcome["result"]["cancelled_passages"] == 2
    assert [row["standing_key"] for row in in_app(client, passages)] == [None, None]


def test_refuse_exit_cancels_confirmations_citing_36_2_c_2_2(client: TestClient, world: World, officer: Person) -> None:
    """36.2.c.2.2 (cancel the confirmation) and 36.2.c.2.3 (goods not allowed out) at a land border gate."""
    from backend.officers.tables import Location

    in_app(client, lambda: Location.update({Location.border_gate: True}).where(Location.id == world["gate"]))
    confirm(officer, world["gate"], C1, outside_state="intact", seals_intact=True)

    outcome = officer.do("gate.refuse_exit", {"location_id": world["gate"], "number": NUMBER, "reasons": ["goods_damaged"], "note": "Bao bì rách"})

    assert outcome["status"] == "applied" and outcome["result"]["cancelled_passages"] == 1
    assert outcome["result"]["cancel_clause"] == "36.2.c.2.2"
    assert in_app(client, passages)[0]["cancel_reason"] == "36.2.c.2.2 · Bao bì rách"


def test_report_leaves_another_branchs_confirmations_to_them(client: TestClient, world: World, officer: Person) -> None:
    """35.2.b.2.2 at the reporting branch only: another branch's confirmation is theirs to cancel (gate.cancel_passage)."""
    other = Person(client, world["other_officer"])  # on their own phone and browser
    confirm(other, world["other_gate"], C2)
    confirm(officer, world["gate"], C1)

    outcome = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": NUMBER, "note": "x"})

    assert outcome["result"]["cancelled_passages"] == 1
    assert [(row["unit"], row["standing_key"] is None) for row in in_app(client, passages)] == [(C2, False), (C1, True)]


def test_report_of_unknown_declaration_is_kept_and_blank_report_refused(client: TestClient, world: World, officer: Person) -> None:
    unknown = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": "999999999999", "note": "Không có trên hệ thống"})
    blank = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": NUMBER})

    assert unknown["status"] == "applied" and blank["code"] == "note_required"
    (report,) = in_app(client, reports)
    assert report["number"] == "999999999999" and report["declaration"] is None


def test_refuse_exit_only_at_a_border_gate(client: TestClient, world: World, officer: Person) -> None:
    from backend.officers.tables import Location

    payload = {"location_id": world["gate"], "number": NUMBER, "reasons": ["goods_damaged"], "note": "Bao bì rách"}
    at_port = officer.do("gate.refuse_exit", payload)
    in_app(client, lambda: Location.update({Location.border_gate: True}).where(Location.id == world["gate"]))
    at_border = officer.do("gate.refuse_exit", payload)

    assert at_port["code"] == "not_border_gate"
    assert at_border["status"] == "applied"
    (report,) = in_app(client, reports)
    assert report["kind"] == "exit_refused"


def test_supervisor_closes_a_report_once_and_others_cannot(client: TestClient, world: World, officer: Person) -> None:
    report_id = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": NUMBER, "note": "x"})["result"]["report_id"]
    by_officer = officer.do("gate.close_report", {"report_id": report_id})
    client.cookies.clear()
    sign_in_as(client, world["supervisor"])
    close = {"id": str(uuid.uuid4()), "type": "gate.close_report", "issued_at": datetime.now(UTC).isoformat(), "device_id": "gs", "payload": {"report_id": report_id, "note": "Đã xử lý"}}

    (closed,) = send(client, close)
    (twice,) = send(client, {**close, "id": str(uuid.uuid4())})

    assert by_officer["code"] == "forbidden_role", by_officer
    assert closed["status"] == "applied", closed
    assert closed["status"] == "applied" and twice["code"] == "report_closed"
    (report,) = in_app(client, reports)
    assert report["closed_by"] == world["supervisor"] and report["closing_note"] == "Đã xử lý"
