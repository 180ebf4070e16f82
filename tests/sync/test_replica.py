"""Replicated reference data through the real app: whole small datasets with a content cursor, only what
the officer may see, and an unchanged dataset answered with no data."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.conftest import World, in_app, sign_in_as


def test_replica_profile_is_the_signed_in_officer_and_branch(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get("/api/v1/replica/profile").json()

    assert page["dataset"] == "profile" and page["changed"] is True and page["replace"] is True
    (item,) = page["items"]
    assert item["code"] == "CB1" and item["full_name"] == "Nguyễn Văn Một" and item["role"] == "officer"
    assert item["branch"] == {"code": "B1", "name": "Chi cục Một"}
    assert page["server_time"].endswith("+00:00")


def test_replica_locations_are_the_branchs_only(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    page = client.get("/api/v1/replica/locations").json()

    assert sorted(item["code"] for item in page["items"]) == ["B1-GA", "B1-KHO"]
    assert {item["kind"] for item in page["items"]} == {"gate", "warehouse"}


def test_replica_unchanged_since_cursor_sends_nothing_and_a_change_sends_all(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    first = client.get("/api/v1/replica/locations").json()

    unchanged = client.get("/api/v1/replica/locations", params={"since": first["cursor"]}).json()

    async def add_location() -> None:
        from backend.officers import services
        from backend.officers.tables import LocationKind

        await services.ensure_location("B1-GB", "Cổng B", LocationKind.GATE, world["branch"])

    in_app(client, add_location)
    changed = client.get("/api/v1/replica/locations", params={"since": first["cursor"]}).json()

    assert unchanged["changed"] is False and unchanged["items"] == [] and unchanged["cursor"] == first["cursor"]
    assert changed["changed"] is True and changed["cursor"] != first["cursor"]
    assert sorted(item["code"] for item in changed["items"]) == ["B1-GA", "B1-GB", "B1-KHO"]


def test_replica_unknown_dataset_is_a_typed_404(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    response = client.get("/api/v1/replica/everything")

    assert response.status_code == 404 and response.json()["error"] == "unknown_dataset"


def test_replica_of_admin_without_branch_has_no_locations(client: TestClient, world: World) -> None:
    sign_in_as(client, world["admin"])

    page = client.get("/api/v1/replica/locations").json()
    profile = client.get("/api/v1/replica/profile").json()

    assert page["items"] == []
    assert profile["items"][0]["branch"] is None
