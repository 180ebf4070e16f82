"""The seals pages through the real app (SQLite and PostgreSQL): the sealing page shows the declaration's
containers and their seals, the record form offers the other branches; the print page has 2 copies (3 in
contingency mode) each with a QR that verifies; the receiving page lists what was handed over to the branch;
another branch's record is not found."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World
from tests.declarations.helpers import C1, C2
from tests.seals.helpers import GOODS, NUMBER, SEAL_1, SEAL_2, Person, declare, photos, record_payload, seal, sealed, signature_png


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    declare(client)
    return Person(client, world["officer"])


@pytest.fixture
def receiver(client: TestClient, world: World) -> Person:
    return Person(client, world["other_officer"])


def handed_over(officer: Person, world: World, **changes: Any) -> int:
    payload = record_payload(world, **changes)
    sealed(officer, world, payload["containers"])
    outcome = officer.do("seals.create_record", payload)
    assert outcome["status"] == "applied", outcome
    record_id = outcome["result"]["record_id"]
    for type_ in ("seals.sign_record", "seals.hand_over"):
        outcome = officer.do(type_, {"location_id": world["gate"], "record_id": record_id})
        assert outcome["status"] == "applied", outcome
    return record_id


def qr_texts(html: str) -> list[str]:
    return re.findall(r'data-qr="([A-Z0-9.]+)"', html)


def verify(client: TestClient, text: str) -> Any:
    from backend.seals import record_qr

    keys = record_qr.keys_from_items(record_qr.public_key_items(record_qr.keyring()))
    return record_qr.verify(text, keys)


# --- the sealing page ------------------------------------------------------------------------------------------------


def test_seals_page_shows_containers_their_seals_and_the_other_branches(client: TestClient, world: World, officer: Person) -> None:
    assert seal(officer, world, C1, SEAL_1)["status"] == "applied"

    page = officer.client.get(f"/seals?number={NUMBER}")

    assert page.status_code == 200
    rows = dict(re.findall(r'<tr data-container="(\w+)" data-seal="([\w-]*)"', page.text))
    assert list(rows)[:2] == [C1, C2] and len(rows) == 3
    assert rows[C1] == SEAL_1 and rows[C2] == "" and list(rows.values())[2] == ""
    assert 'data-command="seals.record_seal"' in page.text and 'data-command="seals.confirm_sealed"' in page.text
    assert 'data-seals-command="seals.create_record"' in page.text and 'id="signature-pad"' in page.text
    branches = re.findall(r'<option value="(B\d)">', page.text)
    assert branches == ["B2"]  # a record is handed over to another branch
    assert f'data-container-seal="{C1}"' in page.text and f'value="{SEAL_1}"' in page.text  # prefilled in the record form


def test_seals_page_of_an_unknown_declaration_says_so(client: TestClient, world: World, officer: Person) -> None:
    page = officer.client.get("/seals?number=999999999999")

    assert page.status_code == 200
    assert 'id="seals-error"' in page.text and "999999999999" in page.text
    assert "data-command" not in page.text


def test_seals_page_lists_records_with_their_next_step(client: TestClient, world: World, officer: Person) -> None:
    sealed(officer, world)
    draft = officer.do("seals.create_record", record_payload(world))["result"]["record_id"]
    done = handed_over(officer, world)

    page = officer.client.get(f"/seals?number={NUMBER}")

    assert f'id="sign-{draft}-form"' in page.text and f'id="print-{draft}"' not in page.text
    assert f'id="print-{done}"' in page.text and f'id="sign-{done}-form"' not in page.text


def test_seals_page_is_for_officers_and_supervisors(client: TestClient, world: World) -> None:
    from tests.conftest import sign_in_as

    sign_in_as(client, world["warehouse_user"])

    assert client.get(f"/seals?number={NUMBER}").status_code == 403


# --- the print page --------------------------------------------------------------------------------------------------


def test_print_page_has_two_copies_each_with_a_qr_that_verifies(client: TestClient, world: World, officer: Person) -> None:
    shas = photos(officer, 2)
    signature = signature_png(officer)
    record_id = handed_over(officer, world, goods=GOODS, photos=[*shas, signature], representative_signature=signature)

    page = officer.client.get(f"/seals/records/{record_id}/print")

    assert page.status_code == 200
    assert page.text.count('class="form10"') == 2 and 'data-copies="2"' in page.text
    assert "BIÊN BẢN BÀN GIAO" in page.text and "Mẫu số 10/BBBG/GSQL" in page.text
    texts = qr_texts(page.text)
    assert len(texts) == 2 and texts[0] == texts[1]
    verdict = verify(client, texts[0])
    assert verdict.status == "genuine"
    assert verdict.fields.record_id == record_id and verdict.fields.declaration == NUMBER
    assert (verdict.fields.from_branch, verdict.fields.to_branch) == ("B1", "B2")
    assert [(c.number, c.seals) for c in verdict.fields.containers] == [(C1, [SEAL_1]), (C2, [SEAL_2])]
    assert verdict.fields.goods == "Máy xúc bánh xích, 2 chiếc"
    for sha in shas:
        assert page.text.count(f"/files/{sha}/thumb") == 2
    assert f"/files/{signature}/thumb" not in page.text and page.text.count(f'src="/files/{signature}"') == 2
    assert page.text.count('data-qr="') == 2 and page.text.count('<img class="qr record-qr"') == 2
    # Laid out like the form: who took part, the carrier's seal next to the customs seal, the receiving part blank.
    assert "chúng tôi gồm:" in page.text and "Ông/Bà <strong>Đỗ Văn Sáu</strong>" in page.text
    assert re.search(rf"<td>{C1}</td><td>CS111</td><td>{SEAL_1}</td>", page.text)
    assert page.text.count("Phần ghi nhận của Chi cục Hải quan tiếp nhận") == 2 and "…… giờ …… phút" in page.text


def test_print_page_of_a_record_of_findings_is_not_form_10_41_1_c_1_1(client: TestClient, world: World, officer: Person) -> None:
    """Art 41.1.c.1.1: a Biên bản ghi nhận is its own record, not the handover record's form 10/BBBG/GSQL; the text
    names no form number for it, and the print says so rather than inventing one."""
    findings = handed_over(officer, world, kind="findings", containers=[], goods=GOODS)
    handover = handed_over(officer, world)

    printed = officer.client.get(f"/seals/records/{findings}/print").text
    form10 = officer.client.get(f"/seals/records/{handover}/print").text

    assert "Mẫu số 10/BBBG/GSQL" not in printed and printed.count("BIÊN BẢN GHI NHẬN") == 2
    assert printed.count("điểm c.1.1 khoản 1 Điều 41 Quyết định 1966/QĐ-TCHQ (văn bản không quy định mẫu số)") == 2
    assert form10.count("Mẫu số 10/BBBG/GSQL") == 2 and "BIÊN BẢN GHI NHẬN" not in form10


def test_print_page_in_contingency_mode_has_three_copies(client: TestClient, world: World, officer: Person) -> None:
    record_id = handed_over(officer, world)
    supervisor = Person(client, world["supervisor"])
    assert supervisor.do("sync.declare_contingency", {"reason": "VNACCS không truy cập được"})["status"] == "applied"

    page = officer.client.get(f"/seals/records/{record_id}/print")

    assert page.text.count('class="form10"') == 3 and 'data-copies="3"' in page.text
    assert len(qr_texts(page.text)) == 3 and verify(client, qr_texts(page.text)[2]).status == "genuine"


def test_print_page_in_contingency_mode_has_three_copies_at_departure_and_two_at_the_destination_2024_outage(
    client: TestClient, world: World, officer: Person, receiver: Person
) -> None:
    """The 6 Aug 2024 outage instructions: the branch the goods leave "lập 3 biên bản bàn giao", the destination
    "lập 2 biên bản bàn giao" (Art 35.1.a.2's 2 copies otherwise). Both branches in contingency mode at once."""
    from tests.conftest import in_app

    async def b2_supervisor() -> int:
        from backend.officers.services import create_officer

        return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")

    record_id = handed_over(officer, world)
    for supervisor_id in (world["supervisor"], in_app(client, b2_supervisor)):
        declared = Person(client, supervisor_id).do("sync.declare_contingency", {"reason": "VNACCS không truy cập được"})
        assert declared["status"] == "applied", declared

    departure = officer.client.get(f"/seals/records/{record_id}/print").text
    destination = receiver.client.get(f"/seals/records/{record_id}/print").text

    assert departure.count('class="form10"') == 3 and 'data-copies="3"' in departure
    assert destination.count('class="form10"') == 2 and 'data-copies="2"' in destination
    assert "Bản số 2/2" in destination and "Bản số 3/" not in destination


def test_print_page_for_the_receiving_branch_and_not_another(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    to_b2 = handed_over(officer, world)
    within_b1 = handed_over(officer, world, to_branch="B1")

    assert receiver.client.get(f"/seals/records/{to_b2}/print").status_code == 200
    other = receiver.client.get(f"/seals/records/{within_b1}/print")
    assert other.status_code == 404 and "BIÊN BẢN" not in other.text


def test_print_page_of_a_tampered_qr_reads_altered(client: TestClient, world: World, officer: Person) -> None:
    record_id = handed_over(officer, world)
    text = qr_texts(officer.client.get(f"/seals/records/{record_id}/print").text)[0]
    head, payload, signature = text.rsplit(".", 2)
    tampered = f"{head}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"

    assert verify(client, tampered).status == "altered"


# --- the receiving page ----------------------------------------------------------------------------------------------


def test_receive_page_lists_the_records_handed_over_to_the_branch(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = handed_over(officer, world)
    draft = officer.do("seals.create_record", record_payload(world))["result"]["record_id"]

    page = receiver.client.get("/seals/receive")
    own = officer.client.get("/seals/receive")

    assert page.status_code == 200
    assert re.findall(r'<article class="seals-record" data-record-id="(\d+)"', page.text) == [str(record_id)]
    assert f'id="receive-{record_id}-form"' in page.text and f'id="discrepancy-{record_id}-form"' in page.text
    assert f'id="receive-{record_id}-{C1}"' in page.text and f'id="receive-{record_id}-{C2}"' in page.text
    assert str(draft) not in re.findall(r'data-record-id="(\d+)"', page.text)
    assert 'id="paper-record-form"' in page.text and '<option value="B1">' in page.text
    assert 'data-record-id="' not in own.text  # nothing was handed over to B1


def test_receive_page_shows_a_received_record_without_its_forms(client: TestClient, world: World, officer: Person, receiver: Person) -> None:
    record_id = handed_over(officer, world)
    found = [{"number": C1, "seal_number": SEAL_1}, {"number": C2, "seal_number": SEAL_2}]
    outcome = receiver.do("seals.receive_record", {"location_id": world["other_gate"], "record_id": record_id, "containers": found})
    assert outcome["status"] == "applied", outcome

    page = receiver.client.get("/seals/receive")

    assert f'data-record-id="{record_id}"' in page.text and 'data-state="received"' in page.text
    assert f'id="receive-{record_id}-form"' not in page.text
    printed = receiver.client.get(f"/seals/records/{record_id}/print").text
    assert "nguyên vẹn, đúng như biên bản" in printed and "…… giờ …… phút" not in printed


# --- a record made offline: signed and handed over before its id is known ----------------------------------------------


def test_record_made_offline_is_signed_and_handed_over_by_the_id_of_its_command(client: TestClient, world: World, officer: Person) -> None:
    sealed(officer, world)
    create = officer.envelope("seals.create_record", record_payload(world), offline=True)
    sign = officer.envelope("seals.sign_record", {"location_id": world["gate"], "record_command": create["id"]}, offline=True)
    hand = officer.envelope("seals.hand_over", {"location_id": world["gate"], "record_command": create["id"]}, offline=True)

    outcomes = officer.post(create, sign, hand)  # as the device replays its queue, in order

    assert [o["status"] for o in outcomes] == ["applied"] * 3, outcomes
    record_id = outcomes[0]["result"]["record_id"]
    assert [o["result"]["record_id"] for o in outcomes] == [record_id] * 3
    assert outcomes[2]["result"]["state"] == "handed_over"
    assert officer.client.get(f"/api/v1/seals/records/{record_id}").json()["state"] == "handed_over"


def test_record_named_by_an_unknown_command_is_not_found(client: TestClient, world: World, officer: Person) -> None:
    outcome = officer.do("seals.sign_record", {"location_id": world["gate"], "record_command": "00000000-0000-4000-8000-000000000000"})
    bad = officer.do("seals.hand_over", {"location_id": world["gate"], "record_command": "not-a-command"})

    assert outcome["status"] == "rejected" and outcome["code"] == "unknown_record"
    assert bad["status"] == "rejected" and bad["code"] != "applied"
