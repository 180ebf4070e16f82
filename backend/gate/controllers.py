"""The gate API: a declaration's gate card, and the server's check of what the officer sees.

Who: officers and supervisors of any branch. Goods registered at one branch pass the gates of another (transit,
ports served by several branches), so every gate must see every card and check it — as the declaration lookups
(IID / IEX / ITF) allow. Warehouse staff and admins do not work the gate.
"""

from __future__ import annotations

from litestar import get, post

from backend.auth.middleware import require_roles
from backend.gate.cards import card_for
from backend.gate.check import GateCard, Presented, check_passage
from backend.gate.schemas import CheckRequest, ReasonView, VerdictView
from backend.officers.tables import Role

GATE_ROLES = (Role.OFFICER, Role.SUPERVISOR)


@get("/api/v1/gate/cards/{number:str}", guards=[require_roles(*GATE_ROLES)], summary="A declaration's gate card")
async def get_card(number: str) -> GateCard:
    """What the gate must see of the declaration; 400 `bad_number`, 404 `declaration_not_found`."""
    return await card_for(number)


@post("/api/v1/gate/check", guards=[require_roles(*GATE_ROLES)], status_code=200, summary="Check goods at the gate")
async def post_check(data: CheckRequest) -> VerdictView:
    """The verdict on what the officer sees, every reason naming its clause and worded in the caller's language.

    The same rules as the device's check (backend/gate/check.py), on the server's current card. 400 for a malformed
    body or number, 404 `declaration_not_found`.
    """
    card = await card_for(data.number)
    presented = Presented(
        containers=data.containers,
        whole_lot=data.whole_lot,
        weight_kg=data.weight_kg,
        package_count=data.package_count,
        outside_state=data.outside_state,
        seals_intact=data.seals_intact,
    )
    verdict = check_passage(card, presented, scanned_version=data.scanned_version, border_gate=data.border_gate)
    return VerdictView(
        number=card.number,
        version=card.version,
        eligible=verdict.eligible,
        reasons=[
            ReasonView(code=r.code, clause=r.clause, severity=r.severity, message=r.text(), params=r.params)
            for r in verdict.reasons
        ],
    )


ROUTES = [get_card, post_check]
