"""The upstream gateway's batch upsert (admin API token), and the lookup page and its JSON twin."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.auth.test_tokens import bearer, quick_token
from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2, item
from tests.declarations.test_services import counts


def test_api_admin_token_upserts_a_batch_with_per_item_results(client: TestClient, world: World) -> None:
    token = quick_token(client, world["admin"])

    first = client.post("/api/v1/declarations", json=[item("104000000001"), item("104000000002", lane=7)], headers=bearer(token))
    second = client.post("/api/v1/declarations", json=[item("104000000001"), item("104000000001", version=2)][1:], headers=bearer(token))
    third = client.post("/api/v1/declarations", json=[item("104000000001", version=1)], headers=bearer(token))

    assert first.status_code == 200
    results = first.json()["results"]
    assert results[0] == {"number": "104000000001", "status": "created"}
    assert (results[1]["number"], results[1]["status"], results[1]["code"], results[1]["field"]) == (
        "104000000002",
        "refused",
        "bad_lane",
        "lane",
    )
    assert "1" in results[1]["reason"] and results[1]["reason"]
    assert second.json()["results"] == [{"number": "104000000001", "status": "updated"}]
    assert third.json()["results"][0]["code"] == "stale_version"
    assert in_app(client, counts)["history"] == 2


def test_api_officer_session_may_not_upsert(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])

    response = client.post("/api/v1/declarations", json=[item()])

    assert response.status_code == 403 and response.json()["error"] == "forbidden"
    assert in_app(client, counts)["declarations"] == 0


def test_api_officer_token_may_not_upsert(client: TestClient, world: World) -> None:
    token = quick_token(client, world["officer"])

    response = client.post("/api/v1/declarations", json=[item()], headers=bearer(token))

    assert response.status_code == 403 and in_app(client, counts)["declarations"] == 0


def test_api_batch_over_1000_or_not_a_list_is_refused(client: TestClient, world: World) -> None:
    token = quick_token(client, world["admin"])

    too_many = client.post("/api/v1/declarations", json=[item(f"{n:012d}") for n in range(1001)], headers=bearer(token))
    not_a_list = client.post("/api/v1/declarations", json={"number": "104000000001"}, headers=bearer(token))

    assert too_many.status_code == 400 and too_many.json()["error"] == "invalid_request"
    assert not_a_list.status_code == 400
    assert in_app(client, counts)["declarations"] == 0


def test_json_lookup_returns_containers_warnings_and_history(client: TestClient, world: World) -> None:
    token = quick_token(client, world["admin"])
    client.post("/api/v1/declarations", json=[item(warnings=[{"text": "Ảnh soi bất thường", "source": "xray"}])], headers=bearer(token))
    client.post("/api/v1/declarations", json=[item(version=2, seal_required=True)], headers=bearer(token))
    sign_in_as(client, world["other_officer"])  # an officer of another branch sees it too

    body = client.get("/api/v1/declarations/104000000001").json()

    assert (body["number"], body["version"], body["seal_required"], body["branch_code"]) == ("104000000001", 2, True, "B1")
    assert [c["number"] for c in body["containers"]] == [C1, C2]
    assert body["warnings"] == []
    assert [(h["version"], h["change"], h["source"]) for h in body["history"]] == [(2, "updated", "api:AD1"), (1, "created", "api:AD1")]
    assert body["history"][0]["fields"] == ["version", "seal_required", "warnings"]


def test_json_lookup_unknown_is_404_and_malformed_is_400(client: TestClient, world: World) -> None:
    sign_in_as(client, world["supervisor"])

    unknown = client.get("/api/v1/declarations/999999999999")
    malformed = client.get("/api/v1/declarations/12ab")

    assert unknown.status_code == 404 and unknown.json()["error"] == "declaration_not_found"
    assert malformed.status_code == 400 and malformed.json()["error"] == "bad_number"


def test_lookup_page_shows_the_declaration(client: TestClient, world: World) -> None:
    token = quick_token(client, world["admin"])
    client.post(
        "/api/v1/declarations",
        json=[item(lane=3, allows_passage=False, status_code="CHO_KIEM_TRA", warnings=[{"text": "Ảnh soi bất thường", "source": "xray"}])],
        headers=bearer(token),
    )
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")

    page = client.get("/declarations?number=104000000001")

    assert page.status_code == 200
    text = page.text
    assert 'id="declaration-not-eligible"' in text and "does not allow passing" in text
    assert 'data-lane="3"' in text and "CHO_KIEM_TRA" in text
    assert C1 in text and "A123456" in text and "Ảnh soi bất thường" in text and "X-ray" in text
    assert 'inputmode="numeric"' in text and "autofocus" in text


def test_lookup_page_htmx_answers_the_fragment(client: TestClient, world: World) -> None:
    token = quick_token(client, world["admin"])
    client.post("/api/v1/declarations", json=[item()], headers=bearer(token))
    sign_in_as(client, world["officer"])

    fragment = client.get("/declarations?number=104000000001", headers={"hx-request": "true", "hx-target": "declaration-result"})
    unknown = client.get("/declarations?number=999999999999", headers={"hx-request": "true", "hx-target": "declaration-result"})
    boosted = client.get("/declarations?number=104000000001", headers={"hx-request": "true", "hx-boosted": "true"})

    assert fragment.status_code == 200 and "<html" not in fragment.text and 'data-number="104000000001"' in fragment.text
    assert unknown.status_code == 404 and "<html" not in unknown.text and 'id="declaration-error"' in unknown.text
    assert boosted.status_code == 200 and "<html" in boosted.text and 'data-number="104000000001"' in boosted.text


def test_lookup_page_unknown_is_404_and_malformed_is_400_with_a_message(client: TestClient, world: World) -> None:
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")

    empty = client.get("/declarations")
    unknown = client.get("/declarations?number=999999999999")
    malformed = client.get("/declarations?number=abc")

    assert empty.status_code == 200 and 'id="declaration-error"' not in empty.text
    assert unknown.status_code == 404 and "No declaration 999999999999" in unknown.text
    assert malformed.status_code == 400 and "12 digits" in malformed.text and 'id="number"' in malformed.text
