"""The /outbox page and outbox.retry (SQLite and PostgreSQL): a refusal is shown with its reason and what to do, and
a supervisor of the branch sends it again after fixing; later messages of the declaration wait behind it; another
branch sees and retries nothing."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2
from tests.outbox.helpers import adapter_for, confirm, control, declarations, deliver, gate_officer, messages, received, simulator
from tests.sync.test_contingency import command, send

REASON = "Tờ khai chưa được thông quan trên Hệ thống"


def refused_then_waiting(client: TestClient, world: World) -> tuple[object, list[dict]]:
    declarations(client)
    officer = gate_officer(client, world)
    confirm(officer, world["gate"], C1)
    confirm(officer, world["gate"], C2)
    sim = simulator()
    control(sim, mode="refuse", reason=REASON)
    report = deliver(client, adapter_for(sim))
    assert report.refused == 1
    return sim, messages(client)


def retry(client: TestClient, message_id: str, note: str = "Đã cập nhật trạng thái") -> dict:
    return send(client, command("outbox.retry", {"message_id": message_id, "note": note}))[0]


def test_refusal_is_shown_with_what_to_do_and_the_next_message_waits_behind_it(client: TestClient, world: World) -> None:
    _, rows = refused_then_waiting(client, world)
    sign_in_as(client, world["supervisor"])

    page = client.get("/outbox")

    assert page.status_code == 200
    assert [row["state"] for row in rows] == ["refused", "waiting"]
    assert REASON in page.text and 'id="refusal-help"' in page.text
    assert translate_in("vi", "Send again") in page.text  # Vietnamese by default
    assert f'data-message-id="{rows[1]["message_id"]}" data-state="waiting" data-held="behind"' in page.text
    client.cookies.set("gs_lang", "en")
    english = client.get("/outbox")
    assert "What to do: read the reason the national system gave." in english.text


def test_supervisor_retries_a_refused_message_after_fixing_and_it_is_delivered_then_the_next(client: TestClient, world: World) -> None:
    sim, rows = refused_then_waiting(client, world)
    sign_in_as(client, world["supervisor"])

    response = client.post("/outbox/retry", data={"message_id": str(rows[0]["message_id"]), "note": "Đã sửa"}, follow_redirects=False)
    control(sim, mode="accept")
    first = deliver(client, adapter_for(sim))
    second = deliver(client, adapter_for(sim))

    assert response.status_code == 303 and response.headers["location"] == "/outbox"
    assert (first.delivered, second.delivered) == (1, 1)
    after = messages(client)
    assert [row["state"] for row in after] == ["delivered", "delivered"]
    assert after[0]["retried_by"] == world["supervisor"] and after[0]["attempts"] == 1 and after[0]["refusal_reason"] == REASON
    assert received(sim) == [str(rows[0]["message_id"]), str(rows[1]["message_id"])]


def test_only_a_refused_message_is_retried_and_only_by_a_supervisor_of_its_branch(client: TestClient, world: World) -> None:
    _, rows = refused_then_waiting(client, world)
    refused, waiting = str(rows[0]["message_id"]), str(rows[1]["message_id"])

    sign_in_as(client, world["officer"])
    by_officer = retry(client, refused)
    sign_in_as(client, world["supervisor"])
    not_refused = retry(client, waiting)

    async def other_supervisor() -> int:
        from backend.officers.services import create_officer

        return await create_officer("GS2", "Vũ Thị Sáu", "supervisor", "B2")

    sign_in_as(client, in_app(client, other_supervisor))
    other_branch = retry(client, refused)

    assert (by_officer["status"], by_officer["code"]) == ("rejected", "forbidden_role")
    assert (not_refused["status"], not_refused["code"]) == ("rejected", "not_refused")
    assert (other_branch["status"], other_branch["code"]) == ("rejected", "unknown_message")
    assert [row["state"] for row in messages(client)] == ["refused", "waiting"]


def test_another_branch_sees_nothing_of_the_messages(client: TestClient, world: World) -> None:
    _, rows = refused_then_waiting(client, world)
    sign_in_as(client, world["other_officer"])

    page = client.get("/outbox")

    assert page.status_code == 200
    assert REASON not in page.text and str(rows[0]["message_id"]) not in page.text
    assert 'id="no-refused"' in page.text and 'id="no-waiting"' in page.text


def test_officer_sees_the_refusal_but_is_told_to_ask_a_supervisor(client: TestClient, world: World) -> None:
    refused_then_waiting(client, world)
    sign_in_as(client, world["officer"])

    client.cookies.set("gs_lang", "en")
    page = client.get("/outbox")

    assert REASON in page.text and "only a supervisor sends a refused message again" in page.text
    assert 'action="/outbox/retry"' not in page.text


def test_delivered_messages_show_the_upstream_reference(client: TestClient, world: World) -> None:
    declarations(client)
    confirm(gate_officer(client, world), world["gate"], C1)
    deliver(client, adapter_for(simulator()))
    sign_in_as(client, world["officer"])

    client.cookies.set("gs_lang", "en")
    page = client.get("/outbox")

    assert "reference SIM-000001" in page.text and "Passage confirmed" in page.text
