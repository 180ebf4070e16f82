"""The state machine of a loading, unloading or transhipment plan (Art 40).

    submitted ──propose (the supervision team)──▶ proposed ──approve (the head, signed)──▶ approved
        │                                             └──change (the head, signed)──▶ changed
        └──withdraw (the operator, reason)──▶ withdrawn

"approved" and "changed" are the two ways the head decides (Art 40.1, 40.2: "Chi cục trưởng … quyết định biện
pháp, phương thức giám sát"): the proposed measure as it is, or another one. Only `transition()` assigns a state;
anything not in TRANSITIONS is refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class PlanState(StrEnum):
    SUBMITTED = "submitted"  # the carrier's or operator's notice, waiting for the supervision team
    PROPOSED = "proposed"  # the team proposed a measure, waiting for the head
    APPROVED = "approved"  # the head decided the proposed measure
    CHANGED = "changed"  # the head decided another measure
    WITHDRAWN = "withdrawn"  # the operator withdrew the plan before a proposal


DECIDED = frozenset({PlanState.APPROVED, PlanState.CHANGED})

STATE_LABELS: dict[str, str] = {
    PlanState.SUBMITTED: N_("Submitted, waiting for the supervision team"),
    PlanState.PROPOSED: N_("Measure proposed, waiting for the head's decision"),
    PlanState.APPROVED: N_("Decided: the proposed measure approved"),
    PlanState.CHANGED: N_("Decided: the measure changed by the head"),
    PlanState.WITHDRAWN: N_("Withdrawn"),
}

TRANSITIONS: frozenset[tuple[PlanState, PlanState]] = frozenset(
    {
        (PlanState.SUBMITTED, PlanState.PROPOSED),
        (PlanState.SUBMITTED, PlanState.WITHDRAWN),
        (PlanState.PROPOSED, PlanState.APPROVED),
        (PlanState.PROPOSED, PlanState.CHANGED),
    }
)


class TransitionRefused(DomainError):
    status_code = 409


def allowed(current: PlanState | str, target: PlanState | str) -> bool:
    return (PlanState(current), PlanState(target)) in TRANSITIONS


def check(current: PlanState | str, target: PlanState | str) -> None:
    """Raise TransitionRefused unless `current → target` is in the table."""
    if not allowed(current, target):
        raise TransitionRefused(
            "transition_refused",
            N_("A plan that is “%(current)s” cannot become “%(target)s”."),
            current=Deferred(STATE_LABELS[PlanState(current)]),
            target=Deferred(STATE_LABELS[PlanState(target)]),
        )


async def transition(plan_id: int, current: PlanState | str, target: PlanState | str, *, by: int, at: datetime, **values: Any) -> None:
    """Move plan `plan_id` from `current` to `target`.

    Side effects, all on the plan's row and nothing else:
    - `state` becomes `target`, only if it still is `current` (a concurrent change is refused, not overwritten);
    - proposed: `proposed_method`, `proposed_measure` (from `values`), `proposed_by`, `proposed_at`;
    - approved / changed: `decided_method`, `decided_measure`, `decision_note` (from `values`: the caller gives the
      proposal's for approved, the head's own for changed), `decided_by`, `decided_at`;
    - withdrawn: `withdraw_reason` (from `values`).
    Raises TransitionRefused for a pair not in TRANSITIONS, or when the row changed meanwhile.
    """
    from backend.loading.tables import LoadingPlan  # the table imports this module for PlanState

    current, target = PlanState(current), PlanState(target)
    check(current, target)
    fields = {
        PlanState.PROPOSED: ("proposed_method", "proposed_measure"),
        PlanState.APPROVED: ("decided_method", "decided_measure", "decision_note"),
        PlanState.CHANGED: ("decided_method", "decided_measure", "decision_note"),
        PlanState.WITHDRAWN: ("withdraw_reason",),
    }[target]
    update: dict[Any, Any] = {LoadingPlan.state: target.value}
    for name in fields:
        update[getattr(LoadingPlan, name)] = values.get(name, "")
    if target is PlanState.PROPOSED:
        update[LoadingPlan.proposed_by], update[LoadingPlan.proposed_at] = by, at
    if target in DECIDED:
        update[LoadingPlan.decided_by], update[LoadingPlan.decided_at] = by, at
    changed = (
        await LoadingPlan.update(update)
        .where((LoadingPlan.id == plan_id) & (LoadingPlan.state == current.value))
        .returning(LoadingPlan.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This plan was changed meanwhile. Reload the page."))
