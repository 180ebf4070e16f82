"""Gate cards from declarations, the `gate_cards` replica dataset (full load, incremental, paging, branch), and the
gate API (card, check worded in the caller's language, typed errors, who may use it). SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from backend.gate import replica
from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2, container, item

C3 = container("TEMU000001")


def upsert(client: TestClient, *items: dict[str, Any]) -> None:
    async def run() -> None:
        from backend.declarations.services import upsert_many

        results = await upsert_many(list(items), "test")
        assert all(result.status != "refused" for result in results), results

    in_app(client, run)


def cards(client: TestClient, since: str | None = None) -> dict[str, Any]:
    params = {"since": since} if since is not None else {}
    response = client.get("/api/v1/replica/gate_cards", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# --- cards ---------------------------------------------------------------------------------------------------------


def test_card_of_container_declaration_has_what_the_gate_must_see(client: TestClient, world: World) -> None:
    upsert(
        client,
        item(
            "104000000001",
            version=2,
            lane=3,
            seal_required=True,
            warnings=[{"text": "Vùng mật độ bất thường", "source": "xray"}, {"text": "Kiểm tra C/O"}],
        ),
    )
    sign_in_as(client, world["officer"])

    card = client.get("/api/v1/gate/cards/1040-0000-0001").json()

    assert card["number"] == "104000000001" and card["version"] == 2 and card["kind"] == "import"
    assert card["allows_passage"] is True and card["status_code"] == "THONG_QUAN" and card["lane"] == 3
    assert card["branch_code"] == "B1" and card["seal_required"] is True and card["sealed"] is False
    assert card["containers"] == [{"number": C1, "seal": "A123456"}, {"number": C2, "seal": "A123457"}]
    assert card["warnings"] == [
        {"text": "Vùng mật độ bất thường", "source": "xray"},
        {"text": "Kiểm tra C/O", "source": "upstream"},
    ]
    assert card["weight_kg"] is None and card["package_count"] is None and card["updated_at"].endswith("+00:00")


def test_card_of_bulk_and_loose_cargo_has_weight_or_packages(client: TestClient, world: World) -> None:
    upsert(
        client,
        item("304000000002", kind="export", cargo_type="bulk", containers=[], weight_kg=25000.5),
        item("104000000003", cargo_type="loose", containers=[], package_count=40, allows_passage=False),
    )
    sign_in_as(client, world["officer"])

    bulk = client.get("/api/v1/gate/cards/304000000002").json()
    loose = client.get("/api/v1/gate/cards/104000000003").json()

    assert bulk["cargo_type"] == "bulk" and bulk["weight_kg"] == 25000.5 and bulk["containers"] == []
    assert loose["package_count"] == 40 and loose["allows_passage"] is False


def test_card_unknown_is_404_and_malformed_is_400(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    unknown = client.get("/api/v1/gate/cards/999999999999")
    malformed = client.get("/api/v1/gate/cards/12345")

    assert unknown.status_code == 404 and unknown.json()["error"] == "declaration_not_found"
    assert malformed.status_code == 400 and malformed.json()["error"] == "bad_number"


# --- the check through the API ---------------------------------------------------------------------------------------


def test_check_api_matching_container_is_eligible(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001"))
    sign_in_as(client, world["officer"])

    verdict = client.post("/api/v1/gate/check", json={"number": "104000000001", "scanned_version": 1, "containers": [C2]})

    assert verdict.status_code == 200
    assert verdict.json() == {"number": "104000000001", "version": 1, "eligible": True, "reasons": []}


def test_check_api_words_reasons_in_vietnamese_by_default_and_english_on_request(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001", version=2))
    sign_in_as(client, world["officer"])
    body = {"number": "104000000001", "scanned_version": 1, "containers": [C3]}

    vi = client.post("/api/v1/gate/check", json=body).json()
    client.cookies.set("gs_lang", "en")
    en = client.post("/api/v1/gate/check", json=body).json()

    assert vi["eligible"] is False and en["eligible"] is False
    assert [(r["code"], r["clause"], r["severity"]) for r in vi["reasons"]] == [
        ("barcode_expired", "35.2.b.2.1.2", "blocking"),
        ("container_not_declared", "35.2.a.2", "blocking"),
    ]
    assert vi["reasons"][0]["message"].startswith("Mã vạch (phiên bản 1) đã hết hiệu lực do phát sinh tờ khai bổ sung")
    assert en["reasons"][0]["message"].startswith("The barcode (version 1) expired by a supplementary declaration")
    assert en["reasons"][1]["message"] == f"Container {C3} is not on the declaration."


def test_check_api_border_gate_damaged_goods_not_allowed_out(client: TestClient, world: World) -> None:
    upsert(client, item("104000000003", cargo_type="loose", containers=[], package_count=40))
    sign_in_as(client, world["officer"])

    verdict = client.post(
        "/api/v1/gate/check",
        json={"number": "104000000003", "package_count": 40, "outside_state": "damaged", "seals_intact": True,
              "border_gate": True},
    ).json()

    assert verdict["eligible"] is False
    assert [(r["code"], r["clause"]) for r in verdict["reasons"]] == [("goods_damaged", "36.2.c.2.3")]


@pytest.mark.parametrize(
    "body",
    [
        {"containers": [C1]},  # no number
        {"number": "104000000001", "weight_kg": "heavy"},
        {"number": "104000000001", "outside_state": "wet"},
        {"number": "104000000001", "colour": "red"},  # unknown field
    ],
)
def test_check_api_malformed_body_is_400(client: TestClient, world: World, body: dict[str, Any]) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/gate/check", json=body)

    assert response.status_code == 400, response.text


def test_check_api_unknown_number_is_404_and_bad_number_400(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    unknown = client.post("/api/v1/gate/check", json={"number": "999999999999"})
    bad = client.post("/api/v1/gate/check", json={"number": "10400000000X"})

    assert unknown.status_code == 404 and unknown.json()["error"] == "declaration_not_found"
    assert bad.status_code == 400 and bad.json()["error"] == "bad_number"


def test_check_api_officer_of_another_branch_may_check(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001"))  # registered at B1
    sign_in_as(client, world["other_officer"])  # works at B2's gate

    verdict = client.post("/api/v1/gate/check", json={"number": "104000000001", "containers": [C1]})
    card = client.get("/api/v1/gate/cards/104000000001")

    assert verdict.status_code == 200 and verdict.json()["eligible"] is True
    assert card.status_code == 200 and card.json()["branch_code"] == "B1"


def test_check_api_warehouse_staff_refused(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001"))
    sign_in_as(client, world["warehouse_user"])

    check = client.post("/api/v1/gate/check", json={"number": "104000000001"})
    card = client.get("/api/v1/gate/cards/104000000001")

    assert check.status_code == 403 and card.status_code == 403
    assert check.json()["error"] == "forbidden" and "104000000001" not in card.text


# --- the gate_cards replica dataset ---------------------------------------------------------------------------------


def test_replica_gate_cards_first_load_is_the_branchs_cards_whole(client: TestClient, world: World) -> None:
    upsert(
        client,
        item("104000000001"),
        item("104000000002", allows_passage=False, status_code="CHO_KIEM_TRA"),  # recent: the device must know
        item("104000000009", branch_code="B2"),
    )
    sign_in_as(client, world["officer"])

    page = cards(client)

    assert page["dataset"] == "gate_cards" and page["changed"] is True and page["replace"] is True
    assert page["complete"] is True and page["cursor"].startswith("gc1:")
    assert [i["key"] for i in page["items"]] == ["104000000001", "104000000002"]
    assert page["items"][1]["allows_passage"] is False and page["items"][0]["containers"][0]["number"] == C1


def test_replica_gate_cards_incremental_sends_only_the_changed_card(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001"), item("104000000002"), item("104000000003"))
    sign_in_as(client, world["officer"])
    first = cards(client)

    unchanged = cards(client, first["cursor"])
    upsert(client, item("104000000002", version=2, sealed=True, seal_required=True))
    changed = cards(client, first["cursor"])
    after = cards(client, changed["cursor"])

    assert unchanged["changed"] is False and unchanged["items"] == [] and unchanged["cursor"] == first["cursor"]
    assert changed["changed"] is True and changed["replace"] is False and changed["complete"] is True
    assert [(i["key"], i["version"], i["sealed"]) for i in changed["items"]] == [("104000000002", 2, True)]
    assert after["changed"] is False and after["items"] == []


@pytest.mark.parametrize(("count", "sizes"), [(5, [2, 2, 1]), (4, [2, 2])])
def test_replica_gate_cards_pages_until_complete(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch, count: int, sizes: list[int]
) -> None:
    monkeypatch.setattr(replica, "PAGE_SIZE", 2)
    upsert(client, *[item(f"10400000000{n}") for n in range(1, count + 1)])
    sign_in_as(client, world["officer"])

    pages = [cards(client)]
    while not pages[-1]["complete"]:
        pages.append(cards(client, pages[-1]["cursor"]))
    caught_up = cards(client, pages[-1]["cursor"])

    assert [len(p["items"]) for p in pages] == sizes  # an exact multiple of the page ends on its last full page
    assert [p["replace"] for p in pages] == [True] + [False] * (len(sizes) - 1)
    assert [i["key"] for p in pages for i in p["items"]] == [f"10400000000{n}" for n in range(1, count + 1)]
    assert caught_up["changed"] is False


def test_replica_gate_cards_unreadable_cursor_is_a_full_load(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001"))
    sign_in_as(client, world["officer"])

    page = cards(client, "v1:not-ours")

    assert page["replace"] is True and [i["key"] for i in page["items"]] == ["104000000001"]


def test_replica_gate_cards_other_branch_sees_only_its_own(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001"), item("104000000009", branch_code="B2"))
    sign_in_as(client, world["other_officer"])

    page = cards(client)

    assert [i["key"] for i in page["items"]] == ["104000000009"]


def test_replica_gate_cards_warehouse_staff_get_none(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001"))
    sign_in_as(client, world["warehouse_user"])

    page = cards(client)

    assert page["items"] == []


def test_replica_gate_cards_old_ineligible_declarations_are_left_out(client: TestClient, world: World) -> None:
    upsert(client, item("104000000001", allows_passage=False), item("104000000002", allows_passage=False))

    async def age() -> None:
        from datetime import timedelta

        from backend.declarations.tables import Declaration
        from backend.lib import clock

        await Declaration.update({Declaration.updated_at: clock.now() - timedelta(days=replica.RECENT_DAYS + 1)}).where(
            Declaration.number == "104000000001"
        )

    in_app(client, age)
    sign_in_as(client, world["officer"])

    page = cards(client)

    assert [i["key"] for i in page["items"]] == ["104000000002"]
