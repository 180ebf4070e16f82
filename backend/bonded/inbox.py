"""Physical inspections proposed on signs of a violation at a bonded warehouse (Decision 1966 Art 43.1.c.4, 43.2.b,
43.3.a.1), in the inbox of the supervisors of the branch managing it: the head decides — inspect, or no inspection
with the reason — and the decision is signed (`bonded.decide_inspection`)."""

from __future__ import annotations

from backend.bonded import services
from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxField, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext


@inbox_kind("bonded.inspection", label=N_("Physical inspections proposed at bonded warehouses"), clause="43.1.c.4, 43.2.b, 43.3.a.1", order=43)
async def proposed_inspections(asking: Asking) -> list[InboxItem]:
    rows = await services.open_proposals(asking.actor, limit=asking.settings.inbox.max_per_kind)
    items = []
    for row in rows:
        url = f"/bonded/out/{row['release']}" if row["release"] else f"/bonded#entry-{row['entry']}"
        note = InboxField(name="note", label=gettext("Note (required for no inspection)"))
        items.append(
            InboxItem(
                kind="bonded.inspection",
                ref=str(row["id"]),
                title=gettext("Proposal for a physical inspection (Art %(clause)s)", clause=row["clause"]) + f" — {row['premises_name']}",
                number=row["release_number"] or row["entry_number"] or "",
                detail=row["text"],
                officer=row["officer_name"],
                since=row["issued_at"],
                url=url,
                actions=[
                    InboxAction(command="bonded.decide_inspection", label=gettext("Inspect"), payload={"proposal_id": row["id"], "decision": "inspect"}, fields=[note]),
                    InboxAction(command="bonded.decide_inspection", label=gettext("No inspection"), payload={"proposal_id": row["id"], "decision": "no_inspection"},
                                fields=[InboxField(name="note", label=gettext("Why no inspection"), required=True)], danger=True),
                ],
            )
        )
    return items
