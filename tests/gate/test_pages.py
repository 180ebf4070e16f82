"""The gate page's server view (without script), the supervisors' report list, and the `gate_passages` replica
dataset the device counts "7 / 10 passed" from. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2, container, item
from tests.gate.test_commands import NUMBER, confirm, officer_of, upsert
from tests.journal.device import Person

C3 = container("TEMU000001")


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    upsert(client, item(NUMBER, containers=[{"number": c, "seal": "S" + c[-1]} for c in (C1, C2, C3)]))
    return officer_of(client, world["officer"])


def passages_page(client: TestClient, since: str | None = None) -> dict[str, Any]:
    response = client.get("/api/v1/replica/gate_passages", params={"since": since} if since else {})
    assert response.status_code == 200, response.text
    return response.json()


# --- the page --------------------------------------------------------------------------------------------------


def test_gate_page_offers_the_branchs_locations_and_an_autofocused_scan_field(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get("/gate")

    assert page.status_code == 200
    assert 'id="gate-scan-form"' in page.text and re.search(r'<input id="gate-code" name="code"[^>]*autofocus', page.text)
    assert "Cổng A" in page.text and "Cổng B2" not in page.text  # the other branch's gate is not offered
    assert 'id="gate-check-messages"' in page.text and 'data-camera-scan="gate-scan-form"' in page.text


def test_gate_page_with_typed_number_shows_verdict_and_what_passed(client: TestClient, world: World, officer: Person) -> None:
    """Decision 1966 Art 35.2.c: a typed declaration number is checked the same way as a scanned one: the page shows
    the verdict, what passed, and that there is no barcode to check."""
    confirm(officer, world["gate"], C1)

    page = client.get("/gate", params={"code": NUMBER, "location": world["gate"]})

    assert page.status_code == 200
    assert 'data-eligible="true"' in page.text and "1 / 3" in page.text
    assert re.search(rf'data-container="{C1}">.*?Nguyễn Văn Một', page.text, re.S)
    assert "không có mã vạch để kiểm tra (Điều 35.2.c)" in page.text


def test_gate_page_with_forged_barcode_says_so_in_vietnamese(client: TestClient, world: World, officer: Person) -> None:
    from backend.barcodes import payload
    from backend.barcodes.services import configured_keyring

    code = payload.encode(configured_keyring(), NUMBER, 1, "container_list")
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")

    page = client.get("/gate", params={"code": forged})

    assert page.status_code == 200 and 'id="gate-error"' in page.text
    assert "giả" in page.text or "sửa" in page.text  # "forged or altered", in the officer's language


def test_gate_page_with_status_not_allowing_passage_shows_the_clause(client: TestClient, world: World) -> None:
    upsert(client, item(NUMBER, status_code="CHO_KIEM_TRA", allows_passage=False))
    sign_in_as(client, world["officer"])

    page = client.get("/gate", params={"code": NUMBER})

    assert 'data-eligible="false"' in page.text and 'data-code="status_not_eligible"' in page.text and "35.2.a.1" in page.text


# --- reports -----------------------------------------------------------------------------------------------------


def test_supervisor_sees_the_branchs_open_reports_and_closes_one_from_the_page(client: TestClient, world: World, officer: Person) -> None:
    officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": NUMBER, "reasons": ["container_not_declared"], "note": "Container lạ trên xe"})
    client.cookies.clear()
    sign_in_as(client, world["supervisor"])

    listed = client.get("/gate/reports")
    report_id = re.search(r'data-report-id="(\d+)"', listed.text).group(1)
    closed = client.post("/gate/reports", data={"report_id": report_id, "note": "Đã chuyển kiểm tra"}, follow_redirects=False)
    after = client.get("/gate/reports")
    everything = client.get("/gate/reports?show=all")

    assert "Container lạ trên xe" in listed.text and "container_not_declared" in listed.text
    assert closed.status_code == 303
    assert 'data-report-id' not in after.text and 'id="reports-empty"' in after.text
    assert "Đã chuyển kiểm tra" in everything.text


def test_supervisor_of_another_branch_neither_sees_nor_closes_the_report(client: TestClient, world: World, officer: Person) -> None:
    from backend.officers import services

    report_id = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": NUMBER, "note": "x"})["result"]["report_id"]
    other = in_app(client, lambda: services.create_officer("GS2", "Giám sát Hai", "supervisor", "B2"))
    client.cookies.clear()
    sign_in_as(client, other)

    listed = client.get("/gate/reports?show=all")
    closed = client.post("/gate/reports", data={"report_id": str(report_id)})

    assert "data-report-id" not in listed.text
    assert closed.status_code == 422 and "Không có báo cáo này" in closed.text


# --- the passages dataset --------------------------------------------------------------------------------------


def test_passages_dataset_full_then_incremental_with_cancel_and_reconfirm(client: TestClient, world: World, officer: Person) -> None:
    confirm(officer, world["gate"], C1)
    confirm(officer, world["gate"], C2)

    full = passages_page(client)
    officer.do("gate.cancel_passage", {"location_id": world["gate"], "number": NUMBER, "unit": C2, "reason": "nhầm"})
    after_cancel = passages_page(client, full["cursor"])
    officer.do("gate.cancel_passage", {"location_id": world["gate"], "number": NUMBER, "unit": C1, "reason": "nhầm"})
    confirm(officer, world["gate"], C1)
    after_reconfirm = passages_page(client, after_cancel["cursor"])
    unchanged = passages_page(client, after_reconfirm["cursor"])

    assert full["replace"] is True and sorted(i["key"] for i in full["items"]) == sorted([f"{NUMBER}/{C1}", f"{NUMBER}/{C2}"])
    assert full["items"][0]["officer"] == "Nguyễn Văn Một" and full["items"][0]["location"] == "Cổng A"
    assert after_cancel["replace"] is False and after_cancel["items"] == [] and after_cancel["removed"] == [f"{NUMBER}/{C2}"]
    # cancelled then confirmed again within one page: the last state wins, the device keeps it
    assert [i["key"] for i in after_reconfirm["items"]] == [f"{NUMBER}/{C1}"] and after_reconfirm["removed"] == []
    assert unchanged["changed"] is False


def test_passages_dataset_is_empty_for_warehouse_staff(client: TestClient, world: World, officer: Person) -> None:
    confirm(officer, world["gate"], C1)
    client.cookies.clear()
    sign_in_as(client, world["warehouse_user"])

    assert passages_page(client)["items"] == []


# --- giamsat's own rules reach the server's check and the device (docs/gate.md, "Rules that are giamsat's") --------


def test_weight_tolerance_35_2_a_2_setting_reaches_the_server_check_and_the_device(
    app_env: dict[str, str], client: TestClient, world: World
) -> None:
    """35.2.a.2 names the weight, not a tolerance: GIAMSAT_WEIGHT_TOLERANCE_PERCENT and GIAMSAT_XRAY_WARNINGS_BLOCK
    (35.4, deferring to Art 4.2.a) are the server's rules, and the gate page hands the same to the device's check."""
    import json

    from backend.app import create_app
    from backend.settings import load_settings

    upsert(client, item(NUMBER, cargo_type="bulk", containers=[], weight_kg=1000.0))
    settings = load_settings({**app_env, "GIAMSAT_WEIGHT_TOLERANCE_PERCENT": "0.5", "GIAMSAT_XRAY_WARNINGS_BLOCK": "0"})
    with TestClient(create_app(settings), base_url=str(client.base_url)) as tight:
        sign_in_as(tight, world["officer"])

        checked = tight.post("/api/v1/gate/check", json={"number": NUMBER, "weight_kg": 1010.0}).json()
        page = tight.get("/gate").text

    (reason,) = checked["reasons"]
    assert checked["eligible"] is False and reason["code"] == "weight_mismatch" and reason["clause"] == "35.2.a.2"
    assert reason["params"]["tolerance"] == "0.5"
    rules = json.loads(re.search(r'<script type="application/json" id="gate-check-rules">(.*?)</script>', page).group(1))
    assert rules == {"weight_tolerance_percent": 0.5, "xray_warnings_block": False}


def test_report_list_says_the_confirmations_were_cancelled_under_35_2_b_2_2(client: TestClient, world: World, officer: Person) -> None:
    """35.2.b.2.2: the supervisor reads that the report cancelled the confirmations, and under which clause."""
    confirm(officer, world["gate"], C1)
    officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": NUMBER, "note": "Sai niêm phong"})
    client.cookies.clear()
    sign_in_as(client, world["supervisor"])

    listed = client.get("/gate/reports").text

    assert "1 xác nhận đã được hủy cùng báo cáo này (Điều 35.2.b.2.2)." in listed
