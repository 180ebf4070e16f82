"""The state machine of an air-cargo anomaly record (Biên bản bất thường, Art 35.2.đ).

    recorded ──receive──▶ received ──handle──▶ handled

The airport warehouse operator's staff make the record (`warehouse.record_anomaly`: INITIAL); a customs officer of
the branch that manages the premises receives it (`warehouse.acknowledge_anomaly`: "công chức hải quan tiếp nhận
thông tin") and then records what was done (`warehouse.handle_anomaly`: "triển khai thực hiện các nghiệp vụ có
liên quan theo quy định"), which closes it. Only `transition()` moves a record; anything not in TRANSITIONS is
refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class AnomalyState(StrEnum):
    RECORDED = "recorded"  # made by the operator's staff, waiting for customs
    RECEIVED = "received"  # a customs officer of the managing branch received it
    HANDLED = "handled"  # the officer recorded what was done: closed


STATE_LABELS: dict[str, str] = {
    AnomalyState.RECORDED: N_("Recorded, waiting for customs"),
    AnomalyState.RECEIVED: N_("Received by customs"),
    AnomalyState.HANDLED: N_("Handled, closed"),
}

INITIAL = AnomalyState.RECORDED

TRANSITIONS: frozenset[tuple[AnomalyState, AnomalyState]] = frozenset(
    {
        (AnomalyState.RECORDED, AnomalyState.RECEIVED),
        (AnomalyState.RECEIVED, AnomalyState.HANDLED),
    }
)


class TransitionRefused(DomainError):
    status_code = 409


def allowed(current: AnomalyState | str, target: AnomalyState | str) -> bool:
    return (AnomalyState(current), AnomalyState(target)) in TRANSITIONS


def check(current: AnomalyState | str, target: AnomalyState | str) -> None:
    """Raise TransitionRefused unless `current → target` is in the table."""
    if not allowed(current, target):
        raise TransitionRefused(
            "transition_refused",
            N_("An anomaly record that is “%(current)s” cannot become “%(target)s”."),
            current=Deferred(STATE_LABELS[AnomalyState(current)]),
            target=Deferred(STATE_LABELS[AnomalyState(target)]),
        )


async def transition(
    anomaly_id: int, current: AnomalyState | str, target: AnomalyState | str, *, by: int, at: datetime, handling: str = ""
) -> None:
    """Move record `anomaly_id` from `current` to `target`.

    Side effects, on the record's row only:
    - `state` becomes `target`, only if it still is `current` (a concurrent change is refused, not overwritten);
    - received: `received_by` (the officer), `received_at` (the action's time);
    - handled: `handled_by`, `handled_at` and `handling` (what was done, as the officer wrote it).
    Raises TransitionRefused for a pair not in TRANSITIONS, or `state_changed` when the row moved meanwhile.
    """
    from backend.warehouse.tables import AirCargoAnomaly  # the table imports this module for AnomalyState

    current, target = AnomalyState(current), AnomalyState(target)
    check(current, target)
    values: dict[object, object] = {AirCargoAnomaly.state: target.value}
    if target is AnomalyState.RECEIVED:
        values[AirCargoAnomaly.received_by] = by
        values[AirCargoAnomaly.received_at] = at
    else:
        values[AirCargoAnomaly.handled_by] = by
        values[AirCargoAnomaly.handled_at] = at
        values[AirCargoAnomaly.handling] = handling
    changed = (
        await AirCargoAnomaly.update(values)  # type: ignore[arg-type]
        .where((AirCargoAnomaly.id == anomaly_id) & (AirCargoAnomaly.state == current.value))
        .returning(AirCargoAnomaly.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This record was changed meanwhile. Reload the page."))
