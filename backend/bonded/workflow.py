"""The states of a movement out of a bonded warehouse and of an inspection proposal (Decision 1966 Art 43).

Movement out (release):

    submitted ──checked (abroad 43.3.a, domestic 43.4.b, another bonded warehouse 43.6.b)──▶ done
        └──checked (non-tariff zone 43.5)──▶ awaiting_record ──handover record to the zone's branch──▶ done

"submitted": the warehouse's staff entered the release note (Phiếu xuất kho) and the goods left stock; "done" for a
movement abroad means the officer's checks passed and the goods follow Art 41 (the transit domain).

Inspection proposal: proposed ──the head decides (signed)──▶ inspect | no_inspection.

Only `transition()` and `decide()` assign a state; anything not in their tables is refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class ReleaseState(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_RECORD = "awaiting_record"
    DONE = "done"


class ProposalState(StrEnum):
    PROPOSED = "proposed"
    INSPECT = "inspect"
    NO_INSPECTION = "no_inspection"


STATE_LABELS: dict[str, str] = {
    ReleaseState.SUBMITTED: N_("Release note entered: waiting for customs' check"),
    ReleaseState.AWAITING_RECORD: N_("Checked: waiting for the seal and the handover record to the zone's branch"),
    ReleaseState.DONE: N_("Done: checked by customs"),
}
PROPOSAL_LABELS: dict[str, str] = {
    ProposalState.PROPOSED: N_("Proposed to the head of the branch"),
    ProposalState.INSPECT: N_("Head's decision: physical inspection"),
    ProposalState.NO_INSPECTION: N_("Head's decision: no physical inspection"),
}

TRANSITIONS: frozenset[tuple[ReleaseState, ReleaseState]] = frozenset(
    {
        (ReleaseState.SUBMITTED, ReleaseState.DONE),
        (ReleaseState.SUBMITTED, ReleaseState.AWAITING_RECORD),
        (ReleaseState.AWAITING_RECORD, ReleaseState.DONE),
    }
)
DECISIONS: frozenset[tuple[ProposalState, ProposalState]] = frozenset(
    {(ProposalState.PROPOSED, ProposalState.INSPECT), (ProposalState.PROPOSED, ProposalState.NO_INSPECTION)}
)


class TransitionRefused(DomainError):
    status_code = 409


def allowed(current: ReleaseState | str, target: ReleaseState | str) -> bool:
    return (ReleaseState(current), ReleaseState(target)) in TRANSITIONS


def check(current: ReleaseState | str, target: ReleaseState | str) -> None:
    if not allowed(current, target):
        raise TransitionRefused(
            "transition_refused",
            N_("A movement that is “%(current)s” cannot become “%(target)s”."),
            current=Deferred(STATE_LABELS[ReleaseState(current)]),
            target=Deferred(STATE_LABELS[ReleaseState(target)]),
        )


async def transition(release_id: int, current: ReleaseState | str, target: ReleaseState | str, *, by: int, at: datetime, **fields: Any) -> None:
    """Move release `release_id` from `current` to `target`.

    Side effects, on the release's row only:
    - `state` becomes `target`, only if it still is `current` (a concurrent change is refused, not overwritten);
    - leaving `submitted`: `checked_by`, `checked_at`, `checks` (the officer's comparison, JSON: `fields["checks"]`);
    - reaching `done`: `done_at`; from `awaiting_record`: `record`, `record_serial` (`fields`).
    Raises TransitionRefused for a pair not in TRANSITIONS, or when the row changed meanwhile.
    """
    from backend.bonded.tables import BondedRelease

    current, target = ReleaseState(current), ReleaseState(target)
    check(current, target)
    update: dict[Any, Any] = {BondedRelease.state: target.value}
    if current is ReleaseState.SUBMITTED:
        update[BondedRelease.checked_by], update[BondedRelease.checked_at] = by, at
        update[BondedRelease.checks] = fields.get("checks", "{}")
    if target is ReleaseState.DONE:
        update[BondedRelease.done_at] = at
    if current is ReleaseState.AWAITING_RECORD:
        update[BondedRelease.record], update[BondedRelease.record_serial] = fields["record"], fields["record_serial"]
    changed = await BondedRelease.update(update).where((BondedRelease.id == release_id) & (BondedRelease.state == current.value)).returning(BondedRelease.id)
    if not changed:
        raise TransitionRefused("state_changed", N_("This movement was changed meanwhile. Reload the page."))


async def decide(proposal_id: int, target: ProposalState | str, *, by: int, at: datetime, note: str) -> None:
    """The head's decision on a proposal: `state`, `inspect`, `decided_by`, `decided_at`, `decision_note`, only if it
    is still `proposed` (decided once)."""
    from backend.bonded.tables import BondedProposal

    target = ProposalState(target)
    if (ProposalState.PROPOSED, target) not in DECISIONS:
        raise TransitionRefused("transition_refused", N_("A proposal is decided once: inspect or no inspection."))
    changed = await BondedProposal.update(
        {
            BondedProposal.state: target.value,
            BondedProposal.inspect: target is ProposalState.INSPECT,
            BondedProposal.decided_by: by,
            BondedProposal.decided_at: at,
            BondedProposal.decision_note: note,
        }
    ).where((BondedProposal.id == proposal_id) & (BondedProposal.state == ProposalState.PROPOSED.value)).returning(BondedProposal.id)
    if not changed:
        raise TransitionRefused("already_decided", N_("This proposal was already decided."))
