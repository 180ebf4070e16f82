"""Loading, unloading and transhipment plans (Art 40; issue 16 item 5): the operator submits, the supervision team
proposes a measure, the head decides it signed, the operator sees the decision; the containers' CSV; who sees and
does what. SQLite and PostgreSQL, through the app."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import product
from typing import Any

import pytest
from litestar.testing import TestClient

from backend.loading.workflow import TRANSITIONS, PlanState, TransitionRefused, allowed, check
from tests.conftest import World, in_app
from tests.journal.device import Person

GOOD_CSV = "container,seal,declaration,note\nMSCU1234566,HQ0012345,104000000001,\nTGHU1234567,,,\n"


def plan_payload(**changes: Any) -> dict[str, Any]:
    payload = {
        "kind": "transhipment",
        "notice_number": "TB-15/2026",
        "carrier_name": "Công ty Vận tải biển Hải An",
        "vessel": "MV HAIAN PARK",
        "voyage": "025N",
        "place": "Khu chuyển tải Lan Hạ",
        "starts_at": "2026-12-06T08:00",
        "ends_at": "2026-12-06T14:00",
        "goods": "Linh kiện điện tử",
        "declarations": "104000000001",
        "containers": "MSCU1234566, HQ0012345, 104000000001",
    }
    return {**payload, **changes}


async def _second_premises() -> int:
    """A port of branch B1 and its own operator's staff member."""
    from backend.officers.services import create_officer, ensure_branch, ensure_location
    from backend.officers.tables import LocationKind

    branch = await ensure_branch("B1", "Chi cục Một")
    await ensure_location("B1-CANG", "Cảng Một", LocationKind.PORT, branch)
    return await create_officer("KHO2", "Đỗ Văn Bảy", "warehouse", "B1", "B1-CANG")


async def _supervisor_of_b2() -> int:
    from backend.officers.services import create_officer

    return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")


async def _counts() -> tuple[int, int]:
    from backend.loading.tables import LoadingContainer, LoadingPlan

    return await LoadingPlan.count(), await LoadingContainer.count()


def submit(operator: Person, **changes: Any) -> int:
    outcome = operator.do("loading.submit_plan", plan_payload(**changes))
    assert outcome["status"] == "applied", outcome
    return outcome["result"]["plan_id"]


def inbox_refs(head: Person) -> list[str]:
    body = head.client.get("/api/v1/inbox").json()
    return [item["ref"] for group in body["groups"] if group["kind"] == "loading.plan" for item in group["items"]]


def test_plan_submitted_proposed_decided_and_the_operator_sees_the_decision_40_2(client: TestClient, world: World) -> None:
    operator, officer, head = Person(client, world["warehouse_user"]), Person(client, world["officer"]), Person(client, world["supervisor"])
    plan_id = submit(operator, kind="unloading")

    listed = officer.client.get("/loading")
    assert listed.status_code == 200 and f'id="plan-{plan_id}" data-state="submitted"' in listed.text
    proposed = officer.do("loading.propose_measure", {"plan_id": plan_id, "method": "direct", "measure": "02 công chức giám sát trực tiếp tại bãi B2"})
    assert proposed["status"] == "applied" and proposed["result"]["state"] == "proposed", proposed
    decided = head.do("loading.decide", {"plan_id": plan_id, "decision": "approve", "note": "Đồng ý"})
    assert decided["status"] == "applied" and decided["result"]["state"] == "approved", decided

    page = operator.client.get(f"/loading/{plan_id}")
    assert page.status_code == 200
    assert 'id="plan-decision" data-state="approved"' in page.text
    assert "02 công chức giám sát trực tiếp tại bãi B2" in page.text and "Trần Thị Hai" in page.text
    assert "MSCU1234566" in page.text and "HQ0012345" in page.text
    assert f'id="plan-{plan_id}" data-state="approved"' in operator.client.get("/loading").text


def test_head_changes_the_measure_and_the_operator_sees_the_new_one_40_1(client: TestClient, world: World) -> None:
    operator, officer, head = Person(client, world["warehouse_user"]), Person(client, world["officer"]), Person(client, world["supervisor"])
    plan_id = submit(operator)
    officer.do("loading.propose_measure", {"plan_id": plan_id, "method": "equipment", "measure": "Giám sát qua camera"})

    without_method = head.do("loading.decide", {"plan_id": plan_id, "decision": "change", "measure": "x"})
    changed = head.do("loading.decide", {"plan_id": plan_id, "decision": "change", "method": "direct", "measure": "Công chức có mặt suốt ca"})

    assert without_method["status"] == "rejected" and without_method["code"] == "method_required"
    assert changed["status"] == "applied" and changed["result"]["state"] == "changed", changed
    page = operator.client.get(f"/loading/{plan_id}").text
    assert 'id="plan-decision" data-state="changed"' in page and "Công chức có mặt suốt ca" in page


def test_csv_import_adds_the_files_containers(client: TestClient, world: World) -> None:
    operator = Person(client, world["warehouse_user"])
    plan_id = submit(operator, containers="")

    response = operator.client.post(
        f"/loading/{plan_id}/containers", files={"file": ("list.csv", ("\ufeff" + GOOD_CSV).encode(), "text/csv")}, follow_redirects=False
    )

    assert response.status_code == 303, response.text
    page = operator.client.get(f"/loading/{plan_id}").text
    assert "MSCU1234566" in page and "TGHU1234567" in page and "104000000001" in page
    assert in_app(client, _counts) == (1, 2)


def test_csv_import_with_a_bad_line_is_refused_with_its_line_and_stores_nothing(client: TestClient, world: World) -> None:
    operator = Person(client, world["warehouse_user"])
    plan_id = submit(operator, containers="")
    bad = "container,seal\nMSCU1234566,HQ1\nMSCU1234565,HQ2\nTGHU1234567,HQ3\n"
    operator.client.cookies.set("gs_lang", "en")

    response = operator.client.post(f"/loading/{plan_id}/containers", files={"file": ("list.csv", bad.encode(), "text/csv")})
    refused = operator.do("loading.submit_plan", plan_payload(containers=bad))

    assert response.status_code == 422
    assert "line 3: container number MSCU1234565 is not valid (ISO 6346); did you mean MSCU1234566?" in response.text
    assert refused["status"] == "rejected" and refused["code"] == "invalid_container_lines" and "line 3" in refused["reason"]
    assert in_app(client, _counts) == (1, 0)  # the first plan, no container; the refused plan not stored either


def test_bad_line_is_said_in_vietnamese_by_default(client: TestClient, world: World) -> None:
    operator = Person(client, world["warehouse_user"])

    refused = operator.do("loading.submit_plan", plan_payload(containers="MSCU1234566\nABC"))

    assert refused["status"] == "rejected" and "dòng 2" in refused["reason"], refused


def test_staff_of_other_premises_neither_see_nor_act(client: TestClient, world: World) -> None:
    operator = Person(client, world["warehouse_user"])
    plan_id = submit(operator)
    other_operator = Person(client, in_app(client, _second_premises))

    page = other_operator.client.get(f"/loading/{plan_id}")
    listed = other_operator.client.get("/loading")
    withdrawn = other_operator.do("loading.withdraw_plan", {"plan_id": plan_id, "reason": "x"})
    imported = other_operator.do("loading.import_containers", {"plan_id": plan_id, "csv": "TGHU1234567"})

    assert page.status_code == 404 and "MV HAIAN PARK" not in page.text
    assert listed.status_code == 200 and "MV HAIAN PARK" not in listed.text
    assert (withdrawn["code"], imported["code"]) == ("unknown_plan", "unknown_plan")
    assert in_app(client, _counts) == (1, 1)


def test_operator_may_neither_propose_nor_decide(client: TestClient, world: World) -> None:
    operator = Person(client, world["warehouse_user"])
    plan_id = submit(operator)

    proposed = operator.do("loading.propose_measure", {"plan_id": plan_id, "method": "direct", "measure": "x"})
    decided = operator.do("loading.decide", {"plan_id": plan_id, "decision": "approve"}, sign=False)
    officer_decides = Person(client, world["officer"]).do("loading.decide", {"plan_id": plan_id, "decision": "approve"}, sign=False)

    assert (proposed["code"], decided["code"], officer_decides["code"]) == ("forbidden_role", "forbidden_role", "forbidden_role")


def test_customs_of_another_branch_get_404(client: TestClient, world: World) -> None:
    operator, officer = Person(client, world["warehouse_user"]), Person(client, world["officer"])
    plan_id = submit(operator)
    officer.do("loading.propose_measure", {"plan_id": plan_id, "method": "direct", "measure": "x"})
    other_officer, other_head = Person(client, world["other_officer"]), Person(client, in_app(client, _supervisor_of_b2))

    page = other_officer.client.get(f"/loading/{plan_id}")
    posted = other_officer.client.post(f"/loading/{plan_id}/propose", data={"method": "direct", "measure": "x"})
    decided = other_head.do("loading.decide", {"plan_id": plan_id, "decision": "approve"})

    assert page.status_code == 404 and posted.status_code == 404
    assert decided["status"] == "rejected" and decided["code"] == "unknown_plan"
    assert "MV HAIAN PARK" not in other_officer.client.get("/loading").text
    assert inbox_refs(other_head) == []


def test_unsigned_decision_is_refused(client: TestClient, world: World) -> None:
    operator, officer, head = Person(client, world["warehouse_user"]), Person(client, world["officer"]), Person(client, world["supervisor"])
    plan_id = submit(operator)
    officer.do("loading.propose_measure", {"plan_id": plan_id, "method": "seal", "measure": "Niêm phong container sau khi dỡ"})

    unsigned = head.do("loading.decide", {"plan_id": plan_id, "decision": "approve"}, sign=False)
    posted = head.client.post(f"/loading/{plan_id}/decide", data={"decision": "approve"})

    assert unsigned["status"] == "rejected" and unsigned["code"] == "signature_required"
    assert posted.status_code == 422 and 'id="decide-form-error"' in posted.text
    assert 'data-state="proposed"' in operator.client.get(f"/loading/{plan_id}").text


def test_operator_withdraws_before_a_proposal_only(client: TestClient, world: World) -> None:
    operator, officer = Person(client, world["warehouse_user"]), Person(client, world["officer"])
    first, second = submit(operator), submit(operator, notice_number="TB-16/2026")
    officer.do("loading.propose_measure", {"plan_id": second, "method": "direct", "measure": "x"})

    withdrawn = operator.do("loading.withdraw_plan", {"plan_id": first, "reason": "Tàu đổi lịch"})
    too_late = operator.do("loading.withdraw_plan", {"plan_id": second, "reason": "Tàu đổi lịch"})
    propose_withdrawn = officer.do("loading.propose_measure", {"plan_id": first, "method": "direct", "measure": "x"})

    assert withdrawn["status"] == "applied" and withdrawn["result"]["state"] == "withdrawn"
    assert too_late["code"] == "transition_refused" and propose_withdrawn["code"] == "transition_refused"


def test_inbox_item_appears_when_proposed_and_leaves_when_decided(client: TestClient, world: World) -> None:
    operator, officer, head = Person(client, world["warehouse_user"]), Person(client, world["officer"]), Person(client, world["supervisor"])
    plan_id = submit(operator)
    assert inbox_refs(head) == []  # nothing for the head before the team proposed

    officer.do("loading.propose_measure", {"plan_id": plan_id, "method": "direct", "measure": "Giám sát trực tiếp"})
    body = head.client.get("/api/v1/inbox").json()
    (group,) = [group for group in body["groups"] if group["kind"] == "loading.plan"]
    (item,) = group["items"]
    assert item["ref"] == str(plan_id) and item["url"] == f"/loading/{plan_id}" and group["clause"] == "40.1, 40.2"
    assert [(action["command"], action["payload"]["decision"]) for action in item["actions"]] == [("loading.decide", "approve"), ("loading.decide", "change")]
    assert 'data-command="loading.decide"' in head.client.get("/inbox").text

    head.do("loading.decide", item["actions"][0]["payload"])
    assert inbox_refs(head) == []


def test_home_page_offers_plans_to_operators_and_customs(client: TestClient, world: World) -> None:
    for role in ("warehouse_user", "officer", "supervisor"):
        assert 'href="/loading"' in Person(client, world[role]).client.get("/").text, role
    assert 'href="/loading"' not in Person(client, world["admin"]).client.get("/").text


@pytest.mark.parametrize("current,target", sorted(product(PlanState, PlanState)))
def test_workflow_allows_only_its_transitions(current: PlanState, target: PlanState) -> None:
    expected = (current, target) in {
        (PlanState.SUBMITTED, PlanState.PROPOSED),
        (PlanState.SUBMITTED, PlanState.WITHDRAWN),
        (PlanState.PROPOSED, PlanState.APPROVED),
        (PlanState.PROPOSED, PlanState.CHANGED),
    }

    assert allowed(current, target) is expected
    if expected:
        check(current, target)
    else:
        with pytest.raises(TransitionRefused):
            check(current, target)


def test_workflow_table_is_the_four_documented_pairs() -> None:
    assert len(TRANSITIONS) == 4 and all(not allowed(state, PlanState.SUBMITTED) for state in PlanState)


def test_demo_plan_is_submitted_once_by_kho001(client: TestClient, world: World) -> None:
    async def load() -> list[str]:
        from backend.loading.demo import load_demo_loading
        from backend.officers.services import create_officer, ensure_branch, ensure_location
        from backend.officers.tables import LocationKind

        branch = await ensure_branch("HP-KV3", "Chi cục HP KV3")
        await ensure_location("HP-KV3-KNQ1", "Kho ngoại quan Đình Vũ", LocationKind.WAREHOUSE, branch)
        await create_officer("KHO001", "Lê Văn Cường", "warehouse", "HP-KV3", "HP-KV3-KNQ1")
        origin = client.app.state.settings.web
        return [await load_demo_loading(origin.origin, origin.rp_id) for _ in range(2)]

    first, again = in_app(client, load)

    assert first.startswith("Demo loading plan submitted by KHO001") and again == "Demo loading plan: there already."
    assert in_app(client, _counts) == (1, 2)


def test_plan_form_without_the_script_submits_and_shows_the_plan(client: TestClient, world: World) -> None:
    operator = Person(client, world["warehouse_user"])
    form = {**plan_payload(kind="loading"), "_csrf_token": operator.client.cookies.get("gs_csrf") or ""}

    response = operator.client.post("/loading", data=form, follow_redirects=False)
    refused = operator.client.post("/loading", data={**form, "ends_at": "2026-12-06T07:00"})

    assert response.status_code == 303 and response.headers["location"] == "/loading/1"
    assert "MV HAIAN PARK" in operator.client.get("/loading/1").text
    assert refused.status_code == 422 and 'id="plan-form-error"' in refused.text and 'value="TB-15/2026"' in refused.text
