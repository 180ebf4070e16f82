"""/paper: paper declarations, special cases and Art 38.2 requests of the officer's branch, and the print
page of a form 07. Every form writes through the journal (`apply_commands`), like the API and offline sync."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from backend.lib.params import PathRowId
from backend.auth.middleware import require_roles
from backend.barcodes.qr import qr_img_tag
from backend.barcodes.services import keyring_for
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib import clock
from backend.officers.services import locations_of_branch
from backend.officers.tables import Role
from backend.paper import services
from backend.paper.commands import OUTCOME_LABELS
from backend.paper.qr import form07_qr_text
from backend.paper.schemas import DECLARATION_KIND_LABELS
from backend.paper.workflow import STATE_LABELS, RequestState

CAN_USE = (Role.OFFICER, Role.SUPERVISOR)
INT_FIELDS = {"location_id", "request_id"}
PER_REQUEST = {"approve-form", "reject-form", "issue-form", "withdraw-form"}


async def _page(
    request: Request[Any, Any, Any], *, form_id: str | None = None, form: dict[str, Any] | None = None, error: str | None = None
) -> Template:
    actor = request.user
    is_supervisor = actor.role == Role.SUPERVISOR
    waiting = await services.requests_in(actor.branch_id, RequestState.REQUESTED)
    approved = await services.requests_in(actor.branch_id, RequestState.APPROVED)
    # The forms of one request are on the page only while it waits or is approved: a refusal for a request
    # that has moved on meanwhile is said at the top of the page instead of being lost.
    shown = {f"{kind}-{item['id']}-form" for item in waiting for kind in ("approve", "reject", "withdraw")}
    shown |= {f"issue-{item['id']}-form" for item in approved}
    if form_id and form_id not in shown and not form_id.startswith(("confirm-", "report-", "special-", "request-", "box36-", "refuse-")):
        form_id = "page-form"
    locations = await locations_of_branch(actor.branch_id)
    return Template(
        "paper/index.html",
        context={
            "locations": locations,
            # A paper declaration goes by the article of its gate: Art 35.3 (form 07) at ports, airports and ICDs,
            # Art 36.3 (outside state, box 36) at land border gates.
            "port_locations": [place for place in locations if not place["border_gate"]],
            "border_locations": [place for place in locations if place["border_gate"]],
            "border_checks": await services.border_checks(actor.branch_id),
            "forms": await services.recent_forms(actor.branch_id),
            "waiting": waiting,
            "approved": approved,
            "reports": await services.recent_reports(actor.branch_id) if is_supervisor else [],
            "is_supervisor": is_supervisor,
            "basis_labels": services.BASIS_LABELS,
            "kind_labels": DECLARATION_KIND_LABELS,
            "state_labels": STATE_LABELS,
            "outcome_labels": OUTCOME_LABELS,
            "today": clock.now().astimezone(services.VIETNAM).date().isoformat(),
            "error_form": form_id if error else None,
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/paper", guards=[require_roles(*CAN_USE)])
async def paper_page(request: Request[Any, Any, Any]) -> Template:
    return await _page(request)


async def _submit(request: Request[Any, Any, Any], state: State, command_type: str, form_id: str) -> Template | Redirect:
    form = dict(await request.form())
    envelope = envelope_from_form(form, command_type, payload_from_form(form, int_fields=INT_FIELDS))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        if form_id in PER_REQUEST:  # one such form per request on the page: the error goes to the one used
            form_id = f"{form_id.removesuffix('-form')}-{str(form.get('request_id', ''))[:12]}-form"
        return await _page(request, form_id=form_id, form=form, error=outcome.reason)
    return Redirect("/paper", status_code=303)


@post("/paper/declarations/confirm", guards=[require_roles(*CAN_USE)])
async def confirm_declaration(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.confirm_declaration", "confirm-form")


@post("/paper/declarations/report", guards=[require_roles(*CAN_USE)])
async def report_declaration(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.report_declaration", "report-form")


@post("/paper/border/sign", guards=[require_roles(*CAN_USE)])
async def sign_box36(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.sign_box36", "box36-form")


@post("/paper/border/refuse", guards=[require_roles(*CAN_USE)])
async def refuse_exit(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.refuse_exit", "refuse-form")


@post("/paper/special-cases", guards=[require_roles(*CAN_USE)])
async def record_special_case(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.record_special_case", "special-form")


@post("/paper/requests", guards=[require_roles(*CAN_USE)])
async def request_export_exit(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.request_export_exit", "request-form")


@post("/paper/requests/decide", guards=[require_roles(Role.SUPERVISOR)])
async def decide_request(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    form = await request.form()
    which = "approve-form" if form.get("decision") == "approve" else "reject-form"
    return await _submit(request, state, "paper.decide_request", which)


@post("/paper/requests/issue", guards=[require_roles(*CAN_USE)])
async def issue_form07(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.issue_form07", "issue-form")


@post("/paper/requests/withdraw", guards=[require_roles(*CAN_USE)])
async def withdraw_request(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _submit(request, state, "paper.withdraw_request", "withdraw-form")


@get("/paper/forms/{form_id:int}/print", guards=[require_roles(*CAN_USE)])
async def print_form07(request: Request[Any, Any, Any], state: State, form_id: PathRowId) -> Template:
    form = await services.form_view(request.user, form_id)
    qr_text = form07_qr_text(keyring_for(state.settings), form.serial)
    return Template(
        "paper/print.html",
        context={
            "f": form,
            "qr": qr_img_tag(qr_text, form.serial, css_class="qr form07-qr"),
            "qr_text": qr_text,
            "basis_labels": services.BASIS_LABELS,
            "kind_labels": DECLARATION_KIND_LABELS,
        },
    )


ROUTES = [
    paper_page,
    confirm_declaration,
    report_declaration,
    sign_box36,
    refuse_exit,
    record_special_case,
    request_export_exit,
    decide_request,
    issue_form07,
    withdraw_request,
    print_form07,
]
