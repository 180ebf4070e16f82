"""The supervisor's inbox (issue 15, first part): each kind's item appears from its domain's facts and leaves when
decided; only a supervisor has one; a supervisor of another branch sees nothing of this branch. SQLite and
PostgreSQL, through the app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.journal.device import Person
from tests.paper.helpers import exit_request
from tests.seals.helpers import declare as declare_import
from tests.transit.helpers import NUMBER as TRANSIT_NUMBER, People, declare as declare_transit, seal

IMPORT_NUMBER = "104000000001"


def inbox(person: Person) -> dict[str, list[dict[str, Any]]]:
    """kind -> items, from the JSON API."""
    response = person.client.get("/api/v1/inbox")
    assert response.status_code == 200, response.text
    body = response.json()
    groups = {group["kind"]: group["items"] for group in body["groups"]}
    assert body["total"] == sum(len(items) for items in groups.values())
    return groups


def test_only_a_supervisor_has_an_inbox(client: TestClient, world: World) -> None:
    for role in ("officer", "warehouse_user", "admin"):
        person = Person(client, world[role])
        assert person.client.get("/api/v1/inbox").status_code == 403, role
        assert person.client.get("/inbox").status_code == 403, role
    head = Person(client, world["supervisor"])
    assert inbox(head) == {}
    page = head.client.get("/inbox")
    assert page.status_code == 200 and 'id="inbox-empty"' in page.text


def test_gate_report_appears_and_leaves_when_closed_35_2_b_2_3(client: TestClient, world: World) -> None:
    declare_import(client)
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    other_head = Person(client, in_app(client, _supervisor_of_b2))
    reported = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": "Container lạ trên xe"})
    report_id = reported["result"]["report_id"]

    (item,) = inbox(head)["gate.report"]
    assert item["ref"] == str(report_id) and item["number"] == IMPORT_NUMBER and item["officer"] == "Nguyễn Văn Một"
    assert "Container lạ trên xe" in item["detail"] and item["url"] == f"/gate/reports#report-{report_id}"
    assert inbox(other_head) == {}  # another branch's supervisor: nothing of B1
    page = head.client.get("/inbox", headers={"accept-language": "vi"})
    assert 'data-kind="gate.report"' in page.text and "35.2.b.2.3" in page.text

    closed = head.do("gate.close_report", {"report_id": report_id, "note": "Đã xử lý"})
    assert closed["status"] == "applied", closed
    assert "gate.report" not in inbox(head)


def test_gate_report_with_the_devices_reasons_shows_them_35_2_a_1(client: TestClient, world: World) -> None:
    """A report made on the gate page carries the check's reason codes (as the reports page shows them)."""
    declare_import(client, status_code="CHO_KIEM_HOA", allows_passage=False)
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    payload = {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": "Xe đã vào cổng", "reasons": ["status_not_eligible"]}
    reported = officer.do("gate.report_mismatch", payload)
    assert reported["status"] == "applied", reported

    (item,) = inbox(head)["gate.report"]

    assert item["detail"] == "status_not_eligible; Xe đã vào cổng"


def test_export_exit_request_waits_for_the_head_38_2_a(client: TestClient, world: World) -> None:
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    requested = officer.do("paper.request_export_exit", exit_request(world))
    request_id = requested["result"]["request_id"]

    (item,) = inbox(head)["paper.export_exit_request"]
    assert item["ref"] == str(request_id) and "15/2026/CV-NSV" in item["title"] and item["url"] == f"/paper#request-{request_id}"

    decided = head.do("paper.decide_request", {"location_id": world["gate"], "request_id": request_id, "decision": "approve"})
    assert decided["status"] == "applied", decided
    assert "paper.export_exit_request" not in inbox(head)


def test_transit_lot_to_assign_then_overdue_41_1_b_1_and_41_1_4_b(client: TestClient, world: World) -> None:
    people = People(client, world)
    declare_transit(client)  # yellow lane
    (item,) = inbox(people.head)["transit.to_assign"]
    assert item["number"] == TRANSIT_NUMBER and item["url"] == f"/transit/{TRANSIT_NUMBER}"

    assert people.head.do("transit.assign", {"number": TRANSIT_NUMBER, "officer_code": "CB1"})["status"] == "applied"
    assert "transit.to_assign" not in inbox(people.head)
    assert people.officer.do("transit.decide", {"number": TRANSIT_NUMBER, "code": "A"})["status"] == "applied"
    seal(people.officer, world)
    departed = people.officer.do("transit.register_departure", {"location_id": world["gate"], "number": TRANSIT_NUMBER})
    assert departed["status"] == "applied", departed
    assert "transit.overdue" not in inbox(people.head)  # 24 hours to arrive

    async def later() -> list[Any]:
        from backend.inbox.services import inbox_for
        from backend.officers.services import actor_by_id
        from backend.lib import clock

        head = await actor_by_id(world["supervisor"])
        answer = await inbox_for(head, client.app.state.settings, clock.now() + timedelta(hours=25))
        return [(group.kind, [(item.ref, item.deadline is not None) for item in group.items]) for group in answer.groups]

    assert ("transit.overdue", [(TRANSIT_NUMBER, True)]) in in_app(client, later)


def test_actions_made_offline_wait_for_reconciliation_35_2_d_2(client: TestClient, world: World) -> None:
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    offline = officer.do("logbook.add_entry", {"location_id": world["gate"], "text": "Ghi khi mất mạng"}, offline=True)
    officer.do("logbook.add_entry", {"location_id": world["gate"], "text": "Ghi khi có mạng"})

    (item,) = inbox(head)["sync.reconciliation"]
    assert item["url"] == "/reconciliation" and item["title"].endswith(": 1")

    reviewed = head.do("sync.review_commands", {"command_ids": [offline["id"]], "note": "Đã đối chiếu"})
    assert reviewed["status"] == "applied", reviewed
    assert "sync.reconciliation" not in inbox(head)


async def _supervisor_of_b2() -> int:
    from backend.officers.services import create_officer

    return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")


# --- deciding on the inbox itself (issue 15, item 2) ----------------------------------------------------------------


def test_decisions_are_offered_on_the_inbox_with_their_commands(client: TestClient, world: World) -> None:
    """Each item carries the decisions of its kind: the command, its fixed payload and what the head fills in; the
    page draws them as queue forms (data-command), so they work offline and are signed where the command is."""
    people = People(client, world)
    declare_transit(client)
    declare_import(client)
    report_id = people.officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": "x"})["result"]["report_id"]
    request_id = people.officer.do("paper.request_export_exit", exit_request(world))["result"]["request_id"]

    groups = inbox(people.head)
    (close,) = groups["gate.report"][0]["actions"]
    assert (close["command"], close["payload"]) == ("gate.close_report", {"report_id": report_id})
    approve, reject = groups["paper.export_exit_request"][0]["actions"]
    assert approve["payload"] == {"location_id": world["gate"], "request_id": request_id, "decision": "approve"}
    assert reject["payload"]["decision"] == "reject" and reject["fields"][0] == {"name": "reason", "label": "Lý do không phê duyệt", "kind": "text", "required": True, "choices": []}
    (assign,) = groups["transit.to_assign"][0]["actions"]
    assert assign["command"] == "transit.assign" and assign["payload"] == {"number": TRANSIT_NUMBER}
    officer_field = assign["fields"][0]
    assert officer_field["kind"] == "choice" and {code for code, _ in officer_field["choices"]} >= {"CB1", "GS1", "CB3"}

    page = people.head.client.get("/inbox").text
    assert f'action="/inbox/decide/gate.close_report" data-command="gate.close_report"' in page
    assert f'name="report_id" value="{report_id}" data-type="int"' in page
    assert 'data-command="transit.assign"' in page and '<option value="CB1">' in page


def test_decision_without_the_script_is_applied_once_and_only_as_offered(client: TestClient, world: World) -> None:
    declare_import(client)
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    other_head = Person(client, in_app(client, _supervisor_of_b2))
    report_id = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": "x"})["result"]["report_id"]
    request_id = officer.do("paper.request_export_exit", exit_request(world))["result"]["request_id"]

    # Another branch's supervisor names this branch's report: not offered to them, nothing changes.
    forged = other_head.client.post("/inbox/decide/gate.close_report", data={"report_id": str(report_id), "note": "x"}, headers={"accept-language": "vi"})
    assert forged.status_code == 422 and "không thuộc thẩm quyền" in forged.text
    # A command the inbox does not offer for it, or a payload it does not offer: refused the same way.
    assert head.client.post("/inbox/decide/seals.close_violation", data={"report_id": str(report_id)}).status_code == 422
    assert head.client.post("/inbox/decide/gate.close_report", data={"report_id": str(report_id + 1)}).status_code == 422
    assert "gate.report" in inbox(head)
    # A signed decision needs the passkey (the script): refused in words, the request still waits.
    signed = head.client.post(
        "/inbox/decide/paper.decide_request",
        data={"location_id": str(world["gate"]), "request_id": str(request_id), "decision": "approve"},
        headers={"accept-language": "vi"},
    )
    assert signed.status_code == 422 and "phải được ký bằng khóa truy cập" in signed.text
    assert "paper.export_exit_request" in inbox(head)

    closed = head.client.post("/inbox/decide/gate.close_report", data={"report_id": str(report_id), "note": "Đã kiểm tra lại"}, follow_redirects=False)
    assert closed.status_code == 303 and closed.headers["location"] == "/inbox"
    assert "gate.report" not in inbox(head)
    again = head.client.post("/inbox/decide/gate.close_report", data={"report_id": str(report_id), "note": "lần nữa"})
    assert again.status_code == 422  # decided: no longer offered

    async def closing_note() -> str:
        from backend.gate.tables import GateReport

        return (await GateReport.select(GateReport.closing_note).where(GateReport.id == report_id).first())["closing_note"]

    assert in_app(client, closing_note) == "Đã kiểm tra lại"


def test_inbox_shows_the_newest_items_of_a_kind_up_to_its_cap_and_says_so(app_env: dict[str, str]) -> None:
    """More requests waiting than the inbox shows of one kind (GIAMSAT_INBOX_MAX_PER_KIND): the newest are there (an
    item that just arrived is never left out, so it reaches the live stream too), and the group says older ones are
    not shown."""
    from backend.app import create_app
    from backend.settings import load_settings
    from tests.conftest import ORIGIN, _make_world

    with TestClient(create_app(load_settings({**app_env, "GIAMSAT_INBOX_MAX_PER_KIND": "3"})), base_url=ORIGIN) as client:
        world = World(in_app(client, _make_world))
        officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
        ids = [
            officer.do("paper.request_export_exit", exit_request(world, request_number=f"{n}/2026/CV"))["result"]["request_id"]
            for n in range(4)
        ]

        shown = [int(item["ref"]) for item in inbox(head)["paper.export_exit_request"]]
        page = head.client.get("/inbox")

    assert shown == sorted(ids[1:], reverse=True)  # the newest three, newest first
    assert "data-capped" in page.text


# --- the evidence on the item (issue 15, item 1) ----------------------------------------------------------------------


def test_item_evidence_shows_the_declaration_and_this_branchs_actions_on_it(client: TestClient, world: World) -> None:
    declare_import(client)
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    reported = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": "Container lạ trên xe"})
    report_id = reported["result"]["report_id"]

    page = head.client.get("/inbox")
    fragment = head.client.get(f"/inbox/evidence/gate.report/{report_id}", headers={"accept-language": "vi"})

    assert f'hx-get="/inbox/evidence/gate.report/{report_id}"' in page.text
    assert fragment.status_code == 200 and f'data-number="{IMPORT_NUMBER}"' in fragment.text
    assert 'data-command-type="gate.report_mismatch"' in fragment.text and "Container lạ trên xe" in fragment.text
    assert f"/seals/evidence/{IMPORT_NUMBER}" in fragment.text


def test_item_evidence_only_for_an_item_in_the_supervisors_inbox_now(client: TestClient, world: World) -> None:
    declare_import(client)
    officer, head = Person(client, world["officer"]), Person(client, world["supervisor"])
    other_head = Person(client, in_app(client, _supervisor_of_b2))
    reported = officer.do("gate.report_mismatch", {"location_id": world["gate"], "number": IMPORT_NUMBER, "note": "Container lạ"})
    report_id = reported["result"]["report_id"]

    guessed = other_head.client.get(f"/inbox/evidence/gate.report/{report_id}")
    assert guessed.status_code == 404 and IMPORT_NUMBER not in guessed.text  # another branch's item: nothing of it
    assert head.do("gate.close_report", {"report_id": report_id, "note": "Đã xử lý"})["status"] == "applied"
    decided = head.client.get(f"/inbox/evidence/gate.report/{report_id}")
    assert decided.status_code == 404 and IMPORT_NUMBER not in decided.text
