"""The server's record of every gate card state (gate_card_state), written whenever a card changes.

A device checks goods against the card it holds; offline, it cannot know of a later change. When such a confirmation
arrives, the server may apply it against its own (refusing) check only if the device provably checked a card that
let the goods pass: the confirmation names the card's stamp (`card_seen`, inside the signed payload), and that state
is looked up here. A stamp the server never served, or a state on which the goods could not pass, gets the online
rules (docs/offline.md).
"""

from __future__ import annotations

from backend.declarations.services import on_declaration_changed
from backend.declarations.tables import Declaration
from backend.gate import services
from backend.gate.cards import card_with_id
from backend.gate.check import GateCard, Presented, check_passage
from backend.gate.tables import CardState


def could_pass(card: GateCard) -> bool:
    """Whether goods could pass on this card at all: every declared unit presented as declared, from a list printed
    for this version, at an inland gate (a border gate's own checks of the goods' outside state are the officer's)."""
    if card.cargo_type == "containers":
        presented = Presented(containers=[c.number for c in card.containers], whole_lot=True)
    else:
        presented = Presented(weight_kg=card.weight_kg, package_count=card.package_count)
    return check_passage(
        card, presented, scanned_version=card.version, border_gate=False, rules=services.configured_rules()
    ).eligible


@on_declaration_changed
async def record_card_state(declaration_id: int) -> None:
    """Log the card's new state (in the changing transaction). Called by the declarations domain after an upsert
    and after `mark_changed` (the seal requirement, "sealed")."""
    row = await Declaration.select(Declaration.number).where(Declaration.id == declaration_id).first()
    if row is None:
        return
    _, card = await card_with_id(row["number"])
    exists = await CardState.exists().where((CardState.declaration == declaration_id) & (CardState.stamp == card.updated_at))
    if not exists:
        await CardState.insert(CardState(declaration=declaration_id, stamp=card.updated_at, eligible=could_pass(card)))


async def seen_card_could_pass(declaration_id: int, stamp: str) -> bool:
    """Whether the server ever served this declaration's card in state `stamp`, and the goods could pass on it."""
    if not stamp:
        return False
    return await CardState.exists().where(
        (CardState.declaration == declaration_id) & (CardState.stamp == stamp) & (CardState.eligible == True)  # noqa: E712
    )

