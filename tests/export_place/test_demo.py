"""The demo leaves lots a newcomer can continue (Decision 1966, Art 43.3.b-c): one at LS-HN's exit gate for 16 days
(an item for its head), and a change of export place of each case (c.1-c.4) waiting for its next step. SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import in_app


async def _load(web: Any, settings: Any) -> dict[str, Any]:
    from backend.export_place.tables import ExportChange
    from backend.inbox.services import inbox_for
    from backend.journal.services import verify_journal
    from backend.officers.demo import load_demo
    from backend.officers.services import actor_by_id
    from backend.officers.tables import Officer

    first = await load_demo(web)
    second = await load_demo(web)
    head = await actor_by_id((await Officer.select(Officer.id).where(Officer.code == "GS101").first())["id"])
    inbox = await inbox_for(head, settings)  # type: ignore[arg-type]
    return {
        "lines": (first, second),
        "changes": await ExportChange.select(ExportChange.number, ExportChange.kind, ExportChange.state).order_by(ExportChange.number),
        "items": [(group.kind, item.ref) for group in inbox.groups for item in group.items],
        "audit": await verify_journal(web.origin, web.rp_id),
    }


def test_demo_leaves_a_lot_past_15_days_43_3_b_and_a_change_of_each_case_43_3_c(client: TestClient, settings: Any) -> None:
    """Art 43.3.b: a lot 16 days at the exit gate is an item of the exit gate's head; Art 43.3.c: c.1 proposed, c.2
    approved (its notice an item at the exit gate), c.3 approved, c.4 proposed; a second load takes nothing again."""
    loaded = in_app(client, _load, settings.web, settings)

    assert [(row["kind"], row["state"]) for row in loaded["changes"]] == [("c1", "proposed"), ("c2", "approved"), ("c3", "approved"), ("c4", "proposed")]
    assert ("export_place.gate_15_days", "501990000001") in loaded["items"]
    assert ("export_place.to_decide", str(0)) not in loaded["items"] and any(kind == "export_place.to_decide" for kind, _ in loaded["items"])
    assert any(kind == "export_place.change_notice" for kind, _ in loaded["items"])
    assert "all there already" in loaded["lines"][1][-1] or "all there already" in " ".join(loaded["lines"][1])
    assert loaded["audit"].intact, loaded["audit"].problem
