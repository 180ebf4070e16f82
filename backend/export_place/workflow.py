"""A change of export place (Decision 1966, Art 43.3.c) as one state machine, one table for its four cases.

Goods from a bonded warehouse travel to the exit gate under a transit declaration (43.3.a -> Art 41). While they are
in the exit gate's supervision area, BIA not yet done, not exported or exported in part (43.3.c, preamble), the
declarant may ask to export them elsewhere:

    c.1 whole lot, same exit gate      proposed ─head─▶ approved ─record─▶ handed_over ─new place─▶ exported_at_new ─BIA─▶ closed
    c.3 part, same exit gate           (as c.1; the handover records the quantity exported at the original place)
    c.2 whole lot, other exit gate     proposed ─head─▶ approved ─▶ new_declaration_required ─▶ new_declaration_linked ─BIA─▶ closed
    c.4 part, other exit gate          (as c.2) ... new_declaration_linked ─▶ part_exported ─BIA─▶ closed
    any proposal                       proposed ─head─▶ refused

c.1/c.3: the original place (the exit gate's branch, the transit case's destination) proposes and its head approves;
c.2/c.4: the branch of registration (the transit case's departure branch) does. Each allowed (case, from, to) is a
`Step` in TRANSITIONS with its clause and its party (`Party`); who that party is for an officer is policy.py's
question. Only `transition()` assigns a state (`services.create_change` sets the first one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import Deferred


class ChangeKind(StrEnum):
    WHOLE_SAME_GATE = "c1"  # 43.3.c.1
    WHOLE_OTHER_GATE = "c2"  # 43.3.c.2
    PART_SAME_GATE = "c3"  # 43.3.c.3
    PART_OTHER_GATE = "c4"  # 43.3.c.4


KIND_LABELS: dict[str, str] = {
    ChangeKind.WHOLE_SAME_GATE: N_("Whole lot, same exit gate (Art 43.3.c.1)"),
    ChangeKind.WHOLE_OTHER_GATE: N_("Whole lot, another exit gate (Art 43.3.c.2)"),
    ChangeKind.PART_SAME_GATE: N_("Part of the lot, same exit gate (Art 43.3.c.3)"),
    ChangeKind.PART_OTHER_GATE: N_("Part of the lot, another exit gate (Art 43.3.c.4)"),
}
SAME_GATE = frozenset({ChangeKind.WHOLE_SAME_GATE, ChangeKind.PART_SAME_GATE})
PART = frozenset({ChangeKind.PART_SAME_GATE, ChangeKind.PART_OTHER_GATE})


class ChangeState(StrEnum):
    PROPOSED = "proposed"  # the officer checked the declarant's notice and proposes to the head
    REFUSED = "refused"  # the head refused
    APPROVED = "approved"  # the head approved (signed)
    HANDED_OVER = "handed_over"  # c.1/c.3: sealed, handover record (form 10) handed to the new place
    EXPORTED_AT_NEW = "exported_at_new"  # c.1/c.3: the new place reported the goods exported
    NEW_DECLARATION_REQUIRED = "new_declaration_required"  # c.2/c.4: the original gate asked for a new transit declaration
    NEW_DECLARATION_LINKED = "new_declaration_linked"  # c.2/c.4: the new transit declaration is registered upstream
    PART_EXPORTED = "part_exported"  # c.4: the part staying at the original gate is exported
    CLOSED = "closed"  # BIA done at the original gate with its note


STATE_LABELS: dict[str, str] = {
    ChangeState.PROPOSED: N_("Proposed to the head"),
    ChangeState.REFUSED: N_("Refused by the head"),
    ChangeState.APPROVED: N_("Approved by the head"),
    ChangeState.HANDED_OVER: N_("Sealed and handed over to the new place"),
    ChangeState.EXPORTED_AT_NEW: N_("Exported at the new place"),
    ChangeState.NEW_DECLARATION_REQUIRED: N_("New transit declaration required"),
    ChangeState.NEW_DECLARATION_LINKED: N_("New transit declaration registered"),
    ChangeState.PART_EXPORTED: N_("Part exported at the original exit gate"),
    ChangeState.CLOSED: N_("Closed: BIA done"),
}
FINAL = frozenset({ChangeState.REFUSED, ChangeState.CLOSED})


class Party(StrEnum):
    ORIGINAL_OFFICER = "original_officer"  # an officer or supervisor of the original exit gate's branch
    ORIGINAL_HEAD = "original_head"  # its Chi cục trưởng
    REGISTRATION_OFFICER = "registration_officer"  # an officer or supervisor of the branch of registration
    REGISTRATION_HEAD = "registration_head"  # its Chi cục trưởng
    NEW_PLACE = "new_place"  # an officer or supervisor of the branch the handover record is addressed to


@dataclass(frozen=True)
class Step:
    clause: str
    party: Party


K, S, P = ChangeKind, ChangeState, Party
TRANSITIONS: dict[tuple[ChangeKind, ChangeState, ChangeState], Step] = {
    # c.1: whole lot, same exit gate
    (K.WHOLE_SAME_GATE, S.PROPOSED, S.APPROVED): Step("43.3.c.1.1.1", P.ORIGINAL_HEAD),
    (K.WHOLE_SAME_GATE, S.PROPOSED, S.REFUSED): Step("43.3.c.1.1.1", P.ORIGINAL_HEAD),
    (K.WHOLE_SAME_GATE, S.APPROVED, S.HANDED_OVER): Step("43.3.c.1.1.2", P.ORIGINAL_OFFICER),
    (K.WHOLE_SAME_GATE, S.HANDED_OVER, S.EXPORTED_AT_NEW): Step("43.3.c.1.2", P.NEW_PLACE),
    (K.WHOLE_SAME_GATE, S.EXPORTED_AT_NEW, S.CLOSED): Step("43.3.c.1.1.4", P.ORIGINAL_OFFICER),
    # c.2: whole lot, another exit gate
    (K.WHOLE_OTHER_GATE, S.PROPOSED, S.APPROVED): Step("43.3.c.2.1.2", P.REGISTRATION_HEAD),
    (K.WHOLE_OTHER_GATE, S.PROPOSED, S.REFUSED): Step("43.3.c.2.1.1", P.REGISTRATION_HEAD),
    (K.WHOLE_OTHER_GATE, S.APPROVED, S.NEW_DECLARATION_REQUIRED): Step("43.3.c.2.2.1", P.ORIGINAL_OFFICER),
    (K.WHOLE_OTHER_GATE, S.NEW_DECLARATION_REQUIRED, S.NEW_DECLARATION_LINKED): Step("43.3.c.2.2.2", P.ORIGINAL_OFFICER),
    (K.WHOLE_OTHER_GATE, S.NEW_DECLARATION_LINKED, S.CLOSED): Step("43.3.c.2.2.3", P.ORIGINAL_OFFICER),
    # c.3: part, same exit gate
    (K.PART_SAME_GATE, S.PROPOSED, S.APPROVED): Step("43.3.c.3.1.1", P.ORIGINAL_HEAD),
    (K.PART_SAME_GATE, S.PROPOSED, S.REFUSED): Step("43.3.c.3.1.1", P.ORIGINAL_HEAD),
    (K.PART_SAME_GATE, S.APPROVED, S.HANDED_OVER): Step("43.3.c.3.1.2", P.ORIGINAL_OFFICER),
    (K.PART_SAME_GATE, S.HANDED_OVER, S.EXPORTED_AT_NEW): Step("43.3.c.3.2", P.NEW_PLACE),
    (K.PART_SAME_GATE, S.EXPORTED_AT_NEW, S.CLOSED): Step("43.3.c.3.1.3", P.ORIGINAL_OFFICER),
    # c.4: part, another exit gate
    (K.PART_OTHER_GATE, S.PROPOSED, S.APPROVED): Step("43.3.c.4.1.2", P.REGISTRATION_HEAD),
    (K.PART_OTHER_GATE, S.PROPOSED, S.REFUSED): Step("43.3.c.4.1.1", P.REGISTRATION_HEAD),
    (K.PART_OTHER_GATE, S.APPROVED, S.NEW_DECLARATION_REQUIRED): Step("43.3.c.4.2.1", P.ORIGINAL_OFFICER),
    (K.PART_OTHER_GATE, S.NEW_DECLARATION_REQUIRED, S.NEW_DECLARATION_LINKED): Step("43.3.c.4.2.2", P.ORIGINAL_OFFICER),
    (K.PART_OTHER_GATE, S.NEW_DECLARATION_LINKED, S.PART_EXPORTED): Step("43.3.c.4.2.3", P.ORIGINAL_OFFICER),
    (K.PART_OTHER_GATE, S.PART_EXPORTED, S.CLOSED): Step("43.3.c.4.2.3", P.ORIGINAL_OFFICER),
}

# What must come first, per target, in the officer's language with its clause.
WHAT_COMES_FIRST: dict[ChangeState, str] = {
    S.APPROVED: N_("the head approves only a change proposed and not yet decided (Decision 1966, Art 43.3.c.1.1.1, c.2.1.1, c.3.1.1, c.4.1.1)."),
    S.REFUSED: N_("the head refuses only a change proposed and not yet decided (Decision 1966, Art 43.3.c.1.1.1, c.2.1.1, c.3.1.1, c.4.1.1)."),
    S.HANDED_OVER: N_("the goods are sealed and handed over to the new place only after the head approved, and only when the exit gate does not change (Decision 1966, Art 43.3.c.1.1.2, c.3.1.2)."),
    S.EXPORTED_AT_NEW: N_("the new place reports the goods exported only after they were handed over to it (Decision 1966, Art 43.3.c.1.2, c.3.2)."),
    S.NEW_DECLARATION_REQUIRED: N_("a new transit declaration is required only after the branch of registration approved a change of exit gate (Decision 1966, Art 43.3.c.2.2.1, c.4.2.1)."),
    S.NEW_DECLARATION_LINKED: N_("the new transit declaration is registered only after the original exit gate required it (Decision 1966, Art 43.3.c.2.2.2, c.4.2.2)."),
    S.PART_EXPORTED: N_("the part staying at the original exit gate is recorded exported after the new transit declaration is registered, for a part of the lot only (Decision 1966, Art 43.3.c.4.2.3)."),
    S.CLOSED: N_("BIA comes after the new place's report (c.1.1.4, c.3.1.3), or after the new transit declaration is approved and, for a part, the original part exported (c.2.2.3, c.4.2.3) (Decision 1966, Art 43.3.c)."),
    S.PROPOSED: N_("a change starts proposed; it never returns there (Decision 1966, Art 43.3.c)."),
}


class TransitionRefused(DomainError):
    status_code = 409


def label(state: ChangeState | str) -> Deferred:
    return Deferred(STATE_LABELS[ChangeState(state)])


def step(kind: ChangeKind | str, current: ChangeState | str, target: ChangeState | str) -> Step | None:
    return TRANSITIONS.get((ChangeKind(kind), ChangeState(current), ChangeState(target)))


def check(change: dict[str, Any], target: ChangeState | str, details: dict[str, Any] | None = None) -> Step:
    """The step from the change's state to `target` for its case, or TransitionRefused saying what comes first.

    Guards beyond the table, each citing its clause: a refusal by the head gives its reason; the handover step of
    c.1/c.3 names a handover record (form 10) and, for c.3, the quantity actually exported at the original place
    (c.3.1.2); linking a new transit declaration names it (c.2.2.2, c.4.2.2); c.4's original part exported names
    its quantity (c.4.2.3)."""
    details = details or {}
    found = step(change["kind"], change["state"], target)
    if found is None:
        raise TransitionRefused(
            "transition_refused",
            N_("This change of export place is “%(current)s”: %(why)s"),
            current=label(change["state"]),
            why=Deferred(WHAT_COMES_FIRST[ChangeState(target)]),
        )
    target = ChangeState(target)
    if target is S.REFUSED and not str(details.get("reason") or "").strip():
        raise DomainError("reason_required", N_("A refusal gives the declarant its reason (Decision 1966, Art 43.3.c)."))
    if target is S.HANDED_OVER and not details.get("record_id"):
        raise DomainError("record_required", N_("Seal the goods and make the handover record, form 10/BBBG/GSQL, first (Decision 1966, Art 43.3.c.1.1.2, c.3.1.2)."))
    if target is S.NEW_DECLARATION_LINKED and not str(details.get("new_number") or "").strip():
        raise DomainError("new_declaration_required", N_("Give the number of the new transit declaration (Decision 1966, Art 43.3.c.2.2.2, c.4.2.2)."))
    return found


async def transition(
    change: dict[str, Any],
    target: ChangeState | str,
    *,
    by: int,
    at: datetime,
    recorded_at: datetime,
    command_id: UUID | None = None,
    **details: Any,
) -> dict[str, Any]:
    """Move `change` (its row) to `target`; the row afterwards.

    Side effects, on the change's row and its timeline and nothing else (letters and the BIA are the commands'):
    - `state` becomes `target`, only if it still is the state read (a concurrent change is refused), and
      `changed_at` becomes `recorded_at`;
    - an `ExportChangeEvent` row: from, to, who, when (`at`, `recorded_at`), the step's clause, the note, the command;
    - approved / refused: `decided_by`, `decided_at`, `decision_reason`;
    - handed_over: `record` (the handover record's id) and, for c.3, `exported_here` (the quantity exported at the
      original place, c.3.1.2);
    - exported_at_new: `reported_by`, `reported_at`, `report_note`;
    - new_declaration_linked: `new_number` (the new transit declaration);
    - part_exported: `exported_here` (c.4.2.3);
    - closed: `bia_note` (the note written in "Ghi chú (dành cho hải quan)" with BIA), `closed_by`, `closed_at`.
    Raises what `check()` raises, or TransitionRefused `state_changed` when the row moved meanwhile.
    """
    from backend.export_place.tables import ExportChange, ExportChangeEvent

    current, target = ChangeState(change["state"]), ChangeState(target)
    found = check(change, target, details)
    values: dict[str, Any] = {"state": target.value, "changed_at": recorded_at}
    text = str(details.get("reason") or details.get("note") or "").strip()
    if target in (S.APPROVED, S.REFUSED):
        values |= {"decided_by": by, "decided_at": at, "decision_reason": text}
    elif target is S.HANDED_OVER:
        values |= {"record": details["record_id"], "exported_here": details.get("exported_here")}
    elif target is S.EXPORTED_AT_NEW:
        values |= {"reported_by": by, "reported_at": at, "report_note": text}
    elif target is S.NEW_DECLARATION_LINKED:
        values |= {"new_number": str(details["new_number"]).strip()}
        text = text or str(details["new_number"]).strip()
    elif target is S.PART_EXPORTED:
        values |= {"exported_here": details["exported_here"]}
    elif target is S.CLOSED:
        values |= {"bia_note": text, "closed_by": by, "closed_at": at}
    changed = (
        await ExportChange.update({getattr(ExportChange, name): value for name, value in values.items()})
        .where((ExportChange.id == change["id"]) & (ExportChange.state == current.value))
        .returning(ExportChange.id)
    )
    if not changed:
        raise TransitionRefused("state_changed", N_("This change of export place was changed meanwhile. Reload the page."))
    await ExportChangeEvent.insert(
        ExportChangeEvent(
            change=change["id"], from_state=current.value, to_state=target.value, officer=by, made_at=at,
            recorded_at=recorded_at, clause=found.clause, note=text, command_id=command_id,
        )
    )
    return {**change, **values}
