"""The sealing step of a transit declaration (Decision 1966, Art 41.1.c; issue 14 item 2), through the real app and
journal on SQLite and PostgreSQL: what transit seals (containers, rail wagons, packages: c.1.1), the record of
findings of goods that cannot be sealed (c.1.1), corrections of the goods schedule (c.1.1, signed), the documents
signed at sealing and whom each copy is for (c.1.2, c.1.3), and the result not as declared (c.2). The departure
branch is B1 (the branch of registration), the destination B2."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.errors import DomainError
from backend.seals import units
from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2, container as container_number
from tests.journal.device import Person
from tests.seals.helpers import GOODS, declare as declare_plain, journal_rows, rows
from tests.transit.helpers import declare as declare_transit, seal as seal_transit

NUMBER = "501000000011"
PLAIN = "104000000001"  # not a transit declaration
WAGON, PACKAGE = "GG31234", "ABC CO / HCM / C/NO 1-20"


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    declare_transit(client, NUMBER, lane=1)  # green lane: straight to step 3, sealing (41.1.a.2)
    return Person(client, world["officer"])


@pytest.fixture
def head(client: TestClient, world: World) -> Person:
    return Person(client, world["supervisor"])


@pytest.fixture
def destination(client: TestClient, world: World) -> Person:
    return Person(client, world["other_officer"])


def applied(outcome: dict[str, Any]) -> dict[str, Any]:
    assert outcome["status"] == "applied", outcome
    return outcome["result"]


def seal_unit(person: Person, world: World, kind: str, unit: str, seal_number: str, **more: Any) -> dict[str, Any]:
    return person.do("seals.record_seal", {
        "location_id": world["gate"], "number": more.pop("number", NUMBER), "unit_kind": kind, "unit": unit,
        "seal_number": seal_number, **more,
    })


# --- what transit seals: containers, rail wagons, packages (c.1.1) ------------------------------------------------


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("container", " " + C1.lower() + " ", C1),  # ISO 6346, as before
    ("container", C1[:-1] + str((int(C1[-1]) + 1) % 10), "container_invalid"),  # a wrong check digit
    ("wagon", "GG 31234", "GG31234"),  # Vietnam Railways: type code and serial, painted with a space
    ("wagon", "gg-31234", "GG31234"),  # the same wagon written with a hyphen
    ("wagon", "C70 1234567", "C701234567"),  # China Railway: type code and 7 digits
    ("wagon", "31 80 665 0 123-6", "318066501236"),  # UIC, 12 digits, check digit 6
    ("wagon", "21 81 2471 217-3", "218124712173"),  # UIC leaflet 920-1's own example
    ("wagon", "31 80 665 0 123-4", "wagon_check_digit"),  # a mistyped UIC digit
    ("wagon", C1, "wagon_is_container"),  # a container on a flat wagon is sealed as a container
    ("wagon", "GG", "wagon_invalid"),  # too short, no serial
    ("wagon", "TOA-AB", "wagon_invalid"),  # no serial digits
    ("wagon", "GG#31234", "wagon_invalid"),  # a character no railway paints
    ("wagon", "1" * 17, "wagon_invalid"),  # too long
    ("wagon", "", "wagon_invalid"),
    ("package", "  abc co /  hcm  c/no 1-20 ", "ABC CO / HCM C/NO 1-20"),  # marks as written, spaces collapsed
    ("package", " -- ", "package_invalid"),  # no mark at all
    ("package", "X" * 65, "package_invalid"),
])
def test_unit_identifier_of_each_kind_41_1_c_1_1(kind: str, raw: str, expected: str) -> None:
    """Art 41.1.c.1.1: the customs seal number is written for each "container/toa tàu/kiện hàng": each kind is named as
    its own numbering says (backend/seals/units.py), and a number that is not one is refused, naming the clause."""
    if expected.islower():  # an error code
        with pytest.raises(DomainError) as refused:
            units.unit_id(kind, raw)
        assert refused.value.code == expected
        assert "41.1.c.1.1" in refused.value.message or expected == "container_invalid"
    else:
        assert units.unit_id(kind, raw) == expected


@pytest.mark.parametrize(("unit", "code"), [("GG", "wagon_invalid"), (C1, "wagon_is_container"), ("31 80 665 0 123-4", "wagon_check_digit")])
def test_seal_on_something_that_is_not_a_wagon_number_is_refused_and_nothing_stored_41_1_c_1_1(
    client: TestClient, world: World, officer: Person, unit: str, code: str,
) -> None:
    """Art 41.1.c.1.1: a seal on a rail wagon names the wagon by its number; anything else is refused, typed, in
    words citing the clause, and nothing is stored."""
    outcome = seal_unit(officer, world, "wagon", unit, "HQ-000301")

    assert outcome["status"] == "rejected" and outcome["code"] == code and "41.1.c.1.1" in outcome["reason"]
    assert in_app(client, rows, "seal") == []


def test_record_lists_wagons_and_packages_with_their_current_seal_41_1_c_1_1(client: TestClient, world: World, officer: Person) -> None:
    """Art 41.1.c.1.1: wagons and packages are sealed through the same commands as containers, and a record lists each
    unit's current seal: the same rule (a seal replaced since is refused, `seal_not_current`)."""
    applied(seal_unit(officer, world, "wagon", "gg 31234", "HQ-000301"))
    applied(seal_unit(officer, world, "package", PACKAGE, "HQ-000302"))
    applied(seal_unit(officer, world, "wagon", "GG-31234", "HQ-000303", replace=True))  # the same wagon, a new seal
    record = {
        "location_id": world["gate"], "kind": "handover", "number": NUMBER, "to_branch": "B2", "representative_name": "Đỗ Văn Sáu",
        "containers": [{"kind": "wagon", "number": "GG 31234", "seal_number": "HQ-000301"}, {"kind": "package", "number": PACKAGE, "seal_number": "HQ-000302"}],
    }

    stale = officer.do("seals.create_record", record)
    record["containers"][0]["seal_number"] = "HQ-000303"
    made = applied(officer.do("seals.create_record", record))

    assert stale["status"] == "rejected" and stale["code"] == "seal_not_current" and "GG31234" in stale["reason"]
    view = officer.client.get(f"/api/v1/seals/records/{made['record_id']}").json()
    assert view["containers"] == [
        {"number": WAGON, "seal_number": "HQ-000303", "kind": "wagon"},
        {"number": PACKAGE, "seal_number": "HQ-000302", "kind": "package"},
    ]
    seals = {(s["unit_kind"], s["unit"], s["state"]) for s in in_app(client, rows, "seal")}
    assert seals == {("wagon", WAGON, "replaced"), ("package", PACKAGE, "active"), ("wagon", WAGON, "active")}


def test_destination_receives_a_wagon_by_its_number_and_seal_41_2_a_2(client: TestClient, world: World, officer: Person, destination: Person) -> None:
    """Art 41.2.a.2: the destination checks each seal against the record, wagons included; a wagon seal found
    different is not a receipt (`receipt_differs`), the one recorded is."""
    applied(seal_unit(officer, world, "wagon", WAGON, "HQ-000301"))
    containers = [{"kind": "wagon", "number": WAGON, "seal_number": "HQ-000301"}]
    record_id = applied(officer.do("seals.create_record", {
        "location_id": world["gate"], "number": NUMBER, "to_branch": "B2", "representative_name": "Đỗ Văn Sáu", "containers": containers,
    }))["record_id"]
    applied(officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id}))
    applied(officer.do("seals.hand_over", {"location_id": world["gate"], "record_id": record_id}))
    receipt = {"location_id": world["other_gate"], "record_id": record_id}

    wrong = destination.do("seals.receive_record", {**receipt, "containers": [{"kind": "wagon", "number": "gg 31234", "seal_number": "HQ-000399"}]})
    right = destination.do("seals.receive_record", {**receipt, "containers": [{"kind": "wagon", "number": "GG-31234", "seal_number": "HQ-000301"}]})

    assert wrong["status"] == "rejected" and wrong["code"] == "receipt_differs" and WAGON in wrong["reason"]
    assert right["status"] == "applied" and right["result"]["state"] == "received"


# --- the record of findings of goods that cannot be sealed (c.1.1) ------------------------------------------------


@pytest.mark.parametrize("with_photos", [False, True])
def test_record_of_findings_for_unsealable_transit_goods_with_photos_if_needed_41_1_c_1_1(
    client: TestClient, world: World, officer: Person, with_photos: bool,
) -> None:
    """Art 41.1.c.1.1: goods that cannot be sealed are described in a record of findings (name, quantity, type, marks,
    origin) with photos "(nếu cần thiết)": with or without photos it is made, for the destination branch, says how
    many photos there are, and stands in for the seals when the goods are confirmed sealed; the documents name it."""
    from tests.seals.helpers import photos

    shas = photos(officer, 2) if with_photos else []
    record_id = applied(officer.do("seals.create_record", {
        "location_id": world["gate"], "kind": "findings", "number": NUMBER, "to_branch": "B2", "goods": GOODS, "photos": shas,
        "representative_name": "Đỗ Văn Sáu",
    }))["record_id"]
    applied(officer.do("seals.sign_record", {"location_id": world["gate"], "record_id": record_id}))

    confirmed = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER, "record_id": record_id})
    printed = officer.client.get(f"/seals/records/{record_id}/print").text
    documents = officer.client.get(f"/seals/{NUMBER}/transit-documents/goods-schedule").text

    assert confirmed["status"] == "applied" and confirmed["result"]["record_id"] == record_id
    (record,) = in_app(client, rows, "record")
    assert (record["kind"], record["serial"].split("/")[0]) == ("findings", "GN")
    assert "BIÊN BẢN GHI NHẬN" in printed
    assert (f"{len(shas)} ảnh" in printed) if with_photos else ("không chụp" in printed)
    assert documents.count(f"Biên bản ghi nhận số {record['serial']}") == 3 and "Máy xúc bánh xích" in documents


# --- corrections on the goods schedule (c.1.1) -----------------------------------------------------------------------


def test_correction_is_signed_and_shown_on_the_record_and_the_printed_schedule_41_1_c_1_1(
    client: TestClient, world: World, officer: Person,
) -> None:
    """Art 41.1.c.1.1: a mistaken container number or carrier seal number on the goods schedule is corrected by the
    officer, signed ("ký tên, đóng dấu công chức tại nội dung sửa đổi"): the old value, the new one and the reason, on
    the sealing evidence and on every printed copy of the goods schedule."""
    outcome = officer.do("seals.correct", {
        "location_id": world["gate"], "number": NUMBER, "field": "carrier_seal", "container": C2, "old_value": "A123457",
        "new_value": "A123458", "reason": "Số chì hãng tàu trên bản kê ghi nhầm",
    })
    unsigned = officer.do("seals.correct", {
        "location_id": world["gate"], "number": NUMBER, "field": "carrier_seal", "container": C1, "old_value": "A123456",
        "new_value": "A123459", "reason": "x",
    }, sign=False)

    assert outcome["status"] == "applied" and (outcome["result"]["old"], outcome["result"]["new"]) == ("A123457", "A123458")
    assert unsigned["status"] == "rejected" and unsigned["code"] == "signature_required"
    journal = [row for row in in_app(client, journal_rows) if row["command_type"] == "seals.correct"]
    assert len(journal) == 1 and journal[0]["signature"]
    evidence = officer.client.get(f"/api/v1/seals/declarations/{NUMBER}").json()
    assert [(c["old_value"], c["new_value"], c["reason"]) for c in evidence["corrections"]] == [("A123457", "A123458", "Số chì hãng tàu trên bản kê ghi nhầm")]
    schedule = officer.client.get(f"/seals/{NUMBER}/transit-documents/goods-schedule").text
    assert schedule.count('data-old="A123457" data-new="A123458"') == 3 and schedule.count("Số chì hãng tàu trên bản kê ghi nhầm") == 3


@pytest.mark.parametrize(("field", "container", "old_value"), [
    ("container_number", C1, C2),  # another container's number
    ("container_number", C1, "TGHU000000"),  # not even a container number
    ("carrier_seal", C1, "A999999"),  # the schedule says A123456
])
def test_correction_whose_old_value_is_not_the_declarations_is_refused_41_1_c_1_1(
    client: TestClient, world: World, officer: Person, field: str, container: str, old_value: str,
) -> None:
    """Art 41.1.c.1.1: the officer corrects what the goods schedule says; an old value that is not the declaration's
    is refused (`old_value_not_declared`, citing the clause) and nothing changes."""
    outcome = officer.do("seals.correct", {
        "location_id": world["gate"], "number": NUMBER, "field": field, "container": container, "old_value": old_value,
        "new_value": container_number("TEMU000002") if field == "container_number" else "A000001", "reason": "nhầm",
    })

    assert outcome["status"] == "rejected" and outcome["code"] == "old_value_not_declared"
    assert "41.1.c.1.1" in outcome["reason"]
    assert in_app(client, rows, "correction") == []


def test_another_branch_cannot_correct_or_print_41_1_c_1_3(client: TestClient, world: World, officer: Person, destination: Person) -> None:
    """Art 41.1.c.1.1-c.1.3 are the departure branch's: another branch is told there is no such declaration when it
    corrects (nothing stored) or opens the documents, before the goods departed."""
    outcome = destination.do("seals.correct", {
        "location_id": world["other_gate"], "number": NUMBER, "field": "carrier_seal", "container": C1, "old_value": "A123456",
        "new_value": "A000001", "reason": "nhầm",
    })

    assert outcome["status"] == "rejected" and outcome["code"] == "declaration_not_found"
    assert in_app(client, rows, "correction") == []
    for path in ("", "/notice", "/goods-schedule", "/bl-schedule"):
        assert destination.client.get(f"/seals/{NUMBER}/transit-documents{path}").status_code == 404


# --- the documents signed at sealing (c.1.2) and whom each copy is for (c.1.3) ----------------------------------------


def _holders(page: str) -> list[tuple[str, str]]:
    return re.findall(r'class="form10 transit-copy" lang="vi" data-copy="(\d)" data-holder="(\w+)"', page)


@pytest.mark.parametrize(("kind", "holders"), [
    ("notice", [("1", "departure"), ("2", "declarant"), ("3", "destination")]),  # 03 Thông báo phê duyệt
    ("bl-schedule", [("1", "departure"), ("2", "declarant")]),  # 02 Bản kê vận đơn/tờ khai xuất khẩu
    ("goods-schedule", [("1", "departure"), ("2", "declarant"), ("3", "destination")]),  # 03 Bản kê hàng hóa
])
def test_documents_signed_at_sealing_print_each_copy_for_whom_it_is_41_1_c_1_2(
    client: TestClient, world: World, officer: Person, kind: str, holders: list[tuple[str, str]],
) -> None:
    """Art 41.1.c.1.2: 3 approval notices, 2 B/L or export declaration schedules, 3 goods schedules, each copy on its
    own page marked with whom it is for (41.1.c.1.3: kept by the departure branch, handed to the declarant with the
    goods, sealed for the destination branch), with the units and seals and the officer's signature: the signed
    "confirm sealed"."""
    before = officer.client.get(f"/seals/{NUMBER}/transit-documents/{kind}")
    seal_transit(officer, world, NUMBER)

    page = officer.client.get(f"/seals/{NUMBER}/transit-documents/{kind}")

    assert before.status_code == 200 and "Đã ký số khi xác nhận niêm phong" not in before.text
    assert page.status_code == 200 and _holders(page.text) == holders
    assert page.text.count("Đã ký số khi xác nhận niêm phong") == len(holders) and page.text.count("Nguyễn Văn Một") >= len(holders)
    assert page.text.count('data-unit="%s" data-kind="container"' % C1) == len(holders) and page.text.count("HQ-000201") == len(holders)
    if kind != "bl-schedule":
        assert "Lưu tại Chi cục Hải quan nơi hàng hóa vận chuyển đi (Chi cục Một - B1)" in page.text
        assert "Niêm phong, giao người khai hải quan vận chuyển cùng hàng hóa đến Chi cục Hải quan nơi hàng hóa vận chuyển đến (Chi cục Hai - B2)" in page.text


def test_destination_prints_only_its_copies_once_departed_41_1_c_1_3(
    client: TestClient, world: World, officer: Person, destination: Person,
) -> None:
    """Art 41.1.c.1.3: the destination branch gets the notice and goods schedule sealed and carried to it; once the
    goods departed (BOA) it may print those copies only, not the ones kept at departure or handed to the declarant."""
    seal_transit(officer, world, NUMBER)
    before = destination.client.get(f"/seals/{NUMBER}/transit-documents/notice").status_code
    applied(officer.do("transit.register_departure", {"location_id": world["gate"], "number": NUMBER}))

    index = destination.client.get(f"/seals/{NUMBER}/transit-documents")
    notice = destination.client.get(f"/seals/{NUMBER}/transit-documents/notice")
    bl = destination.client.get(f"/seals/{NUMBER}/transit-documents/bl-schedule")

    assert before == 404
    assert index.status_code == 200 and 'data-everything="false"' in index.text and "print-bl-schedule" not in index.text
    assert notice.status_code == 200 and _holders(notice.text) == [("3", "destination")]
    assert bl.status_code == 404


def test_documents_of_a_declaration_that_is_not_transit_are_not_found_41_1_c_1_2(client: TestClient, world: World, officer: Person) -> None:
    """Art 41.1.c.1.2 is the transit declaration's: any other declaration has no such documents (404), and its sealing
    page does not link them, while a transit declaration's does."""
    declare_plain(client, PLAIN)
    location = world["gate"]

    plain = officer.client.get(f"/seals/{PLAIN}/transit-documents")
    plain_page = officer.client.get(f"/seals?number={PLAIN}&location={location}").text
    transit_page = officer.client.get(f"/seals?number={NUMBER}&location={location}").text

    assert plain.status_code == 404
    assert "transit-documents" not in plain_page and 'id="seals-mismatch"' not in plain_page
    assert f'href="/seals/{NUMBER}/transit-documents"' in transit_page and 'id="seals-mismatch"' in transit_page
    assert officer.client.get(f"/seals/{NUMBER}/transit-documents/nothing").status_code == 404


# --- the result not as declared (c.2) --------------------------------------------------------------------------------


def _report(person: Person, world: World, route: str, **more: Any) -> dict[str, Any]:
    return person.do("seals.report_sealing_mismatch", {
        "location_id": more.pop("location_id", world["gate"]), "number": more.pop("number", NUMBER), "route": route,
        "differences": more.pop("differences", "Thiếu 2 kiện so với bản kê"), "units": ["c/no 19", "c/no 20"], **more,
    })


def test_mismatch_reported_to_the_head_blocks_sealing_until_the_head_resolves_it_41_1_c_2(
    client: TestClient, world: World, officer: Person, head: Person,
) -> None:
    """Art 41.1.c.2: goods found not as declared are reported to the head of the branch ("báo cáo Chi cục trưởng"),
    who sees it among the supervisors' items and decides; until then the goods are not confirmed sealed (c.1 seals
    only what the check found as declared), and an officer cannot decide in the head's place."""
    reported = applied(_report(officer, world, "report"))
    inbox = head.client.get("/seals/violations").text
    blocked = officer.do("seals.confirm_sealed", {"location_id": world["gate"], "number": NUMBER})
    by_officer = officer.do("seals.resolve_sealing_mismatch", {"mismatch_id": reported["mismatch_id"], "resolution": "Cho niêm phong"})

    applied(head.do("seals.resolve_sealing_mismatch", {"mismatch_id": reported["mismatch_id"], "resolution": "Đã xử lý: khai bổ sung COR, chấp nhận"}))
    seal_transit(officer, world, NUMBER)

    assert (reported["clause"], reported["addressed_to"], reported["route"]) == ("41.1.c.2", "B1", "report")
    assert f'data-mismatch-id="{reported["mismatch_id"]}" data-route="report" data-open="true"' in inbox and "Thiếu 2 kiện so với bản kê" in inbox
    assert "C/NO 19, C/NO 20" in inbox
    assert blocked["status"] == "rejected" and blocked["code"] == "mismatch_open" and "41.1.c.2" in blocked["reason"]
    assert by_officer["status"] == "rejected" and by_officer["code"] == "head_resolves" and "41.1.c.2" in by_officer["reason"]
    (row,) = in_app(client, rows, "mismatch")
    assert row["resolved_by"] == world["supervisor"] and row["resolution"].startswith("Đã xử lý")
    assert len(in_app(client, rows, "confirmation")) == 1


def test_mismatch_where_the_declarant_is_guided_to_supplement_is_resolved_by_the_officer_41_1_c_2(
    client: TestClient, world: World, officer: Person,
) -> None:
    """Art 41.1.c.2: "hướng dẫn người khai hải quan khai bổ sung": the officer who guided the supplement records it
    received, and sealing goes on; a second resolution is refused."""
    reported = applied(_report(officer, world, "supplement"))

    resolved = officer.do("seals.resolve_sealing_mismatch", {"mismatch_id": reported["mismatch_id"], "resolution": "Đã nhận khai bổ sung"})
    again = officer.do("seals.resolve_sealing_mismatch", {"mismatch_id": reported["mismatch_id"], "resolution": "lần nữa"})
    seal_transit(officer, world, NUMBER)

    assert resolved["status"] == "applied"
    assert again["status"] == "rejected" and again["code"] == "mismatch_resolved"
    assert len(in_app(client, rows, "confirmation")) == 1


@pytest.mark.parametrize(("case_", "code"), [
    ("no differences", "differences_required"),
    ("not a transit declaration", "not_transit"),
    ("another branch", "declaration_not_found"),
    ("already sealed", "already_sealed_mismatch"),
])
def test_mismatch_bad_input_is_refused_and_nothing_stored_41_1_c_2(
    client: TestClient, world: World, officer: Person, destination: Person, case_: str, code: str,
) -> None:
    """Art 41.1.c.2 is the transit departure branch's check before sealing: a report with nothing said, of a
    declaration that is not transit, by another branch, or after the goods were confirmed sealed is refused."""
    if case_ == "no differences":
        outcome = _report(officer, world, "report", differences="  ")
    elif case_ == "not a transit declaration":
        declare_plain(client, PLAIN)
        outcome = _report(officer, world, "report", number=PLAIN)
    elif case_ == "another branch":
        outcome = _report(destination, world, "report", location_id=world["other_gate"])
    else:
        seal_transit(officer, world, NUMBER)
        outcome = _report(officer, world, "report")

    assert outcome["status"] == "rejected" and outcome["code"] == code
    assert in_app(client, rows, "mismatch") == []


def test_another_branch_cannot_resolve_a_mismatch_41_1_c_2(client: TestClient, world: World, officer: Person) -> None:
    """Art 41.1.c.2: the report is the departure branch's head's; another branch's supervisor is told there is none."""
    from backend.officers.services import create_officer

    reported = applied(_report(officer, world, "report"))
    other_head = Person(client, in_app(client, create_officer, "GS2", "Vũ Thị Sáu", "supervisor", "B2"))

    outcome = other_head.do("seals.resolve_sealing_mismatch", {"mismatch_id": reported["mismatch_id"], "resolution": "x"})

    assert outcome["status"] == "rejected" and outcome["code"] == "mismatch_not_found"
    (row,) = in_app(client, rows, "mismatch")
    assert row["resolved_at"] is None


def test_the_head_resolves_a_mismatch_from_the_page_without_its_script_41_1_c_2(client: TestClient, world: World, officer: Person) -> None:
    """Art 41.1.c.2: the supervisors' page resolves a report without its script through the same command; an empty
    resolution is refused in Vietnamese, on the page, and nothing changes."""
    from tests.conftest import sign_in_as

    reported = applied(_report(officer, world, "report"))
    sign_in_as(client, world["supervisor"])

    refused = client.post("/seals/violations", data={"mismatch_id": str(reported["mismatch_id"]), "resolution": " "})
    unresolved = in_app(client, rows, "mismatch")[0]["resolved_at"]
    resolved = client.post("/seals/violations", data={"mismatch_id": str(reported["mismatch_id"]), "resolution": "Cho khai bổ sung"}, follow_redirects=False)

    assert refused.status_code == 422 and "Ghi rõ đã xử lý như thế nào" in refused.text and unresolved is None
    assert resolved.status_code == 303 and resolved.headers["location"] == "/seals/violations"
    assert in_app(client, rows, "mismatch")[0]["resolution"] == "Cho khai bổ sung"
