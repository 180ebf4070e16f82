"""The gate's records: which containers or lots have passed, and the reports to the supervisors.

Read by the gate page, the commands (at most one standing confirmation per container or lot), the `gate_passages`
replica dataset and the supervisors' report list. Written only by backend/gate/commands.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.gate.cards import as_datetime
from backend.gate.check import GateRules
from backend.gate.tables import GateReport, Passage, ReportKind
from backend.lib.errors import N_, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Role


_rules: GateRules | None = None


def rules_from(settings: Any) -> GateRules:
    """The check's rules that are giamsat's (the weight tolerance, whether an X-ray warning blocks), from settings."""
    return GateRules(
        weight_tolerance_percent=settings.gate.weight_tolerance_percent,
        xray_warnings_block=settings.gate.xray_warnings_block,
    )


def configure(settings: Any) -> None:
    """Set the rules the server checks with (command handlers see no settings); create_app calls it."""
    global _rules
    _rules = rules_from(settings)


def configured_rules() -> GateRules:
    """The deployment's rules: those configure() set, else those of the process's settings (the CLI, a bench)."""
    if _rules is None:
        from backend.settings import get_settings

        return rules_from(get_settings())
    return _rules


class PassageView(msgspec.Struct, kw_only=True):
    unit: str  # container number, or LOT
    officer: str
    officer_code: str
    location: str
    confirmed_at: datetime
    command_id: str
    scanned: bool


class Progress(msgspec.Struct, kw_only=True):
    """How much of a declaration has passed: "7 / 10 passed" (containers), or the lot."""

    passed: list[PassageView]
    total: int  # containers declared; 1 for a lot

    @property
    def count(self) -> int:
        return len(self.passed)

    def of(self, unit: str) -> PassageView | None:
        return next((p for p in self.passed if p.unit == unit), None)


def standing_key(declaration_id: int, unit: str) -> str:
    return f"{declaration_id}/{unit}"


# Plain SQL: every confirmation reads it, in its chain's transaction (Piccolo's join building cost more than the query).
_STANDING = (
    "SELECT p.unit, o.full_name AS officer, o.code AS officer_code, l.name AS location, p.confirmed_at, p.command_id, "
    "p.scanned FROM gate_passage p JOIN officer o ON o.id = p.officer JOIN location l ON l.id = p.location "
    "WHERE p.declaration = {} AND p.standing_key IS NOT NULL ORDER BY p.id"
)


async def standing_passages(declaration_id: int) -> list[PassageView]:
    """The confirmations of a declaration that stand (not cancelled), in the order they were made."""
    rows = await Passage.raw(_STANDING, declaration_id)
    return [
        PassageView(
            unit=row["unit"],
            officer=row["officer"],
            officer_code=row["officer_code"],
            location=row["location"],
            confirmed_at=as_datetime(row["confirmed_at"]),
            command_id=str(row["command_id"]),
            scanned=bool(row["scanned"]),
        )
        for row in rows
    ]


async def progress(declaration_id: int, containers_declared: int) -> Progress:
    return Progress(passed=await standing_passages(declaration_id), total=containers_declared or 1)


# --- reports to the supervisor ----------------------------------------------------------------------------------


class ReportView(msgspec.Struct, kw_only=True):
    id: int
    kind: ReportKind
    number: str
    location: str
    officer: str
    reasons: list[dict[str, Any]]
    containers: list[str]
    note: str
    cancelled_passages: int
    border_gate: bool  # made at a land border gate: Art 36 (the clauses of what it did)
    issued_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    closing_note: str


REPORT_KIND_LABELS = {
    ReportKind.MISMATCH: N_("Mismatch"),
    ReportKind.EXIT_REFUSED: N_("Exit refused"),
}


async def reports_of_branch(branch_id: int, *, open_only: bool, limit: int = 200) -> list[ReportView]:
    """The branch's reports, newest first; open ones only (not yet closed by a supervisor) when asked."""
    query = GateReport.select(
        GateReport.id,
        GateReport.kind,
        GateReport.number,
        GateReport.location.name.as_alias("location"),
        GateReport.officer.full_name.as_alias("officer"),
        GateReport.reasons,
        GateReport.containers,
        GateReport.note,
        GateReport.cancelled_passages,
        GateReport.location.border_gate.as_alias("border_gate"),
        GateReport.issued_at,
        GateReport.closed_by.full_name.as_alias("closed_by"),
        GateReport.closed_at,
        GateReport.closing_note,
    ).where(GateReport.branch == branch_id)
    if open_only:
        query = query.where(GateReport.closed_at.is_null())
    rows = await query.order_by(GateReport.id, ascending=False).limit(limit)
    return [
        ReportView(
            id=row["id"],
            kind=ReportKind(row["kind"]),
            number=row["number"],
            location=row["location"],
            officer=row["officer"],
            reasons=msgspec.json.decode(row["reasons"]),
            containers=msgspec.json.decode(row["containers"]),
            note=row["note"],
            cancelled_passages=row["cancelled_passages"],
            border_gate=bool(row["border_gate"]),
            issued_at=as_datetime(row["issued_at"]),
            closed_by=row["closed_by"],
            closed_at=as_datetime(row["closed_at"]) if row["closed_at"] is not None else None,
            closing_note=row["closing_note"],
        )
        for row in rows
    ]


async def report_branch(report_id: int) -> int:
    row = await GateReport.select(GateReport.branch).where(GateReport.id == report_id).first()
    if row is None:
        raise NotFound("report_not_found", N_("There is no such report."))
    return row["branch"]


def may_close_reports(actor: Actor, branch_id: int) -> bool:
    """Supervisors close their own branch's reports (the branch head's decision, 35.2.b.2.3)."""
    return actor.role == Role.SUPERVISOR and actor.branch_id == branch_id
