"""Export place's decisions for a branch's supervisors (Decision 1966, Art 43.3.b-c):
- the exit gate's lots at the gate for 15 days without crossing: notify the bonded warehouse's branch (43.3.b);
- that notice, at the bonded warehouse's branch: watch the lot jointly (43.3.b), until acknowledged or exported;
- changes of export place proposed to the head (43.3.c.1.1.1, c.2.1.1, c.3.1.1, c.4.1.1);
- at the original exit gate, the branch of registration's notice of a change of exit gate: require a new transit
  declaration (43.3.c.2.2.1, c.4.2.1)."""

from __future__ import annotations

from backend.export_place import services
from backend.export_place.tables import ExportChange, ExportLetter
from backend.export_place.workflow import KIND_LABELS, ChangeState
from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxField, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.transit.workflow import TransitState


@inbox_kind("export_place.gate_15_days", label=N_("Lots at the exit gate for 15 days: notify the bonded warehouse's branch"), clause="43.3.b", order=43)
async def gate_15_days(asking: Asking) -> list[InboxItem]:
    rows = await services.gate_overdue(asking.actor.branch_id, asking.now, asking.settings.inbox.max_per_kind)  # type: ignore[arg-type]
    return [
        InboxItem(
            kind="export_place.gate_15_days",
            ref=row["number"],
            title=gettext("Transit declaration %(number)s: at the exit gate for 15 days, not exported", number=row["number"]),
            number=row["number"],
            detail=gettext("Notify %(branch)s in writing (Art 43.3.b)", branch=row["warehouse_branch_code"]),
            since=services.gate_deadline(row),  # type: ignore[arg-type]
            url="/export-place",
            actions=[InboxAction(command="export_place.notify_warehouse", label=gettext("Send the notice"), payload={"number": row["number"]})],
        )
        for row in rows
    ]


@inbox_kind("export_place.gate_notice", label=N_("Notices from the exit gate: lots to watch jointly"), clause="43.3.b", order=43)
async def gate_notice(asking: Asking) -> list[InboxItem]:
    rows = await ExportLetter.select(
        ExportLetter.id, ExportLetter.made_at, ExportLetter.case.number.as_alias("number"), ExportLetter.from_branch.code.as_alias("from_code"),
    ).where(
        (ExportLetter.kind == services.GATE_15_DAYS) & (ExportLetter.to_branch == asking.actor.branch_id)
        & ExportLetter.acknowledged_at.is_null() & (ExportLetter.case.state != TransitState.ARRIVED.value)
    ).order_by(ExportLetter.id, ascending=False).limit(asking.settings.inbox.max_per_kind)
    return [
        InboxItem(
            kind="export_place.gate_notice",
            ref=str(row["id"]),
            title=gettext("Transit declaration %(number)s: at the exit gate for 15 days, not exported", number=row["number"]),
            number=row["number"],
            detail=gettext("Notice from %(branch)s: watch the lot until it is exported (Art 43.3.b)", branch=row["from_code"]),
            officer=row["from_code"],
            since=row["made_at"],
            url=f"/export-place/letters/{row['id']}",
            actions=[InboxAction(command="export_place.acknowledge", label=gettext("Acknowledge"), payload={"letter_id": row["id"]})],
        )
        for row in rows
    ]


@inbox_kind("export_place.to_decide", label=N_("Changes of export place to approve"), clause="43.3.c", order=43)
async def to_decide(asking: Asking) -> list[InboxItem]:
    branch = asking.actor.branch_id
    rows = await ExportChange.select(
        ExportChange.id, ExportChange.number, ExportChange.kind, ExportChange.changed_at, ExportChange.declarant_notice,
        ExportChange.new_place.code.as_alias("new_place_code"), ExportChange.proposed_by.full_name.as_alias("officer"),
    ).where(
        (ExportChange.state == ChangeState.PROPOSED.value)
        & (
            (ExportChange.kind.is_in(["c1", "c3"]) & (ExportChange.original_branch == branch))
            | (ExportChange.kind.is_in(["c2", "c4"]) & (ExportChange.registration_branch == branch))
        )
    ).order_by(ExportChange.changed_at, ascending=False).limit(asking.settings.inbox.max_per_kind)
    return [
        InboxItem(
            kind="export_place.to_decide",
            ref=str(row["id"]),
            title=gettext("Transit declaration %(number)s: %(kind)s to %(place)s", number=row["number"], kind=gettext(KIND_LABELS[row["kind"]]), place=row["new_place_code"]),
            number=row["number"],
            detail=row["declarant_notice"],
            officer=row["officer"] or "",
            since=row["changed_at"],
            url=f"/export-place/changes/{row['id']}",
            actions=[
                InboxAction(command="export_place.decide", label=gettext("Approve"), payload={"change_id": row["id"], "decision": "approve"}),
                InboxAction(
                    command="export_place.decide", label=gettext("Refuse"), payload={"change_id": row["id"], "decision": "refuse"},
                    fields=[InboxField(name="reason", label=gettext("Reason"), required=True)], danger=True,
                ),
            ],
        )
        for row in rows
    ]


@inbox_kind("export_place.change_notice", label=N_("Changes of exit gate notified: require a new transit declaration"), clause="43.3.c.2.2.1, c.4.2.1", order=43)
async def change_notice(asking: Asking) -> list[InboxItem]:
    rows = await ExportLetter.select(
        ExportLetter.id, ExportLetter.made_at, ExportLetter.change, ExportLetter.case.number.as_alias("number"),
        ExportLetter.from_branch.code.as_alias("from_code"), ExportLetter.change.state.as_alias("change_state"),
    ).where(
        (ExportLetter.kind == services.CHANGE_NOTICE) & (ExportLetter.to_branch == asking.actor.branch_id)
        & ExportLetter.acknowledged_at.is_null() & (ExportLetter.change.state == ChangeState.APPROVED.value)
    ).order_by(ExportLetter.id, ascending=False).limit(asking.settings.inbox.max_per_kind)
    return [
        InboxItem(
            kind="export_place.change_notice",
            ref=str(row["id"]),
            title=gettext("Transit declaration %(number)s: change of exit gate approved by %(branch)s", number=row["number"], branch=row["from_code"]),
            number=row["number"],
            detail=gettext("Require the declarant to register a new transit declaration (Art 43.3.c.2.2.1, c.4.2.1)"),
            officer=row["from_code"],
            since=row["made_at"],
            url=f"/export-place/changes/{row['change']}",
            actions=[InboxAction(command="export_place.require_declaration", label=gettext("New transit declaration required"), payload={"change_id": row["change"]})],
        )
        for row in rows
    ]
