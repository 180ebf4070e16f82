"""The state machine of an Art 37.3 / 38.2 request (export goods brought into a port without customs
procedure, to be taken out again).

    requested ──approve──▶ approved ──issue form 07──▶ form_issued
        │  └──reject (reason)──▶ rejected
        └──withdraw (reason)──▶ withdrawn

Only `transition()` assigns a state. The table of transitions is the whole rule: anything not listed is refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class RequestState(StrEnum):
    REQUESTED = "requested"  # recorded by the officer, waiting for the branch head
    APPROVED = "approved"  # the branch head approved it (Art 38.2.a): form 07 may be made
    REJECTED = "rejected"  # the branch head refused it, with a reason
    WITHDRAWN = "withdrawn"  # the declarant withdrew it before a decision
    FORM_ISSUED = "form_issued"  # form 07 was made (Art 38.2.b → 38.1): the goods may leave


# What people read for each state (msgids).
STATE_LABELS: dict[str, str] = {
    RequestState.REQUESTED: N_("Waiting for approval"),
    RequestState.APPROVED: N_("Approved"),
    RequestState.REJECTED: N_("Rejected"),
    RequestState.WITHDRAWN: N_("Withdrawn"),
    RequestState.FORM_ISSUED: N_("Form 07 issued"),
}

TRANSITIONS: frozenset[tuple[RequestState, RequestState]] = frozenset(
    {
        (RequestState.REQUESTED, RequestState.APPROVED),
        (RequestState.REQUESTED, RequestState.REJECTED),
        (RequestState.REQUESTED, RequestState.WITHDRAWN),
        (RequestState.APPROVED, RequestState.FORM_ISSUED),
    }
)

# Leaving for these states needs a reason, in words.
NEEDS_REASON = frozenset({RequestState.REJECTED, RequestState.WITHDRAWN})


class TransitionRefused(DomainError):
    status_code = 409


def allowed(current: RequestState | str, target: RequestState | str) -> bool:
    return (RequestState(current), RequestState(target)) in TRANSITIONS


def check(current: RequestState | str, target: RequestState | str, reason: str = "") -> None:
    """Raise TransitionRefused unless `current → target` is in the table (and has its reason when it needs one)."""
    if not allowed(current, target):
        raise TransitionRefused(
            "transition_refused",
            N_("A request that is “%(current)s” cannot become “%(target)s”."),
            current=Deferred(STATE_LABELS[RequestState(current)]),
            target=Deferred(STATE_LABELS[RequestState(target)]),
        )
    if RequestState(target) in NEEDS_REASON and not reason.strip():
        raise DomainError("reason_required", N_("Give the reason."))


async def transition(
    request_id: int,
    current: RequestState | str,
    target: RequestState | str,
    *,
    by: int,
    at: datetime,
    reason: str = "",
    form07_id: int | None = None,
) -> None:
    """Move request `request_id` from `current` to `target`.

    Side effects, all on the request's row and nothing else:
    - `state` becomes `target`, only if it still is `current` (a concurrent change is refused, not overwritten);
    - approved / rejected: `decided_by` (the branch head) and `decided_at` (device time of the decision);
    - rejected / withdrawn: `reason`;
    - form_issued: `form07` (the id of the form made from the request).
    Raises TransitionRefused for a pair not in TRANSITIONS, DomainError `reason_required` without a reason.
    """
    from backend.paper.tables import ExportExitRequest  # tables import this module for RequestState

    current, target = RequestState(current), RequestState(target)
    check(current, target, reason)
    values: dict[object, object] = {ExportExitRequest.state: target.value}
    if target in (RequestState.APPROVED, RequestState.REJECTED):
        values[ExportExitRequest.decided_by] = by
        values[ExportExitRequest.decided_at] = at
    if target in NEEDS_REASON:
        values[ExportExitRequest.reason] = reason.strip()
    if target is RequestState.FORM_ISSUED:
        values[ExportExitRequest.form07] = form07_id
    changed = (
        await ExportExitRequest.update(values)  # type: ignore[arg-type]
        .where((ExportExitRequest.id == request_id) & (ExportExitRequest.state == current.value))
        .returning(ExportExitRequest.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This request was changed meanwhile. Reload the page."))
