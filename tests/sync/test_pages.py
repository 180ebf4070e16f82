"""The contingency page (declare, end, past periods) and the reconciliation page (marked commands, what changed
since, marking them reconciled), through their forms, as the browser without script posts them."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from markupsafe import escape

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.journal.device import made_at


def vi(message: str, **params: Any) -> str:
    return str(escape(translate_in("vi", message, **params)))


def entry(location_id: int, text: str, issued_at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "logbook.add_entry",
        "issued_at": (issued_at or made_at(fields)).isoformat(),
        "device_id": "phone-1",
        "payload": {"location_id": location_id, "text": text},
        **fields,
    }


def send(client: TestClient, *envelopes: dict[str, Any]) -> list[str]:
    response = client.post("/api/v1/commands", json=list(envelopes))
    assert response.status_code == 200, response.text
    assert [result["status"] for result in response.json()["results"]] == ["applied"] * len(envelopes)
    return [envelope["id"] for envelope in envelopes]


async def periods() -> list[dict[str, Any]]:
    from backend.sync.tables import ContingencyPeriod

    return await ContingencyPeriod.select().order_by(ContingencyPeriod.id)


async def reviews() -> list[dict[str, Any]]:
    from backend.sync.tables import ReconciliationReview

    return await ReconciliationReview.select().order_by(ReconciliationReview.id)


def items(page: str) -> list[str]:
    """The command ids listed on a reconciliation page, in order."""
    return re.findall(r'<tr class="reconcile-item" id="item-([0-9a-f-]+)"', page)


def item(page: str, command_id: str) -> str:
    return page.split(f'id="item-{command_id}"')[1].split("</tr>")[0]


async def supervisor_of_b2() -> int:
    from backend.officers.services import create_officer

    return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")


# --- contingency ---------------------------------------------------------------------------------------------------


def test_contingency_declared_and_ended_through_the_page(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])
    before = client.get("/contingency")
    assert before.status_code == 200 and 'id="no-contingency"' in before.text
    assert 'action="/contingency/declare" data-command="sync.declare_contingency"' in before.text

    declared = client.post("/contingency/declare", data={"reason": "VNACCS không truy cập được"}, follow_redirects=False)

    assert declared.status_code == 303 and declared.headers["location"] == "/contingency"
    (period,) = in_app(client, periods)
    assert period["branch"] == world["branch"] and period["reason"] == "VNACCS không truy cập được"
    assert period["ended_at"] is None and period["started_by"] == world["supervisor"]
    page = client.get("/contingency").text
    state = page.split('id="open-periods"')[1].split("</ul>")[0]
    assert "VNACCS không truy cập được" in state and vi("Declared for %(branch)s", branch="Chi cục Một") in state
    assert "Trần Thị Hai" in state
    assert 'action="/contingency/end" data-command="sync.end_contingency"' in page and "/contingency/declare" not in page
    assert 'id="contingency-banner"' in page

    ended = client.post("/contingency/end", data={"note": "Hệ thống đã hoạt động lại"}, follow_redirects=False)

    assert ended.status_code == 303 and ended.headers["location"] == "/contingency"
    (period,) = in_app(client, periods)
    assert period["ended_at"] is not None and period["ended_by"] == world["supervisor"]
    page = client.get("/contingency").text
    assert 'id="no-contingency"' in page and 'id="contingency-banner"' not in page
    recent = page.split('id="recent-periods"')[1].split("</table>")[0]
    assert f'href="/reconciliation?period={period["id"]}"' in recent and "VNACCS không truy cập được" in recent


@pytest.mark.parametrize(
    ("setup", "path", "data", "msgid"),
    [
        (None, "/contingency/declare", {"reason": "   "}, "Say why the system cannot be used."),
        ("declare", "/contingency/declare", {"reason": "Lần nữa"}, "Contingency mode is already declared."),
        (None, "/contingency/end", {"note": ""}, "Contingency mode is not declared."),
    ],
    ids=["blank-reason", "twice", "end-when-none"],
)
def test_contingency_refusal_is_shown_with_422_and_changes_nothing(
    client: TestClient, world: World, setup: str | None, path: str, data: dict[str, str], msgid: str
) -> None:
    sign_in_as(client, world["supervisor"])
    if setup == "declare":
        client.post("/contingency/declare", data={"reason": "Mất mạng"})
    before = in_app(client, periods)

    page = client.post(path, data=data)

    assert page.status_code == 422
    assert 'id="contingency-error"' in page.text and vi(msgid) in page.text
    assert in_app(client, periods) == before


def test_contingency_page_and_forms_are_forbidden_to_an_officer(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get("/contingency")
    declared = client.post("/contingency/declare", data={"reason": "Không được phép"})

    assert page.status_code == 403 and declared.status_code == 403
    assert vi("Your role may not do this.") in declared.text
    assert in_app(client, periods) == []


def test_contingency_declared_by_a_national_admin_is_national_and_only_a_national_admin_ends_it(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])
    assert vi("Declare contingency mode for every branch") in client.get("/contingency").text
    client.post("/contingency/declare", data={"reason": "Hệ thống toàn quốc ngừng"})
    (period,) = in_app(client, periods)
    assert period["branch"] is None

    sign_in_as(client, world["supervisor"])
    page = client.get("/contingency").text

    state = page.split('id="open-periods"')[1].split("</ul>")[0]
    assert vi("Declared for every branch") in state and vi("Only a national administrator can end it.") in state
    # The supervisor's own scope is their branch: nothing of theirs to end, they could still declare for it.
    assert "/contingency/end" not in page and "/contingency/declare" in page
    refused = client.post("/contingency/end", data={"note": ""})
    assert refused.status_code == 422 and vi("Contingency mode is not declared.") in refused.text
    assert in_app(client, periods)[0]["ended_at"] is None


# --- reconciliation ----------------------------------------------------------------------------------------------


def test_reconciliation_lists_marked_commands_only(client: TestClient, world: World) -> None:
    now = datetime.now(UTC)
    sign_in_as(client, world["other_officer"])
    (other_branch,) = send(client, entry(world["other_gate"], "Chi cục Hai ngoại tuyến", now, offline=True))
    sign_in_as(client, world["officer"])
    (online,) = send(client, entry(world["gate"], "Trực tuyến, không đánh dấu"))
    (offline,) = send(client, entry(world["gate"], "Ghi ngoại tuyến", now - timedelta(hours=2, minutes=5, seconds=20), offline=True))
    sign_in_as(client, world["supervisor"])
    client.post("/contingency/declare", data={"reason": "VNACCS ngừng"})
    sign_in_as(client, world["officer"])
    (during,) = send(client, entry(world["warehouse"], "Trong thời gian sự cố"))
    sign_in_as(client, world["supervisor"])
    client.post("/contingency/end", data={"note": ""})

    page = client.get("/reconciliation")

    assert page.status_code == 200
    assert items(page.text) == [offline, during]  # oldest first; not the online one, the other branch's, nor sync.*
    assert online not in page.text and other_branch not in page.text
    row = item(page.text, offline)
    assert "Ghi ngoại tuyến" in row and "Nguyễn Văn Một" in row and "CB1" in row and vi("Logbook entry") in row
    assert 'data-mark="offline"' in row and "Cổng A" in row
    assert vi("Waited on the device: %(wait)s", wait=translate_in("vi", "%(hours)d h %(minutes)d min", hours=2, minutes=5)) in row
    assert 'data-mark="online"' in item(page.text, during) and "Kho" in item(page.text, during)
    assert 'action="/reconciliation/review" data-command="sync.review_commands"' in page.text
    assert f'name="command_ids" value="{offline}" data-type="list"' in page.text


def test_reconciliation_shows_what_changed_since_and_the_checks_notes(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 2024 outage instructions (2024.8): the supervisor reviews on /reconciliation what was done offline, what
    was done at the place since, and the checks' notes."""
    from backend.sync import reconciliation

    async def seal_check(row: dict[str, Any]) -> list[str]:
        return [f"Kiểm tra lại: {row['command_type']}"]

    monkeypatch.setitem(reconciliation.RECONCILE_CHECKS, "logbook.add_entry", seal_check)
    then = datetime.now(UTC) - timedelta(hours=1)
    sign_in_as(client, world["officer"])
    marked, last = send(
        client,
        entry(world["gate"], "Ngoại tuyến ở cổng A", then, offline=True),
        entry(world["gate"], "Cuối cùng, ngoại tuyến", then + timedelta(minutes=30), offline=True),
    )
    send(
        client,
        entry(world["gate"], "Sau đó ở cổng A", then + timedelta(minutes=5)),
        entry(world["gate"], "Trước đó ở cổng A", then - timedelta(minutes=5)),
        entry(world["warehouse"], "Sau đó ở kho", then + timedelta(minutes=5)),
    )
    sign_in_as(client, world["supervisor"])

    page = client.get("/reconciliation").text

    changed = item(page, marked).split('class="changed-since"')[1]
    assert translate_in("vi", "Logbook entry") + " × 2" in changed  # the later one and the last, not before, not the warehouse
    assert '<span class="later-count">2</span>' in changed
    assert "Kiểm tra lại: logbook.add_entry" in changed
    assert vi("No later action at this place.") in item(page, last)


def test_reconciliation_marks_reviewed_and_shows_them_on_request(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    first, second = send(
        client,
        entry(world["gate"], "Một", offline=True),
        entry(world["gate"], "Hai", offline=True),
    )
    sign_in_as(client, world["supervisor"])
    command_id = str(uuid.uuid4())

    response = client.post(
        "/reconciliation/review",
        data={"command_ids": [first], "note": "Đã đối chiếu với sổ giấy", "command_id": command_id},
        follow_redirects=False,
    )

    assert response.status_code == 303 and response.headers["location"] == "/reconciliation"
    (review,) = in_app(client, reviews)
    assert str(review["command_id"]) == first and review["reviewed_by"] == world["supervisor"]
    assert review["note"] == "Đã đối chiếu với sổ giấy" and str(review["review_command_id"]) == command_id
    assert items(client.get("/reconciliation").text) == [second]
    reviewed = client.get("/reconciliation?show=reviewed").text
    assert items(reviewed) == [first]
    row = item(reviewed, first)
    assert "Trần Thị Hai" in row and "Đã đối chiếu với sổ giấy" in row and 'name="command_ids"' not in row


def test_reconciliation_review_of_another_branchs_command_is_refused(client: TestClient, world: World) -> None:
    sign_in_as(client, world["other_officer"])
    (foreign,) = send(client, entry(world["other_gate"], "Chi cục Hai", offline=True))
    sign_in_as(client, world["officer"])
    (own,) = send(client, entry(world["gate"], "Chi cục Một", offline=True))
    sign_in_as(client, world["supervisor"])

    page = client.post("/reconciliation/review", data={"command_ids": [own, foreign], "note": ""})

    assert page.status_code == 422 and 'id="reconciliation-error"' in page.text
    assert vi("These actions are not offline or contingency actions of your branch: %(ids)s", ids=foreign) in page.text
    assert f'value="{own}" data-type="list" id="check-{own}" aria-label' in page.text  # still chosen
    assert re.search(rf'value="{own}"[^>]*checked', page.text)
    assert in_app(client, reviews) == []


def test_reconciliation_review_without_a_choice_is_refused_in_words(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    send(client, entry(world["gate"], "Một", offline=True))
    sign_in_as(client, world["supervisor"])

    page = client.post("/reconciliation/review", data={"note": "x"})

    assert page.status_code == 422 and vi("Choose at least one action to mark as reconciled.") in page.text
    assert in_app(client, reviews) == []


def test_reconciliation_of_one_period(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])
    client.post("/contingency/declare", data={"reason": "Lần một"})
    sign_in_as(client, world["officer"])
    (in_first,) = send(client, entry(world["gate"], "Trong lần một"))
    sign_in_as(client, world["supervisor"])
    client.post("/contingency/end", data={})
    client.post("/contingency/declare", data={"reason": "Lần hai"})
    sign_in_as(client, world["officer"])
    (in_second,) = send(client, entry(world["gate"], "Trong lần hai"))
    first, second = in_app(client, periods)
    sign_in_as(client, world["supervisor"])

    everything = client.get("/reconciliation").text
    only_first = client.get(f"/reconciliation?period={first['id']}").text
    only_second = client.get(f"/reconciliation?period={second['id']}").text

    assert items(everything) == [in_first, in_second]
    assert items(only_first) == [in_first] and "Lần một" in only_first
    assert items(only_second) == [in_second]
    assert f'action="/reconciliation/review?period={first["id"]}"' in only_first
    back = client.post(f"/reconciliation/review?period={first['id']}", data={"command_ids": [in_first]}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/reconciliation?period={first['id']}"


def test_reconciliation_period_of_another_branch_or_malformed_is_refused(client: TestClient, world: World) -> None:
    other_supervisor = in_app(client, supervisor_of_b2)
    sign_in_as(client, other_supervisor)
    client.post("/contingency/declare", data={"reason": "Chi cục Hai mất mạng"})
    (foreign,) = in_app(client, periods)
    sign_in_as(client, world["supervisor"])

    not_ours = client.get(f"/reconciliation?period={foreign['id']}")
    malformed = client.get("/reconciliation?period=abc")

    assert not_ours.status_code == 404 and vi("There is no such contingency period for your branch.") in not_ours.text
    assert "Chi cục Hai mất mạng" not in not_ours.text
    assert malformed.status_code == 400 and vi("This is not a valid period: %(period)s", period="abc") in malformed.text
    assert "Chi cục Hai mất mạng" not in client.get("/contingency").text


def test_reconciliation_is_forbidden_to_officers_and_admins(client: TestClient, world: World) -> None:
    for person in ["officer", "admin", "warehouse_user"]:
        sign_in_as(client, world[person])
        assert client.get("/reconciliation").status_code == 403
        assert client.post("/reconciliation/review", data={"command_ids": [str(uuid.uuid4())]}).status_code == 403
    assert in_app(client, reviews) == []
