"""Art 36.3: a paper declaration at a land border gate is compared with the goods' outside state; if it matches the
officer supervises the goods out and signs box 36 (no form 07), if not the goods may not leave and the branch head is
told. Art 35.3 (box 36 and form 07) stays for ports, airports and ICDs. Through the real app and journal, SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.i18n import translate_in
from tests.conftest import World, in_app, sign_in_as
from tests.paper.helpers import Person, declaration, journal_rows, rows


@pytest.fixture
def officer(client: TestClient, world: World) -> Person:
    return Person(client, world["officer"])


def make_border_gate(client: TestClient, world: World) -> None:
    from backend.officers.tables import Location

    in_app(client, lambda: Location.update({Location.border_gate: True}).where(Location.id == world["gate"]))


def border(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "location_id": world["gate"],
        "declaration_number": "HQ-2026/00777",
        "declaration_date": "2026-11-20",
        "declaration_kind": "import",
        "declarant_name": "Công ty TNHH Nông sản Lạng Sơn",
        "declarant_tax_code": "4900123456",
        "vehicle": "12C-456.78",
        "containers": "CSQU3054383",
        "goods_description": "Hạt dẻ, 400 bao",
        "outside_state": "intact",
        "seals": "intact",
        "outside_note": "Bao nguyên, đủ số, đúng ký mã hiệu",
        **changes,
    }


async def border_checks() -> list[dict[str, Any]]:
    from backend.paper.tables import BorderCheck

    return await BorderCheck.select().order_by(BorderCheck.id)


def test_sign_box36_36_3_a_records_the_outside_state_and_makes_no_form07(client: TestClient, world: World, officer: Person) -> None:
    """36.3.a: the declaration carries the confirmation and the goods' outside state matches: box 36 is signed (a
    signed command), the outside state is recorded, and no form 07 is made (that is 35.3.a.2)."""
    make_border_gate(client, world)

    outcome = officer.send("paper.sign_box36", border(world, eligible_confirmed="yes"))

    assert outcome["status"] == "applied", outcome
    (check,) = in_app(client, border_checks)
    assert outcome["result"] == {"border_check_id": check["id"], "outcome": "box36_signed"}
    assert (check["outcome"], check["outside_state"], check["seals_intact"]) == ("box36_signed", "intact", True)
    assert check["outside_note"] == "Bao nguyên, đủ số, đúng ký mã hiệu" and check["containers"] == "CSQU3054383"
    assert check["declaration_number"] == "HQ-2026/00777" and check["location"] == world["gate"]
    assert in_app(client, rows, "form07") == []
    (row,) = in_app(client, journal_rows)
    assert row["command_type"] == "paper.sign_box36" and row["signature"] is not None


def test_sign_box36_unsigned_is_refused_36_3_a_2(client: TestClient, world: World, officer: Person) -> None:
    """36.3.a.2 "Ký tên, đóng dấu công chức … vào ô 36": the command replaces the signature, so it must be signed."""
    make_border_gate(client, world)

    outcome = officer.send("paper.sign_box36", border(world, eligible_confirmed="yes"), sign=False)

    assert outcome["code"] == "signature_required" and in_app(client, border_checks) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"outside_state": "damaged"}, "outside_state_mismatch"),
        ({"seals": "broken"}, "outside_state_mismatch"),
        ({"outside_state": ""}, "outside_state_required"),
        ({"eligible_confirmed": ""}, "eligibility_not_confirmed"),
    ],
    ids=["damaged", "seal-broken", "not-compared", "no-eligibility-confirmation"],
)
def test_sign_box36_refused_when_the_comparison_does_not_match_36_3_b(
    client: TestClient, world: World, officer: Person, changes: dict[str, Any], code: str
) -> None:
    """36.3.b: when the comparison does not match (or there is nothing to compare with) box 36 is not signed."""
    make_border_gate(client, world)

    outcome = officer.send("paper.sign_box36", {**border(world, eligible_confirmed="yes"), **changes})

    assert outcome["status"] == "rejected" and outcome["code"] == code, outcome
    assert "36.3" in translate_in("vi", outcome["reason"]) or "36.3" in outcome["reason"]
    assert in_app(client, border_checks) == [] and in_app(client, journal_rows) == []


def test_sign_box36_twice_is_refused_36_3_a_2(client: TestClient, world: World, officer: Person) -> None:
    """36.3.a.2: box 36 of a declaration is signed once."""
    make_border_gate(client, world)
    officer.send("paper.sign_box36", border(world, eligible_confirmed="yes"))

    again = officer.send("paper.sign_box36", border(world, eligible_confirmed="yes"))

    assert again["code"] == "already_signed" and len(in_app(client, border_checks)) == 1


def test_refuse_exit_36_3_b_keeps_the_goods_and_reaches_the_branch_head(client: TestClient, world: World, officer: Person) -> None:
    """36.3.b "không cho phép hàng hóa đưa ra khu vực giám sát hải quan; báo cáo Chi cục trưởng": recorded with the
    outside state and the reason, listed for the branch head on /paper."""
    make_border_gate(client, world)

    outcome = officer.send(
        "paper.refuse_exit", border(world, outside_state="damaged", seals="broken", reason="Bao rách, niêm phong hãng bị cắt")
    )

    assert outcome["status"] == "applied" and outcome["result"]["outcome"] == "exit_refused"
    (check,) = in_app(client, border_checks)
    assert (check["outside_state"], check["seals_intact"], check["reason"]) == ("damaged", False, "Bao rách, niêm phong hãng bị cắt")
    client.cookies.clear()
    sign_in_as(client, world["supervisor"])
    page = client.get("/paper").text
    section = page[page.index('id="paper-border-refused"'):page.index('id="paper-reports"')]
    assert "HQ-2026/00777" in section and "Bao rách, niêm phong hãng bị cắt" in section
    assert "Không cho phép đưa hàng ra (Điều 36.3.b)" in section and "Không phù hợp hoặc bị hư hỏng" in section


def test_refuse_exit_without_a_reason_is_refused_36_3_b(client: TestClient, world: World, officer: Person) -> None:
    make_border_gate(client, world)

    outcome = officer.send("paper.refuse_exit", border(world, reason=" "))

    assert outcome["code"] == "reason_required" and in_app(client, border_checks) == []


@pytest.mark.parametrize("type_", ["paper.sign_box36", "paper.refuse_exit"])
def test_border_commands_only_at_a_land_border_gate_36_3(client: TestClient, world: World, officer: Person, type_: str) -> None:
    """Art 36.3 is the land border gates' (Part V section 5); at a port, Art 35.3 applies."""
    payload = border(world, reason="x") if type_ == "paper.refuse_exit" else border(world, eligible_confirmed="yes")

    outcome = officer.send(type_, payload)

    assert outcome["code"] == "not_border_gate" and "35.3" in outcome["reason"]


def test_form07_is_35_3_only_not_at_a_land_border_gate(client: TestClient, world: World, officer: Person) -> None:
    """35.3.a.2 (form 07) is the ports' rule; Art 36.3 makes none: at a border gate confirm_declaration is refused,
    naming 36.3."""
    make_border_gate(client, world)

    outcome = officer.send("paper.confirm_declaration", declaration(world))

    assert outcome["code"] == "border_gate_36_3" and "36.3" in outcome["reason"]
    assert in_app(client, rows, "form07") == []


def test_paper_page_offers_36_3_at_border_gates_and_35_3_at_ports(client: TestClient, world: World, officer: Person) -> None:
    """A branch with a port gate and a border gate: the form 07 form (35.3) offers the port, the box 36 forms (36.3)
    the border gate."""
    from backend.officers.services import ensure_location
    from backend.officers.tables import LocationKind

    border_id = in_app(client, lambda: ensure_location("B1-BG", "Cửa khẩu Hữu Nghị", LocationKind.GATE, world["branch"], border_gate=True))

    page = officer.client.get("/paper").text

    confirm = page[page.index('id="confirm-form"'):page.index("</form>", page.index('id="confirm-form"'))]
    box36 = page[page.index('id="box36-form"'):page.index("</form>", page.index('id="box36-form"'))]
    assert f'value="{world["gate"]}"' in confirm and f'value="{border_id}"' not in confirm
    assert f'value="{border_id}"' in box36 and f'value="{world["gate"]}"' not in box36
    assert 'name="outside_state"' in box36 and "Điều 36.3" in page


def test_refuse_exit_36_3_b_from_the_page_without_script(client: TestClient, world: World, officer: Person) -> None:
    """36.3.b from a plain form post (refuse exit is not signed: it replaces no signature): applied, then back to /paper."""
    make_border_gate(client, world)
    page = officer.client.get("/paper").text
    import re

    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    form = {**border(world, outside_state="damaged", reason="Container móp"), "_csrf_token": token}
    form = {k: str(v) for k, v in form.items()}

    refused = officer.client.post("/paper/border/refuse", data=form, follow_redirects=False)

    assert refused.status_code == 303
    (check,) = in_app(client, border_checks)
    assert check["outcome"] == "exit_refused" and check["outside_state"] == "damaged"
