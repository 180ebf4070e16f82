"""The evidence page through the real app (SQLite and PostgreSQL): a sealed declaration shows its decisions, seals
with their states, corrections, the confirmation, its record with goods and photo thumbnails linking to the full
images, and the journal's actions in order; the form opens a number; another branch's officer is told there is
no such declaration, the warehouse role is refused, a malformed number is 400; English on the language switch."""

from __future__ import annotations

import html
import re

import pytest
from litestar.testing import TestClient

from tests.conftest import World, sign_in_as
from tests.declarations.helpers import C1, C2
from tests.seals.helpers import C3, GOODS, NUMBER, SEAL_1, SEAL_2, SEAL_3, Person, declare, photos, record_payload, seal

REPLACEMENT = "HQ-000199"


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    declare(client)
    return Person(client, world["officer"])


def applied(outcome: dict) -> dict:
    assert outcome["status"] == "applied", outcome
    return outcome["result"]


def sealed_with_a_record(officer: Person, world: World, to_branch: str = "B2") -> tuple[int, list[str]]:
    """The whole sealing of NUMBER by B1's officer: proposed, three seals (the third replaced), a correction, a
    record with goods and two photos signed and handed over, confirmed sealed. The record's id and its photos."""
    gate = world["gate"]
    applied(officer.do("seals.set_requirement", {"location_id": gate, "number": NUMBER, "decision": "propose"}))
    for unit, number in ((C1, SEAL_1), (C2, SEAL_2), (C3, SEAL_3)):
        applied(seal(officer, world, unit, number))
    applied(seal(officer, world, C3, REPLACEMENT, replace=True))
    applied(officer.do("seals.correct", {
        "location_id": gate, "number": NUMBER, "field": "carrier_seal", "container": C1, "old_value": "CS111",
        "new_value": "CS112", "reason": "Ghi nhầm số seal hãng tàu",
    }))
    shas = photos(officer, 2)
    record_id = applied(officer.do("seals.create_record", record_payload(world, to_branch=to_branch, goods=GOODS, photos=shas)))["record_id"]
    applied(officer.do("seals.sign_record", {"location_id": gate, "record_id": record_id}))
    applied(officer.do("seals.hand_over", {"location_id": gate, "record_id": record_id}))
    applied(officer.do("seals.confirm_sealed", {"location_id": gate, "number": NUMBER}))
    return record_id, shas


def test_evidence_page_of_a_sealed_declaration_shows_seals_record_photos_and_actions_in_order(
    client: TestClient, world: World, officer: Person
) -> None:
    record_id, shas = sealed_with_a_record(officer, world)

    page = officer.client.get(f"/seals/evidence/{NUMBER}")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f'id="evidence" data-number="{NUMBER}" data-sealed="true"' in page.text
    assert "Đã xác nhận niêm phong" in text  # Vietnamese by default
    seals = re.findall(r'<tr class="evidence-seal" data-unit="(\w+)" data-seal="([\w-]+)" data-state="(\w+)"', page.text)
    assert seals == [(C1, SEAL_1, "active"), (C2, SEAL_2, "active"), (C3, SEAL_3, "replaced"), (C3, REPLACEMENT, "active")]
    assert re.findall(r'data-required="(\w+)"', page.text) == ["true"]
    assert re.findall(r'data-field="(\w+)"', page.text) == ["carrier_seal"]
    assert "CS111" in text and "CS112" in text and "Ghi nhầm số seal hãng tàu" in text
    assert re.findall(r'data-record-id="(\d+)" data-state="(\w+)"', page.text) == [(str(record_id), "handed_over")]
    assert "Máy xúc bánh xích" in text and "KOMATSU PC200" in text and "Nhật Bản" in text
    for sha in shas:  # each thumbnail links to the full image
        assert f'<a href="/files/{sha}" hx-boost="false" target="_blank" rel="noopener"><img src="/files/{sha}/thumb"' in page.text
    assert f'href="/seals/records/{record_id}/print"' in page.text
    assert re.findall(r'data-command-type="([\w.]+)"', page.text) == [
        "seals.set_requirement", "seals.record_seal", "seals.record_seal", "seals.record_seal", "seals.record_seal",
        "seals.correct", "seals.create_record", "seals.sign_record", "seals.hand_over", "seals.confirm_sealed",
    ]
    assert "<script>" not in page.text and "style=" not in page.text  # the CSP allows neither
    thumb = officer.client.get(f"/files/{shas[0]}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")


def test_evidence_page_for_the_receiving_branch_too(client: TestClient, world: World, officer: Person) -> None:
    record_id, _ = sealed_with_a_record(officer, world, to_branch="B2")
    receiver = Person(client, world["other_officer"])

    page = receiver.client.get(f"/seals/evidence/{NUMBER}")

    assert page.status_code == 200 and f'data-record-id="{record_id}"' in page.text


def test_evidence_page_for_another_branchs_officer_is_not_found(client: TestClient, world: World, officer: Person) -> None:
    sealed_with_a_record(officer, world, to_branch="B1")  # B2 has no part in this declaration
    stranger = Person(client, world["other_officer"])

    page = stranger.client.get(f"/seals/evidence/{NUMBER}")
    unknown = officer.client.get("/seals/evidence/999999999999")

    assert page.status_code == 404 and "<html" in page.text
    assert f"Không có tờ khai {NUMBER}" in html.unescape(page.text)
    assert SEAL_1 not in page.text and "evidence-seal" not in page.text
    assert unknown.status_code == 404 and "999999999999" in unknown.text


def test_evidence_page_is_refused_to_the_warehouse_role(client: TestClient, world: World, officer: Person) -> None:
    sealed_with_a_record(officer, world)
    sign_in_as(client, world["warehouse_user"])

    page = client.get(f"/seals/evidence/{NUMBER}")
    form = client.get(f"/seals/evidence?number={NUMBER}", follow_redirects=False)

    assert page.status_code == 403 and SEAL_1 not in page.text
    assert form.status_code == 403


def test_evidence_page_of_a_malformed_number_is_400(client: TestClient, world: World, officer: Person) -> None:
    page = officer.client.get("/seals/evidence/12345")
    form = officer.client.get("/seals/evidence?number=12AB5")

    assert page.status_code == 400 and "12345" in page.text and "<html" in page.text
    assert form.status_code == 400
    assert 'id="evidence-error"' in form.text and "12AB5" in form.text
    assert 'id="evidence-number" name="number" value="12AB5"' in form.text  # shown back to correct


def test_evidence_form_opens_the_page_of_the_number_typed(client: TestClient, world: World, officer: Person) -> None:
    empty = officer.client.get("/seals/evidence")
    typed = officer.client.get("/seals/evidence?number=1040-0000-0001", follow_redirects=False)

    assert empty.status_code == 200 and 'id="evidence-find-form"' in empty.text and 'id="evidence"' not in empty.text
    assert typed.status_code == 303 and typed.headers["location"] == f"/seals/evidence/{NUMBER}"


def test_seals_page_links_to_the_evidence_page(client: TestClient, world: World, officer: Person) -> None:
    sealed_with_a_record(officer, world)

    page = officer.client.get(f"/seals?number={NUMBER}")

    assert f'href="/seals/evidence/{NUMBER}" id="seals-to-evidence"' in page.text


def test_evidence_page_in_english(client: TestClient, world: World, officer: Person) -> None:
    sealed_with_a_record(officer, world)
    officer.client.cookies.set("gs_lang", "en")

    page = officer.client.get(f"/seals/evidence/{NUMBER}")
    missing = officer.client.get("/seals/evidence/999999999999")

    assert page.status_code == 200 and '<html lang="en">' in page.text
    text = html.unescape(page.text)
    assert "Sealing evidence" in text and "Customs seals" in text and "Who did what, when" in text
    assert "On the goods" in text and "Replaced" in text and "Seal number recorded" in text
    assert "Đã xác nhận niêm phong" not in text
    assert "No declaration 999999999999 in giamsat." in html.unescape(missing.text)
