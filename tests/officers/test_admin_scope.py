"""Issue 11, finding 6: admins act on their own branch only, a national admin is explicit (made only by the command
line), and every admin action is a journaled command. Reproduced before the fix: an admin of another branch issued
an enrollment link for this branch's officer, created an admin here, deactivated this branch's admin and declared
contingency nationwide."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.auth.soft_authenticator import another_browser
from tests.conftest import World, giamsat, in_app, sign_in_as


@pytest.fixture
def admins(client: TestClient, world: World) -> dict[str, int]:
    """A branch admin of B1 and one of B2 (world["admin"] has no branch: the national admin)."""
    from backend.officers.services import create_officer

    async def make() -> dict[str, int]:
        return {
            "b1": await create_officer("AD-B1", "Quản trị Một", "admin", "B1"),
            "b2": await create_officer("AD-B2", "Quản trị Hai", "admin", "B2"),
        }

    return in_app(client, make)


async def officers() -> dict[str, dict[str, Any]]:
    from backend.officers.tables import Officer

    return {row["code"]: row for row in await Officer.select()}


async def enrollments() -> list[dict[str, Any]]:
    from backend.auth.tables import Enrollment

    return await Enrollment.select()


async def journal() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)


async def periods() -> list[dict[str, Any]]:
    from backend.sync.tables import ContingencyPeriod

    return await ContingencyPeriod.select()


def command(type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": type_, "issued_at": datetime.now(UTC).isoformat(), "device_id": "d", "payload": payload}


def test_finding6_admin_of_another_branch_changes_nothing_in_this_branch(client: TestClient, world: World, admins: dict[str, int]) -> None:
    sign_in_as(client, admins["b2"])
    before = in_app(client, officers)

    link = client.post(f"/admin/officers/{world['officer']}/enrollment")
    create = client.post("/admin/officers", data={"code": "AD9", "full_name": "Kẻ lạ", "role": "admin", "branch": "B1"})
    deactivate = client.post(f"/admin/officers/{admins['b1']}/active", data={"active": "0"}, follow_redirects=False)
    page = client.get("/admin/officers")

    assert link.status_code == 404 and 'id="enrollment-link"' not in link.text
    assert create.status_code == 403 and 'id="enrollment-link"' not in create.text
    assert deactivate.status_code == 404
    assert in_app(client, officers) == before
    assert in_app(client, enrollments) == []
    assert in_app(client, journal) == []  # a refused command leaves no row
    assert "CB1" not in page.text and "AD-B1" not in page.text and "CB2" in page.text  # only their own branch


def test_finding6_branch_admin_manages_their_own_branch_through_the_journal(client: TestClient, world: World, admins: dict[str, int]) -> None:
    sign_in_as(client, admins["b1"])

    created = client.post("/admin/officers", data={"code": "CB7", "full_name": "Vũ Văn Bảy", "role": "officer", "branch": "B1"})
    link = client.post(f"/admin/officers/{world['officer']}/enrollment")
    off = client.post(f"/admin/officers/{world['officer']}/active", data={"active": "0"}, follow_redirects=False)

    assert created.status_code == 200 and link.status_code == 200 and off.status_code == 303
    assert in_app(client, officers)["CB7"]["branch"] == world["branch"]
    assert in_app(client, officers)["CB1"]["active"] is False
    rows = in_app(client, journal)
    assert [(row["command_type"], row["actor_code"], row["chain"]) for row in rows] == [
        ("officers.create_officer", "AD-B1", "B1"),
        ("officers.issue_enrollment", "AD-B1", "B1"),
        ("officers.set_active", "AD-B1", "B1"),
    ]
    # The journal keeps the link's hash, never the secret the link carries.
    secret = link.text.split('id="enrollment-link">', 1)[1].split("<", 1)[0].rsplit("/", 1)[1]
    assert all(secret not in row["payload"] and secret not in row["result"] for row in rows)


def test_finding6_national_admin_acts_on_every_branch(client: TestClient, world: World, admins: dict[str, int]) -> None:
    sign_in_as(client, world["admin"])

    link = client.post(f"/admin/officers/{world['other_officer']}/enrollment")
    off = client.post(f"/admin/officers/{admins['b1']}/active", data={"active": "0"}, follow_redirects=False)
    created = client.post("/admin/officers", data={"code": "AD3", "full_name": "Quản trị Ba", "role": "admin", "branch": "B2"})

    assert link.status_code == 200 and 'id="enrollment-link"' in link.text
    assert off.status_code == 303 and in_app(client, officers)["AD-B1"]["active"] is False
    assert created.status_code == 200 and in_app(client, officers)["AD3"]["branch"] == world["other_branch"]
    assert {row["chain"] for row in in_app(client, journal)} == {"HQ"}


def test_finding6_admin_cannot_issue_a_link_for_themselves(client: TestClient, world: World, admins: dict[str, int]) -> None:
    sign_in_as(client, admins["b1"])

    response = client.post(f"/admin/officers/{admins['b1']}/enrollment")
    page = client.get("/admin/officers").text

    assert response.status_code == 403
    assert in_app(client, enrollments) == []
    assert f'/admin/officers/{admins["b1"]}/enrollment' not in page  # the page sends them to My devices instead
    assert f'/admin/officers/{world["officer"]}/enrollment' in page


def test_finding6_admin_api_token_cannot_administer(client: TestClient, world: World, admins: dict[str, int]) -> None:
    from backend.auth import services

    token = in_app(client, services.create_api_token, admins["b1"])

    results = client.post(
        "/api/v1/commands",
        json=[command("officers.issue_enrollment", {"officer_id": world["officer"], "token_hash": "a" * 64})],
        headers={"authorization": f"Bearer {token}"},
    ).json()["results"]

    assert results[0]["status"] == "rejected" and results[0]["code"] == "admin_needs_session"
    assert in_app(client, enrollments) == []


def test_finding6_branch_admin_declares_contingency_for_their_branch_only(client: TestClient, world: World, admins: dict[str, int]) -> None:
    sign_in_as(client, admins["b2"])

    (result,) = client.post("/api/v1/commands", json=[command("sync.declare_contingency", {"reason": "Mất mạng"})]).json()["results"]

    assert result["status"] == "applied"
    assert [row["branch"] for row in in_app(client, periods)] == [world["other_branch"]]  # B2's, not nationwide


def test_finding6_national_admin_declares_contingency_nationwide(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])

    (result,) = client.post("/api/v1/commands", json=[command("sync.declare_contingency", {"reason": "VNACCS ngừng"})]).json()["results"]

    assert result["status"] == "applied"
    assert [row["branch"] for row in in_app(client, periods)] == [None]


def test_finding6_cli_makes_the_national_admin_explicitly_and_journals_it(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    implicit = giamsat(app_env, "officer", "add", "--code", "QT1", "--name", "Quản trị", "--role", "admin", check=False)
    explicit = giamsat(app_env, "officer", "add", "--code", "QT2", "--name", "Quản trị", "--role", "admin", "--national")
    link = giamsat(app_env, "officer", "link", "--code", "CB1")

    assert implicit.returncode == 2 and "--national" in implicit.stderr
    assert explicit.returncode == 0 and "/enroll/" in explicit.stdout and "/enroll/" in link.stdout
    created = in_app(client, officers)
    assert "QT1" not in created and created["QT2"]["branch"] is None and created["QT2"]["role"] == "admin"
    assert [(row["command_type"], row["actor_code"]) for row in in_app(client, journal)] == [
        ("officers.create_officer", "CONSOLE"),
        ("officers.issue_enrollment", "CONSOLE"),
    ]


def test_finding6_deactivated_branch_admin_session_stops(client: TestClient, world: World, admins: dict[str, int]) -> None:
    other = another_browser(client)
    sign_in_as(other, admins["b1"])
    sign_in_as(client, world["admin"])

    client.post(f"/admin/officers/{admins['b1']}/active", data={"active": "0"})

    assert other.get("/api/v1/me").status_code == 401
