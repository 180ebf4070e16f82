"""/export-place: the branch's lists (changes of export place it takes part in, lots watched after a 43.3.b notice,
lots at its exit gate for 15 days, letters), the form to propose a change from a transit lot (43.3.c), a change's
page (facts, timeline, its next step only) and the letters to print.

Thin: services read, commands change. Every form has `data-command` and goes through the device queue (signed where
SIGNED_COMMANDS says); without the script it posts here and the same command is applied through `apply_commands`
(a signed one is then refused in words: it needs the passkey). Who sees what is policy.py's: 404 otherwise."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.export_place import policy, services
from backend.export_place.workflow import KIND_LABELS, PART, SAME_GATE, ChangeKind
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib import clock
from backend.lib.errors import N_, NotFound
from backend.lib.i18n import gettext
from backend.lib.params import PathRowId
from backend.officers.services import locations_of_branch
from backend.officers.tables import Role
from backend.transit import services as transit_services

STAFF = require_roles(Role.OFFICER, Role.SUPERVISOR)
INT_FIELDS = {"change_id", "record_id", "exported_quantity", "moved_quantity", "location_id", "letter_id"}
# A change's page forms without the script: the step in the URL names the command.
STEPS = {
    "approved": "export_place.decide",
    "refused": "export_place.decide",
    "handed_over": "export_place.hand_over",
    "exported_at_new": "export_place.report_exported",
    "new_declaration_required": "export_place.require_declaration",
    "new_declaration_linked": "export_place.link_declaration",
    "part_exported": "export_place.record_part_exported",
    "closed": "export_place.confirm_bia",
}


async def _index(request: Request[Any, Any, Any], *, error: str | None = None) -> Template:
    actor = request.user
    is_head = actor.role == Role.SUPERVISOR
    return Template(
        "export_place/index.html",
        context={
            "changes": await services.changes_for(actor),
            "watching": await services.watching(actor),
            "gate_overdue": await services.gate_overdue(actor.branch_id, clock.now()) if actor.branch_id else [],
            "letters": await services.letters_for(actor),
            "is_head": is_head,
            "days": services.GATE_DAYS_43_3_B,
            "error": error,
            **services.labels(),
        },
        status_code=422 if error else 200,
    )


@get("/export-place", guards=[STAFF])
async def index_page(request: Request[Any, Any, Any]) -> Template:
    return await _index(request)


@post("/export-place/notify", guards=[STAFF])
async def notify(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    form = dict(await request.form())
    envelope = envelope_from_form(form, "export_place.notify_warehouse", payload_from_form(form, int_fields=INT_FIELDS))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        return await _index(request, error=outcome.reason)
    return Redirect("/export-place", status_code=303)


async def _new_page(request: Request[Any, Any, Any], number: str, *, form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    actor = request.user
    case = await transit_services.visible_case(actor, number)
    kinds = [kind for kind in ChangeKind if policy.may_propose(actor, case, kind in SAME_GATE)]
    return Template(
        "export_place/new.html",
        context={
            "case": case, "kinds": kinds, "kind_labels": KIND_LABELS, "part_kinds": [k.value for k in PART],
            "why_not": services.change_allowed(case), "open": await services.open_change(case["id"]),
            "total": await services.lot_quantity(case["declaration"]), "form": form or {}, "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/export-place/new/{number:str}", guards=[STAFF])
async def new_page(request: Request[Any, Any, Any], number: str) -> Template:
    return await _new_page(request, number)


@post("/export-place/new/{number:str}", guards=[STAFF])
async def new_post(request: Request[Any, Any, Any], state: State, number: str) -> Template | Redirect:
    form = dict(await request.form())
    form["number"] = number
    envelope = envelope_from_form(form, "export_place.propose", payload_from_form(form, int_fields=INT_FIELDS))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        return await _new_page(request, number, form=form, error=outcome.reason)
    return Redirect(f"/export-place/changes/{(outcome.result or {})['change_id']}", status_code=303)


async def _change_page(request: Request[Any, Any, Any], change_id: int, *, form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    actor = request.user
    change, case, record = await services.visible_change(actor, change_id)
    steps = services.next_steps(actor, case, change, record)
    here, moved = services.quantity_text(change)
    blocked = None
    if "closed" in steps and change["kind"] in ("c2", "c4") and not await services.new_case_approved(change["new_number"]):
        blocked = gettext(N_("BIA waits until the new transit declaration %(number)s is approved (Decision 1966, Art 43.3.c.2.2.3, c.4.2.3)."), number=change["new_number"])
    records = []
    if "handed_over" in steps:
        records = await services.records_for_change(change)
    return Template(
        "export_place/change.html",
        context={
            "c": change, "case": case, "record": record, "steps": steps, "blocked": blocked, "events": await services.timeline(change["id"]),
            "here": here, "moved": moved, "locations": await locations_of_branch(actor.branch_id), "records": records,
            "bia_note": services.bia_note(change) if "closed" in steps else "", "form": form or {}, "error": error,
            "letters": await services.letters_of_change(change["id"]), **services.labels(),
        },
        status_code=422 if error else 200,
    )


@get("/export-place/changes/{change_id:int}", guards=[STAFF])
async def change_page(request: Request[Any, Any, Any], change_id: PathRowId) -> Template:
    return await _change_page(request, change_id)


@post("/export-place/changes/{change_id:int}/{step:str}", guards=[STAFF])
async def change_step(request: Request[Any, Any, Any], state: State, change_id: PathRowId, step: str) -> Template | Redirect:
    if step not in STEPS:
        raise NotFound("unknown_step", N_("There is no such step."))
    form = dict(await request.form())
    form["change_id"] = str(change_id)
    if STEPS[step] == "export_place.decide":
        form["decision"] = "approve" if step == "approved" else "refuse"
    envelope = envelope_from_form(form, STEPS[step], payload_from_form(form, int_fields=INT_FIELDS))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        if outcome.code == "change_not_found":
            raise policy.not_found()
        return await _change_page(request, change_id, form=form, error=outcome.reason)
    return Redirect(f"/export-place/changes/{change_id}", status_code=303)


@get("/export-place/letters/{letter_id:int}", guards=[STAFF])
async def letter_page(request: Request[Any, Any, Any], letter_id: PathRowId) -> Template:
    """The letter on one A4 sheet, in Vietnamese as it is sent (43.3.b; 43.3.c.2.1.2, c.4.1.2)."""
    letter = await services.letter_view(request.user, letter_id)
    return Template("export_place/letter.html", context={"letter": letter})


ROUTES = [index_page, notify, new_page, new_post, change_page, change_step, letter_page]
