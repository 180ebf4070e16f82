"""Air-cargo anomaly records (Art 35.2.đ): the airport warehouse's staff record what they found, with photos; customs
of the branch that manages the premises receive the record and record what was done; the staff follow the status.
Operator isolation, offline replay, refusals in words. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.files.photos import plain_jpeg, sha

FLIGHT, MAWB, HAWB = "VN0311", "738-12345675", "HPH-0042"


def anomaly(premises_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "premises_id": premises_id,
        "kind": "short_packages",
        "flight": FLIGHT,
        "mawb": MAWB,
        "hawb": HAWB,
        "packages": "Kiện 7/10 đến 10/10",
        "declared_packages": 10,
        "found_packages": 6,
        "declared_weight_kg": 412.5,
        "found_weight_kg": 250.0,
        "note": "Thiếu 4 kiện so với manifest",
        **changes,
    }


def envelope(type_: str, payload: dict[str, Any], *, at: datetime | None = None, offline: bool = False) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "issued_at": (at or datetime.now(UTC)).isoformat(),
        "device_id": "phone-kho",
        "payload": payload,
        "offline": offline,
    }


def send(client: TestClient, *envelopes: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/api/v1/commands", json=list(envelopes))
    assert response.status_code == 200, response.text
    return response.json()["results"]


def do(client: TestClient, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return send(client, envelope(type_, payload))[0]


async def rows() -> list[dict[str, Any]]:
    from backend.warehouse.tables import AirCargoAnomaly

    return await AirCargoAnomaly.select().order_by(AirCargoAnomaly.id)


async def journal() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)


async def _second_premises() -> dict[str, int]:
    """Another premises of branch B1 with its own staff, and a supervisor of branch B2."""
    from backend.officers import services
    from backend.officers.tables import LocationKind

    branch = await services.ensure_branch("B1", "Chi cục Một")
    premises = await services.ensure_location("B1-KHO2", "Kho hàng không 2", LocationKind.WAREHOUSE, branch)
    return {
        "premises": premises,
        "staff": await services.create_officer("KHO2", "Đỗ Thị Kho", "warehouse", "B1", "B1-KHO2"),
        "other_supervisor": await services.create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2"),
    }


@pytest.fixture
def more(client: TestClient, world: World) -> dict[str, int]:
    return in_app(client, _second_premises)


def record(client: TestClient, world: World, **changes: Any) -> int:
    sign_in_as(client, world["warehouse_user"])
    outcome = do(client, "warehouse.record_anomaly", anomaly(world["warehouse"], **changes))
    assert outcome["status"] == "applied", outcome
    return outcome["result"]["anomaly_id"]


def vi(msgid: str) -> str:
    return str(escape(translate_in("vi", msgid)))


# --- the whole flow ---------------------------------------------------------------------------------------------


def test_anomaly_recorded_with_photo_received_and_handled(client: TestClient, world: World) -> None:
    """Art 35.2.đ: the warehouse operator's record reaches the officer, who receives it and acts on it."""
    sign_in_as(client, world["warehouse_user"])
    photo = plain_jpeg()
    uploaded = client.put(f"/api/v1/files/{sha(photo)}", content=photo, headers={"content-type": "image/jpeg"})
    assert uploaded.status_code == 201, uploaded.text

    outcome = do(client, "warehouse.record_anomaly", anomaly(world["warehouse"], photos=[sha(photo)]))

    assert outcome["status"] == "applied" and outcome["result"]["photos"] == 1
    anomaly_id = outcome["result"]["anomaly_id"]
    (row,) = in_app(client, rows)
    assert (row["premises"], row["branch"], row["recorded_by"], row["state"]) == (world["warehouse"], world["branch"], world["warehouse_user"], "recorded")
    assert (row["kind"], row["flight"], row["mawb"], row["hawb"]) == ("short_packages", FLIGHT, MAWB, HAWB)
    assert (row["declared_packages"], row["found_packages"], row["declared_weight_kg"], row["found_weight_kg"]) == (10, 6, 412.5, 250.0)
    staff_page = client.get("/warehouse/anomalies").text
    assert f'id="anomaly-{anomaly_id}" data-state="recorded"' in staff_page and vi("Recorded, waiting for customs") in staff_page

    # The officer of the managing branch sees it with its photo, and receives it from the page without script.
    sign_in_as(client, world["officer"])
    page = client.get(f"/warehouse/anomalies/{anomaly_id}")
    assert page.status_code == 200
    assert f"/files/{sha(photo)}/thumb" in page.text and vi("Missing packages") in page.text and MAWB in page.text
    assert client.get(f"/files/{sha(photo)}/thumb").status_code == 200
    received = client.post(f"/warehouse/anomalies/{anomaly_id}/acknowledge", data={}, follow_redirects=False)
    assert received.status_code == 303 and received.headers["location"] == f"/warehouse/anomalies/{anomaly_id}"
    assert in_app(client, rows)[0]["state"] == "received" and in_app(client, rows)[0]["received_by"] == world["officer"]

    handled = do(client, "warehouse.handle_anomaly", {"anomaly_id": anomaly_id, "handling": "Đề xuất kiểm tra thực tế lô hàng"})

    assert handled["status"] == "applied" and handled["result"]["state"] == "handled"
    (row,) = in_app(client, rows)
    assert (row["state"], row["handled_by"], row["handling"]) == ("handled", world["officer"], "Đề xuất kiểm tra thực tế lô hàng")
    assert [entry["command_type"] for entry in in_app(client, journal)] == [
        "warehouse.record_anomaly", "warehouse.acknowledge_anomaly", "warehouse.handle_anomaly"
    ]
    # The operator sees the final status and what customs did on their phone.
    sign_in_as(client, world["warehouse_user"])
    detail = client.get(f"/warehouse/anomalies/{anomaly_id}").text
    assert vi("Handled, closed") in detail and "Đề xuất kiểm tra thực tế lô hàng" in detail and "Nguyễn Văn Một" in detail


def test_anomaly_form_without_script_records_with_decimal_comma(client: TestClient, world: World) -> None:
    sign_in_as(client, world["warehouse_user"])
    form = {"premises_id": str(world["warehouse"]), "kind": "weight_difference", "flight": "vj 123", "mawb": "", "hawb": "",
            "packages": "", "declared_packages": "", "found_packages": "", "declared_weight_kg": "100,5", "found_weight_kg": "98",
            "note": ""}

    response = client.post("/warehouse/anomalies", data=form, follow_redirects=False)

    (row,) = in_app(client, rows)
    assert response.status_code == 303 and response.headers["location"] == f"/warehouse/anomalies/{row['id']}"
    assert (row["kind"], row["flight"], row["declared_weight_kg"], row["found_weight_kg"], row["declared_packages"]) == (
        "weight_difference", "VJ 123", 100.5, 98.0, None
    )


def test_anomaly_page_is_printable_as_a_record(client: TestClient, world: World) -> None:
    anomaly_id = record(client, world)

    page = client.get(f"/warehouse/anomalies/{anomaly_id}").text

    assert vi("ANOMALY RECORD") in page and "data-print" in page and 'class="anomaly-signatures print-only"' in page


# --- who may see and do what -------------------------------------------------------------------------------------


def test_anomaly_of_another_premises_neither_seen_nor_recorded_by_its_staff(client: TestClient, world: World, more: dict[str, int]) -> None:
    photo = plain_jpeg(color=(200, 10, 10))
    sign_in_as(client, world["warehouse_user"])
    client.put(f"/api/v1/files/{sha(photo)}", content=photo, headers={"content-type": "image/jpeg"})
    anomaly_id = do(client, "warehouse.record_anomaly", anomaly(world["warehouse"], photos=[sha(photo)]))["result"]["anomaly_id"]
    sign_in_as(client, more["staff"])

    page = client.get("/warehouse/anomalies").text
    detail = client.get(f"/warehouse/anomalies/{anomaly_id}")
    thumb = client.get(f"/files/{sha(photo)}/thumb")
    at_theirs = do(client, "warehouse.record_anomaly", anomaly(world["warehouse"]))

    assert f'id="anomaly-{anomaly_id}"' not in page and MAWB not in page
    assert detail.status_code == 404 and MAWB not in detail.text
    assert thumb.status_code == 404
    assert at_theirs["status"] == "rejected" and at_theirs["code"] == "not_your_premises"
    assert at_theirs["reason"] == translate_in("vi", "You can record anomalies only at the premises you work at.")
    assert len(in_app(client, rows)) == 1


def test_anomaly_customs_steps_refused_to_warehouse_staff(client: TestClient, world: World) -> None:
    anomaly_id = record(client, world)

    acknowledged = do(client, "warehouse.acknowledge_anomaly", {"anomaly_id": anomaly_id})
    handled = do(client, "warehouse.handle_anomaly", {"anomaly_id": anomaly_id, "handling": "x"})
    form = client.post(f"/warehouse/anomalies/{anomaly_id}/acknowledge", data={}, follow_redirects=False)

    assert (acknowledged["code"], handled["code"], form.status_code) == ("forbidden_role", "forbidden_role", 403)
    assert 'id="acknowledge-form"' not in client.get(f"/warehouse/anomalies/{anomaly_id}").text
    assert in_app(client, rows)[0]["state"] == "recorded" and len(in_app(client, journal)) == 1


def test_anomaly_recorded_by_customs_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    outcome = do(client, "warehouse.record_anomaly", anomaly(world["warehouse"]))

    assert outcome["code"] == "forbidden_role" and in_app(client, rows) == []


@pytest.mark.parametrize("person", ["other_officer", "other_supervisor"])
def test_anomaly_of_another_branch_is_404_for_its_customs(client: TestClient, world: World, more: dict[str, int], person: str) -> None:
    anomaly_id = record(client, world)
    sign_in_as(client, world[person] if person in world.ids else more[person])

    detail = client.get(f"/warehouse/anomalies/{anomaly_id}")
    listed = client.get("/warehouse/anomalies").text
    acknowledged = do(client, "warehouse.acknowledge_anomaly", {"anomaly_id": anomaly_id})
    form = client.post(f"/warehouse/anomalies/{anomaly_id}/acknowledge", data={}, follow_redirects=False)

    assert detail.status_code == 404 and MAWB not in detail.text and MAWB not in listed
    assert acknowledged["status"] == "rejected" and acknowledged["code"] == "unknown_anomaly"
    assert form.status_code == 404
    assert in_app(client, rows)[0]["state"] == "recorded"


def test_anomaly_pages_refused_to_admin_and_signed_out(client: TestClient, world: World) -> None:
    anomaly_id = record(client, world)
    sign_in_as(client, world["admin"])
    admin = client.get(f"/warehouse/anomalies/{anomaly_id}")
    client.cookies.clear()
    signed_out = client.get("/warehouse/anomalies", follow_redirects=False)

    assert admin.status_code == 403 and MAWB not in admin.text
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin")


# --- offline, refusals ------------------------------------------------------------------------------------------


def test_anomaly_recorded_offline_is_applied_once(client: TestClient, world: World) -> None:
    sign_in_as(client, world["warehouse_user"])
    made = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    queued = envelope("warehouse.record_anomaly", anomaly(world["warehouse"]), at=made, offline=True)

    first = send(client, queued)[0]
    again = send(client, queued)[0]  # the queue replays it after a lost answer

    assert (first["status"], again["status"]) == ("applied", "duplicate")
    assert again["result"] == first["result"]
    (row,) = in_app(client, rows)
    assert row["issued_at"] == made  # when the staff made it, not when it arrived
    (entry,) = in_app(client, journal)
    assert entry["offline"] is True and str(entry["command_id"]) == queued["id"]


@pytest.mark.parametrize(
    ("changes", "code", "msgid"),
    [
        ({"declared_packages": -1}, "bad_count", "Package counts are whole numbers, zero or more."),
        ({"found_packages": -3}, "bad_count", "Package counts are whole numbers, zero or more."),
        ({"found_weight_kg": -0.5}, "bad_weight", "Weights are in kilograms, zero or more."),
        ({"kind": "stolen"}, "unknown_anomaly_kind", "Choose what was found: %(kind)s is not a kind of anomaly."),
        ({"flight": "  "}, "flight_required", "Write the flight the goods came on."),
        ({"found_packages": 12}, "counts_contradict_kind", "The package counts do not show missing or extra packages as chosen."),
        ({"found_packages": None}, "counts_required", "Write the packages on the manifest and the packages found."),
        ({"kind": "weight_difference", "found_weight_kg": None}, "weights_required", "Write the weight on the manifest and the weight found."),
        ({"kind": "other", "note": ""}, "note_required", "Write what was found."),
    ],
    ids=["negative-declared", "negative-found", "negative-weight", "unknown-kind", "no-flight", "short-but-more", "no-count", "no-weight", "other-no-note"],
)
def test_anomaly_bad_input_refused_in_words_and_nothing_changed(
    client: TestClient, world: World, changes: dict[str, Any], code: str, msgid: str
) -> None:
    """Art 35.2.đ: a record whose figures do not show the anomaly its kind names is refused, nothing written."""
    sign_in_as(client, world["warehouse_user"])

    outcome = do(client, "warehouse.record_anomaly", anomaly(world["warehouse"], **changes))

    assert outcome["status"] == "rejected" and outcome["code"] == code
    assert outcome["reason"] == translate_in("vi", msgid, kind=changes.get("kind", ""))
    assert in_app(client, rows) == [] and in_app(client, journal) == []


def test_anomaly_bad_form_keeps_what_was_typed(client: TestClient, world: World) -> None:
    sign_in_as(client, world["warehouse_user"])
    form = {"premises_id": str(world["warehouse"]), "kind": "short_packages", "flight": "VN0311", "declared_packages": "-2",
            "found_packages": "1", "note": "Ghi chú <kho>"}

    page = client.post("/warehouse/anomalies", data=form)

    assert page.status_code == 422 and 'id="anomaly-error"' in page.text
    assert vi("Package counts are whole numbers, zero or more.") in page.text and "Ghi chú &lt;kho&gt;" in page.text
    assert in_app(client, rows) == []


def test_anomaly_photo_not_on_the_server_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["warehouse_user"])

    outcome = do(client, "warehouse.record_anomaly", anomaly(world["warehouse"], photos=["a" * 64]))

    assert outcome["code"] == "photo_missing" and in_app(client, rows) == []


def test_anomaly_handled_before_received_or_received_twice_is_refused(client: TestClient, world: World) -> None:
    anomaly_id = record(client, world)
    sign_in_as(client, world["supervisor"])

    early = do(client, "warehouse.handle_anomaly", {"anomaly_id": anomaly_id, "handling": "x"})
    blank = do(client, "warehouse.handle_anomaly", {"anomaly_id": anomaly_id, "handling": "  "})
    first = do(client, "warehouse.acknowledge_anomaly", {"anomaly_id": anomaly_id})
    twice = do(client, "warehouse.acknowledge_anomaly", {"anomaly_id": anomaly_id})

    assert (early["code"], blank["code"], first["status"], twice["code"]) == ("transition_refused", "handling_required", "applied", "transition_refused")
    assert in_app(client, rows)[0]["state"] == "received"


# --- the workflow -----------------------------------------------------------------------------------------------


def test_anomaly_workflow_walks_every_allowed_and_forbidden_pair() -> None:
    from backend.warehouse import workflow
    from backend.warehouse.workflow import AnomalyState as S

    expected = {(S.RECORDED, S.RECEIVED), (S.RECEIVED, S.HANDLED)}
    for current, target in product(S, S):
        assert workflow.allowed(current, target) == ((current, target) in expected), (current, target)
        if (current, target) in expected:
            workflow.check(current, target)
        else:
            with pytest.raises(workflow.TransitionRefused):
                workflow.check(current, target)
    assert workflow.INITIAL is S.RECORDED


# --- inbox, home, demo ------------------------------------------------------------------------------------------


def test_anomaly_waits_in_the_branch_inbox_until_received(client: TestClient, world: World, more: dict[str, int]) -> None:
    anomaly_id = record(client, world)
    sign_in_as(client, more["other_supervisor"])
    elsewhere = client.get("/api/v1/inbox").json()
    sign_in_as(client, world["supervisor"])

    before = client.get("/api/v1/inbox").json()
    do(client, "warehouse.acknowledge_anomaly", {"anomaly_id": anomaly_id})
    after = client.get("/api/v1/inbox").json()

    def items(inbox: dict[str, Any]) -> list[dict[str, Any]]:
        return [item for group in inbox["groups"] if group["kind"] == "warehouse.anomaly" for item in group["items"]]

    (item,) = items(before)
    assert item["ref"] == str(anomaly_id) and item["url"] == f"/warehouse/anomalies/{anomaly_id}"
    assert [action["command"] for action in item["actions"]] == ["warehouse.acknowledge_anomaly"]
    assert items(after) == [] and items(elsewhere) == []


def test_home_offers_warehouse_staff_their_anomalies(client: TestClient, world: World) -> None:
    sign_in_as(client, world["warehouse_user"])

    home = client.get("/").text
    page = client.get("/warehouse/anomalies")

    assert 'href="/warehouse/anomalies"' in home
    assert page.status_code == 200 and 'data-command="warehouse.record_anomaly"' in page.text and 'id="photo-picker"' in page.text


async def _demo_twice() -> tuple[str, str, list[dict[str, Any]]]:
    from backend.officers import services
    from backend.officers.tables import LocationKind
    from backend.warehouse.demo import load_demo_anomalies

    branch = await services.ensure_branch("HP-KV3", "Chi cục")
    await services.ensure_location("HP-KV3-KNQ1", "Kho ngoại quan Đình Vũ", LocationKind.WAREHOUSE, branch)
    await services.create_officer("KHO001", "Lê Văn Cường", "warehouse", "HP-KV3", "HP-KV3-KNQ1")
    first, second = await load_demo_anomalies(), await load_demo_anomalies()
    return first, second, await rows()


def test_demo_anomaly_recorded_once_through_the_journal(client: TestClient) -> None:
    first, second, made = in_app(client, _demo_twice)

    assert "VN0311" in first and "there already" in second
    (row,) = made
    assert row["state"] == "recorded" and row["found_packages"] == 6
    assert [entry["command_type"] for entry in in_app(client, journal)] == ["warehouse.record_anomaly"]
