"""/bonded: each bonded warehouse the user sees with its stock and its movements in and out; the warehouse's staff
enter release notes there and customs of the managing branch supervise entries; /bonded/out/{id}: one movement out,
its checks and only the next step; /bonded/out/{id}/print: the release note compared with what customs found.
Every form writes through the journal (`apply_commands`), like the API and the device queue; who sees what is the
policy's (bonded/policy.py)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.bonded import services
from backend.bonded.workflow import PROPOSAL_LABELS, STATE_LABELS
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib.errors import N_, NotFound
from backend.lib.params import PathRowId
from backend.officers.tables import Role

CAN_USE = (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR)
STEPS = {"check": "bonded.check_release", "attach": "bonded.attach_record", "propose": "bonded.propose_inspection"}
FORMS = {"release": "bonded.create_release", "entry": "bonded.supervise_entry", "propose": "bonded.propose_inspection"}
INT_FIELDS = {"premises_id", "release_id", "record_id", "entry_id"}


def _labels() -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "proposal_labels": PROPOSAL_LABELS, "kind_labels": services.KIND_LABELS, "entry_labels": services.ENTRY_LABELS}


async def _index(request: Request[Any, Any, Any], *, form: dict[str, Any] | None = None, error: str | None = None, error_form: str | None = None) -> Template:
    warehouses = [await services.warehouse_view(request.user, row) for row in await services.warehouses_for(request.user)]
    return Template(
        "bonded/index.html",
        context={"warehouses": warehouses, "form": form or {}, "error": error, "error_form": error_form, **_labels()},
        status_code=422 if error else 200,
    )


@get("/bonded", guards=[require_roles(*CAN_USE)])
async def bonded_page(request: Request[Any, Any, Any]) -> Template:
    return await _index(request)


@post("/bonded/{form_name:str}", guards=[require_roles(*CAN_USE)])
async def bonded_form(request: Request[Any, Any, Any], state: State, form_name: str) -> Template | Redirect:
    """A release note (the warehouse's staff), an entry supervised or an inspection proposed on an entry (customs)."""
    if form_name not in FORMS:
        raise NotFound("unknown_step", N_("There is no such step."))
    form = dict(await request.form())
    envelope = envelope_from_form(form, FORMS[form_name], payload_from_form(form, int_fields=INT_FIELDS))
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        if outcome.code == "unknown_bonded":
            raise NotFound("unknown_bonded", N_("There is no such bonded warehouse or movement for you."))
        suffix = form.get("premises_id") or form.get("entry_id") or ""
        return await _index(request, form=form, error=outcome.reason, error_form=f"{form_name}-form-{suffix}")
    release_id = (outcome.result or {}).get("release_id")
    return Redirect(f"/bonded/out/{release_id}" if release_id else "/bonded", status_code=303)


async def _release_page(request: Request[Any, Any, Any], release_id: int, *, form: dict[str, Any] | None = None, error: str | None = None, error_form: str | None = None) -> Template:
    release = await services.release_for(request.user, release_id)
    return Template(
        "bonded/release.html",
        context={"r": release, "form": form or {}, "error": error, "error_form": error_form if error else None, **_labels()},
        status_code=422 if error else 200,
    )


@get("/bonded/out/{release_id:int}", guards=[require_roles(*CAN_USE)])
async def release_page(request: Request[Any, Any, Any], release_id: PathRowId) -> Template:
    return await _release_page(request, release_id)


@get("/bonded/out/{release_id:int}/print", guards=[require_roles(*CAN_USE)])
async def release_print(request: Request[Any, Any, Any], release_id: PathRowId) -> Template:
    """The release note (Phiếu xuất kho) beside what customs found loaded (43.3.a.1, 43.4.b.2), always in Vietnamese."""
    return Template("bonded/print.html", context={"r": await services.release_for(request.user, release_id), **_labels()})


@post("/bonded/out/{release_id:int}/{step:str}", guards=[require_roles(*CAN_USE)])
async def release_step(request: Request[Any, Any, Any], state: State, release_id: PathRowId, step: str) -> Template | Redirect:
    if step not in STEPS:
        raise NotFound("unknown_step", N_("There is no such step."))
    raw = await request.form()
    form = dict(raw)
    form["release_id"] = str(release_id)
    lists = {"conditions": raw.getall("conditions", [])} if step == "check" else None
    payload = payload_from_form(form, int_fields=INT_FIELDS, lists=lists)
    if step == "check":
        payload["declaration_matches"] = str(form.get("declaration_matches", "")).lower() in ("true", "on", "1")
    envelope = envelope_from_form(form, STEPS[step], payload)
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        if outcome.code == "unknown_bonded":
            raise NotFound("unknown_bonded", N_("There is no such bonded warehouse or movement for you."))
        return await _release_page(request, release_id, form=form, error=outcome.reason, error_form=f"{step}-form")
    return Redirect(f"/bonded/out/{release_id}", status_code=303)


ROUTES = [bonded_page, bonded_form, release_page, release_print, release_step]
