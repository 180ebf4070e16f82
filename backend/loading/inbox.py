"""Loading's decision for the branch head: a plan whose supervision measure the team proposed, waiting for the head
to decide it (Art 40.1, 40.2: "đề xuất với Chi cục trưởng … quyết định biện pháp, phương thức giám sát")."""

from __future__ import annotations

from typing import Any

from backend.gate.cards import as_datetime
from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxField, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.loading import services
from backend.loading.schemas import KIND_LABELS, METHOD_LABELS
from backend.loading.workflow import PlanState


def _decisions(row: dict[str, Any]) -> list[InboxAction]:
    """Approve the proposal, or change it (method and measure): both signed, as the head's decision."""
    methods = [(key, gettext(label)) for key, label in METHOD_LABELS.items()]
    return [
        InboxAction(command="loading.decide", label=gettext("Approve the measure (sign)"), payload={"plan_id": row["id"], "decision": "approve"}),
        InboxAction(
            command="loading.decide",
            label=gettext("Change the measure (sign)"),
            payload={"plan_id": row["id"], "decision": "change"},
            fields=[
                InboxField(name="method", label=gettext("Supervision method"), kind="choice", required=True, choices=methods),
                InboxField(name="measure", label=gettext("The measure you decide"), required=True),
            ],
        ),
    ]


@inbox_kind("loading.plan", label=N_("Loading and transhipment plans: measures to decide (Art 40)"), clause="40.1, 40.2", order=40)
async def proposed_plans(asking: Asking) -> list[InboxItem]:
    rows = await services.plans_for(asking.actor, states=[PlanState.PROPOSED], limit=asking.settings.inbox.max_per_kind)
    return [
        InboxItem(
            kind="loading.plan",
            ref=str(row["id"]),
            title=gettext("%(kind)s: %(vessel)s, %(premises)s", kind=gettext(KIND_LABELS[row["kind"]]), vessel=row["vessel"], premises=row["premises_name"]),
            detail=gettext("Proposed: %(method)s. %(measure)s", method=gettext(METHOD_LABELS.get(row["proposed_method"], "")) if row["proposed_method"] in METHOD_LABELS else "", measure=row["proposed_measure"]),
            officer=row["proposed_by_name"] or "",
            since=as_datetime(row["proposed_at"]),
            deadline=as_datetime(row["starts_at"]),  # the work starts: decide before
            url=f"/loading/{row['id']}",
            actions=_decisions(row),
        )
        for row in rows
    ]
