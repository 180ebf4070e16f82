"""Issue 11, finding 6 (what a branch admin may not reach outside the officers pages): the upstream gateway, other
branches' printed lists and other branches' contingency periods are a national admin's, not a branch admin's."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.auth.test_tokens import bearer, quick_token
from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import item
from tests.declarations.test_printing import NUMBER, upstream


async def branch_admin(branch: str) -> int:
    from backend.officers.services import create_officer

    return await create_officer(f"AD-{branch}", "Quản Trị Chi Cục", "admin", branch)


def test_a_branch_admins_token_cannot_write_what_upstream_says(client: TestClient, world: World) -> None:
    # What upstream says (branch of registration, places) decides which branches are concerned with goods.
    branch_token = quick_token(client, in_app(client, branch_admin, "B2"))
    national_token = quick_token(client, world["admin"])

    forged = client.post("/api/v1/declarations", json=[item("104000000001", branch_code="B2")], headers=bearer(branch_token))
    real = client.post("/api/v1/declarations", json=[item("104000000001")], headers=bearer(national_token))

    assert forged.status_code == 403 and forged.json()["error"] == "national_admin_only"
    assert real.status_code == 200 and real.json()["results"][0]["status"] == "created"


def test_a_branch_admin_prints_only_their_branchs_lists(client: TestClient, world: World) -> None:
    upstream(client, world, item())  # registered at B1
    sign_in_as(client, in_app(client, branch_admin, "B2"))
    other = client.get(f"/declarations/{NUMBER}/container-list", headers={"accept": "application/json"})
    sign_in_as(client, in_app(client, branch_admin, "B1"))
    own = client.get(f"/declarations/{NUMBER}/container-list")

    assert other.status_code == 403
    assert own.status_code == 200


def test_a_branch_admin_sees_and_ends_only_their_branchs_contingency(client: TestClient, world: World) -> None:
    from datetime import UTC, datetime
    import uuid

    def declare(reason: str) -> dict:
        command = {"id": str(uuid.uuid4()), "type": "sync.declare_contingency", "issued_at": datetime.now(UTC).isoformat(),
                   "device_id": "d", "payload": {"reason": reason}}
        return client.post("/api/v1/commands", json=[command]).json()["results"][0]

    sign_in_as(client, world["other_officer"])
    sign_in_as(client, in_app(client, branch_admin, "B2"))
    assert declare("B2 down")["status"] == "applied"
    sign_in_as(client, in_app(client, branch_admin, "B1"))

    page = client.get("/contingency")

    assert "B2 down" not in page.text  # another branch's period is not a B1 admin's to see
    assert "every branch" not in page.text and "mọi chi cục" not in page.text.lower()
