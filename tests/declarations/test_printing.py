"""Printed container lists and goods lists: the page holds what the gate compares, and its QR code carries the
signed payload of the declaration's current version; the branch of registration (Art 35.2.b.2.1.2), the branch of an
import declaration's import gate (Art 35.1.a.4, 36.1.a.4) and national admins print; no other branch."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from litestar.testing import TestClient

from backend.barcodes import payload, qr
from backend.barcodes.payload import DocumentKind
from backend.barcodes.services import keyring_for
from tests.auth.test_tokens import bearer, quick_token
from tests.conftest import World, in_app, sign_in_as
from tests.declarations.helpers import C1, C2, item
from tests.declarations.test_services import counts

NUMBER = "104000000001"
BULK = "304000000002"
LOOSE = "104000000003"
PAYLOAD = re.compile(r'<figcaption class="list-payload" id="list-payload">([A-Z0-9.]+)</figcaption>')
QR_SRC = re.compile(r'<img class="qr" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">')


def upstream(client: TestClient, world: World, *items: dict[str, Any]) -> None:
    """Declarations sent as the upstream gateway sends them (an admin's API token)."""
    token = quick_token(client, world["admin"])
    response = client.post("/api/v1/declarations", json=list(items), headers=bearer(token))
    assert all(result["status"] in ("created", "updated") for result in response.json()["results"]), response.text


def bulk(**changes: Any) -> dict[str, Any]:
    return item(BULK, kind="export", cargo_type="bulk", containers=[], weight_kg=25000.5, goods_description="Than đá", **changes)


def loose(**changes: Any) -> dict[str, Any]:
    return item(LOOSE, cargo_type="loose", containers=[], package_count=1200, goods_description="Thép cuộn", **changes)


def printed_payload(text: str) -> str:
    match = PAYLOAD.search(text)
    assert match, "no payload text under the QR code"
    return match.group(1)


def test_container_list_holds_the_number_every_container_and_the_qr(client: TestClient, world: World, settings: Any) -> None:
    upstream(client, world, item())
    sign_in_as(client, world["officer"])

    page = client.get(f"/declarations/{NUMBER}/container-list")

    assert page.status_code == 200 and "<html" in page.text
    text = page.text
    assert 'id="list-number">104000000001<' in text and 'id="list-version">1<' in text
    rows = re.findall(r'<td class="list-container">(\w+)</td>\s*<td>([^<]*)</td>', text)
    assert rows == [(C1, "A123456"), (C2, "A123457")]
    assert "Danh sách container đủ điều kiện qua khu vực giám sát hải quan" in text  # Vietnamese by default
    assert "Xác nhận của công chức hải quan giám sát" in text
    assert 'id="list-branch">Chi cục Một<' in text
    decoded = payload.decode(keyring_for(settings), printed_payload(text))
    assert (decoded.number, decoded.version, decoded.kind, decoded.signed) == (NUMBER, 1, DocumentKind.CONTAINER_LIST, True)
    # The image is the code of exactly the text printed under it.
    image = QR_SRC.search(text)
    assert image is not None and base64.b64decode(image.group(1)).decode() == qr.qr_svg(printed_payload(text))
    assert html.unescape(image.group(2)) == "Mã vạch của danh sách container"


def test_goods_list_of_bulk_cargo_shows_the_weight_in_the_readers_notation(client: TestClient, world: World, settings: Any) -> None:
    upstream(client, world, bulk())
    sign_in_as(client, world["supervisor"])

    vi = client.get(f"/declarations/{BULK}/goods-list")
    client.cookies.set("gs_lang", "en")
    en = client.get(f"/declarations/{BULK}/goods-list")

    assert vi.status_code == 200 and en.status_code == 200
    assert 'id="list-weight">25.000,5<' in vi.text and 'id="list-packages">—<' in vi.text
    assert 'id="list-weight">25,000.5<' in en.text
    assert "Danh sách hàng hóa đủ điều kiện qua khu vực giám sát hải quan" in vi.text
    assert "List of goods eligible to pass the customs supervision zone" in en.text
    assert 'id="list-goods-description">Than đá<' in en.text and "list-container" not in en.text
    decoded = payload.decode(keyring_for(settings), printed_payload(en.text))
    assert (decoded.number, decoded.version, decoded.kind) == (BULK, 1, DocumentKind.GOODS_LIST)
    assert printed_payload(en.text).startswith(f"GS1.G.{BULK}.1.A")


def test_goods_list_of_loose_cargo_shows_the_package_count(client: TestClient, world: World, settings: Any) -> None:
    upstream(client, world, loose())
    sign_in_as(client, world["officer"])

    page = client.get(f"/declarations/{LOOSE}/goods-list")

    assert page.status_code == 200
    assert 'id="list-packages">1.200<' in page.text and 'id="list-weight">—<' in page.text
    assert payload.decode(keyring_for(settings), printed_payload(page.text)).kind == DocumentKind.GOODS_LIST


def test_amended_declaration_prints_the_new_version(client: TestClient, world: World, settings: Any) -> None:
    upstream(client, world, item())
    sign_in_as(client, world["officer"])
    before = printed_payload(client.get(f"/declarations/{NUMBER}/container-list").text)
    upstream(client, world, item(version=2, containers=[{"number": C1, "seal": "A123456"}]))
    sign_in_as(client, world["officer"])

    page = client.get(f"/declarations/{NUMBER}/container-list")

    after = printed_payload(page.text)
    keyring = keyring_for(settings)
    assert payload.decode(keyring, before).version == 1
    assert (payload.decode(keyring, after).version, payload.decode(keyring, after).number) == (2, NUMBER)
    assert after != before and 'id="list-version">2<' in page.text
    assert C1 in page.text and C2 not in page.text  # the swapped-out container is no longer on the list
    # The gate refuses the old paper as expired and takes the new one.
    old = client.post("/api/v1/gate/check", json={"number": NUMBER, "scanned_version": 1}).json()
    new = client.post("/api/v1/gate/check", json={"number": NUMBER, "scanned_version": 2}).json()
    assert "barcode_expired" in [reason["code"] for reason in old["reasons"]]
    assert "barcode_expired" not in [reason["code"] for reason in new["reasons"]]


def test_other_branch_is_refused_with_where_to_reprint(client: TestClient, world: World) -> None:
    upstream(client, world, item(), bulk())
    sign_in_as(client, world["other_officer"])
    client.cookies.set("gs_lang", "en")

    page = client.get(f"/declarations/{NUMBER}/container-list")
    goods = client.get(f"/declarations/{BULK}/goods-list", headers={"accept": "application/json"})

    assert page.status_code == 403 and "<html" in page.text
    assert "Only the branch of registration (Chi cục Một (B1)) prints the lists of declaration 104000000001" in page.text
    assert "the officers at the import gate upstream names for them (Art 35.1.a.4, 36.1.a.4)" in page.text
    assert "list-payload" not in page.text and "data:image/svg" not in page.text
    assert goods.status_code == 403 and goods.json()["error"] == "print_other_branch"


def test_import_gate_branch_prints_the_list_on_request_35_1_a_4(client: TestClient, world: World, settings: Any) -> None:
    """Art 35.1.a.4, 36.1.a.4: "công chức hải quan tại cửa khẩu nhập" prints the container or goods list on request.
    B2's gate is the import gate upstream names among the declaration's places (a fact B2 cannot make up)."""
    upstream(client, world, item(places=["B2-GA"]), loose(places=["B2-GA"]))
    sign_in_as(client, world["other_officer"])

    page = client.get(f"/declarations/{NUMBER}/container-list")
    goods = client.get(f"/declarations/{LOOSE}/goods-list")
    lookup = client.get(f"/declarations?number={NUMBER}")

    assert page.status_code == 200 and goods.status_code == 200
    assert payload.decode(keyring_for(settings), printed_payload(page.text)).number == NUMBER
    assert payload.decode(keyring_for(settings), printed_payload(goods.text)).number == LOOSE
    assert f'href="/declarations/{NUMBER}/container-list"' in lookup.text


def test_branch_of_registration_still_prints_when_the_import_gate_is_another_branch_35_2_b_2_1_2(client: TestClient, world: World) -> None:
    """Art 35.2.b.2.1.2: the declarant reprints at the branch of registration; the import gate's branch adds to it."""
    upstream(client, world, item(places=["B2-GA"]))
    sign_in_as(client, world["officer"])

    page = client.get(f"/declarations/{NUMBER}/container-list")

    assert page.status_code == 200 and printed_payload(page.text)


def test_branch_without_an_import_gate_of_the_goods_cannot_print_35_1_a_4(client: TestClient, world: World) -> None:
    """Art 35.1.a.4 names the officers at the import gate: B2's bonded warehouse among an import declaration's places,
    or B2's gate among an export declaration's (its exit gate), give B2 no list to print."""

    async def b2_warehouse() -> None:
        from backend.officers import services
        from backend.officers.tables import LocationKind

        await services.ensure_location("B2-KNQ", "Kho ngoại quan B2", LocationKind.WAREHOUSE, world["other_branch"])

    in_app(client, b2_warehouse)
    upstream(client, world, item(places=["B2-KNQ"]), bulk(places=["B2-GA"]))
    sign_in_as(client, world["other_officer"])
    client.cookies.set("gs_lang", "en")

    stored = client.get(f"/declarations/{NUMBER}/container-list", headers={"accept": "application/json"})
    exported = client.get(f"/declarations/{BULK}/goods-list", headers={"accept": "application/json"})
    lookup = client.get(f"/declarations?number={NUMBER}")

    assert stored.status_code == 403 and stored.json()["error"] == "print_other_branch"
    assert exported.status_code == 403 and exported.json()["error"] == "print_other_branch"
    assert "declaration-print-list" not in lookup.text


def test_other_branch_refusal_is_in_vietnamese_by_default(client: TestClient, world: World) -> None:
    upstream(client, world, item())
    sign_in_as(client, world["other_officer"])

    page = client.get(f"/declarations/{NUMBER}/container-list")

    assert page.status_code == 403 and "Chỉ Chi cục nơi đăng ký tờ khai (Chi cục Một (B1))" in page.text


def test_warehouse_role_is_refused(client: TestClient, world: World) -> None:
    upstream(client, world, item())
    sign_in_as(client, world["warehouse_user"])

    page = client.get(f"/declarations/{NUMBER}/container-list")
    api = client.get(f"/declarations/{NUMBER}/container-list", headers={"accept": "application/json"})

    assert page.status_code == 403 and "list-payload" not in page.text
    assert api.status_code == 403 and api.json()["error"] == "forbidden"


def test_national_admin_prints_any_branch(client: TestClient, world: World, settings: Any) -> None:
    upstream(client, world, item())
    sign_in_as(client, world["admin"])

    page = client.get(f"/declarations/{NUMBER}/container-list")

    assert page.status_code == 200
    assert payload.decode(keyring_for(settings), printed_payload(page.text)).number == NUMBER


def test_unknown_is_404_and_malformed_is_400_and_nothing_changes(client: TestClient, world: World) -> None:
    upstream(client, world, item())
    before = in_app(client, counts)
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")

    unknown = client.get("/declarations/999999999999/container-list")
    malformed = client.get("/declarations/12ab/goods-list")
    malformed_json = client.get("/declarations/12ab/goods-list", headers={"accept": "application/json"})

    assert unknown.status_code == 404 and "No declaration 999999999999" in unknown.text
    assert malformed.status_code == 400 and "must be 12 digits: 12ab" in malformed.text
    assert malformed_json.json()["error"] == "bad_number"
    assert in_app(client, counts) == before


def test_wrong_list_for_the_cargo_is_404_naming_the_right_one(client: TestClient, world: World) -> None:
    upstream(client, world, item(), bulk())
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")

    containers_of_bulk = client.get(f"/declarations/{BULK}/container-list")
    goods_of_containers = client.get(f"/declarations/{NUMBER}/goods-list", headers={"accept": "application/json"})

    assert containers_of_bulk.status_code == 404
    assert f"Declaration {BULK} is not container cargo: print its goods list instead." in containers_of_bulk.text
    assert goods_of_containers.status_code == 404 and goods_of_containers.json()["error"] == "no_goods_list"


def test_declaration_not_eligible_gets_no_list(client: TestClient, world: World) -> None:
    upstream(client, world, item(allows_passage=False, status_code="CHO_KIEM_TRA"))
    sign_in_as(client, world["officer"])
    client.cookies.set("gs_lang", "en")

    page = client.get(f"/declarations/{NUMBER}/container-list")
    api = client.get(f"/declarations/{NUMBER}/container-list", headers={"accept": "application/json"})

    assert page.status_code == 409 and "(CHO_KIEM_TRA) does not allow passing the supervision zone" in page.text
    assert "list-payload" not in page.text
    assert api.json()["error"] == "not_eligible"


def test_lookup_links_to_the_list_only_for_the_branch_of_registration(client: TestClient, world: World) -> None:
    upstream(client, world, item(), bulk(), item("104000000009", allows_passage=False, status_code="CHO_KIEM_TRA"))
    client.cookies.set("gs_lang", "en")
    sign_in_as(client, world["officer"])

    containers = client.get(f"/declarations?number={NUMBER}").text
    goods = client.get(f"/declarations?number={BULK}", headers={"hx-request": "true", "hx-target": "declaration-result"}).text
    not_eligible = client.get("/declarations?number=104000000009").text
    sign_in_as(client, world["other_officer"])
    elsewhere = client.get(f"/declarations?number={NUMBER}").text

    assert f'href="/declarations/{NUMBER}/container-list">Print container list</a>' in containers
    assert f'href="/declarations/{BULK}/goods-list">Print goods list</a>' in goods
    assert "declaration-print-list" not in not_eligible
    assert "declaration-print-list" not in elsewhere and 'data-number="104000000001"' in elsewhere


def test_lookup_tells_another_branch_where_lists_are_printed(client: TestClient, world: World) -> None:
    upstream(client, world, item(), item("104000000009", allows_passage=False, status_code="CHO_KIEM_TRA"))
    client.cookies.set("gs_lang", "en")
    sign_in_as(client, world["other_officer"])

    eligible = client.get(f"/declarations?number={NUMBER}").text
    not_eligible = client.get("/declarations?number=104000000009").text

    assert "Its container list or goods list is printed at the branch of registration (B1)." in eligible
    assert "declaration-print-elsewhere" not in not_eligible
