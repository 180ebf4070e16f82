"""How the national system's facts reach a transit case: through the declarations mirror.

Upstream sends a transit declaration (the gateway's API, `giamsat declarations import`, the demo) with the facts
the declarant registered (`declarations.schemas.TransitFacts`). Every change of a declaration runs
`follow_upstream` in the same transaction (`declarations.services.on_declaration_changed`), which:

1. makes the declaration's case when it is new (registered, 41.1.a.1), and keeps the case's copy of the facts
   (destination, transit time, exit mode, combined case) as upstream last sent them; the deadline set at BOA stays;
2. classifies a registered case: combined transit to gate supervision (42.2), lane 1 to green, any other lane to
   yellow (41.1.a.2 names lanes 1 and 2 only; a lane 3 transit declaration gets the document check, the stricter
   path the article has);
3. follows a new COT supplement (its count rose): back to checking when CET C asked for it (41.1.b.2.2), a note on
   the timeline otherwise;
4. follows a new COR or CAN (its count rose): amendment_received (41.3); refused by the state machine (after
   departure, a COR before approval), it is a note on the timeline with the refusal's clause, never dropped;
5. follows the seals domain's "confirm sealed" (`seals.confirm_sealed` marks the declaration changed): a green or
   approved case becomes sealed, by the confirming officer at the confirmation's time (41.1.c.1).
Upstream never refuses: what the state machine does not allow is noted, so the officer sees it on the timeline.
"""

from __future__ import annotations

from typing import Any

import msgspec

from backend.declarations.services import on_declaration_changed
from backend.journal.registry import CommandContext, after_apply
from backend.declarations.tables import Declaration, DeclarationKind, Lane
from backend.lib import clock
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import translate_in
from backend.officers.tables import Branch
from backend.transit import workflow
from backend.transit.tables import TransitCase, TransitEvent
from backend.transit.workflow import TransitState

TRANSIT_KINDS = (DeclarationKind.INDEPENDENT_TRANSIT.value, DeclarationKind.COMBINED_TRANSIT.value)


async def case_row(declaration_id: int) -> dict[str, Any] | None:
    return await TransitCase.select().where(TransitCase.declaration == declaration_id).first()


async def _facts(declaration: dict[str, Any]) -> dict[str, Any]:
    facts = msgspec.json.decode(declaration["transit"]) if declaration["transit"] else {}
    code = facts.get("destination_branch_code", "")
    destination = await Branch.select(Branch.id).where(Branch.code == code).first() if code else None
    return {
        "departure_branch": declaration["branch"],
        "destination_branch": destination["id"] if destination else None,
        "destination_code": code,
        "transit_hours": facts.get("transit_hours", 0),
        "exit_mode": facts.get("exit_mode", ""),
        "combined_case": facts.get("combined_case", ""),
        "supplements": facts.get("supplements", 0),
        "amendment_kind": facts.get("amendment_kind", ""),
        "amendments": facts.get("amendments", 0),
    }


async def _upstream_step(case: dict[str, Any], target: TransitState, **details: Any) -> dict[str, Any]:
    """An upstream fact as a transition; refused by the state machine, a note with the refusal, and the case as it was."""
    now = clock.now()
    try:
        return await workflow.transition(case, target, by=None, at=now, recorded_at=now, **details)
    except workflow.TransitionRefused as refusal:
        step_clause = "41.3" if target is TransitState.AMENDMENT_RECEIVED else "41.1.b.2.2"
        # Worded in Vietnamese, the officers' language, as the timeline keeps words (the refusal's code leads).
        text = f"{details.get('amendment_kind') or 'COT'}: {refusal.code}: " + translate_in("vi", refusal.message, **refusal.params)
        await workflow.note(case, step_clause, text, by=None, at=now, recorded_at=now)
        return case


@on_declaration_changed
async def follow_upstream(declaration_id: int) -> None:
    """Bring the declaration's transit case up to date with upstream's facts and the sealing (module docstring)."""
    declaration = await Declaration.select(
        Declaration.id, Declaration.number, Declaration.kind, Declaration.lane, Declaration.branch, Declaration.transit
    ).where(Declaration.id == declaration_id).first()
    if declaration is None or declaration["kind"] not in TRANSIT_KINDS:
        return
    facts = await _facts(declaration)
    kept = {name: facts[name] for name in ("departure_branch", "destination_branch", "destination_code", "transit_hours", "exit_mode", "combined_case")}
    case = await case_row(declaration_id)
    now = clock.now()
    if case is None:
        await TransitCase.insert(
            TransitCase(declaration=declaration_id, number=declaration["number"], kind=declaration["kind"], state=workflow.INITIAL.value, **kept)
        )
        case = await case_row(declaration_id)
        assert case is not None
        clause = "42.1" if declaration["kind"] == DeclarationKind.COMBINED_TRANSIT else "41.1.a.1"
        await TransitEvent.insert(
            TransitEvent(case=case["id"], from_state="", to_state=case["state"], made_at=now, recorded_at=now, clause=clause)
        )
    elif any(case[name] != value for name, value in kept.items()):
        await TransitCase.update({getattr(TransitCase, name): value for name, value in kept.items()}).where(TransitCase.id == case["id"])
        case = {**case, **kept}
    if case["state"] == TransitState.REGISTERED:
        if declaration["kind"] == DeclarationKind.COMBINED_TRANSIT:
            target = TransitState.GATE_SUPERVISION
        else:
            target = TransitState.GREEN if declaration["lane"] == Lane.GREEN else TransitState.YELLOW
        case = await _upstream_step(case, target)
    if facts["supplements"] > case["supplements_seen"]:
        await TransitCase.update({TransitCase.supplements_seen: facts["supplements"]}).where(TransitCase.id == case["id"])
        case = {**case, "supplements_seen": facts["supplements"]}
        if case["state"] == TransitState.SUPPLEMENT_REQUESTED:
            case = await _upstream_step(case, TransitState.ASSIGNED)
        else:
            await workflow.note(case, "41.1.b.2.2", "COT", by=None, at=now, recorded_at=now)
    if facts["amendments"] > case["amendments_seen"] and facts["amendment_kind"]:
        await TransitCase.update({TransitCase.amendments_seen: facts["amendments"]}).where(TransitCase.id == case["id"])
        case = {**case, "amendments_seen": facts["amendments"]}
        case = await _upstream_step(case, TransitState.AMENDMENT_RECEIVED, amendment_kind=facts["amendment_kind"])
    if case["state"] in (TransitState.GREEN, TransitState.APPROVED):
        await _follow_sealing(case)


# A transit declaration is sealed at step 3 (41.1.c), which a green-lane declaration reaches at once (41.1.a.2: "luồng
# xanh, chuyển sang Bước 3") and a yellow-lane one after the document check approved it (41.1.b.2.3, CET A).
SEALABLE = (TransitState.GREEN, TransitState.APPROVED, TransitState.SEALED)


@after_apply
async def sealing_follows_approval(context: CommandContext, command_type: str, payload: Any, result: dict[str, Any]) -> None:
    """Refuse `seals.confirm_sealed` of a transit declaration whose case has not reached step 3. Made offline or in
    contingency mode the goods were sealed all the same: it is applied, and the case's timeline notes what the state
    machine refused (follow_upstream), for reconciliation."""
    if command_type != "seals.confirm_sealed" or context.contingency or not result.get("declaration_id"):
        return
    case = await case_row(result["declaration_id"])
    if case is None or case["state"] in SEALABLE:
        return
    raise DomainError(
        "transit_not_approved",
        N_("Declaration %(number)s is a transit declaration not approved yet: seal its goods in the green lane or after "
           "its approval (CET A) (Decision 1966, Art 41.1.a.2, 41.1.b.2.3, 41.1.c)."),
        number=case["number"],
    )


async def _follow_sealing(case: dict[str, Any]) -> None:
    """The seals domain confirmed the goods sealed (41.1.c.1): the case is sealed, by that officer at that time."""
    from backend.seals.tables import SealedConfirmation

    confirmation = await SealedConfirmation.select(
        SealedConfirmation.officer, SealedConfirmation.issued_at, SealedConfirmation.command_id
    ).where(SealedConfirmation.declaration == case["declaration"]).first()
    if confirmation is not None:
        await workflow.transition(
            case, TransitState.SEALED, by=confirmation["officer"], at=confirmation["issued_at"], recorded_at=clock.now(),
            command_id=confirmation["command_id"],
        )
