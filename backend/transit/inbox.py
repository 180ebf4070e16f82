"""Transit's decisions for the departure branch's head (Decision 1966, Art 41): lots to assign for the document
check and amendments or cancellations received (CES, 41.1.b.1, 41.3.a), officers' proposals on them to decide
(41.3.b), violation records whose penalty must be recorded as carried out (41.2.b.2), and lots past their deadline
without arrival, for which the head asks the destination to verify (41.1.4.b)."""

from __future__ import annotations

from typing import Any

from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxField, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.transit.services import assignable_officers
from backend.transit.tables import TransitCase
from backend.transit.workflow import STATE_LABELS, TransitState

async def _cases(asking: Asking, where: Any, *, order: Any = TransitCase.changed_at) -> list[dict[str, Any]]:
    """The departure branch's cases, newest (by `order`) first, at most GIAMSAT_INBOX_MAX_PER_KIND."""
    return await TransitCase.select(
        TransitCase.number, TransitCase.state, TransitCase.changed_at, TransitCase.deadline, TransitCase.destination_code,
        TransitCase.amendment_kind, TransitCase.amendment_reason, TransitCase.violation_note,
        TransitCase.assigned_officer.full_name.as_alias("assigned_name"),
    ).where((TransitCase.departure_branch == asking.actor.branch_id) & where).order_by(order, ascending=False).limit(asking.settings.inbox.max_per_kind)


def _item(kind: str, row: dict[str, Any], detail: str, officer: str = "", actions: list[InboxAction] | None = None, **more: Any) -> InboxItem:
    return InboxItem(
        kind=kind,
        ref=row["number"],
        title=gettext("Transit declaration %(number)s to %(destination)s: %(state)s", number=row["number"], destination=row["destination_code"] or "-", state=gettext(STATE_LABELS[row["state"]])),
        number=row["number"],
        detail=detail,
        officer=officer,
        since=row["changed_at"],
        url=f"/transit/{row['number']}",
        actions=actions or [],
        **more,
    )


@inbox_kind("transit.to_assign", label=N_("Transit declarations to assign (CES)"), clause="41.1.b.1, 41.3.a", order=41)
async def to_assign(asking: Asking) -> list[InboxItem]:
    rows = await _cases(asking, TransitCase.state.is_in([TransitState.YELLOW.value, TransitState.AMENDMENT_RECEIVED.value]))
    if not rows:
        return []
    officers = [(officer["code"], f"{officer['code']} — {officer['full_name']}") for officer in await assignable_officers(asking.actor.branch_id)]  # type: ignore[arg-type]
    fields = [
        InboxField(name="officer_code", label=gettext("Officer who checks the documents"), kind="choice", required=True, choices=officers),
        InboxField(name="instructions", label=gettext("Instructions (Nội dung giao việc), if any")),
    ]
    return [
        _item(
            "transit.to_assign",
            row,
            row["amendment_kind"] if row["state"] == TransitState.AMENDMENT_RECEIVED else "",
            actions=[InboxAction(command="transit.assign", label=gettext("Assign (CES)"), payload={"number": row["number"]}, fields=fields)],
        )
        for row in rows
    ]


@inbox_kind("transit.proposal", label=N_("Proposals on amendments and cancellations to decide"), clause="41.3.b", order=41)
async def proposals(asking: Asking) -> list[InboxItem]:
    rows = await _cases(asking, TransitCase.state == TransitState.AMENDMENT_PROPOSED.value)
    return [
        _item(
            "transit.proposal",
            row,
            f"{row['amendment_kind']}: {row['amendment_reason']}".strip(": "),
            row["assigned_name"] or "",
            actions=[
                InboxAction(command="transit.decide_amendment", label=gettext("Accept"), payload={"number": row["number"], "decision": "accept"}),
                InboxAction(
                    command="transit.decide_amendment",
                    label=gettext("Refuse"),
                    payload={"number": row["number"], "decision": "refuse"},
                    fields=[InboxField(name="reason", label=gettext("Reason"), required=True)],
                    danger=True,
                ),
            ],
        )
        for row in rows
    ]


@inbox_kind("transit.violation", label=N_("Transit violation records: the penalty to record"), clause="41.2.b.2", order=41)
async def violations(asking: Asking) -> list[InboxItem]:
    rows = await _cases(asking, TransitCase.state == TransitState.VIOLATION.value)
    return [
        _item(
            "transit.violation",
            row,
            row["violation_note"],
            actions=[
                InboxAction(
                    command="transit.record_penalty",
                    label=gettext("Penalty decision carried out"),
                    payload={"number": row["number"]},
                    fields=[InboxField(name="note", label=gettext("The penalty decision and its outcome for risk management"), required=True)],
                )
            ],
        )
        for row in rows
    ]


@inbox_kind("transit.overdue", label=N_("Transit lots past their deadline"), clause="41.1.4.b", order=41)
async def overdue(asking: Asking) -> list[InboxItem]:
    rows = await _cases(
        asking, (TransitCase.state == TransitState.DEPARTED.value) & (TransitCase.deadline < asking.now), order=TransitCase.deadline
    )
    items = [_item("transit.overdue", row, "", deadline=row["deadline"]) for row in rows]
    for item, row in zip(items, rows):
        item.since = row["deadline"]  # waiting since the lot was due
    return items
