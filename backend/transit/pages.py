"""The transit pages: the officer's transit list, a declaration's transit page (its facts, the departure branch's
risk notes, the timeline and the forms of its next steps), and the departure branch's overdue list.

Thin: the services read, the commands change. Every form is a command through the device queue (`data-command`),
signed where `SIGNED_COMMANDS` says so; without the page's script the form posts to `POST /transit/{number}/{step}`,
which applies the same command and shows its refusal in words at the form (a signed command needs the script: its
refusal says so). Who: officers and supervisors; a case is answered only to its departure branch, and to its
destination branch once departed (policy.may_see: 404 otherwise). Which forms a page offers: next_steps.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.barcodes import payload as barcode_payload
from backend.barcodes.payload import DocumentKind
from backend.barcodes.services import keyring_for
from backend.declarations.services import parse_number
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib import clock
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.lib.params import PathRowId
from backend.logbook.services import vietnam_day
from backend.officers.services import locations_of_branch
from backend.officers.tables import Role
from backend.transit import arrival, next_steps, policy, services
from backend.transit.workflow import STATE_LABELS

STAFF = require_roles(Role.OFFICER, Role.SUPERVISOR)
INT_FIELDS = {"location_id", "request_id"}
LIST_FIELDS = {"lines"}
EXIT_MODE_LABELS = {
    "road": N_("Road border gate"),
    "river": N_("River border gate"),
    "inland_waterway": N_("Inland-waterway border gate"),
    "rail": N_("International rail border gate"),
}
RISK_SOURCE_LABELS = {
    "departure": N_("The departure branch's note for the destination"),
    "upstream": N_("Risk management (national system)"),
    "xray": N_("X-ray image result (form 03/KQSCT/GSQL)"),
    "instructions": N_("The departure head's instructions for the document check"),
}


def _opened(request: Request[Any, Any, Any], text: str) -> str:
    """Where a number typed, or the approval notice's barcode scanned, leads: the declaration's page, with what was
    read kept for the destination's arrival check (41.2.a.1: "sử dụng thiết bị đọc mã vạch hoặc nhập thông tin số
    tờ khai"). The barcode's signature is checked here and again by the check's command."""
    try:
        number = parse_number(text)
        return f"/transit/{number}?{urlencode({'notice': number})}"
    except DomainError:
        read = barcode_payload.decode(keyring_for(request.app.state.settings), text)  # BarcodeError: said in words
    if read.kind is not DocumentKind.TRANSIT_NOTICE:
        raise DomainError(
            "notice_wrong_document",
            N_("This barcode is not on an approval notice of a transit declaration: scan the notice's barcode (Decision 1966, Art 41.2.a.1)."),
        )
    return f"/transit/{read.number}?{urlencode({'notice': ''.join(text.split()).upper()})}"


@get("/transit", guards=[STAFF])
async def transit_page(request: Request[Any, Any, Any], number: FromQuery[str | None] = None) -> Template | Redirect:
    """What waits for the officer and the branch; a number typed or the approval notice's barcode scanned opens
    that declaration's page."""
    error = None
    if number and number.strip():
        try:
            return Redirect(_opened(request, number), status_code=303)
        except DomainError as refusal:
            error = gettext(refusal.message, **refusal.params)
    actor = request.user
    now = clock.now()
    faxes = await services.notice_faxes_due(actor)
    return Template(
        "transit/index.html",
        context={
            "lists": await services.transit_lists(actor, now),
            "violations": await services.violations_to_handle(actor, now),
            "letters": [letter for letter in await services.verification_requests_for(actor) if letter.answered_at is None],
            "overdue_count": len(await services.overdue_list(actor, now)),
            # Art 41.2.b.1.1.1: gate-area arrivals the System has not confirmed, their notice to fax within the day.
            "notice_faxes": faxes,
            "notice_fax_overdue": {row["id"] for row in faxes if vietnam_day(row["exit_area_at"]) < vietnam_day(now)},
            "is_supervisor": actor.role == Role.SUPERVISOR,
            "number": (number or "").strip(),
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/transit/overdue", guards=[STAFF])
async def overdue_page(request: Request[Any, Any, Any]) -> Template:
    """The departure branch's lots past their registered transit time without arrival (41.1.4.b), with the letters
    sent about them and their trace cases; the steps each lot offers the officer."""
    return await _overdue(request)


async def _overdue(request: Request[Any, Any, Any], *, error: str | None = None, error_number: str | None = None) -> Template:
    actor = request.user
    now = clock.now()
    lots = await services.overdue_follow_up(actor, now)
    for lot in lots:
        lot["steps"] = next_steps.follow_up_steps(actor, lot["case"], now, lot["letters"])
    return Template(
        "transit/overdue.html",
        context={"lots": lots, "error": error, "error_number": error_number},
        status_code=422 if error else 200,
    )


async def _case_page(
    request: Request[Any, Any, Any], number: str, *, error: str | None = None, error_form: str | None = None, form: dict[str, Any] | None = None,
    notice: str = "",
) -> Template:
    actor = request.user
    now = clock.now()
    case = await services.visible_case(actor, number)  # 404 for a branch that may not see it
    view = await services.case_view(actor, case["number"], now)
    letters = await services.letters_about(actor, case)
    steps = next_steps.next_steps(actor, case, now, letters)
    note_steps = next_steps.note_steps(actor, case)
    forms = {step.form for step in steps}
    at_destination = policy.at_destination(actor, case)
    check = await services.arrival_check_of(case)
    # 41.2.a.1-2: what the departure branch recorded, against which the destination checks (before BIA).
    facts = await arrival.expected(case) if "record_arrival_check" in forms or check is not None else None
    return Template(
        "transit/case.html",
        context={
            "case": view,
            "steps": steps,
            "note_steps": note_steps,  # 41.2.a.3: the departure branch's note, offered with the notes
            "letters": letters,
            "risk_notes": await services.risk_notes(case),
            # 41.2.a.3: the destination reads what the departure branch flagged before anything else.
            "at_destination": at_destination,
            "locations": await locations_of_branch(actor.branch_id)
            if forms & {"register_departure", "confirm_exit_area", "confirm_arrival", "record_violation", "record_arrival_check"}
            else [],
            "officers": await services.assignable_officers(case["departure_branch"]) if "assign" in forms else [],
            "state_labels": {state: gettext(label) for state, label in STATE_LABELS.items()},
            "exit_mode_labels": {mode: gettext(label) for mode, label in EXIT_MODE_LABELS.items()},
            "risk_source_labels": {source: gettext(label) for source, label in RISK_SOURCE_LABELS.items()},
            "amendment_reason": case["amendment_reason"],
            "amendment_decision_reason": case["amendment_decision_reason"],
            "arrival": facts,
            "arrival_check": check,
            # The violation record starts from what the check found (41.2.b.2), when it found something.
            "violation_draft": arrival.findings_text(check["lines"], check["goods_finding"], check["note"]) if check and not check["passed"] else "",
            "finding_labels": {key: gettext(label) for key, label in arrival.FINDING_LABELS.items()},
            "unsealed_finding_labels": {key: gettext(label) for key, label in arrival.UNSEALED_FINDING_LABELS.items()},
            "goods_finding_labels": {key: gettext(label) for key, label in arrival.GOODS_FINDING_LABELS.items()},
            "unit_kind_labels": {key: gettext(label) for key, label in arrival.UNIT_KIND_LABELS.items()},
            "cargo_type_labels": {key: gettext(label) for key, label in arrival.CARGO_TYPE_LABELS.items()},
            "notice": notice,
            "error": error,
            "error_form": error_form,
            "form": form or {},
        },
        status_code=422 if error else 200,
    )


@get("/transit/{number:str}", guards=[STAFF])
async def case_page(request: Request[Any, Any, Any], number: FromPath[str], notice: FromQuery[str | None] = None) -> Template:
    """A transit declaration as its departure branch (or, once departed, its destination) sees it; 404 otherwise.
    `notice`: the approval notice as read on /transit (its barcode, or the number typed), for the arrival check."""
    return await _case_page(request, number, notice=(notice or "").strip()[:80])


@get("/transit/letters/{request_id:int}", guards=[STAFF])
async def letter_page(request: Request[Any, Any, Any], request_id: PathRowId) -> Template:
    """The letter asking the destination branch to verify a lot past its deadline (41.1.4.b), printable on A4: for
    the departure branch that sent it and the destination branch it was sent to; 404 for anyone else."""
    found = await services.letter_view(request.user, request_id)
    return Template(
        "transit/letter.html",
        context={
            **found,
            "unit_kind_labels": {key: gettext(label) for key, label in arrival.UNIT_KIND_LABELS.items()},
            "cargo_type_labels": {key: gettext(label) for key, label in arrival.CARGO_TYPE_LABELS.items()},
            "mine": request.user.branch_id == found["letter"]["from_branch"],
        },
    )


@post("/transit/{number:str}/{step:str}", guards=[STAFF])
async def step_form(request: Request[Any, Any, Any], state: State, number: FromPath[str], step: FromPath[str]) -> Template | Redirect:
    """A step's form posted without the page's script: the same command, applied through the journal; 303 back to
    the page (or the overdue list) when applied, the page with the refusal at the form otherwise."""
    back = str(request.query_params.get("back") or "")
    command = next_steps.COMMAND_OF_FORM.get(step)
    if command is None or not command.startswith("transit."):
        return await _case_page(request, number)  # 404 when the case is not visible; the page as it is otherwise
    data = await request.form()
    form = dict(data)
    lists = {name: data.getall(name) for name in LIST_FIELDS if name in data}
    payload = payload_from_form(form, int_fields=INT_FIELDS, lists=lists)
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, command, payload)], request.user)
    form.update(lists)  # the page shows every line chosen again
    if outcome.status == "rejected":
        if back == "overdue":
            return await _overdue(request, error=outcome.reason, error_number=number)
        return await _case_page(request, number, error=outcome.reason, error_form=step, form=form, notice=str(form.get("notice") or ""))
    return Redirect("/transit/overdue" if back == "overdue" else f"/transit/{number}", status_code=303)


ROUTES = [transit_page, overdue_page, letter_page, case_page, step_form]
