"""The state machine of a key vehicle's direct supervision (Decision 1966, Art 39.1).

    designated ──end (the vehicle left)──▶ ended

Only `transition()` assigns a state. The table of transitions is the whole rule: anything not listed is refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class SupervisionState(StrEnum):
    DESIGNATED = "designated"  # the branch head designated it: officers watch it and keep its journal (39.1, 39.2)
    ENDED = "ended"  # the head ended the supervision (the vehicle left): its journal is closed


STATE_LABELS: dict[str, str] = {
    SupervisionState.DESIGNATED: N_("Under direct supervision"),
    SupervisionState.ENDED: N_("Supervision ended"),
}

TRANSITIONS: frozenset[tuple[SupervisionState, SupervisionState]] = frozenset(
    {(SupervisionState.DESIGNATED, SupervisionState.ENDED)}
)


class TransitionRefused(DomainError):
    status_code = 409


def allowed(current: SupervisionState | str, target: SupervisionState | str) -> bool:
    return (SupervisionState(current), SupervisionState(target)) in TRANSITIONS


def check(current: SupervisionState | str, target: SupervisionState | str) -> None:
    """Raise TransitionRefused unless `current → target` is in the table."""
    if not allowed(current, target):
        raise TransitionRefused(
            "transition_refused",
            N_("A key vehicle that is “%(current)s” cannot become “%(target)s”."),
            current=Deferred(STATE_LABELS[SupervisionState(current)]),
            target=Deferred(STATE_LABELS[SupervisionState(target)]),
        )


async def transition(
    vehicle_id: int, current: SupervisionState | str, target: SupervisionState | str, *, by: int, at: datetime, note: str = ""
) -> None:
    """Move key vehicle `vehicle_id` from `current` to `target`.

    Side effects, all on the vehicle's row and nothing else:
    - `state` becomes `target`, only if it still is `current` (a concurrent change is refused, not overwritten);
    - ended: `ended_by` (the branch head), `ended_at` (when the head ended it) and `end_note` (e.g. when it left).
    Assignments and journal entries stay as they are: the journal of an ended supervision is kept and printed.
    Raises TransitionRefused for a pair not in TRANSITIONS, or when the row changed meanwhile.
    """
    from backend.vehicles.tables import KeyVehicle  # the tables import this module for SupervisionState

    current, target = SupervisionState(current), SupervisionState(target)
    check(current, target)
    values: dict[object, object] = {KeyVehicle.state: target.value}
    if target is SupervisionState.ENDED:
        values[KeyVehicle.ended_by] = by
        values[KeyVehicle.ended_at] = at
        values[KeyVehicle.end_note] = note.strip()
    changed = (
        await KeyVehicle.update(values)  # type: ignore[arg-type]
        .where((KeyVehicle.id == vehicle_id) & (KeyVehicle.state == current.value))
        .returning(KeyVehicle.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This key vehicle was changed meanwhile. Reload the page."))
