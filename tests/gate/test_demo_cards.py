"""Gate cards of the demo declarations (300, amended ones among them) and the check run on them: the card is the
declaration's last version, and a list printed for an earlier version is caught. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from backend.declarations.demo import BRANCH_CODE, demo_items
from backend.gate.check import Presented, check_passage
from tests.conftest import World, in_app, sign_in_as


async def _load_demo() -> tuple[int, list[Any]]:
    from backend.declarations.demo import load_demo_declarations
    from backend.gate.cards import card_for
    from backend.officers import services

    await services.ensure_branch(BRANCH_CODE, "Chi cục Hải quan cửa khẩu cảng Hải Phòng KV III")
    officer_id = await services.create_officer("CB3", "Đỗ Văn Sáu", "officer", BRANCH_CODE)
    await load_demo_declarations()
    return officer_id, [await card_for(versions[0]["number"]) for versions in demo_items()]


def test_demo_cards_are_the_last_versions_and_old_lists_are_caught(client: TestClient, world: World) -> None:
    officer_id, cards = in_app(client, _load_demo)
    declarations = demo_items()

    for versions, card in zip(declarations, cards, strict=True):
        last, first = versions[-1], versions[0]
        assert (card.version, card.allows_passage, card.lane) == (last["version"], last["allows_passage"], last["lane"])
        assert [c.number for c in card.containers] == [c["number"] for c in last["containers"]]
        assert card.weight_kg == last["weight_kg"] and card.package_count == last["package_count"]
        assert [(w.text, w.source) for w in card.warnings] == [(w["text"], w.get("source", "upstream")) for w in last["warnings"]]
        # The list printed for the first version, presented today.
        old_list = Presented(containers=[c["number"] for c in first["containers"]] or None, whole_lot=True)
        verdict = check_passage(card, old_list, scanned_version=1, border_gate=False)
        codes = {reason.code for reason in verdict.reasons}
        assert ("barcode_expired" in codes) is (len(versions) > 1)
        if len(versions) > 1 and first["cargo_type"] == "containers":
            assert "container_not_declared" in codes and "container_missing" in codes
        # The current list: only the declaration's own state can stop it.
        current = Presented(containers=[c.number for c in card.containers] or None, whole_lot=True)
        verdict = check_passage(card, current, scanned_version=card.version, border_gate=False)
        blocking = {r.code for r in verdict.reasons if r.severity == "blocking"}
        expected = set()
        if not card.allows_passage:
            expected.add("status_not_eligible")
        if card.seal_required and not card.sealed:
            expected.add("seal_not_confirmed")
        if any(w.source == "xray" for w in card.warnings):
            expected.add("xray_warning")
        assert blocking == expected, card.number
    assert sum(1 for versions in declarations if len(versions) > 1) > 20  # the demo has amended declarations

    sign_in_as(client, officer_id)
    page = client.get("/api/v1/replica/gate_cards").json()

    assert page["complete"] is True and len(page["items"]) == len(declarations)  # all recent: every card
