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


async def _load_whole_demo(web: Any) -> dict[str, Any]:
    from backend.auth.tables import PasskeyCredential
    from backend.journal.demo_signing import PASSKEY_LABEL
    from backend.journal.services import verify_journal
    from backend.journal.tables import JournalEntry
    from backend.officers.demo import load_demo
    from backend.officers.services import actor_by_id
    from backend.officers.tables import Officer
    from backend.outbox.tables import OutboxMessage
    from backend.transit import services
    from backend.transit.tables import TransitCase

    first = await load_demo(web)
    rows_after_first = await JournalEntry.count()
    second = await load_demo(web)
    head = await actor_by_id((await Officer.select(Officer.id).where(Officer.code == "GS001").first())["id"])
    return {
        "lines": (first, second),
        "journal_rows": (rows_after_first, await JournalEntry.count()),
        "cases": await TransitCase.select(TransitCase.number, TransitCase.state),
        "overdue": [item.number for item in await services.overdue_list(head)],
        "loader_passkeys": await PasskeyCredential.select(PasskeyCredential.revoked_at).where(PasskeyCredential.label == PASSKEY_LABEL),
        "signed": await JournalEntry.select(JournalEntry.command_type, JournalEntry.signature).where(
            JournalEntry.command_type.is_in(["transit.assign", "transit.decide", "transit.register_departure", "transit.confirm_arrival"])
        ),
        "outbox": await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.declaration_number),
        "audit": await verify_journal(web.origin, web.rp_id),
    }


def test_demo_takes_transit_lots_to_every_officers_state_with_signed_steps(client: TestClient, settings: Any) -> None:
    """`giamsat demo` takes some lots through the officers' signed steps (CES, CET, sealing, BOA, gate area, BIA,
    violation: Art 41.1.b-41.2.b), through the journal, with a passkey made for the load and revoked after it; a
    second load takes none again. The journal verifies, the outbox has the System's messages, one lot is overdue."""
    from backend.transit.demo import PLAN

    loaded = in_app(client, _load_whole_demo, settings.web)

    states = Counter(case["state"] for case in loaded["cases"])
    wanted = Counter(lot.target for lot in PLAN)
    assert all(states[state] >= count for state, count in wanted.items()), states
    assert {"green", "yellow"} <= set(states)  # lots left for a newcomer to take
    assert "10 of 10" in loaded["lines"][0][2] and "0 of 10" in loaded["lines"][1][2]
    before, after = loaded["journal_rows"]
    assert before == after  # the second load signed nothing
    assert len(loaded["overdue"]) == 1  # the one-hour lot departed hours ago (41.1.4.b)
    # Each loader passkey revoked: nobody can sign with it any more; its signatures stay verifiable.
    assert loaded["loader_passkeys"] and all(row["revoked_at"] is not None for row in loaded["loader_passkeys"])
    assert loaded["signed"] and all(row["signature"] for row in loaded["signed"])
    assert loaded["audit"].intact, loaded["audit"].problem
    kinds = Counter(row["kind"] for row in loaded["outbox"])
    assert kinds["transit.CES"] >= 6 and kinds["transit.BOA"] >= 5 and kinds["transit.BIA"] >= 1, kinds
