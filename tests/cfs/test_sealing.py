"""The CFS list page's sealing step (Decision 1966 Art 44.2.b.1.2) and its onward transit (44.2.b.2; issue 16 item 2):
the officer of the managing branch seals the container from the list page, through the seals domain's command (the
device queue's `seals.record_seal`, or the form posted without script), once every line is compared; the page
shows the seal and the declarations it covers, and the transit declaration carrying the container to the exit gate
with its case's state. SQLite and PostgreSQL, through the app."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import item
from tests.journal.device import Person
from tests.seals.helpers import upsert

CONTAINER = "MSCU1234566"
EXPORTS = ("304000000021", "304000000022", "304000000023")
TRANSIT = "501000000041"


@pytest.fixture
def ready(client: TestClient, world: World) -> dict[str, Any]:
    """A CFS of B1, its staff member, and a list of three export declarations submitted and compared ("checked")."""

    async def make() -> dict[str, int]:
        from backend.officers.services import create_officer, ensure_location
        from backend.officers.tables import LocationKind

        ids = {"cfs": await ensure_location("B1-CFS", "Kho CFS Một", LocationKind.CFS, world["branch"])}
        ids["staff"] = await create_officer("CFS1", "Đinh Thị Mười", "warehouse", "B1", "B1-CFS")
        return ids

    ids: dict[str, Any] = in_app(client, make)
    upsert(client, *[item(number, kind="export", seal_required=True, containers=[{"number": CONTAINER, "seal": ""}]) for number in EXPORTS])
    staff, officer = Person(client, ids["staff"]), Person(client, world["officer"])
    lines = "\n".join(f"{number},Hàng,10,100" for number in EXPORTS)
    list_id = staff.do("cfs.create_list", {"container": CONTAINER, "lines": lines})["result"]["list_id"]
    staff.do("cfs.submit_list", {"list_id": list_id})
    for line_id in in_app(client, _line_ids, list_id):
        officer.do("cfs.check_line", {"list_id": list_id, "line_id": line_id, "result": "match"})
    return {**ids, "list_id": list_id, "staff_person": staff, "officer_person": officer}


async def _line_ids(list_id: int) -> list[int]:
    from backend.cfs.tables import CfsLine

    return [row["id"] for row in await CfsLine.select(CfsLine.id).where(CfsLine.cfs_list == list_id).order_by(CfsLine.line)]


async def _seals() -> list[tuple[str, str, int | None]]:
    from backend.seals.tables import Seal

    return [(r["unit"], r["seal_number"], r["cfs_list"]) for r in await Seal.select().order_by(Seal.id)]


def test_list_page_offers_the_seal_step_to_customs_only_44_2_b_1_2(client: TestClient, world: World, ready: dict[str, Any]) -> None:
    """Art 44.2.b.1.2: the officer's list page has the seal form, pre-filled with the container, the CFS and the
    list's first declaration, sent through the device queue as `seals.record_seal`; the CFS's staff have none."""
    list_id = ready["list_id"]

    officer_page = ready["officer_person"].client.get(f"/cfs/{list_id}").text
    staff_page = ready["staff_person"].client.get(f"/cfs/{list_id}").text

    form = officer_page.split('id="seal-form"', 1)[1].split("</form>", 1)[0]
    assert 'data-command="seals.record_seal"' in officer_page.split('id="seal-form"', 1)[0].rsplit("<form", 1)[1]
    assert f'name="location_id" value="{ready["cfs"]}"' in form and f'name="number" value="{EXPORTS[0]}"' in form
    assert f'name="unit" value="{CONTAINER}"' in form and 'name="unit_kind" value="container"' in form
    assert 'id="cfs-seal"' not in staff_page and 'id="seal-form"' not in staff_page


def test_seal_form_posted_without_script_seals_for_every_declaration_44_2_b_1_2(client: TestClient, world: World, ready: dict[str, Any]) -> None:
    """Art 44.2.b.1.2 then b.1.3: the form posted without its script records one seal for the list's three
    declarations; the page shows it; signing the list then makes each declaration sealed for the gate."""
    list_id, officer = ready["list_id"], ready["officer_person"]

    posted = officer.client.post(
        f"/cfs/{list_id}/seal",
        data={"location_id": str(ready["cfs"]), "number": EXPORTS[0], "unit_kind": "container", "unit": CONTAINER, "seal_number": "hq-cfs 0009", "scanned": "false"},
        follow_redirects=False,
    )
    signed = officer.do("cfs.sign_list", {"list_id": list_id})

    assert posted.status_code == 303, posted.text
    assert in_app(client, _seals) == [(CONTAINER, "HQ-CFS0009", list_id)]
    page = officer.client.get(f"/cfs/{list_id}").text
    assert 'id="cfs-seal-current" data-seal="HQ-CFS0009"' in page and ", ".join(EXPORTS) in page
    assert signed["result"]["confirmed_sealed"] == list(EXPORTS)


def test_seal_form_refusal_is_shown_on_the_page_and_nothing_stored(client: TestClient, world: World, ready: dict[str, Any]) -> None:
    """A seal number that is not one: the page says so next to the form (in Vietnamese), nothing is stored."""
    list_id, officer = ready["list_id"], ready["officer_person"]

    posted = officer.client.post(
        f"/cfs/{list_id}/seal",
        data={"location_id": str(ready["cfs"]), "number": EXPORTS[0], "unit": CONTAINER, "seal_number": "?"},
    )

    assert posted.status_code == 422 and 'id="seal-form-error"' in posted.text
    assert in_app(client, _seals) == []


def test_seal_step_of_a_list_not_seen_is_unknown(client: TestClient, world: World, ready: dict[str, Any]) -> None:
    """An officer of another branch posting the step to the list: 404, as for any step of a list not theirs."""
    other = Person(client, world["other_officer"])

    posted = other.client.post(
        f"/cfs/{ready['list_id']}/seal",
        data={"location_id": str(world["other_gate"]), "number": EXPORTS[0], "unit": CONTAINER, "seal_number": "HQ-1234"},
    )

    assert posted.status_code == 404 and in_app(client, _seals) == []


def test_list_page_shows_the_onward_transit_and_its_state_44_2_b_2(client: TestClient, world: World, ready: dict[str, Any]) -> None:
    """Art 44.2.b.2: "chuyển đến cửa khẩu xuất theo quy định tại Điều 41": the transit declaration in the mirror whose
    containers include the list's container is shown with its transit case's state and a link to its case; with no
    such declaration, nothing is shown."""
    list_id, officer = ready["list_id"], ready["officer_person"]
    before = officer.client.get(f"/cfs/{list_id}").text
    upsert(
        client,
        item(TRANSIT, kind="independent_transit", lane=1, status_code="PHE_DUYET_VC", seal_required=True,
             containers=[{"number": CONTAINER, "seal": "CS900"}], transit={"destination_branch_code": "B2", "transit_hours": 24}),
    )

    after = officer.client.get(f"/cfs/{list_id}").text

    assert 'id="cfs-onward"' not in before
    assert f'id="onward-{TRANSIT}" data-state="green"' in after and f'href="/transit/{TRANSIT}"' in after
