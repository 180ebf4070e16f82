"""Air-cargo anomaly records (Decision 1966, Art 35.2.đ) on the premises seam (issue 16 item 1): staff working at two
premises of their operator see, record and read the photos at both, and never at a third premises of the same
branch; the photos of a record are read by the staff of its premises (and customs of the managing branch), not by the
staff of another premises. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app, sign_in_as
from tests.files.photos import plain_jpeg, sha
from tests.journal.device import Person
from tests.warehouse.test_anomalies import anomaly, envelope
from tests.warehouse.test_operators import operator_with_two_premises, places


async def _colleagues() -> dict[str, int]:
    """A staff member whose account names the CFS (a premises KHO1 also works at), one of the third premises
    B1-KHO2 (nobody's operator), and a head of the managing branch B1 (world's GS1 is there already)."""
    from backend.officers.services import create_officer

    return {
        "cfs_staff": await create_officer("KHOC", "Phan Thị Kho", "warehouse", "B1", "B1-CFS"),
        "third_staff": await create_officer("KHO3", "Đinh Văn Ba", "warehouse", "B1", "B1-KHO2"),
    }


def setup(client: TestClient, world: World) -> dict[str, Any]:
    ids = places(client, world)
    operator_with_two_premises(client, ids)  # KHO1: B1-KHO (account) and B1-CFS; B1-KHO2 is a third premises
    ids.update(in_app(client, _colleagues))
    return ids


def send(person: Person, payload: dict[str, Any]) -> dict[str, Any]:
    response = person.client.post("/api/v1/commands", json=[envelope("warehouse.record_anomaly", payload)])
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


def upload(person: Person, photo: bytes) -> str:
    response = person.client.put(f"/api/v1/files/{sha(photo)}", content=photo, headers={"content-type": "image/jpeg"})
    assert response.status_code in (200, 201), response.text
    return sha(photo)


def listed_ids(page: str) -> set[int]:
    return {int(found) for found in re.findall(r'id="anomaly-(\d+)"', page)}


def test_anomalies_35_2_d_staff_of_two_premises_see_and_record_at_both_and_never_at_a_third(client: TestClient, world: World) -> None:
    ids = setup(client, world)
    kho1, colleague, third = (Person(client, ids[key]) for key in ("warehouse_user", "cfs_staff", "third_staff"))
    at_cfs = send(colleague, anomaly(ids["cfs"], flight="VN0101"))["result"]["anomaly_id"]
    at_third = send(third, anomaly(ids["third"], flight="VN0303"))["result"]["anomaly_id"]

    mine_at_account = send(kho1, anomaly(ids["warehouse"], flight="VN0202"))
    mine_at_cfs = send(kho1, anomaly(ids["cfs"], flight="VN0204"))
    mine_at_third = send(kho1, anomaly(ids["third"], flight="VN0206"))
    page = kho1.client.get("/warehouse/anomalies")
    detail_cfs, detail_third = kho1.client.get(f"/warehouse/anomalies/{at_cfs}"), kho1.client.get(f"/warehouse/anomalies/{at_third}")

    assert (mine_at_account["status"], mine_at_cfs["status"]) == ("applied", "applied")
    assert (mine_at_third["status"], mine_at_third["code"]) == ("rejected", "not_your_premises")
    assert listed_ids(page.text) == {at_cfs, mine_at_account["result"]["anomaly_id"], mine_at_cfs["result"]["anomaly_id"]}
    # The form offers both premises, the one on the account first, and not the third.
    options = re.findall(r'<option value="(\d+)"', page.text.split('id="anomaly-premises"', 1)[1].split("</select>", 1)[0])
    assert [int(value) for value in options] == [ids["warehouse"], ids["cfs"]]
    assert detail_cfs.status_code == 200 and "VN0101" in detail_cfs.text
    assert detail_third.status_code == 404 and "VN0303" not in detail_third.text
    # The colleague of the CFS only sees the CFS's records (KHO1's there too), not KHO1's other premises'.
    assert listed_ids(colleague.client.get("/warehouse/anomalies").text) == {at_cfs, mine_at_cfs["result"]["anomaly_id"]}


def test_anomaly_photos_35_2_d_read_by_staff_of_the_record_premises_not_of_another_premises(client: TestClient, world: World) -> None:
    ids = setup(client, world)
    kho1, colleague, third = (Person(client, ids[key]) for key in ("warehouse_user", "cfs_staff", "third_staff"))
    photo = upload(colleague, plain_jpeg(color=(30, 160, 60)))
    anomaly_id = send(colleague, anomaly(ids["cfs"], photos=[photo]))["result"]["anomaly_id"]
    officer, b2_staff = Person(client, world["officer"]), Person(client, ids["b2_staff"])

    by_kho1 = kho1.client.get(f"/files/{photo}/thumb"), kho1.client.get(f"/files/{photo}")
    page = kho1.client.get(f"/warehouse/anomalies/{anomaly_id}")
    by_third = third.client.get(f"/files/{photo}/thumb"), third.client.get(f"/files/{photo}")
    by_b2 = b2_staff.client.get(f"/files/{photo}/thumb")
    by_officer = officer.client.get(f"/files/{photo}/thumb")

    assert [response.status_code for response in by_kho1] == [200, 200]
    assert by_kho1[0].headers["content-type"].startswith("image/jpeg") and by_kho1[0].content[:2] == b"\xff\xd8"
    assert f"/files/{photo}/thumb" in page.text
    assert [response.status_code for response in by_third] == [404, 404] and by_b2.status_code == 404
    assert by_officer.status_code == 200  # customs of the managing branch, as before


def test_anomaly_photos_35_2_d_staff_of_another_premises_may_not_attach_them_by_hash(client: TestClient, world: World) -> None:
    """Reading by premises does not widen attaching: staff of the third premises who learn a photo's hash cannot pull
    it into a record of their own and then read it (the files domain's rule, issue 11 finding 1)."""
    ids = setup(client, world)
    colleague, third = Person(client, ids["cfs_staff"]), Person(client, ids["third_staff"])
    photo = upload(colleague, plain_jpeg(color=(160, 30, 60)))
    send(colleague, anomaly(ids["cfs"], photos=[photo]))

    pulled = send(third, anomaly(ids["third"], photos=[photo]))

    assert (pulled["status"], pulled["code"]) == ("rejected", "photo_not_yours")
    assert third.client.get(f"/files/{photo}/thumb").status_code == 404


def test_anomaly_35_2_d_staff_at_two_premises_record_with_the_form_at_the_premises_they_choose(client: TestClient, world: World) -> None:
    """The page's form without its script: the premises chosen in the select is the one recorded."""
    ids = setup(client, world)
    sign_in_as(client, ids["warehouse_user"])

    posted = client.post(
        "/warehouse/anomalies",
        data={"premises_id": str(ids["cfs"]), "kind": "other", "flight": "VN0999", "note": "Kiện ướt"},
        follow_redirects=False,
    )

    assert posted.status_code == 303, posted.text
    anomaly_id = int(posted.headers["location"].rsplit("/", 1)[1])

    async def premises_of() -> int:
        from backend.warehouse.tables import AirCargoAnomaly

        return (await AirCargoAnomaly.select(AirCargoAnomaly.premises).where(AirCargoAnomaly.id == anomaly_id).first())["premises"]

    assert in_app(client, premises_of) == ids["cfs"]
