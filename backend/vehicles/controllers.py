"""/vehicles: the branch's key vehicles under direct supervision (Art 39), each one's supervision journal with its
entry form, and the journal's print page. Every form writes through the journal (`apply_commands`), like the API
and offline sync; with the page's script they go through the device queue (data-command)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib.errors import DomainError
from backend.lib.params import PathRowId
from backend.officers.tables import Role
from backend.vehicles import services
from backend.vehicles.tables import VehicleKind
from backend.vehicles.workflow import STATE_LABELS

CAN_USE = (Role.OFFICER, Role.SUPERVISOR)
INT_FIELDS = frozenset({"location_id", "vehicle_id"})


def _labels() -> dict[str, Any]:
    return {
        "kinds": [kind.value for kind in VehicleKind],
        "kind_labels": services.KIND_LABELS,
        "registration_labels": services.REGISTRATION_LABELS,
        "state_labels": STATE_LABELS,
    }


async def _list_page(request: Request[Any, Any, Any], form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    actor = request.user
    return Template(
        "vehicles/index.html",
        context={
            **await services.branch_vehicles(actor),
            **_labels(),
            "is_supervisor": actor.role == Role.SUPERVISOR,
            "locations": await services.location_choices(actor.branch_id),
            "now_local": services.now_local_minute(),
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


async def _journal_page(
    request: Request[Any, Any, Any], vehicle_id: int, *, form_id: str | None = None, form: dict[str, Any] | None = None, error: str | None = None
) -> Template:
    actor = request.user
    vehicle = await services.journal(actor, vehicle_id)
    return Template(
        "vehicles/journal.html",
        context={
            "v": vehicle,
            **_labels(),
            "branch_officers": await services.assignable_officers(actor.branch_id) if vehicle["is_head"] else [],
            "assigned_codes": {person["code"] for person in vehicle["officers"]},
            "error_form": form_id if error else None,
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/vehicles", guards=[require_roles(*CAN_USE)])
async def vehicles_page(request: Request[Any, Any, Any]) -> Template:
    return await _list_page(request)


@get("/vehicles/{vehicle_id:int}", guards=[require_roles(*CAN_USE)])
async def journal_page(request: Request[Any, Any, Any], vehicle_id: PathRowId) -> Template:
    return await _journal_page(request, vehicle_id)


@get("/vehicles/{vehicle_id:int}/print", guards=[require_roles(*CAN_USE)])
async def journal_print(request: Request[Any, Any, Any], vehicle_id: PathRowId) -> Template:
    return Template("vehicles/print.html", context={"v": await services.journal(request.user, vehicle_id), **_labels()})


async def _apply(request: Request[Any, Any, Any], state: State, command_type: str, lists: tuple[str, ...] = ()) -> tuple[dict[str, Any], Any, int]:
    raw = await request.form()
    form = dict(raw)
    payload = payload_from_form(form, int_fields=INT_FIELDS, lists={name: raw.getall(name, []) for name in lists})
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, command_type, payload)], request.user)
    vehicle_id = payload.get("vehicle_id")
    return form, outcome, vehicle_id if isinstance(vehicle_id, int) else 0


@post("/vehicles/designate", guards=[require_roles(Role.SUPERVISOR)])
async def designate(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    form, outcome, _ = await _apply(request, state, "vehicles.designate")
    if outcome.status == "rejected":
        return await _list_page(request, form=form, error=outcome.reason)
    return Redirect(f"/vehicles/{(outcome.result or {}).get('vehicle_id', '')}".rstrip("/"), status_code=303)


async def _on_vehicle(request: Request[Any, Any, Any], state: State, command_type: str, form_id: str, lists: tuple[str, ...] = ()) -> Template | Redirect:
    form, outcome, vehicle_id = await _apply(request, state, command_type, lists)
    if outcome.status == "rejected":
        try:
            return await _journal_page(request, vehicle_id, form_id=form_id, form=form, error=outcome.reason)
        except DomainError:  # not a vehicle of the branch: the list says why
            return await _list_page(request, error=outcome.reason)
    return Redirect(f"/vehicles/{vehicle_id}", status_code=303)


@post("/vehicles/assign", guards=[require_roles(Role.SUPERVISOR)])
async def assign_officers(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _on_vehicle(request, state, "vehicles.assign_officers", "assign-form", lists=("officer_codes",))


@post("/vehicles/entries", guards=[require_roles(*CAN_USE)])
async def add_journal_entry(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    # Photo ids the device script put in the form, when it posts without its queue: refused in words if their files
    # never reached the server, rather than dropped without a word.
    return await _on_vehicle(request, state, "vehicles.add_journal_entry", "entry-form", lists=("photos",))


@post("/vehicles/end", guards=[require_roles(Role.SUPERVISOR)])
async def end_supervision(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _on_vehicle(request, state, "vehicles.end_supervision", "end-form")


ROUTES = [vehicles_page, journal_page, journal_print, designate, assign_officers, add_journal_entry, end_supervision]
