"""The demo's transit declarations carry their transit facts, so a newcomer can take every transit step in the demo:
cases in the green and yellow lanes, in gate supervision (combined transit) and with an amendment or cancellation
received, each with a destination and (independent transit) a registered transit time. SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app


async def _load_demo() -> list[dict[str, Any]]:
    from backend.declarations.demo import BRANCH_CODE, TRANSIT_DESTINATION, load_demo_declarations
    from backend.officers import services
    from backend.transit.tables import TransitCase

    await services.ensure_branch(BRANCH_CODE, "Chi cục Hải quan cửa khẩu cảng Hải Phòng KV III")
    await services.ensure_branch(TRANSIT_DESTINATION, "Chi cục Hải quan cửa khẩu quốc tế Hữu Nghị")
    await load_demo_declarations()
    return await TransitCase.select(
        TransitCase.kind, TransitCase.state, TransitCase.destination_code, TransitCase.destination_branch.code.as_alias("destination"),
        TransitCase.transit_hours, TransitCase.exit_mode, TransitCase.combined_case, TransitCase.amendment_kind,
    )


def test_demo_transit_cases_have_their_facts_and_several_states(client: TestClient, world: World) -> None:
    cases = in_app(client, _load_demo)

    states = Counter(case["state"] for case in cases)
    independent = [case for case in cases if case["kind"] == "independent_transit"]
    combined = [case for case in cases if case["kind"] == "combined_transit"]
    assert {"green", "yellow", "gate_supervision", "amendment_received"} <= set(states)
    assert states["green"] >= 5 and states["yellow"] >= 5, states
    assert all(case["transit_hours"] >= 1 and case["destination_code"] for case in independent)
    assert {case["amendment_kind"] for case in cases if case["state"] == "amendment_received"} == {"COR", "CAN"}
    assert any(case["transit_hours"] == 1 for case in independent)  # overdue an hour after departure (41.1.4.b)
    assert any(case["exit_mode"] == "road" for case in independent)  # the exit gate's two steps (41.2.b.1.1)
    # The border branch is in giamsat; the other destination is not (its letter goes on paper).
    assert {case["destination"] for case in independent} == {"LS-HN", None}
    assert combined and all(case["state"] == "gate_supervision" and case["combined_case"] for case in combined)
