"""What the paper commands share (locations, containers, the form 07 serial) and what its pages read.

Handlers run inside the journal's transaction for the actor's branch (backend/journal/services.py): a
branch's writes are serialized there, so the next serial of a branch is read and used in one step, and the
unique `serial` column refuses a repeat should anything else ever write the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from backend.barcodes import iso6346
from backend.lib.errors import N_, DomainError, NotFound
from backend.officers.schemas import Actor
from backend.officers.services import location_of_branch
from backend.paper.schemas import GoodsLine, goods_from_json
from backend.paper.tables import BorderCheck, ExportExitRequest, Form07, PaperReport
from backend.paper.workflow import RequestState

VIETNAM = timezone(timedelta(hours=7))
PAGE_LIMIT = 50  # forms, requests and reports a list on /paper shows

# What allows goods through on a form 07 (Form07.basis).
BASIS_PAPER_DECLARATION = "paper_declaration"  # Art 35.3.a / 36.3.a
BASIS_AUTHORITY_DOCUMENT = "authority_document"  # Art 37.1-2 → 38.1
BASIS_EXPORT_EXIT_REQUEST = "export_exit_request"  # Art 37.3 → 38.2

# What a border check (Art 36.3, BorderCheck.outcome) came to.
BOX36_SIGNED = "box36_signed"  # 36.3.a
EXIT_REFUSED = "exit_refused"  # 36.3.b

BASIS_LABELS = {
    BASIS_PAPER_DECLARATION: N_("Paper customs declaration"),
    BASIS_AUTHORITY_DOCUMENT: N_("Document of the competent authority"),
    BASIS_EXPORT_EXIT_REQUEST: N_("Declarant's request approved by the branch head"),
}


# The location a command names, if it is one of the actor's branch (backend/officers/services.py).
check_location = location_of_branch


def clean_containers(text: str) -> str:
    """Container numbers (ISO 6346, check digit checked), one a line; separated by spaces, commas or lines."""
    numbers = []
    for raw in re.split(r"[\s,;]+", text.strip()):
        if not raw:
            continue
        verdict = iso6346.check(raw)
        if not verdict.valid:
            if verdict.hints:
                raise DomainError(
                    "invalid_container",
                    N_("Container number %(number)s is not valid (ISO 6346). Did you mean %(hints)s?"),
                    number=verdict.number, hints=", ".join(verdict.hints),
                )
            raise DomainError(
                "invalid_container", N_("Container number %(number)s is not valid (ISO 6346)."), number=verdict.number
            )
        numbers.append(verdict.number)
    return "\n".join(dict.fromkeys(numbers))


def vietnam_year(moment: datetime) -> int:
    return moment.astimezone(VIETNAM).year


def serial_of(branch_code: str, year: int, seq: int) -> str:
    """`07/<branch code>/<year>/<seq>`, e.g. 07/HP-KV3/2026/000123 (upper case: the QR's alphanumeric mode)."""
    return f"07/{branch_code.upper()}/{year}/{seq:06d}"


async def next_serial(actor: Actor, moment: datetime) -> tuple[int, int, str]:
    """(year, seq, serial) of the branch's next form 07 in the Vietnam year of `moment`.

    Call only inside a command handler: the journal holds the branch's lock for the transaction."""
    year = vietnam_year(moment)
    rows = await Form07.raw(
        "SELECT MAX(seq) AS last FROM paper_form07 WHERE branch = {} AND year = {}", actor.branch_id, year
    )
    seq = (rows[0]["last"] or 0) + 1 if rows else 1
    return year, seq, serial_of(actor.branch_code or "HQ", year, seq)


# --- reading, for the pages --------------------------------------------------------------------------------


@dataclass
class FormView:
    """A form 07 as the print page shows it."""

    id: int
    serial: str
    basis: str
    basis_number: str
    basis_date: date | None
    basis_issuer: str
    basis_detail: str
    declarant_name: str
    declarant_tax_code: str
    vehicle: str
    containers: list[str]
    goods: list[GoodsLine]
    location_name: str
    officer_name: str
    officer_code: str
    branch_name: str
    branch_code: str
    issued_at: datetime
    request: dict[str, Any] | None


async def recent_forms(branch_id: int | None, limit: int = PAGE_LIMIT) -> list[dict[str, Any]]:
    return await (
        Form07.select(
            Form07.id, Form07.serial, Form07.basis, Form07.basis_number, Form07.declarant_name, Form07.issued_at,
            Form07.location.name.as_alias("location_name"), Form07.officer.full_name.as_alias("officer_name"),
        )
        .where(Form07.branch == branch_id)
        .order_by(Form07.id, ascending=False)
        .limit(limit)
    )


async def form_view(actor: Actor, form_id: int) -> FormView:
    """A form of the actor's branch; another branch's form is not found (404), as if it did not exist."""
    row = await (
        Form07.select(
            Form07.all_columns(),
            Form07.location.name.as_alias("location_name"),
            Form07.officer.full_name.as_alias("officer_name"),
            Form07.officer.code.as_alias("officer_code"),
            Form07.branch.name.as_alias("branch_name"),
            Form07.branch.code.as_alias("branch_code"),
        )
        .where((Form07.id == form_id) & (Form07.branch == actor.branch_id))
        .first()
    )
    if row is None or actor.branch_id is None:
        raise NotFound("unknown_form", N_("There is no such form 07 in your branch."))
    request = None
    if row["request"] is not None:
        request = await ExportExitRequest.select().where(ExportExitRequest.id == row["request"]).first()
    return FormView(
        id=row["id"], serial=row["serial"], basis=row["basis"], basis_number=row["basis_number"],
        basis_date=row["basis_date"], basis_issuer=row["basis_issuer"], basis_detail=row["basis_detail"],
        declarant_name=row["declarant_name"], declarant_tax_code=row["declarant_tax_code"], vehicle=row["vehicle"],
        containers=[number for number in row["containers"].split("\n") if number],
        goods=goods_from_json(row["goods"]), location_name=row["location_name"], officer_name=row["officer_name"],
        officer_code=row["officer_code"], branch_name=row["branch_name"], branch_code=row["branch_code"],
        issued_at=row["issued_at"], request=request,
    )


async def requests_in(
    branch_id: int | None, *states: RequestState, limit: int = PAGE_LIMIT, newest_first: bool = False
) -> list[dict[str, Any]]:
    """The branch's Art 38.2 requests in these states, oldest first (the queue a supervisor works through), or
    newest first (the inbox: what just arrived is never left out)."""
    rows = await (
        ExportExitRequest.select(
            ExportExitRequest.all_columns(),
            ExportExitRequest.location.name.as_alias("location_name"),
            ExportExitRequest.officer.full_name.as_alias("officer_name"),
        )
        .where((ExportExitRequest.branch == branch_id) & ExportExitRequest.state.is_in([state.value for state in states]))
        .order_by(ExportExitRequest.id, ascending=not newest_first)
        .limit(limit)
    )
    for row in rows:
        row["goods_lines"] = goods_from_json(row["goods"])
    return rows


async def recent_reports(branch_id: int | None, limit: int = PAGE_LIMIT) -> list[dict[str, Any]]:
    return await (
        PaperReport.select(
            PaperReport.all_columns(),
            PaperReport.location.name.as_alias("location_name"),
            PaperReport.officer.full_name.as_alias("officer_name"),
            PaperReport.officer.code.as_alias("officer_code"),
        )
        .where(PaperReport.branch == branch_id)
        .order_by(PaperReport.id, ascending=False)
        .limit(limit)
    )



async def border_checks(branch_id: int | None, *, outcome: str | None = None, limit: int = PAGE_LIMIT) -> list[dict[str, Any]]:
    """The branch's Art 36.3 checks of paper declarations at border gates, newest first (one outcome, or all)."""
    query = BorderCheck.select(
        BorderCheck.all_columns(),
        BorderCheck.location.name.as_alias("location_name"),
        BorderCheck.officer.full_name.as_alias("officer_name"),
        BorderCheck.officer.code.as_alias("officer_code"),
    ).where(BorderCheck.branch == branch_id)
    if outcome is not None:
        query = query.where(BorderCheck.outcome == outcome)
    return await query.order_by(BorderCheck.id, ascending=False).limit(limit)
