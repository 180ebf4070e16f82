"""Operators and their premises (issue 16 item 1): an admin creates an operating company, links premises of their
branch to it and assigns warehouse staff to several of them; the staff act at each of those premises and nowhere
else; the actor carries the set however it signed in. Scope of the admin pages: a branch admin on their own branch
only; other roles 403. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient
from markupsafe import escape

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as

TAX_CODE, OTHER_TAX_CODE = "0201234567", "0309876543"


async def _places() -> dict[str, int]:
    from backend.officers import services
    from backend.officers.tables import LocationKind

    b1 = await services.ensure_branch("B1", "Chi cục Một")
    b2 = await services.ensure_branch("B2", "Chi cục Hai")
    return {
        "cfs": await services.ensure_location("B1-CFS", "Kho CFS", LocationKind.CFS, b1),
        "third": await services.ensure_location("B1-KHO2", "Kho hai", LocationKind.WAREHOUSE, b1),
        "b2_premises": await services.ensure_location("B2-KHO", "Kho B2", LocationKind.WAREHOUSE, b2),
        "branch_admin": await services.create_officer("AD-B1", "Quản trị Một", "admin", "B1"),
        "b2_staff": await services.create_officer("KHO2", "Đỗ Văn Sáu", "warehouse", "B2", "B2-KHO"),
    }


def places(client: TestClient, world: World) -> dict[str, int]:
    return {**world.ids, **in_app(client, _places)}


def create_operator(client: TestClient, name: str = "Công ty CP Kho vận Một", tax_code: str = TAX_CODE) -> int:
    response = client.post("/admin/operators", data={"name": name, "tax_code": tax_code, "address": "Hải Phòng"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/admin/operators/(\d+)", response.headers["location"])
    assert match is not None
    return int(match.group(1))


def link(client: TestClient, operator_id: int, location_id: int) -> Any:
    return client.post(f"/admin/operators/{operator_id}/premises", data={"location_id": str(location_id)}, follow_redirects=False)


def assign(client: TestClient, operator_id: int, officer_id: int, location_id: int, *, remove: bool = False) -> Any:
    url = f"/admin/operators/{operator_id}/staff" + ("/remove" if remove else "")
    return client.post(url, data={"officer_id": str(officer_id), "location_id": str(location_id)}, follow_redirects=False)


def operator_with_two_premises(client: TestClient, ids: dict[str, int]) -> int:
    """KHO1 (whose account names B1-KHO) works at B1-KHO and B1-CFS of one operator; B1-KHO2 is nobody's."""
    sign_in_as(client, ids["branch_admin"])
    operator_id = create_operator(client)
    assert link(client, operator_id, ids["warehouse"]).status_code == 303
    assert link(client, operator_id, ids["cfs"]).status_code == 303
    assert assign(client, operator_id, ids["warehouse_user"], ids["cfs"]).status_code == 303
    return operator_id


def record_at(client: TestClient, premises_id: int) -> dict[str, Any]:
    """An anomaly record (a warehouse command acting at a premises) sent by the signed-in user."""
    payload = {"premises_id": premises_id, "kind": "other", "flight": "VN0311", "note": "Kiện ướt"}
    body = [{"id": str(uuid.uuid4()), "type": "warehouse.record_anomaly", "issued_at": datetime.now(UTC).isoformat(), "device_id": "phone", "payload": payload}]
    response = client.post("/api/v1/commands", json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


async def _counts() -> tuple[int, int, int, int]:
    from backend.journal.tables import JournalEntry
    from backend.warehouse.tables import Operator, OperatorPremises, StaffPremises

    return await Operator.count(), await OperatorPremises.count(), await StaffPremises.count(), await JournalEntry.count()


def counts(client: TestClient) -> tuple[int, int, int, int]:
    return in_app(client, _counts)


# --- staff at several premises --------------------------------------------------------------------------------


def test_staff_at_two_premises_act_at_both_and_not_at_a_third(client: TestClient, world: World) -> None:
    ids = places(client, world)
    operator_with_two_premises(client, ids)
    sign_in_as(client, ids["warehouse_user"])

    at_account_premises = record_at(client, ids["warehouse"])
    at_assigned_premises = record_at(client, ids["cfs"])
    at_third = record_at(client, ids["third"])

    assert (at_account_premises["status"], at_assigned_premises["status"]) == ("applied", "applied")
    assert (at_third["status"], at_third["code"]) == ("rejected", "not_your_premises")


def test_staff_are_refused_at_premises_of_another_operator(client: TestClient, world: World) -> None:
    ids = places(client, world)
    sign_in_as(client, ids["branch_admin"])
    ours = create_operator(client)
    theirs = create_operator(client, "Công ty TNHH CFS Hai", OTHER_TAX_CODE)
    link(client, ours, ids["warehouse"])
    link(client, theirs, ids["cfs"])
    before = counts(client)

    assigned_to_theirs = assign(client, theirs, ids["warehouse_user"], ids["cfs"])  # KHO1 works for `ours`
    sign_in_as(client, ids["warehouse_user"])
    acted_at_theirs = record_at(client, ids["cfs"])

    assert assigned_to_theirs.status_code == 422
    assert escape(translate_in("vi", "%(code)s works for another operator.") % {"code": "KHO1"}) in assigned_to_theirs.text
    assert (acted_at_theirs["status"], acted_at_theirs["code"]) == ("rejected", "not_your_premises")
    assert counts(client) == before


def test_removing_staff_from_the_premises_on_their_account_ends_their_work_there(client: TestClient, world: World) -> None:
    ids = places(client, world)
    operator_id = operator_with_two_premises(client, ids)

    removed = assign(client, operator_id, ids["warehouse_user"], ids["warehouse"], remove=True)
    sign_in_as(client, ids["warehouse_user"])
    me_before = client.get("/api/v1/me").json()
    at_removed, at_kept = record_at(client, ids["warehouse"]), record_at(client, ids["cfs"])

    assert removed.status_code == 303
    # The premises left is now the one on the account: pages made for one premises keep working.
    assert (me_before["premises_id"], me_before["premises_ids"]) == (ids["cfs"], [ids["cfs"]])
    assert (at_removed["status"], at_kept["status"]) == ("rejected", "applied")


# --- the actor ----------------------------------------------------------------------------------------------


def test_actor_carries_every_premises_after_sign_in_and_through_an_api_token(client: TestClient, world: World) -> None:
    from backend.auth import services

    ids = places(client, world)
    operator_with_two_premises(client, ids)
    token = in_app(client, lambda: services.create_api_token(ids["warehouse_user"], "kho"))

    sign_in_as(client, ids["warehouse_user"])
    by_session = client.get("/api/v1/me").json()
    client.cookies.clear()
    by_token = client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).json()
    sign_in_as(client, ids["officer"])
    officer = client.get("/api/v1/me").json()

    expected = sorted([ids["warehouse"], ids["cfs"]])
    assert (by_session["premises_id"], by_session["premises_ids"]) == (ids["warehouse"], expected)
    assert (by_token["premises_ids"], by_token["via_token"]) == (expected, True)
    assert officer["premises_ids"] == []  # customs staff work at no operator's premises


# --- the admin pages ----------------------------------------------------------------------------------------


def test_admin_creates_links_and_assigns_through_the_journal(client: TestClient, world: World) -> None:
    from backend.journal.tables import JournalEntry

    ids = places(client, world)
    operator_id = operator_with_two_premises(client, ids)

    page = client.get(f"/admin/operators/{operator_id}")
    listing = client.get("/admin/operators")
    types = in_app(client, lambda: JournalEntry.select(JournalEntry.command_type).order_by(JournalEntry.id).output(as_list=True))

    assert page.status_code == 200 and "Công ty CP Kho vận Một" in page.text
    assert page.text.count('data-staff="KHO1"') == 2  # under B1-KHO (on the account) and under B1-CFS
    assert 'data-premises="B1-CFS"' in page.text and 'data-premises="B1-KHO"' in page.text
    assert TAX_CODE in listing.text
    assert types == ["warehouse.create_operator", "warehouse.link_premises", "warehouse.link_premises", "warehouse.assign_staff"]
    assert counts(client)[:3] == (1, 2, 1)


def test_admin_create_operator_refuses_a_bad_or_taken_tax_code_in_words(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])
    create_operator(client)
    before = counts(client)

    bad = client.post("/admin/operators", data={"name": "Công ty X", "tax_code": "12345"})
    taken = client.post("/admin/operators", data={"name": "Công ty Y", "tax_code": TAX_CODE})

    assert bad.status_code == 422 and escape(translate_in("vi", "A tax code is 10 digits, or 10 digits, '-' and 3 digits.")) in bad.text
    assert taken.status_code == 422 and "0201234567" in taken.text
    assert counts(client) == before


def test_premises_already_run_by_an_operator_or_a_gate_cannot_be_linked(client: TestClient, world: World) -> None:
    ids = places(client, world)
    operator_id = operator_with_two_premises(client, ids)
    other = create_operator(client, "Công ty TNHH CFS Hai", OTHER_TAX_CODE)
    before = counts(client)

    taken = link(client, other, ids["cfs"])
    gate = link(client, other, ids["gate"])

    assert (taken.status_code, gate.status_code) == (422, 422)
    assert escape(translate_in("vi", "A gate is not an operator's premises.")) in gate.text
    assert counts(client) == before
    assert operator_id != other


def test_branch_admin_cannot_touch_another_branchs_premises_or_staff(client: TestClient, world: World) -> None:
    ids = places(client, world)
    operator_id = operator_with_two_premises(client, ids)
    before = counts(client)

    linked = link(client, operator_id, ids["b2_premises"])
    assigned = assign(client, operator_id, ids["b2_staff"], ids["cfs"])
    page = client.get(f"/admin/operators/{operator_id}")

    assert (linked.status_code, assigned.status_code) == (404, 404)
    assert counts(client) == before
    assert "B2-KHO" not in page.text  # not even offered


def test_national_admin_links_premises_of_any_branch(client: TestClient, world: World) -> None:
    ids = places(client, world)
    sign_in_as(client, ids["admin"])
    operator_id = create_operator(client)

    linked = link(client, operator_id, ids["b2_premises"])
    assigned = assign(client, operator_id, ids["b2_staff"], ids["b2_premises"])
    page = client.get(f"/admin/operators/{operator_id}")

    assert (linked.status_code, assigned.status_code) == (303, 422)  # already works there: it is on their account
    assert 'data-premises="B2-KHO"' in page.text and 'data-staff="KHO2"' in page.text


def test_officer_and_warehouse_user_get_403_and_change_nothing(client: TestClient, world: World) -> None:
    ids = places(client, world)
    sign_in_as(client, ids["admin"])
    operator_id = create_operator(client)
    before = counts(client)

    answers = []
    for person in ("officer", "supervisor", "warehouse_user"):
        sign_in_as(client, ids[person])
        answers += [
            client.get("/admin/operators").status_code,
            client.get(f"/admin/operators/{operator_id}").status_code,
            client.post("/admin/operators", data={"name": "Lén lút", "tax_code": "0101010101"}).status_code,
            link(client, operator_id, ids["cfs"]).status_code,
            assign(client, operator_id, ids["warehouse_user"], ids["cfs"]).status_code,
        ]

    assert set(answers) == {403}
    assert counts(client) == before


def test_admin_with_an_api_token_cannot_administer_operators(client: TestClient, world: World) -> None:
    from backend.auth import services

    ids = places(client, world)
    token = in_app(client, lambda: services.create_api_token(ids["branch_admin"], "admin"))
    body = [{"id": str(uuid.uuid4()), "type": "warehouse.create_operator", "issued_at": datetime.now(UTC).isoformat(),
             "device_id": "script", "payload": {"name": "Công ty Z", "tax_code": "0101010101"}}]

    result = client.post("/api/v1/commands", json=body, headers={"authorization": f"Bearer {token}"}).json()["results"][0]

    assert (result["status"], result["code"]) == ("rejected", "admin_needs_session")
    assert counts(client) == (0, 0, 0, 0)


def test_signed_out_is_sent_to_sign_in(client: TestClient, world: World) -> None:
    response = client.get("/admin/operators", follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")


# --- demo ---------------------------------------------------------------------------------------------------


async def _demo_twice() -> tuple[str, str, tuple[int, ...], int]:
    from backend.journal.tables import JournalEntry
    from backend.officers import services
    from backend.officers.demo import BRANCH, LOCATIONS
    from backend.warehouse.demo import OPERATED, load_demo_operator

    branch_id = await services.ensure_branch(*BRANCH)
    for code, name, kind in LOCATIONS:
        await services.ensure_location(code, name, kind, branch_id)
    staff = await services.create_officer("KHO001", "Lê Văn Cường", "warehouse", BRANCH[0], OPERATED[0])
    await services.create_officer("ADMIN", "Phạm Thị Dung", "admin", BRANCH[0])
    first, second = await load_demo_operator(), await load_demo_operator()
    actor = await services.actor_by_id(staff)
    assert actor is not None
    return first, second, actor.premises_ids, await JournalEntry.count()


def test_demo_operator_runs_the_warehouse_and_the_cfs_with_kho001_at_both_once(client: TestClient) -> None:
    from backend.officers.demo import LOCATIONS

    first, second, premises_ids, journaled = in_app(client, _demo_twice)

    assert ("HP-KV3-CFS1", "cfs") in [(code, kind.value) for code, _, kind in LOCATIONS]
    assert "Công ty CP Kho vận Đình Vũ" in first and first == second
    assert len(premises_ids) == 2
    assert journaled == 4  # created, two premises linked, KHO001 assigned to the CFS; nothing the second time
