"""/loading: the operator's plans and the form to submit one; customs' plans of the branch to handle; a plan's page
with its containers, proposal and decision; the CSV import of containers. Every form writes through the journal
(`apply_commands`), like the API and offline sync; who may see and do what is the policy's (loading/policy.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib import clock
from backend.lib.errors import N_, NotFound
from backend.lib.i18n import gettext
from backend.lib.params import PathRowId
from backend.loading import services
from backend.loading.commands import VIETNAM
from backend.loading.schemas import KIND_LABELS, METHOD_LABELS
from backend.loading.workflow import STATE_LABELS, PlanState
from backend.officers.tables import Role

CAN_USE = (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR)
# The plan page's forms without the page's script: the step in the URL names the command.
STEPS = {"withdraw": "loading.withdraw_plan", "propose": "loading.propose_measure", "decide": "loading.decide", "containers": "loading.import_containers"}
MAX_CSV_BYTES = 1_000_000


def _labels() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "method_labels": METHOD_LABELS, "state_labels": STATE_LABELS}


async def _list_page(request: Request[Any, Any, Any], *, form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    actor = request.user
    is_operator = actor.role == Role.WAREHOUSE
    plans = await services.plans_for(actor)
    open_states = {PlanState.SUBMITTED.value, PlanState.PROPOSED.value}
    return Template(
        "loading/index.html",
        context={
            "is_operator": is_operator,
            "premises": await services.premises_for_form(actor),
            "open_plans": [plan for plan in plans if plan["state"] in open_states],
            "closed_plans": [plan for plan in plans if plan["state"] not in open_states],
            "now": clock.now().astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M"),
            "form": form or {},
            "error": error,
            **_labels(),
        },
        status_code=422 if error else 200,
    )


@get("/loading", guards=[require_roles(*CAN_USE)])
async def loading_page(request: Request[Any, Any, Any]) -> Template:
    return await _list_page(request)


@post("/loading", guards=[require_roles(Role.WAREHOUSE)])
async def submit_plan(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    form = dict(await request.form())
    envelope = envelope_from_form(form, "loading.submit_plan", payload_from_form(form, int_fields={"premises_id"}))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        return await _list_page(request, form=form, error=outcome.reason)
    plan_id = (outcome.result or {}).get("plan_id")
    return Redirect(f"/loading/{plan_id}" if plan_id else "/loading", status_code=303)


async def _plan_page(request: Request[Any, Any, Any], plan_id: int, *, form_id: str | None = None, form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    plan = await services.plan_for(request.user, plan_id)
    return Template(
        "loading/plan.html",
        context={"plan": plan, "error": error, "error_form": form_id if error else None, "form": form or {}, **_labels()},
        status_code=422 if error else 200,
    )


@get("/loading/{plan_id:int}", guards=[require_roles(*CAN_USE)])
async def plan_page(request: Request[Any, Any, Any], plan_id: PathRowId) -> Template:
    return await _plan_page(request, plan_id)


async def _csv_text(upload: Any) -> str:
    """The uploaded file's text: UTF-8 (with or without the BOM spreadsheets write)."""
    if not isinstance(upload, UploadFile):
        return ""
    data = await upload.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(N_("The file is too large (at most 1 MB)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(N_("Save the file as CSV in UTF-8, then choose it again.")) from None


@post("/loading/{plan_id:int}/{step:str}", guards=[require_roles(*CAN_USE)])
async def plan_step(request: Request[Any, Any, Any], state: State, plan_id: PathRowId, step: str) -> Template | Redirect:
    if step not in STEPS:
        raise NotFound("unknown_step", N_("There is no such step."))
    form = dict(await request.form())
    if step == "containers":  # a file from the operator's warehouse system: read here, parsed by the command
        try:
            form["csv"] = await _csv_text(form.pop("file", None))
        except ValueError as problem:
            return await _plan_page(request, plan_id, form_id="containers-form", error=gettext(str(problem)))
    form["plan_id"] = str(plan_id)
    envelope = envelope_from_form(form, STEPS[step], payload_from_form(form, int_fields={"plan_id"}))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        if outcome.code == "unknown_plan":
            raise NotFound("unknown_plan", N_("There is no such plan for you."))
        form_id = "change-form" if step == "decide" and form.get("decision") == "change" else f"{step}-form"
        return await _plan_page(request, plan_id, form_id=form_id, form=form, error=outcome.reason)
    return Redirect(f"/loading/{plan_id}", status_code=303)


ROUTES = [loading_page, submit_plan, plan_page, plan_step]
