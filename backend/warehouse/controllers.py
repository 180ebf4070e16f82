"""Air-cargo anomaly pages (Art 35.2.đ): the list with the operator's form, one record (printable), and the
form fallbacks of the three commands for a page posted without its script. Every write goes through apply()."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.forms import envelope_from_form, payload_from_form
from backend.journal.services import apply_commands
from backend.lib.params import PathRowId
from backend.lib.i18n import gettext
from backend.officers.tables import Role
from backend.warehouse import services
from backend.warehouse.commands import MAX_PHOTOS
from backend.warehouse.tables import AnomalyKind
from backend.warehouse.workflow import STATE_LABELS

READERS = (Role.WAREHOUSE, Role.OFFICER, Role.SUPERVISOR)
CUSTOMS = (Role.OFFICER, Role.SUPERVISOR)
INT_FIELDS = frozenset({"premises_id", "declared_packages", "found_packages"})
NUMBER_FIELDS = ("declared_weight_kg", "found_weight_kg")


def _labels() -> dict[str, Any]:
    return {
        "kind_labels": {kind.value: gettext(services.KIND_LABELS[kind]) for kind in AnomalyKind},
        "state_labels": {state: gettext(label) for state, label in STATE_LABELS.items()},
        "clause": services.CLAUSE,
    }


async def _list(request: Request[Any, Any, Any], *, form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    actor = request.user
    return Template(
        "warehouse/anomalies.html",
        context={
            "anomalies": await services.anomalies_for(actor),
            "premises": await services.premises_for_form(actor),
            "customs": services.may_receive(actor),
            "form": form or {},
            "error": error,
            "max_photos": MAX_PHOTOS,
            **_labels(),
        },
        status_code=422 if error else 200,
    )


async def _detail(request: Request[Any, Any, Any], anomaly_id: int, *, error: str | None = None) -> Template:
    actor = request.user
    return Template(
        "warehouse/anomaly.html",
        context={
            "anomaly": await services.anomaly_for(actor, anomaly_id),
            "customs": services.may_receive(actor),
            "error": error,
            **_labels(),
        },
        status_code=422 if error else 200,
    )


@get("/warehouse/anomalies", guards=[require_roles(*READERS)])
async def anomalies_page(request: Request[Any, Any, Any]) -> Template:
    """Staff: their premises' records with their status, and the form. Customs: the branch's records to receive."""
    return await _list(request)


@post("/warehouse/anomalies", guards=[require_roles(Role.WAREHOUSE)])
async def record_anomaly_form(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    """The record posted without the page's script: the same `warehouse.record_anomaly` command."""
    raw = await request.form()
    form = dict(raw)
    payload = payload_from_form(form, int_fields=INT_FIELDS, lists={"photos": raw.getall("photos", [])})
    for name in INT_FIELDS | set(NUMBER_FIELDS):  # blank is "not given", as serialize.js makes it
        if payload.get(name) == "":
            payload[name] = None
    for name in NUMBER_FIELDS:
        if isinstance(payload.get(name), str):
            try:
                payload[name] = float(payload[name].strip().replace(",", "."))
            except ValueError:
                pass  # kept as typed: refused by the command
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, "warehouse.record_anomaly", payload)], request.user)
    if outcome.status == "rejected":
        return await _list(request, form=form, error=outcome.reason)
    return Redirect(f"/warehouse/anomalies/{outcome.result['anomaly_id']}", status_code=303)  # type: ignore[index]


@get("/warehouse/anomalies/{anomaly_id:int}", guards=[require_roles(*READERS)])
async def anomaly_page(request: Request[Any, Any, Any], anomaly_id: PathRowId) -> Template:
    """One record, laid out as the record (Biên bản bất thường) for printing, with its photos and its status."""
    return await _detail(request, anomaly_id)


async def _customs_step(request: Request[Any, Any, Any], state: State, anomaly_id: int, type_: str) -> Template | Redirect:
    form = dict(await request.form())
    payload: dict[str, Any] = {"anomaly_id": anomaly_id}
    if type_ == "warehouse.handle_anomaly":
        payload["handling"] = str(form.get("handling") or "")
    (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, type_, payload)], request.user)
    if outcome.status == "rejected":
        return await _detail(request, anomaly_id, error=outcome.reason)
    return Redirect(f"/warehouse/anomalies/{anomaly_id}", status_code=303)


@post("/warehouse/anomalies/{anomaly_id:int}/acknowledge", guards=[require_roles(*CUSTOMS)])
async def acknowledge_form(request: Request[Any, Any, Any], state: State, anomaly_id: PathRowId) -> Template | Redirect:
    return await _customs_step(request, state, anomaly_id, "warehouse.acknowledge_anomaly")


@post("/warehouse/anomalies/{anomaly_id:int}/handle", guards=[require_roles(*CUSTOMS)])
async def handle_form(request: Request[Any, Any, Any], state: State, anomaly_id: PathRowId) -> Template | Redirect:
    return await _customs_step(request, state, anomaly_id, "warehouse.handle_anomaly")


ROUTES = [anomalies_page, record_anomaly_form, anomaly_page, acknowledge_form, handle_form]

# The admin pages of operators (issue 16 item 1) live in their own module; the app reads this list only.
from backend.warehouse.operator_controllers import ROUTES as OPERATOR_ROUTES  # noqa: E402

ROUTES += OPERATOR_ROUTES
