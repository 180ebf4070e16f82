"""The state machine of a CFS consolidation list (form 25/DMXK-CFS/GSQL, Decision 1966 Art 44.2.b).

    draft ──submit (the operator)──▶ submitted ──every line checked (the officer)──▶ checked
          ──sign (the officer, passkey)──▶ signed ──confirm receipt of copy 2 (the operator)──▶ received

"checked" is reached by the officer's last line check (44.2.b.1.1: "Đối chiếu lượng hàng hóa đóng ghép chung
container với Danh mục"), "signed" is the officer's signature on both copies (44.2.b.1.3: "Ký tên, đóng dấu công
chức trên 02 Danh mục hàng hóa"), "received" the operator's receipt of the copy returned to them ("trả 01 Danh mục
cho doanh nghiệp kinh doanh kho CFS"). Only `transition()` assigns a state; anything not in TRANSITIONS is refused.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class ListState(StrEnum):
    DRAFT = "draft"  # the operator's staff are building it
    SUBMITTED = "submitted"  # submitted to customs, being compared line by line
    CHECKED = "checked"  # every line compared, waiting for the officer's signature
    SIGNED = "signed"  # signed on both copies, copy 2 waiting for the operator's receipt
    RECEIVED = "received"  # the operator confirmed receipt of copy 2


STATE_LABELS: dict[str, str] = {
    ListState.DRAFT: N_("Draft: the operator is building the list"),
    ListState.SUBMITTED: N_("Submitted: customs compare it line by line"),
    ListState.CHECKED: N_("Compared: waiting for the officer's signature"),
    ListState.SIGNED: N_("Signed by customs: waiting for the operator's receipt of their copy"),
    ListState.RECEIVED: N_("Done: signed, and the operator received their copy"),
}

TRANSITIONS: frozenset[tuple[ListState, ListState]] = frozenset(
    {
        (ListState.DRAFT, ListState.SUBMITTED),
        (ListState.SUBMITTED, ListState.CHECKED),
        (ListState.CHECKED, ListState.SIGNED),
        (ListState.SIGNED, ListState.RECEIVED),
    }
)


class TransitionRefused(DomainError):
    status_code = 409


def allowed(current: ListState | str, target: ListState | str) -> bool:
    return (ListState(current), ListState(target)) in TRANSITIONS


def check(current: ListState | str, target: ListState | str) -> None:
    """Raise TransitionRefused unless `current → target` is in the table."""
    if not allowed(current, target):
        raise TransitionRefused(
            "transition_refused",
            N_("A list that is “%(current)s” cannot become “%(target)s”."),
            current=Deferred(STATE_LABELS[ListState(current)]),
            target=Deferred(STATE_LABELS[ListState(target)]),
        )


async def transition(list_id: int, current: ListState | str, target: ListState | str, *, by: int, at: datetime) -> None:
    """Move list `list_id` from `current` to `target`.

    Side effects, all on the list's row and nothing else:
    - `state` becomes `target`, only if it still is `current` (a concurrent change is refused, not overwritten);
    - submitted: `submitted_by`, `submitted_at`;
    - checked: `checked_at` (the moment of the last line's check);
    - signed: `signed_by`, `signed_at`;
    - received: `received_by`, `received_at`.
    Raises TransitionRefused for a pair not in TRANSITIONS, or when the row changed meanwhile.
    """
    from backend.cfs.tables import CfsList  # the table imports this module for ListState

    current, target = ListState(current), ListState(target)
    check(current, target)
    update: dict[Any, Any] = {CfsList.state: target.value}
    if target is ListState.SUBMITTED:
        update[CfsList.submitted_by], update[CfsList.submitted_at] = by, at
    elif target is ListState.CHECKED:
        update[CfsList.checked_at] = at
    elif target is ListState.SIGNED:
        update[CfsList.signed_by], update[CfsList.signed_at] = by, at
    elif target is ListState.RECEIVED:
        update[CfsList.received_by], update[CfsList.received_at] = by, at
    changed = (
        await CfsList.update(update)
        .where((CfsList.id == list_id) & (CfsList.state == current.value))
        .returning(CfsList.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This list was changed meanwhile. Reload the page."))
