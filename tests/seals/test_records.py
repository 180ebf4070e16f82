"""Handover records and records of findings through the real app (SQLite and PostgreSQL): made with photos, signed,
handed over, confirmed or found in discrepancy by the receiving branch only; paper-only records; the replica that
brings them to the receiving branch's devices; the evidence of a declaration; violation records for the departure
branch's supervisors."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.seals.helpers import (
    GOODS, NUMBER, SEAL_1, SEAL_2, Person, declare, journal_rows, photos, record_payload, rows, seal, sealed, signature_png,
)


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    declare(client)
    return Person(client, world["officer"])


@pytest.fixture
def receiver(client: TestClient, world: World) -> Person:
    return Person(client, world["other_officer"])


def make(officer: Person, world: World, **changes: Any) -> dict[str, Any]:
    payload = record_payload(world, **changes)
    sealed(officer, world, payload["containers"])  # the seals it lists are on the containers
    outcome = officer.do("seals.create_record", payload)
    assert outcome["status"] == "applied", outcome
    return outcome["result"]


def handed_over(officer: Person, world: World, **changes: Any) -> int:
    record_id = make(officer, world, **changes)["record_id"]
    for type_ in ("seals.sign_record", "seals.hand_over"):
        outcome = officer.do(type_, {"location_id": world["gate"], "record_id": record_id})
        assert outcome["status"] == "applied", outcome
    return record_id


def as_found(**intact: bool) -> list[dict[str, Any]]:
    return [{"number": C1, "seal_number": SEAL_1, "intact": intact.get("c1", True)}, {"number": C2, "seal_number": SEAL_2}]


async def attachments() -> list[tuple[str, str, int, int]]:
    from backend.files.tables import FileAttachment

    found = await FileAttachment.select().order_by(FileAttachment.id)
    return [(r["sha256"], r["record_type"], r["record_id"], r["branch"]) for r in found]


# --- making a record -------------------------------------------------------------------------------------------------


def test_create_record_with_two_photos_numbers_it_and_lets_both_branches_see_them(client: TestClient, world: World, officer: Person) -> None:
    shas = photos(officer, 2)
    signature = signature_png(officer)

    result = make(officer, world, kind="findings", goods=GOODS, photos=shas, representative_signature=signature)

    assert result["serial"] == "GN/B1/2026/000001" or result["serial"].startswith("GN/B1/")
    assert result["state"] == "draft" and result["photos"] == 2
    (row,) = in_app(client, rows, "record")
    assert (row["from_branch"], row["to_branch"], row["kind"], row["declaration_number"]) == (world["branch"], world["other_branch"], "findings", NUMBER)
    assert row["goods"].count("Máy xúc bánh xích") == 1 and row["representative_signature"] == signature
    linked = in_app(client, attachments)
    for sha in [*shas, signature]:
        assert (sha, "seals_record", row["id"], world["branch"]) in linked
        assert (sha, "seals_record_to", row["id"], world["other_branch"]) in linked
    receiver = Person(client, world["other_officer"])
    assert receiver.client.get(f"/files/{shas[0]}/thumb").status_code == 200
    view = officer.client.get(f"/api/v1/seals/records/{row['id']}").json()
    assert view["photos"] == shas and view["representative_signature"] == signature  # the signature is not a photo


def test_create_record_with_a_photo_not_uploaded_is_refused_and_nothing_stored(client: TestClient, world: World, officer: Person) -> None:
    shas = photos(officer, 1) + [hashlib.sha256(b"never uploaded").hexdigest()]

    outcome = officer.do("seals.create_record", record_payload(world, goods=GOODS, photos=shas))

    assert outcome["status"] == "rejected" and outcome["code"] == "photo_missing"
    assert in_app(client, rows, "record") == [] and in_app(client, attachments) == []


@pytest.mark.parametrize(("changes", "code"), [
    ({"containers": []}, "record_empty"),
    ({"to_branch": "ZZ"}, "unknown_branch"),
    ({"containers": [{"number": C1, "seal_number": "?"}]}, "invalid_seal_number"),
    ({"goods": [{"name": " ", "quantity": 1, "unit": "kiện"}], "photos": []}, "goods_incomplete"),
])
def test_create_record_bad_input_is_refused_in_words(client: TestClient, world: World, officer: Person, changes: dict, code: str) -> None:
    outcome = officer.do("seals.create_record", record_payload(world, **changes))

    assert outcome["status"] == "rejected" and outcome["code"] == code and outcome["reason"]
    assert in_app(client, rows, "record") == []


def test_create_record_of_unsealable_goods_without_photos_is_applied_and_says_none_were_taken_35_1_a_2(
    client: TestClient, world: World, officer: Person
) -> None:
    """Art 35.1.a.2 / 36.1.a.2 "chụp ảnh ... (nếu cần)", 41.1.c.1.1 "(nếu cần thiết)": the officer decides whether to
    photograph goods that cannot be sealed; the record, on screen and on paper, says that none were taken."""
    result = make(officer, world, containers=[], goods=GOODS)
    officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": result["record_id"]})
    officer.client.cookies.set("gs_lang", "en")

    page = officer.client.get(f"/seals?number={NUMBER}")
    printed = officer.client.get(f"/seals/records/{result['record_id']}/print")

    assert result["state"] == "draft" and result["photos"] == 0
    assert 'class="seals-photos-said" data-photos="0">No photo of the goods was taken' in page.text
    assert "Art 35.1.a.2, 41.1.c.1.1" in page.text
    assert printed.status_code == 200 and printed.text.count("Ảnh chụp nguyên trạng hàng hóa: không chụp.") == 2


def test_create_record_with_photos_says_how_many_on_screen_and_on_paper(client: TestClient, world: World, officer: Person) -> None:
    """Art 35.1.a.2, 41.1.c.1.1: the photos taken travel with the record, and it says how many."""
    result = make(officer, world, containers=[], goods=GOODS, photos=photos(officer, 2))
    officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": result["record_id"]})

    page = officer.client.get(f"/seals?number={NUMBER}")
    printed = officer.client.get(f"/seals/records/{result['record_id']}/print")

    assert 'class="seals-photos-said" data-photos="2">' in page.text
    assert printed.text.count("Ảnh chụp nguyên trạng hàng hóa kèm theo biên bản: 2 ảnh") == 2


# --- the record lists each container's current seal (Decision 1966, Art 35.1.a.2-a.3, 41.1.c.1.1) --------------------
# The record is made after sealing and lists the customs seal number of each container; the receiving branch compares
# the seals with it (43.1.c.2). A seal replaced since would read there as a discrepancy.

CLAUSES = "35.1.a.2–a.3"  # named in the refusal, with 41.1.c.1.1


def only_c1(seal_number: str) -> list[dict[str, str]]:
    return [{"number": C1, "seal_number": seal_number}]


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_create_record_naming_a_replaced_seal_is_refused_and_changes_nothing(
    client: TestClient, world: World, officer: Person, offline: bool
) -> None:
    # Art 35.1.a.2-a.3, 41.1.c.1.1: seal A, then seal B on the same container (both made offline, as in issue 12).
    assert seal(officer, world, C1, SEAL_1, offline=offline)["status"] == "applied"
    assert seal(officer, world, C1, SEAL_2, replace=True, offline=offline)["status"] == "applied"
    records_before, journal_before = in_app(client, rows, "record"), in_app(client, journal_rows)
    seals_before = in_app(client, rows, "seal")

    stale = officer.do("seals.create_record", record_payload(world, containers=only_c1(SEAL_1)), offline=offline)

    assert stale["status"] == "rejected" and stale["code"] == "seal_not_current", stale
    assert CLAUSES in stale["reason"] and "41.1.c.1.1" in stale["reason"]
    assert C1 in stale["reason"] and SEAL_1 in stale["reason"] and SEAL_2 in stale["reason"]
    assert in_app(client, rows, "record") == records_before == []
    assert in_app(client, journal_rows) == journal_before  # no row for a refused command
    assert in_app(client, rows, "seal") == seals_before

    current = officer.do("seals.create_record", record_payload(world, containers=only_c1(SEAL_2)), offline=offline)

    assert current["status"] == "applied", current
    (row,) = in_app(client, rows, "record")
    assert json.loads(row["containers"]) == only_c1(SEAL_2)


def test_create_record_in_one_batch_after_the_replacement_lists_the_new_seal(client: TestClient, world: World, officer: Person) -> None:
    # The device sends its queue in order: the replacement comes before the record that follows it. Art 35.1.a.2-a.3,
    # 41.1.c.1.1: what counts is the container's seal when the record is applied.
    batch = [
        officer.envelope("seals.record_seal", {"location_id": world["gate"], "number": NUMBER, "unit": C1, "seal_number": SEAL_1}, offline=True),
        officer.envelope("seals.record_seal", {"location_id": world["gate"], "number": NUMBER, "unit": C1, "seal_number": SEAL_2, "replace": True}, offline=True),
        officer.envelope("seals.create_record", record_payload(world, containers=only_c1(SEAL_1)), offline=True),
        officer.envelope("seals.create_record", record_payload(world, containers=only_c1(SEAL_2)), offline=True),
    ]

    outcomes = officer.post(*batch)

    assert [(o["status"], o.get("code")) for o in outcomes] == [
        ("applied", None), ("applied", None), ("rejected", "seal_not_current"), ("applied", None),
    ]
    (row,) = in_app(client, rows, "record")
    assert str(row["command_id"]) == batch[3]["id"] and json.loads(row["containers"]) == only_c1(SEAL_2)
    assert [(s["seal_number"], s["state"]) for s in in_app(client, rows, "seal")] == [(SEAL_1, "replaced"), (SEAL_2, "active")]


def removed(officer: Person, world: World) -> None:
    seal(officer, world, C1, SEAL_1)
    outcome = officer.do("seals.remove_seal", {"location_id": world["gate"], "number": NUMBER, "seal_number": SEAL_1, "cause": "cut", "reason": "kiểm tra"})
    assert outcome["status"] == "applied", outcome


@pytest.mark.parametrize(("before", "listed", "words"), [
    (lambda officer, world: seal(officer, world, C1, SEAL_1), "", SEAL_1),  # sealed, listed without its seal
    (lambda officer, world: None, SEAL_1, SEAL_1),  # listed with a seal never recorded
    (removed, SEAL_1, SEAL_1),  # listed with a seal cut since
], ids=["sealed-listed-blank", "unsealed-listed-sealed", "removed-listed"])
def test_create_record_not_listing_the_current_seal_is_refused(
    client: TestClient, world: World, officer: Person, before: Any, listed: str, words: str
) -> None:
    before(officer, world)

    outcome = officer.do("seals.create_record", record_payload(world, containers=only_c1(listed)))

    assert outcome["status"] == "rejected" and outcome["code"] == "seal_not_current", outcome
    assert C1 in outcome["reason"] and words in outcome["reason"] and CLAUSES in outcome["reason"]
    assert in_app(client, rows, "record") == []


def test_create_record_of_a_container_without_a_seal_lists_none(client: TestClient, world: World, officer: Person) -> None:
    # Goods that cannot be sealed (Art 35.1.a.2): the container travels without a customs seal, and the record says so.
    outcome = officer.do("seals.create_record", record_payload(world, containers=only_c1(""), goods=GOODS, photos=photos(officer, 1)))

    assert outcome["status"] == "applied", outcome
    (row,) = in_app(client, rows, "record")
    assert json.loads(row["containers"]) == only_c1("")


def test_record_serials_count_per_branch_kind_and_year(client: TestClient, world: World, officer: Person) -> None:
    first, second = make(officer, world), make(officer, world)
    findings = make(officer, world, kind="findings")

    year = first["serial"].split("/")[2]
    assert [first["serial"], second["serial"], findings["serial"]] == [f"10/B1/{year}/000001", f"10/B1/{year}/000002", f"GN/B1/{year}/000001"]


# --- signing, handing over, receiving ------------------------------------------------------------------------------------


def test_sign_record_needs_the_representative_and_is_signed(client: TestClient, world: World, officer: Person) -> None:
    record_id = make(officer, world, representative_name="")["record_id"]

    nameless = officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id})
    signed = officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id, "representative_name": "Đỗ Văn Sáu"})
    again = officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id})

    assert nameless["status"] == "rejected" and nameless["code"] == "representative_required"
    assert signed["status"] == "applied" and signed["result"]["state"] == "signed"
    assert again["status"] == "rejected" and again["code"] == "transition_refused"
    (row,) = in_app(client, rows, "record")
    assert (row["state"], row["signed_by"], row["representative_name"]) == ("signed", world["officer"], "Đỗ Văn Sáu")


def test_hand_over_a_draft_is_refused(client: TestClient, world: World, officer: Person) -> None:
    record_id = make(officer, world)["record_id"]

    outcome = officer.do("seals.hand_over", {"location_id": world["gate"], "record_id": record_id})

    assert outcome["status"] == "rejected" and outcome["code"] == "transition_refused"
    assert in_app(client, rows, "record")[0]["state"] == "draft"


def test_receive_record_by_the_receiving_branch_confirms_it(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    """Decision 1966 Art 43.1.c.3: the receiving branch confirms the handover record in the system, a signed command
    recording what it found (seals intact)."""
    record_id = handed_over(officer, world)

    outcome = receiver.do("seals.receive_record", {"location_id": world["other_gate"], "record_id": record_id, "containers": as_found()})

    assert outcome["status"] == "applied" and outcome["result"]["state"] == "received"
    (row,) = in_app(client, rows, "record")
    assert (row["state"], row["received_by"], row["received_location"]) == ("received", world["other_officer"], world["other_gate"])
    assert '"intact":true' in row["receipt_check"]
    (journal,) = [r for r in in_app(client, journal_rows) if r["command_type"] == "seals.receive_record"]
    assert journal["chain"] == "B2" and journal["signature"]


def test_receive_record_by_the_departure_branch_is_refused(client: TestClient, world: World, officer: Person) -> None:
    record_id = handed_over(officer, world)

    outcome = officer.do("seals.receive_record", {"location_id": world["gate"], "record_id": record_id, "containers": as_found()})

    assert outcome["status"] == "rejected" and outcome["code"] == "unknown_record"
    assert in_app(client, rows, "record")[0]["state"] == "handed_over"


def test_receive_record_of_another_branch_cannot_be_signed_or_handed_over_by_the_receiver(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = make(officer, world)["record_id"]

    outcome = receiver.do("seals.sign_record", {"location_id": world["other_gate"], "record_id": record_id})

    assert outcome["status"] == "rejected" and outcome["code"] == "unknown_record"


def test_receive_record_not_yet_handed_over_is_refused(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = make(officer, world)["record_id"]
    officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id})

    outcome = receiver.do("seals.receive_record", {"location_id": world["other_gate"], "record_id": record_id, "containers": as_found()})

    assert outcome["status"] == "rejected" and outcome["code"] == "transition_refused"


@pytest.mark.parametrize(("found", "goods_match", "words"), [
    (as_found(c1=False), True, C1),
    ([{"number": C1, "seal_number": SEAL_2}, {"number": C2, "seal_number": SEAL_2}], True, SEAL_2),
    ([{"number": C1, "seal_number": SEAL_1}], True, C2),
    (as_found(), False, ""),
])
def test_receive_record_that_differs_is_refused_for_a_discrepancy(
    client: TestClient, world: World, officer: Person, receiver: Person, found: list, goods_match: bool, words: str
) -> None:
    """Decision 1966 Art 43.1.c.2: containers, seals or unsealable goods that differ from the handover record are
    refused as a discrepancy, and the record stays handed over."""
    record_id = handed_over(officer, world)

    outcome = receiver.do("seals.receive_record", {
        "location_id": world["other_gate"], "record_id": record_id, "containers": found, "goods_match": goods_match,
    })

    assert outcome["status"] == "rejected" and outcome["code"] == "receipt_differs" and words in outcome["reason"]
    assert in_app(client, rows, "record")[0]["state"] == "handed_over"


def test_record_discrepancy_makes_a_violation_record_for_the_departure_supervisors(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = handed_over(officer, world)

    outcome = receiver.do("seals.record_discrepancy", {
        "location_id": world["other_gate"], "record_id": record_id, "text": "Niêm phong container bị cắt", "containers": as_found(c1=False),
    })

    assert outcome["status"] == "applied" and outcome["result"]["state"] == "discrepancy"
    (violation,) = in_app(client, rows, "violation")
    assert (violation["to_branch"], violation["by_branch"], violation["text"]) == (world["branch"], world["other_branch"], "Niêm phong container bị cắt")
    (row,) = in_app(client, rows, "record")
    assert (row["state"], row["violation"], row["discrepancy"]) == ("discrepancy", violation["id"], "Niêm phong container bị cắt")
    supervisor = Person(client, world["supervisor"])
    listed = supervisor.client.get("/api/v1/seals/violations").json()
    assert [(v["record_id"], v["by_branch_code"], v["text"], v["containers"][0]["intact"]) for v in listed] == [
        (record_id, "B2", "Niêm phong container bị cắt", False)
    ]


def test_record_discrepancy_without_text_is_refused(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = handed_over(officer, world)

    outcome = receiver.do("seals.record_discrepancy", {"location_id": world["other_gate"], "record_id": record_id, "text": " "})

    assert outcome["status"] == "rejected" and outcome["code"] == "discrepancy_required"
    assert in_app(client, rows, "violation") == []


def test_confirm_sealed_for_unsealable_goods_after_their_signed_record(client: TestClient, world: World, officer: Person) -> None:
    record_id = make(officer, world, containers=[], goods=GOODS, photos=photos(officer, 1))["record_id"]
    before = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER, "record_id": record_id})
    officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id})

    after = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER, "record_id": record_id})

    assert before["status"] == "rejected" and before["code"] == "record_not_signed"
    assert after["status"] == "applied" and after["result"]["record_id"] == record_id and after["result"]["seal_count"] == 0


# --- paper-only records ------------------------------------------------------------------------------------------------


def test_enter_paper_record_is_marked_and_received_like_any(client: TestClient, world: World, receiver: Person) -> None:
    """Art 43.1.c.1: "Trường hợp sử dụng biên bản bàn giao giấy, tiếp nhận Biên bản bàn giao giấy do Chi cục Hải quan
    cửa khẩu gửi đến": the receiving branch enters the paper record, then checks it like any (43.1.c.2)."""
    declare(client)
    entered = receiver.do("seals.enter_paper_record", {
        "location_id": world["other_gate"], "paper_number": "15/BBBG-GSQL", "paper_date": "2026-11-20",
        "from_branch_name": "Chi cục Hải quan cửa khẩu Hữu Nghị", "number": NUMBER,
        "containers": [{"number": C1, "seal_number": SEAL_1}, {"number": C2, "seal_number": SEAL_2}],
    })
    assert entered["status"] == "applied" and entered["result"]["state"] == "handed_over"

    received = receiver.do("seals.receive_record", {"location_id": world["other_gate"], "record_id": entered["result"]["record_id"], "containers": as_found()})

    assert received["status"] == "applied"
    (row,) = in_app(client, rows, "record")
    assert (row["paper_only"], row["paper_number"], row["from_branch"], row["to_branch"], row["state"]) == (
        True, "15/BBBG-GSQL", None, world["other_branch"], "received",
    )
    assert row["serial"].startswith("10/B2/")


def test_enter_paper_record_needs_its_origin(client: TestClient, world: World, receiver: Person) -> None:
    outcome = receiver.do("seals.enter_paper_record", {
        "location_id": world["other_gate"], "paper_number": "15/BBBG", "paper_date": "2026-11-20", "number": NUMBER,
        "containers": [{"number": C1}],
    })

    assert outcome["status"] == "rejected" and outcome["code"] == "from_branch_required"


# --- replica, evidence, permissions on reads ----------------------------------------------------------------------------


def test_handover_records_replica_reaches_the_receiving_branch_only(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    draft = make(officer, world)["record_id"]
    record_id = handed_over(officer, world)

    theirs = receiver.client.get("/api/v1/replica/handover_records").json()
    ours = officer.client.get("/api/v1/replica/handover_records").json()

    assert [item["key"] for item in theirs["items"]] == [str(record_id)]  # the draft is not handed over yet
    assert theirs["items"][0]["containers"] == [
        {"number": C1, "seal_number": SEAL_1, "kind": "container"}, {"number": C2, "seal_number": SEAL_2, "kind": "container"},
    ]
    assert ours["items"] == [] and draft != record_id
    again = receiver.client.get(f"/api/v1/replica/handover_records?since={theirs['cursor']}").json()
    assert again["changed"] is False


def _age(record_id: int, days: int) -> None:
    async def run() -> None:
        from datetime import timedelta

        from backend.lib import clock
        from backend.seals.tables import HandoverRecord

        then = clock.now() - timedelta(days=days)
        await HandoverRecord.update({
            HandoverRecord.issued_at: then, HandoverRecord.signed_at: then, HandoverRecord.handed_over_at: then,
            HandoverRecord.changed_at: then,
        }).where(HandoverRecord.id == record_id)

    return run


def test_record_unreceived_for_40_days_stays_on_the_receiving_page_highlighted_as_overdue_41_1_4_b(
    client: TestClient, world: World, officer: Person, receiver: Person
) -> None:
    """Art 41.1.4.b has goods past the time registered for them followed up; a handover record waiting 40 days for
    its receipt used to leave the receiving page and the replica after 30. It stays, highlighted as overdue after
    GIAMSAT_RECORD_OVERDUE_DAYS (3, giamsat's rule); a record already received 40 days ago leaves the list after
    GIAMSAT_CHECKED_RECORD_DAYS (30)."""
    waiting = handed_over(officer, world)
    fresh = handed_over(officer, world)
    received = handed_over(officer, world)
    assert receiver.do("seals.receive_record", {"location_id": world["other_gate"], "record_id": received, "containers": as_found()})["status"] == "applied"
    for record_id in (waiting, received):
        in_app(client, _age(record_id, 40))

    page = receiver.client.get("/seals/receive").text
    replica = receiver.client.get("/api/v1/replica/handover_records").json()

    assert f'data-record-id="{waiting}"' in page and f'data-record-id="{fresh}"' in page
    assert f'data-record-id="{received}"' not in page
    overdue = re.findall(r'class="seals-record seals-record-overdue" data-record-id="(\d+)"[^>]*data-overdue-days="(\d+)"', page)
    assert overdue == [(str(waiting), "40")]
    assert "Quá hạn: đã bàn giao 40 ngày" in page and "Điều 41.1.4.b" in page
    assert sorted(int(item["key"]) for item in replica["items"]) == [waiting, fresh]


def test_evidence_shows_seals_records_photos_and_who_did_what(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)
    shas = photos(officer, 2)
    record_id = make(officer, world, containers=[{"number": C1, "seal_number": SEAL_1}], goods=GOODS, photos=shas)["record_id"]
    officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id})

    evidence = officer.client.get(f"/api/v1/seals/declarations/{NUMBER}").json()

    assert [(s["unit"], s["seal_number"], s["state"], s["officer"]) for s in evidence["seals"]] == [(C1, SEAL_1, "active", "Nguyễn Văn Một")]
    assert [(r["id"], r["state"], r["photos"]) for r in evidence["records"]] == [(record_id, "signed", shas)]
    assert [a["command_type"] for a in evidence["actions"]] == ["seals.record_seal", "seals.create_record", "seals.sign_record"]
    assert all(a["officer_name"] == "Nguyễn Văn Một" for a in evidence["actions"])
    assert evidence["sealed"] is False and evidence["required"] is None


def test_evidence_and_record_of_a_branch_with_no_part_are_not_found(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = make(officer, world, to_branch="B1")["record_id"]  # stays within B1

    evidence = receiver.client.get(f"/api/v1/seals/declarations/{NUMBER}")
    record = receiver.client.get(f"/api/v1/seals/records/{record_id}")

    assert evidence.status_code == 404 and evidence.json()["error"] == "declaration_not_found"
    assert record.status_code == 404 and record.json()["error"] == "unknown_record"


def test_logbook_shows_the_seal_commands_with_their_summary(client: TestClient, world: World, officer: Person) -> None:
    seal(officer, world, C1, SEAL_1)

    page = officer.client.get(f"/logbook?location={world['gate']}")

    assert page.status_code == 200
    assert f"{C1} → {SEAL_1}" in page.text
