"""Loading and transhipment plans (Decision 1966, Art 40.2: the warehouse, yard or port operator's notice of its own
plan) on the premises seam (issue 16 item 1): staff working at two premises of their operator submit, see and act on
the plans of both, and never on a third premises of the same branch. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.journal.device import Person
from tests.loading.test_loading import plan_payload
from tests.warehouse.test_operators import operator_with_two_premises, places


async def _colleagues() -> dict[str, int]:
    """A staff member whose account names the CFS (KHO1 works there too) and one of the third premises B1-KHO2."""
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


async def _plans() -> list[tuple[int, int, str]]:
    from backend.loading.tables import LoadingPlan

    rows = await LoadingPlan.select(LoadingPlan.id, LoadingPlan.premises, LoadingPlan.state).order_by(LoadingPlan.id)
    return [(row["id"], row["premises"], row["state"]) for row in rows]


def submitted(person: Person, **changes: Any) -> int:
    outcome = person.do("loading.submit_plan", plan_payload(**changes))
    assert outcome["status"] == "applied", outcome
    return outcome["result"]["plan_id"]


def listed(page: str) -> set[int]:
    return {int(found) for found in re.findall(r'id="plan-(\d+)"', page)}


def test_loading_40_2_staff_of_two_premises_submit_see_and_act_at_both_and_never_at_a_third(client: TestClient, world: World) -> None:
    ids = setup(client, world)
    kho1, colleague, third = (Person(client, ids[key]) for key in ("warehouse_user", "cfs_staff", "third_staff"))
    colleagues_plan = submitted(colleague, notice_number="TB-CFS")
    thirds_plan = submitted(third, notice_number="TB-KHO2")

    at_account = submitted(kho1, notice_number="TB-1")
    at_cfs = submitted(kho1, premises_id=ids["cfs"], notice_number="TB-2")
    before = in_app(client, _plans)
    at_third = kho1.do("loading.submit_plan", plan_payload(premises_id=ids["third"]))
    page = kho1.client.get("/loading")
    imported = kho1.do("loading.import_containers", {"plan_id": colleagues_plan, "csv": "TGHU1234567"})
    withdrawn = kho1.do("loading.withdraw_plan", {"plan_id": at_cfs, "reason": "Tàu đổi lịch"})
    on_third = kho1.do("loading.withdraw_plan", {"plan_id": thirds_plan, "reason": "x"})

    plans = {plan_id: (premises, state) for plan_id, premises, state in in_app(client, _plans)}
    assert plans[at_account][0] == ids["warehouse"] and plans[at_cfs] == (ids["cfs"], "withdrawn")
    assert (at_third["status"], at_third["code"]) == ("rejected", "not_your_premises")
    assert at_third["reason"] == translate_in("vi", "You can submit plans only for the premises you work at (Decision 1966, Art 40.2).")
    assert len(before) == 4 and len(plans) == 4  # the refused plan wrote nothing
    assert listed(page.text) == {colleagues_plan, at_account, at_cfs}
    options = re.findall(r'<option value="(\d+)"', page.text.split('id="plan-premises"', 1)[1].split("</select>", 1)[0])
    assert [int(value) for value in options] == [ids["warehouse"], ids["cfs"]]
    assert imported["status"] == "applied" and withdrawn["status"] == "applied"
    assert on_third["code"] == "unknown_plan" and plans[thirds_plan][1] == "submitted"
    assert kho1.client.get(f"/loading/{thirds_plan}").status_code == 404
    assert kho1.client.get(f"/loading/{colleagues_plan}").status_code == 200


def test_loading_40_2_a_colleague_of_one_premises_sees_that_premises_plans_only(client: TestClient, world: World) -> None:
    ids = setup(client, world)
    kho1, colleague = Person(client, ids["warehouse_user"]), Person(client, ids["cfs_staff"])
    at_account = submitted(kho1, notice_number="TB-1")
    at_cfs = submitted(kho1, premises_id=ids["cfs"], notice_number="TB-2")

    page = colleague.client.get("/loading")

    assert listed(page.text) == {at_cfs}
    assert colleague.client.get(f"/loading/{at_account}").status_code == 404
    # One premises: no choice offered, the plan is for the premises on the account.
    assert 'id="plan-premises"' not in page.text and f'name="premises_id" value="{ids["cfs"]}"' in page.text


def test_loading_40_2_form_without_script_submits_for_the_premises_chosen(client: TestClient, world: World) -> None:
    ids = setup(client, world)
    sign_in_as(client, ids["warehouse_user"])
    form = {**plan_payload(), "premises_id": str(ids["cfs"])}

    posted = client.post("/loading", data=form, follow_redirects=False)
    refused = client.post("/loading", data={**form, "premises_id": str(ids["third"])}, follow_redirects=False)

    assert posted.status_code == 303, posted.text
    plan_id = int(posted.headers["location"].rsplit("/", 1)[1])
    assert [(premises, state) for pid, premises, state in in_app(client, _plans) if pid == plan_id] == [(ids["cfs"], "submitted")]
    assert refused.status_code == 422 and len(in_app(client, _plans)) == 1
