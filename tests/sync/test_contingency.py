"""Contingency mode through the real app: who may declare and end it, the banner on every page, the status
API, and the journal's marks on commands made meanwhile or offline; the supervisor's review afterwards."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.journal.device import made_at


def command(type_: str, payload: dict[str, Any], issued_at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "issued_at": (issued_at or made_at(fields)).isoformat(),
        "device_id": "device-1",
        "payload": payload,
        **fields,
    }


def send(client: TestClient, *envelopes: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.post("/api/v1/commands", json=list(envelopes))
    assert response.status_code == 200, response.text
    return response.json()["results"]


def declare(client: TestClient, reason: str = "VNACCS không truy cập được") -> dict[str, Any]:
    return send(client, command("sync.declare_contingency", {"reason": reason}))[0]


def end(client: TestClient) -> dict[str, Any]:
    return send(client, command("sync.end_contingency", {}))[0]


def log_entry(location_id: int, text: str = "Xe vào cổng", **fields: Any) -> dict[str, Any]:
    return command("logbook.add_entry", {"location_id": location_id, "text": text}, **fields)


async def marks() -> dict[str, tuple[bool, bool]]:
    """command id -> (offline, contingency), as the journal keeps them."""
    from backend.journal.tables import JournalEntry

    rows = await JournalEntry.select(JournalEntry.command_id, JournalEntry.offline, JournalEntry.contingency)
    return {str(row["command_id"]): (bool(row["offline"]), bool(row["contingency"])) for row in rows}


def test_contingency_declared_by_supervisor_shows_banner_and_status(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])

    outcome = declare(client, "Hệ thống e-Customs ngừng hoạt động")

    assert outcome["status"] == "applied", outcome
    status = client.get("/api/v1/sync/status").json()
    assert status["officer_code"] == "GS1"
    assert status["contingency"]["reason"] == "Hệ thống e-Customs ngừng hoạt động"
    assert status["contingency"]["all_branches"] is False
    page = client.get("/").text
    assert 'id="contingency-banner"' in page and translate_in("vi", "Contingency mode") in page


def test_contingency_marks_commands_made_meanwhile_and_not_after(client: TestClient, world: World) -> None:
    """Decision 1966 Art 35.2.d.2 / 36.2.đ.2 ("lập sổ theo dõi"): what is done during contingency, synced late
    included, is marked so in the journal; what is done before or after it is not."""
    sign_in_as(client, world["supervisor"])
    declare(client)
    during = log_entry(world["gate"], "trong thời gian sự cố")
    send(client, during)
    end(client)
    after = log_entry(world["gate"], "sau sự cố")

    async def period() -> dict[str, Any]:
        from backend.sync.tables import ContingencyPeriod

        return await ContingencyPeriod.select().first()

    started, ended = in_app(client, period)["started_at"], in_app(client, period)["ended_at"]
    # Made on a device during the outage (device time inside the period), synced after it ended.
    made_during_synced_after = log_entry(world["gate"], "đồng bộ muộn", issued_at=started + (ended - started) / 2)
    made_before = log_entry(world["gate"], "trước sự cố", issued_at=started - timedelta(minutes=5))

    send(client, after)
    send(client, made_during_synced_after, made_before)

    found = in_app(client, marks)
    assert found[during["id"]] == (False, True)
    assert found[after["id"]] == (False, False)
    assert found[made_during_synced_after["id"]] == (False, True)
    assert found[made_before["id"]] == (False, False)
    assert client.get("/api/v1/sync/status").json()["contingency"] is None
    assert 'id="contingency-banner"' not in client.get("/").text


def test_command_made_offline_is_marked_offline_and_contingency(client: TestClient, world: World) -> None:
    """The 2024 outage instructions (2024.7): a command made offline on a device is applied when it reaches the
    server, marked offline and contingency for the review."""
    sign_in_as(client, world["officer"])
    entry = log_entry(world["gate"], offline=True, issued_at=datetime.now(UTC) - timedelta(hours=3))

    (outcome,) = send(client, entry)

    assert outcome["status"] == "applied"
    assert in_app(client, marks)[entry["id"]] == (True, True)


def test_contingency_is_per_branch_unless_an_admin_declares_it(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])
    declare(client)
    sign_in_as(client, world["other_officer"])
    other = log_entry(world["other_gate"], "chi cục khác")
    send(client, other)
    assert in_app(client, marks)[other["id"]] == (False, False)
    assert client.get("/api/v1/sync/status").json()["contingency"] is None

    sign_in_as(client, world["admin"])
    assert declare(client, "Toàn quốc")["status"] == "applied"
    sign_in_as(client, world["other_officer"])
    national = log_entry(world["other_gate"], "toàn quốc")
    send(client, national)

    assert in_app(client, marks)[national["id"]] == (False, True)
    assert client.get("/api/v1/sync/status").json()["contingency"]["all_branches"] is True


def test_contingency_refusals_change_nothing(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    refused_role = declare(client)
    sign_in_as(client, world["supervisor"])
    not_open = end(client)
    empty_reason = declare(client, "   ")
    declare(client)
    twice = declare(client)

    assert refused_role["code"] == "forbidden_role"
    assert not_open["code"] == "contingency_not_open"
    assert empty_reason["code"] == "empty_reason"
    assert twice["status"] == "rejected" and twice["code"] == "contingency_open"

    async def periods() -> int:
        from backend.sync.tables import ContingencyPeriod

        return await ContingencyPeriod.count()

    assert in_app(client, periods) == 1


def test_review_records_marked_commands_of_the_branch_only(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    offline = log_entry(world["gate"], offline=True)
    online = log_entry(world["gate"])
    send(client, offline, online)
    sign_in_as(client, world["supervisor"])

    not_marked = send(client, command("sync.review_commands", {"command_ids": [online["id"]]}))[0]
    reviewed = send(client, command("sync.review_commands", {"command_ids": [offline["id"]], "note": "Đã đối chiếu"}))[0]
    again = send(client, command("sync.review_commands", {"command_ids": [offline["id"]]}))[0]

    assert not_marked["code"] == "not_reconcilable"
    assert reviewed["result"] == {"reviewed": 1, "already_reviewed": 0}
    assert again["result"] == {"reviewed": 0, "already_reviewed": 1}
