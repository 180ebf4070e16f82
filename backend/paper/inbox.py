"""Paper's decision for the branch head: Art 38.2 requests to take export goods out of the port, waiting for the
head's approval (Art 38.2.a) before form 07 may be made."""

from __future__ import annotations

from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxField, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.gate.cards import as_datetime
from backend.paper import services
from backend.paper.workflow import RequestState


def _decisions(row: dict) -> list[InboxAction]:
    """Approve (signed: it replaces the head's signature, 38.2.a) or reject with the reason (signed too)."""
    fixed = {"location_id": row["location"], "request_id": row["id"]}
    return [
        InboxAction(command="paper.decide_request", label=gettext("Approve (sign)"), payload={**fixed, "decision": "approve"}),
        InboxAction(
            command="paper.decide_request",
            label=gettext("Reject (sign)"),
            payload={**fixed, "decision": "reject"},
            fields=[InboxField(name="reason", label=gettext("Reason for rejecting"), required=True)],
            danger=True,
        ),
    ]


@inbox_kind("paper.export_exit_request", label=N_("Requests to take export goods out (Art 38.2)"), clause="38.2.a", order=38)
async def waiting_requests(asking: Asking) -> list[InboxItem]:
    rows = await services.requests_in(asking.actor.branch_id, RequestState.REQUESTED, limit=asking.settings.inbox.max_per_kind, newest_first=True)
    return [
        InboxItem(
            kind="paper.export_exit_request",
            ref=str(row["id"]),
            title=gettext("Request %(number)s of %(declarant)s", number=row["request_number"], declarant=row["declarant_name"]),
            detail=row["location_name"] or "",
            officer=row["officer_name"] or "",
            since=as_datetime(row["issued_at"]),
            url=f"/paper#request-{row['id']}",
            actions=_decisions(row),
        )
        for row in rows
    ]
