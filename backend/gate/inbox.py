"""The gate's decisions for the branch head: open reports from the gates — container numbers or seals not as
declared (Art 35.2.b.2.3) and exits refused at a border gate (Art 36.2.c.2.3) — until a supervisor closes them."""

from __future__ import annotations

from typing import Any

from backend.gate import services
from backend.gate.tables import ReportKind
from backend.inbox.registry import Asking, inbox_kind
from backend.inbox.schemas import InboxAction, InboxField, InboxItem
from backend.lib.errors import N_
from backend.lib.i18n import gettext


@inbox_kind("gate.report", label=N_("Reports from the gates"), clause="35.2.b.2.3, 36.2.c.2.3", order=35)
async def open_reports(asking: Asking) -> list[InboxItem]:
    reports = await services.reports_of_branch(asking.actor.branch_id, open_only=True, limit=asking.settings.inbox.max_per_kind)  # type: ignore[arg-type]
    return [
        InboxItem(
            kind="gate.report",
            ref=str(report.id),
            title=gettext(services.REPORT_KIND_LABELS[report.kind]) + f" — {report.location}",
            number=report.number,
            detail="; ".join([_worded(reason) for reason in report.reasons] + ([report.note] if report.note else [])),
            officer=report.officer,
            since=report.issued_at,
            url=f"/gate/reports#report-{report.id}",
            actions=[
                InboxAction(
                    command="gate.close_report",
                    label=gettext("Close the report"),
                    payload={"report_id": report.id},
                    fields=[InboxField(name="note", label=gettext("What was decided"))],
                )
            ],
        )
        for report in reports
        if report.kind in (ReportKind.MISMATCH, ReportKind.EXIT_REFUSED)
    ]


def _worded(reason: dict[str, Any]) -> str:
    """A reason the officer's device gave with the report (gate.commands: stored as {"code": ...}), shown by its code
    as the reports page shows it."""
    return str(reason.get("code", ""))
