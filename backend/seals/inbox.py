"""The seals domain's decisions for the branch head: what receiving branches found about this branch's records —
violation records (Art 41.2.b.2) and, found at a bonded warehouse, proposals for a physical inspection
(Art 43.1.c.4) — open until a supervisor closes them with what was done."""

from __future__ import annotations

from backend.gate.cards import as_datetime
from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxField, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext
from backend.seals import services


@inbox_kind("seals.violation", label=N_("Violation records and inspection proposals from receiving branches"), clause="41.2.b.2, 43.1.c.4", order=41)
async def open_violations(asking: Asking) -> list[InboxItem]:
    violations = await services.violations_for(asking.actor.branch_id, open_only=True, limit=asking.settings.inbox.max_per_kind)
    return [
        InboxItem(
            kind="seals.violation",
            ref=str(violation.id),
            title=gettext("Record %(serial)s, found by %(branch)s", serial=violation.record_serial, branch=violation.by_branch_code),
            number=violation.declaration_number,
            detail=violation.text,
            officer=violation.officer,
            since=as_datetime(violation.issued_at),
            url="/seals/violations",
            actions=[
                InboxAction(
                    command="seals.close_violation",
                    label=gettext("Close the violation record"),
                    payload={"violation_id": violation.id},
                    fields=[InboxField(name="note", label=gettext("What was done"), required=True)],
                )
            ],
        )
        for violation in violations
    ]
