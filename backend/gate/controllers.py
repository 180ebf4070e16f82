"""The gate: the officer's page (scan, verdict, confirm), the supervisors' report list, and the gate API (a
declaration's gate card, the server's check of what the officer sees).

Who: officers and supervisors of any branch. Goods registered at one branch pass the gates of another (transit,
ports served by several branches), so every gate must see every card and check it — as the declaration lookups
(IID / IEX / ITF) allow. Warehouse staff and admins do not work the gate.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.barcodes import payload as barcode_payload
from backend.barcodes.payload import BarcodeError
from backend.barcodes.services import keyring_for
from backend.declarations.tables import KIND_LABELS, Declaration
from backend.gate import services
from backend.gate.cards import card_for
from backend.gate.check import GateCard, Presented, check_passage
from backend.gate.schemas import CheckRequest, ReasonView, VerdictView
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib.errors import DomainError
from backend.lib.i18n import gettext
from backend.officers.services import locations_of_branch
from backend.officers.tables import Role

GATE_ROLES = (Role.OFFICER, Role.SUPERVISOR)


@get("/api/v1/gate/cards/{number:str}", guards=[require_roles(*GATE_ROLES)], summary="A declaration's gate card")
async def get_card(number: FromPath[str]) -> GateCard:
    """What the gate must see of the declaration; 400 `bad_number`, 404 `declaration_not_found`."""
    return await card_for(number)


@post("/api/v1/gate/check", guards=[require_roles(*GATE_ROLES)], status_code=200, summary="Check goods at the gate")
async def post_check(data: JSONBody[CheckRequest]) -> VerdictView:
    """The verdict on what the officer sees, every reason naming its clause and worded in the caller's language.

    The same rules as the device's check (backend/gate/check.py), on the server's current card. 400 for a malformed
    body or number, 404 `declaration_not_found`.
    """
    card = await card_for(data.number)
    presented = Presented(
        containers=data.containers,
        whole_lot=data.whole_lot,
        weight_kg=data.weight_kg,
        package_count=data.package_count,
        outside_state=data.outside_state,
        seals_intact=data.seals_intact,
    )
    verdict = check_passage(
        card, presented, scanned_version=data.scanned_version, border_gate=data.border_gate,
        rules=services.configured_rules(),
    )
    return VerdictView(number=card.number, version=card.version, eligible=verdict.eligible, reasons=_reason_views(verdict.reasons))


def _reason_views(reasons: list[Any]) -> list[ReasonView]:
    return [
        ReasonView(
            code=r.code, clause=r.clause, severity=r.severity, message=r.text(), params=r.params, by_analogy=r.by_analogy
        )
        for r in reasons
    ]


async def _server_result(request: Request[Any, Any, Any], code: str, location: dict[str, Any] | None) -> dict[str, Any]:
    """What the server sees for a scanned or typed code: the page's result without script (read-only: confirming
    needs the device's passkey, so it needs the page's script), and the first view before the script takes over."""
    try:
        scanned = barcode_payload.decode(keyring_for(request.app.state.settings), code)
    except BarcodeError as error:
        return {"error": gettext(error.message, **error.params)}
    try:
        card = await card_for(scanned.number)
    except DomainError as error:
        return {"error": gettext(error.message, **error.params)}
    verdict = check_passage(
        card, Presented(), scanned_version=scanned.version, border_gate=bool(location and location["border_gate"]),
        rules=services.configured_rules(),
    )
    row = await Declaration.select(Declaration.id).where(Declaration.number == card.number).first()
    progress = await services.progress(row["id"], len(card.containers))
    return {
        "card": card,
        "eligible": verdict.eligible,
        "reasons": _reason_views(verdict.reasons),
        "progress": progress,
        "scanned_version": scanned.version,
    }


@get("/gate", guards=[require_roles(*GATE_ROLES)])
async def gate_page(
    request: Request[Any, Any, Any], code: FromQuery[str | None] = None, location: FromQuery[int | None] = None
) -> Template:
    """The officer's gate page: choose the gate, scan or type the list's code, see the verdict, confirm.

    The page's script (frontend/static/js/gate-page.js) checks on the device from the replicated gate cards, online
    or offline, and sends confirmations through the device queue. Without script the server shows the verdict.
    """
    locations = await locations_of_branch(request.user.branch_id)
    chosen = next((place for place in locations if place["id"] == location), locations[0] if locations else None)
    result = await _server_result(request, code.strip(), chosen) if code and code.strip() else None
    return Template(
        "gate/index.html",
        context={
            "locations": locations,
            "location": chosen,
            "code": code or "",
            "result": result,
            "kind_labels": {kind: gettext(label) for kind, label in KIND_LABELS.items()},
            # giamsat's own rules, for the device's twin of the check (gate/_check_messages.html).
            "gate_rules": msgspec.to_builtins(services.configured_rules()),
        },
        status_code=200,
    )


@get("/gate/reports", guards=[require_roles(Role.SUPERVISOR)])
async def reports_page(request: Request[Any, Any, Any], show: FromQuery[str | None] = None) -> Template:
    """The branch's reports from the gates (mismatches, exits refused), for its supervisors; open ones first."""
    return await _reports(request, open_only=show != "all")


async def _reports(request: Request[Any, Any, Any], *, open_only: bool, error: str | None = None) -> Template:
    reports = await services.reports_of_branch(request.user.branch_id, open_only=open_only)
    return Template(
        "gate/reports.html",
        context={
            "reports": reports,
            "open_only": open_only,
            "error": error,
            "kind_labels": {kind: gettext(label) for kind, label in services.REPORT_KIND_LABELS.items()},
        },
        status_code=422 if error else 200,
    )


@post("/gate/reports", guards=[require_roles(Role.SUPERVISOR)])
async def close_report_form(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    """Closing a report from the page without its script: the same `gate.close_report` command, then back."""
    form = dict(await request.form())
    try:
        report_id = int(form.get("report_id") or 0)
    except ValueError:
        report_id = 0
    payload = {"report_id": report_id, "note": str(form.get("note") or "")}
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, "gate.close_report", payload)], request.user)
    if outcome.status == "rejected":
        return await _reports(request, open_only=True, error=outcome.reason)
    return Redirect("/gate/reports", status_code=303)


ROUTES = [get_card, post_check, gate_page, reports_page, close_report_form]
