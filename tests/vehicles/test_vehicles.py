"""Key vehicles under direct supervision (Decision 1966, Art 39) through the real app and journal, on SQLite and
PostgreSQL: the head's signed designation, the officers assigned, their supervision journal with photos (offline,
applied once), the end of the supervision, the print page, and who may see and do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import ORIGIN, World, in_app, sign_in_as
from tests.files.photos import plain_jpeg
from tests.journal.device import Person

VESSEL = {
    "kind": "vessel",
    "name": "MV HAI PHONG STAR",
    "registration": "imo 9074729",
    "flag": "Panama",
    "reason": "Thông tin rủi ro về vận chuyển trái phép hàng hóa qua biên giới",
    "supervised_from": "2026-12-01T08:30",
}


@pytest.fixture
def head(client: TestClient, world: World) -> Person:
    return Person(client, world["supervisor"])


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    return Person(client, world["officer"])


def another_officer_of_b1(client: TestClient) -> int:
    from backend.officers.services import create_officer

    return in_app(client, lambda: create_officer("CB3", "Đỗ Văn Bảy", "officer", "B1"))


def supervisor_of_b2(client: TestClient) -> int:
    from backend.officers.services import create_officer

    return in_app(client, lambda: create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2"))


async def vehicle_rows() -> list[dict[str, Any]]:
    from backend.vehicles.tables import KeyVehicle

    return await KeyVehicle.select().order_by(KeyVehicle.id)


async def entry_rows() -> list[dict[str, Any]]:
    from backend.vehicles.tables import VehicleJournalEntry

    return await VehicleJournalEntry.select().order_by(VehicleJournalEntry.id)


async def assigned_codes(vehicle_id: int) -> list[str]:
    from backend.vehicles.tables import VehicleAssignment

    rows = await VehicleAssignment.select(VehicleAssignment.officer.code.as_alias("code")).where(
        (VehicleAssignment.vehicle == vehicle_id) & VehicleAssignment.unassigned_at.is_null()
    )
    return sorted(row["code"] for row in rows)


async def journal_rows() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)


def designate(head: Person, world: World, **changes: Any) -> int:
    outcome = head.send("vehicles.designate", {**VESSEL, "location_id": world["gate"], **changes})
    assert outcome["status"] == "applied", outcome
    return outcome["result"]["vehicle_id"]


def designate_with_officer(head: Person, world: World) -> int:
    vehicle_id = designate(head, world)
    outcome = head.send("vehicles.assign_officers", {"vehicle_id": vehicle_id, "officer_codes": ["CB1"]})
    assert outcome["status"] == "applied", outcome
    return vehicle_id


def entry(vehicle_id: int, text: str = "Niêm phong hầm hàng số 2 nguyên trạng", photos: list[str] | None = None) -> dict[str, Any]:
    return {"vehicle_id": vehicle_id, "text": text, "photos": photos or []}


# --- designation (39.1) --------------------------------------------------------------------------------------------


def test_designate_by_the_head_signed_records_the_vehicle(client: TestClient, world: World, head: Person) -> None:
    """Art 39.1: the head of the branch decides that a vehicle berthed in the supervision area is supervised directly;
    the decision is the head's signature (passkey), and the vessel's IMO number is kept as its identification."""
    vehicle_id = designate(head, world)

    (row,) = in_app(client, vehicle_rows)
    assert row["id"] == vehicle_id and row["state"] == "designated"
    assert (row["kind"], row["name"], row["registration"], row["flag"]) == ("vessel", "MV HAI PHONG STAR", "IMO 9074729", "Panama")
    assert row["branch"] == world["branch"] and row["location"] == world["gate"] and row["designated_by"] == world["supervisor"]
    assert row["supervised_from"] == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 08:30 in Vietnam
    (journal,) = in_app(client, journal_rows)
    assert journal["command_type"] == "vehicles.designate" and journal["signature"] is not None
    assert journal["location_id"] == world["gate"]


def test_designate_unsigned_is_refused(client: TestClient, world: World, head: Person) -> None:
    """Art 39.1: the designation is the head's decision: without the passkey signature nothing is designated."""
    outcome = head.send("vehicles.designate", {**VESSEL, "location_id": world["gate"]}, sign=False)

    assert outcome["status"] == "rejected" and outcome["code"] == "signature_required"
    assert in_app(client, vehicle_rows) == []


def test_designate_by_an_officer_is_refused(client: TestClient, world: World, officer: Person) -> None:
    """Art 39.1: "do Chi cục trưởng … quyết định": an officer does not designate a key vehicle."""
    outcome = officer.send("vehicles.designate", {**VESSEL, "location_id": world["gate"]})

    assert outcome["status"] == "rejected" and outcome["code"] == "forbidden_role"
    assert in_app(client, vehicle_rows) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"registration": "IMO 9074728"}, "invalid_imo"),
        ({"reason": "  "}, "reason_required"),
        ({"name": ""}, "name_required"),
        ({"supervised_from": "mai"}, "invalid_time"),
    ],
)
def test_designate_with_a_wrong_field_is_refused(client: TestClient, world: World, head: Person, changes: dict[str, str], code: str) -> None:
    outcome = head.send("vehicles.designate", {**VESSEL, "location_id": world["gate"], **changes})

    assert outcome["status"] == "rejected" and outcome["code"] == code, outcome
    assert in_app(client, vehicle_rows) == []


def test_designate_twice_while_supervised_is_refused(client: TestClient, world: World, head: Person) -> None:
    designate(head, world)

    again = head.send("vehicles.designate", {**VESSEL, "location_id": world["gate"], "registration": "9074729"})

    assert again["status"] == "rejected" and again["code"] == "already_supervised"
    assert len(in_app(client, vehicle_rows)) == 1


def test_vehicle_kinds_other_than_vessels_keep_their_registration(client: TestClient, world: World, head: Person) -> None:
    vehicle_id = designate(head, world, kind="vehicle", name="Xe đầu kéo", registration="15c-123.45", flag="")

    (row,) = in_app(client, vehicle_rows)
    assert row["id"] == vehicle_id and (row["kind"], row["registration"]) == ("vehicle", "15C-123.45")


# --- officers assigned (39.1) --------------------------------------------------------------------------------------


def test_head_assigns_and_takes_off_officers(client: TestClient, world: World, head: Person) -> None:
    """Art 39.1: the head arranges the officers who supervise the vehicle ("bố trí công chức"); the list sent is the
    whole list from then on."""
    another_officer_of_b1(client)
    vehicle_id = designate(head, world)

    first = head.send("vehicles.assign_officers", {"vehicle_id": vehicle_id, "officer_codes": ["CB1", "cb3"]})
    second = head.send("vehicles.assign_officers", {"vehicle_id": vehicle_id, "officer_codes": ["CB1"]})

    assert first["status"] == "applied" and first["result"]["assigned"] == ["CB1", "CB3"]
    assert second["status"] == "applied" and (second["result"]["added"], second["result"]["removed"]) == (0, 1)
    assert in_app(client, assigned_codes, vehicle_id) == ["CB1"]


def test_assigning_another_branchs_officer_is_refused(client: TestClient, world: World, head: Person) -> None:
    vehicle_id = designate(head, world)

    outcome = head.send("vehicles.assign_officers", {"vehicle_id": vehicle_id, "officer_codes": ["CB2"]})

    assert outcome["status"] == "rejected" and outcome["code"] == "officer_not_in_branch"
    assert in_app(client, assigned_codes, vehicle_id) == []


def test_officer_cannot_assign(client: TestClient, world: World, head: Person, officer: Person) -> None:
    """Art 39.1: assigning is the head's."""
    vehicle_id = designate(head, world)

    outcome = officer.send("vehicles.assign_officers", {"vehicle_id": vehicle_id, "officer_codes": ["CB1"]})

    assert outcome["status"] == "rejected" and outcome["code"] == "forbidden_role"


# --- the supervision journal (39.2) --------------------------------------------------------------------------------


def test_assigned_officer_writes_the_journal_with_a_photo(client: TestClient, world: World, head: Person, officer: Person) -> None:
    """Art 39.2: the supervising officer writes the Nhật ký giám sát phương tiện vận tải; a photo uploaded from the
    phone is attached to the entry and readable by the branch's head."""
    vehicle_id = designate_with_officer(head, world)
    sha = officer.upload(plain_jpeg())

    outcome = officer.send("vehicles.add_journal_entry", entry(vehicle_id, photos=[sha]))

    assert outcome["status"] == "applied", outcome
    (row,) = in_app(client, entry_rows)
    assert outcome["result"] == {"vehicle_id": vehicle_id, "entry_id": row["id"], "photos": 1}
    assert row["officer"] == world["officer"] and row["text"] == "Niêm phong hầm hàng số 2 nguyên trạng"
    assert head.client.get(f"/files/{sha}/thumb").status_code == 200
    page = officer.client.get(f"/vehicles/{vehicle_id}")
    assert page.status_code == 200 and 'id="entry-form"' in page.text
    assert "Niêm phong hầm hàng số 2 nguyên trạng" in page.text and f"/files/{sha}/thumb" in page.text


def test_unassigned_officer_of_the_branch_reads_but_cannot_write(client: TestClient, world: World, head: Person) -> None:
    """Art 39.1, 39.2: only the officers the head assigned keep the journal; another officer of the branch reads it."""
    vehicle_id = designate_with_officer(head, world)
    other = Person(client, another_officer_of_b1(client))

    outcome = other.send("vehicles.add_journal_entry", entry(vehicle_id))
    page = other.client.get(f"/vehicles/{vehicle_id}")

    assert outcome["status"] == "rejected" and outcome["code"] == "not_assigned"
    assert "39.2" in outcome["reason"]
    assert in_app(client, entry_rows) == []
    assert page.status_code == 200 and 'id="entry-form"' not in page.text and 'id="journal-read-only"' in page.text


def test_head_writes_in_the_journal_without_being_assigned(client: TestClient, world: World, head: Person) -> None:
    vehicle_id = designate(head, world)

    outcome = head.send("vehicles.add_journal_entry", entry(vehicle_id, "Lãnh đạo kiểm tra trực tiếp"))

    assert outcome["status"] == "applied" and in_app(client, entry_rows)[0]["officer"] == world["supervisor"]


def test_another_branch_sees_nothing_and_cannot_act(client: TestClient, world: World, head: Person) -> None:
    """Art 39.1: the decision and the journal are the branch's: another branch's officer and supervisor are told there
    is no such vehicle (404), on the pages and for every command."""
    vehicle_id = designate_with_officer(head, world)
    outsider = Person(client, world["other_officer"])
    outsider_head = Person(client, supervisor_of_b2(client))

    pages = [outsider.client.get(url).status_code for url in (f"/vehicles/{vehicle_id}", f"/vehicles/{vehicle_id}/print")]
    listed = outsider_head.client.get("/vehicles").text
    refused = [
        outsider.send("vehicles.add_journal_entry", entry(vehicle_id))["code"],
        outsider_head.send("vehicles.add_journal_entry", entry(vehicle_id))["code"],
        outsider_head.send("vehicles.assign_officers", {"vehicle_id": vehicle_id, "officer_codes": ["CB2"]})["code"],
        outsider_head.send("vehicles.end_supervision", {"vehicle_id": vehicle_id})["code"],
    ]

    assert pages == [404, 404]
    assert "MV HAI PHONG STAR" not in listed
    assert refused == ["vehicle_not_found"] * 4
    assert in_app(client, entry_rows) == [] and in_app(client, vehicle_rows)[0]["state"] == "designated"


def test_designate_at_another_branchs_location_is_refused(client: TestClient, world: World) -> None:
    """Art 39.1: the vehicle is berthed or parked in the head's own branch's supervision area."""
    outsider_head = Person(client, supervisor_of_b2(client))

    outcome = outsider_head.send("vehicles.designate", {**VESSEL, "location_id": world["gate"]})

    assert outcome["status"] == "rejected" and outcome["code"] == "location_not_in_branch"


def test_entry_made_offline_is_applied_once(client: TestClient, world: World, head: Person, officer: Person) -> None:
    """Art 39.2: an entry written with no network waits on the phone and is applied once, however often it is sent;
    its time is when the officer wrote it."""
    vehicle_id = designate_with_officer(head, world)
    written = datetime.now(UTC) - timedelta(minutes=40)
    envelope = officer.envelope("vehicles.add_journal_entry", entry(vehicle_id, "Ghi ngoại tuyến"), offline=True, issued_at=written)

    first, again = officer.post(envelope), officer.post(envelope)

    assert first[0]["status"] == "applied" and again[0]["status"] == "duplicate"
    assert again[0]["result"] == first[0]["result"]
    (row,) = in_app(client, entry_rows)
    assert abs(row["observed_at"] - written) < timedelta(seconds=1)
    assert [r["offline"] for r in in_app(client, journal_rows) if r["command_type"] == "vehicles.add_journal_entry"] == [True]


# --- the end of the supervision (39.1) -----------------------------------------------------------------------------


def test_end_supervision_closes_the_journal(client: TestClient, world: World, head: Person, officer: Person) -> None:
    """Art 39.1: the direct supervision lasts while the vehicle is berthed or parked; the head ends it (signed) when it
    leaves, and the journal then takes no entry."""
    vehicle_id = designate_with_officer(head, world)

    ended = head.send("vehicles.end_supervision", {"vehicle_id": vehicle_id, "note": "Tàu rời cảng 17:00"})
    late = officer.send("vehicles.add_journal_entry", entry(vehicle_id))
    twice = head.send("vehicles.end_supervision", {"vehicle_id": vehicle_id})

    assert ended["status"] == "applied"
    (row,) = in_app(client, vehicle_rows)
    assert row["state"] == "ended" and row["ended_by"] == world["supervisor"] and row["end_note"] == "Tàu rời cảng 17:00"
    assert late["status"] == "rejected" and late["code"] == "supervision_ended"
    assert twice["status"] == "rejected" and twice["code"] == "transition_refused"
    assert in_app(client, entry_rows) == []
    page = officer.client.get(f"/vehicles/{vehicle_id}").text
    assert 'id="journal-closed"' in page and 'id="entry-form"' not in page


def test_end_supervision_unsigned_or_by_an_officer_is_refused(client: TestClient, world: World, head: Person, officer: Person) -> None:
    """Art 39.1: ending the supervision is the head's signed decision."""
    vehicle_id = designate_with_officer(head, world)

    unsigned = head.send("vehicles.end_supervision", {"vehicle_id": vehicle_id}, sign=False)
    by_officer = officer.send("vehicles.end_supervision", {"vehicle_id": vehicle_id})

    assert (unsigned["code"], by_officer["code"]) == ("signature_required", "forbidden_role")
    assert in_app(client, vehicle_rows)[0]["state"] == "designated"


def test_entry_written_offline_before_the_end_is_kept(client: TestClient, world: World, head: Person, officer: Person) -> None:
    """Art 39.2: what the officer wrote while the supervision lasted belongs in the journal, even when the phone could
    send it only after the head ended the supervision."""
    vehicle_id = designate_with_officer(head, world)
    written = datetime.now(UTC) - timedelta(minutes=30)
    queued = officer.envelope("vehicles.add_journal_entry", entry(vehicle_id, "Ghi trước khi tàu rời"), offline=True, issued_at=written)
    head.send("vehicles.end_supervision", {"vehicle_id": vehicle_id})

    (outcome,) = officer.post(queued)

    assert outcome["status"] == "applied", outcome
    assert [row["text"] for row in in_app(client, entry_rows)] == ["Ghi trước khi tàu rời"]


# --- pages ---------------------------------------------------------------------------------------------------------


def test_print_page_has_the_journal(client: TestClient, world: World, head: Person, officer: Person) -> None:
    """Art 39.2: the journal prints as a journal: the vehicle, the period, each entry with its time, officer,
    observation and photo thumbnails."""
    vehicle_id = designate_with_officer(head, world)
    sha = officer.upload(plain_jpeg(color=(200, 30, 30)))
    officer.send("vehicles.add_journal_entry", entry(vehicle_id, "Thuyền viên xuống tàu đúng danh sách", photos=[sha]))
    officer.send("vehicles.add_journal_entry", entry(vehicle_id, "Không bốc dỡ ngoài kế hoạch"))

    page = officer.client.get(f"/vehicles/{vehicle_id}/print")

    assert page.status_code == 200
    text = page.text
    assert translate_in("vi", "VEHICLE SUPERVISION JOURNAL") in text and "MV HAI PHONG STAR" in text and "IMO 9074729" in text
    assert "01/12/2026 08:30" in text  # the period starts when the head's decision applies
    assert text.index("Thuyền viên xuống tàu đúng danh sách") < text.index("Không bốc dỡ ngoài kế hoạch")
    assert text.count('class="journal-entry"') == 2 and "Nguyễn Văn Một" in text and f"/files/{sha}/thumb" in text


def test_list_page_shows_current_and_ended(client: TestClient, world: World, head: Person) -> None:
    current = designate(head, world)
    ended = designate(head, world, name="Xe đầu kéo", kind="vehicle", registration="15C-123.45")
    head.send("vehicles.end_supervision", {"vehicle_id": ended})

    page = head.client.get("/vehicles").text

    now_part = page[page.index('id="vehicles-current"'):page.index('id="designate"')]
    ended_part = page[page.index('id="vehicles-ended"'):]
    assert f'data-vehicle-id="{current}"' in now_part and f'data-vehicle-id="{ended}"' not in now_part
    assert f'data-vehicle-id="{ended}"' in ended_part
    assert 'data-command="vehicles.designate"' in page


def test_officer_list_page_has_no_designation_form(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get("/vehicles")

    assert page.status_code == 200 and 'data-command="vehicles.designate"' not in page.text


def test_entry_form_without_script_writes_through_the_journal(client: TestClient, world: World, head: Person) -> None:
    """Art 39.2: the page's form posts the same command when the page has no script."""
    vehicle_id = designate_with_officer(head, world)
    sign_in_as(client, world["officer"])

    response = client.post("/vehicles/entries", data={"vehicle_id": str(vehicle_id), "text": "Ghi từ biểu mẫu"}, follow_redirects=False)
    refused = client.post("/vehicles/entries", data={"vehicle_id": str(vehicle_id), "text": " "})

    assert response.status_code == 303 and response.headers["location"] == f"/vehicles/{vehicle_id}"
    assert [row["text"] for row in in_app(client, entry_rows)] == ["Ghi từ biểu mẫu"]
    assert refused.status_code == 422 and translate_in("vi", "Write what you observed.") in refused.text


def test_designation_form_without_script_is_refused_in_words(client: TestClient, world: World) -> None:
    """Art 39.1: the designation is signed on the device; a form posted without the page's script cannot sign it."""
    sign_in_as(client, world["supervisor"])

    response = client.post("/vehicles/designate", data={**VESSEL, "location_id": str(world["gate"])})

    assert response.status_code == 422 and 'id="designate-error"' in response.text
    assert in_app(client, vehicle_rows) == []


# --- the workflow and the demo -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), [("designated", "designated"), ("designated", "ended"), ("ended", "designated"), ("ended", "ended")])
def test_workflow_allows_only_designated_to_ended(current: str, target: str) -> None:
    from backend.vehicles import workflow

    assert workflow.allowed(current, target) is ((current, target) == ("designated", "ended"))
    if (current, target) != ("designated", "ended"):
        with pytest.raises(workflow.TransitionRefused):
            workflow.check(current, target)


async def _demo() -> tuple[str, str, list[dict[str, Any]], list[dict[str, Any]]]:
    from backend.officers import services
    from backend.officers.tables import LocationKind
    from backend.vehicles.demo import load_demo_vehicles

    branch = await services.ensure_branch("HP-KV3", "Chi cục Hải quan cửa khẩu cảng Hải Phòng khu vực III")
    await services.ensure_location("HP-KV3-GA", "Cổng A — Cảng Tân Vũ", LocationKind.GATE, branch)
    await services.create_officer("GS001", "Trần Thị Bình", "supervisor", "HP-KV3")
    await services.create_officer("CB001", "Nguyễn Văn An", "officer", "HP-KV3")
    first = await load_demo_vehicles(ORIGIN, "localhost")
    second = await load_demo_vehicles(ORIGIN, "localhost")
    return first, second, await vehicle_rows(), await entry_rows()


def test_demo_has_a_key_vehicle_with_two_entries(client: TestClient, world: World) -> None:
    first, second, vehicles, entries = in_app(client, _demo)

    assert "under direct supervision" in first and "there already" in second
    (vehicle,) = vehicles
    assert vehicle["state"] == "designated" and vehicle["registration"] == "IMO 9074729"
    assert len(entries) == 2 and all(entry["vehicle"] == vehicle["id"] for entry in entries)
