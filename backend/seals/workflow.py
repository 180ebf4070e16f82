"""The state machine of a handover record (Biên bản bàn giao, form 10/BBBG/GSQL) and of a record of findings
(Biên bản ghi nhận, transit).

    draft ──sign──▶ signed ──hand over──▶ handed_over ──receive──▶ received
                                              └──discrepancy──▶ discrepancy

A record is made as a draft at the departure branch (`seals.create_record`), signed by its officer with the
enterprise representative's name (`seals.sign_record`), handed over with the goods (`seals.hand_over`), and
checked at the receiving branch: confirmed (`seals.receive_record`) or a discrepancy found, with a violation
record for the departure branch (`seals.record_discrepancy`). A record that existed only on paper (Art 43.1.c.1)
is entered afterwards already handed over (`INITIAL_PAPER`): the paper was signed and travelled with the goods.

Only `transition()` moves a record; the creating commands set the initial state. Anything not in TRANSITIONS is
refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class RecordState(StrEnum):
    DRAFT = "draft"  # being made at the departure branch; may still be completed
    SIGNED = "signed"  # the officer signed (passkey) and the representative wrote their full name
    HANDED_OVER = "handed_over"  # travels with the goods to the receiving branch
    RECEIVED = "received"  # the receiving branch found containers, seals and goods as recorded
    DISCREPANCY = "discrepancy"  # the receiving branch found a difference: violation record sent back


STATE_LABELS: dict[str, str] = {
    RecordState.DRAFT: N_("Draft"),
    RecordState.SIGNED: N_("Signed"),
    RecordState.HANDED_OVER: N_("Handed over"),
    RecordState.RECEIVED: N_("Received"),
    RecordState.DISCREPANCY: N_("Discrepancy found"),
}

INITIAL = RecordState.DRAFT
INITIAL_PAPER = RecordState.HANDED_OVER

TRANSITIONS: frozenset[tuple[RecordState, RecordState]] = frozenset(
    {
        (RecordState.DRAFT, RecordState.SIGNED),
        (RecordState.SIGNED, RecordState.HANDED_OVER),
        (RecordState.HANDED_OVER, RecordState.RECEIVED),
        (RecordState.HANDED_OVER, RecordState.DISCREPANCY),
    }
)


class TransitionRefused(DomainError):
    status_code = 409


def allowed(current: RecordState | str, target: RecordState | str) -> bool:
    return (RecordState(current), RecordState(target)) in TRANSITIONS


def check(current: RecordState | str, target: RecordState | str, *, discrepancy: str = "") -> None:
    """Raise TransitionRefused unless `current → target` is in the table; a discrepancy needs its description."""
    if not allowed(current, target):
        raise TransitionRefused(
            "transition_refused",
            N_("A record that is “%(current)s” cannot become “%(target)s”."),
            current=Deferred(STATE_LABELS[RecordState(current)]),
            target=Deferred(STATE_LABELS[RecordState(target)]),
        )
    if RecordState(target) is RecordState.DISCREPANCY and not discrepancy.strip():
        raise DomainError("discrepancy_required", N_("Write what differs from the record."))


async def transition(
    record_id: int,
    current: RecordState | str,
    target: RecordState | str,
    *,
    by: int,
    at: datetime,
    changed_at: datetime,
    location_id: int | None = None,
    receipt: str = "",
    discrepancy: str = "",
    violation_id: int | None = None,
) -> None:
    """Move record `record_id` from `current` to `target`.

    Side effects, all on the record's row and nothing else:
    - `state` becomes `target`, only if it still is `current` (a concurrent change is refused, not overwritten);
    - `changed_at` (server time) moves the record to the end of the `handover_records` replica's change order;
    - signed: `signed_by` (the officer who signs) and `signed_at` (device time);
    - handed_over: `handed_over_by`, `handed_over_at`;
    - received: `received_by`, `received_at`, `received_location` (of the receiving branch) and `receipt_check`
      (JSON: what the receiving officer compared);
    - discrepancy: the same receiving fields, `discrepancy` (what differs) and `violation` (the violation
      record's id, made by the command before this call).
    Raises TransitionRefused for a pair not in TRANSITIONS (or `state_changed` when the row moved meanwhile),
    DomainError `discrepancy_required` for a discrepancy without its description.
    """
    from backend.seals.tables import HandoverRecord  # tables import this module for RecordState

    current, target = RecordState(current), RecordState(target)
    check(current, target, discrepancy=discrepancy)
    values: dict[object, object] = {HandoverRecord.state: target.value, HandoverRecord.changed_at: changed_at}
    if target is RecordState.SIGNED:
        values[HandoverRecord.signed_by] = by
        values[HandoverRecord.signed_at] = at
    elif target is RecordState.HANDED_OVER:
        values[HandoverRecord.handed_over_by] = by
        values[HandoverRecord.handed_over_at] = at
    else:  # received / discrepancy: the receiving side
        values[HandoverRecord.received_by] = by
        values[HandoverRecord.received_at] = at
        values[HandoverRecord.received_location] = location_id
        values[HandoverRecord.receipt_check] = receipt or "{}"
        if target is RecordState.DISCREPANCY:
            values[HandoverRecord.discrepancy] = discrepancy.strip()
            values[HandoverRecord.violation] = violation_id
    changed = (
        await HandoverRecord.update(values)  # type: ignore[arg-type]
        .where((HandoverRecord.id == record_id) & (HandoverRecord.state == current.value))
        .returning(HandoverRecord.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This record was changed meanwhile. Reload the page."))
