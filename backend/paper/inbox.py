"""Paper's decision for the branch head: Art 38.2 requests to take export goods out of the port, waiting for the
head's approval (Art 38.2.a) before form 07 may be made."""

from __future__ import annotations

from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.gate.cards import as_datetime
from backend.paper import services
from backend.paper.workflow import RequestState


@inbox_kind("paper.export_exit_request", label=N_("Requests to take export goods out (Art 38.2)"), clause="38.2.a", order=38)
async def waiting_requests(asking: Asking) -> list[InboxItem]:
    rows = await services.requests_in(asking.actor.branch_id, RequestState.REQUESTED)
    return [
        InboxItem(
            kind="paper.export_exit_request",
            ref=str(row["id"]),
            title=gettext("Request %(number)s of %(declarant)s", number=row["request_number"], declarant=row["declarant_name"]),
            detail=row["location_name"] or "",
            officer=row["officer_name"] or "",
            since=as_datetime(row["issued_at"]),
            url=f"/paper#request-{row['id']}",
        )
        for row in rows
    ]
