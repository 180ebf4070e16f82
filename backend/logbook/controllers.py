"""The logbook page: the branch's entries and the form to add one (through the command journal)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.logbook.services import entries_for_branch
from backend.officers.services import locations_of_branch
from backend.officers.tables import Role

CAN_WRITE = (Role.OFFICER, Role.SUPERVISOR)


async def _page(request: Request[Any, Any, Any], form: dict[str, Any] | None = None, error: str | None = None) -> Template:
    actor = request.user
    return Template(
        "logbook/index.html",
        context={
            "entries": await entries_for_branch(actor),
            "locations": await locations_of_branch(actor.branch_id),
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/logbook", guards=[require_roles(*CAN_WRITE)])
async def logbook_page(request: Request[Any, Any, Any]) -> Template:
    return await _page(request)


@post("/logbook", guards=[require_roles(*CAN_WRITE)])
async def add_logbook_entry(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    form = dict(await request.form())
    try:
        location_id = int(form.get("location_id") or 0)
    except ValueError:
        location_id = 0
    payload = {
        "location_id": location_id,
        "text": str(form.get("text") or ""),
        "representative_name": str(form.get("representative_name") or ""),
        "representative_id_number": str(form.get("representative_id_number") or ""),
    }
    envelope = envelope_from_form(form, "logbook.add_entry", payload)
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        return await _page(request, form=form, error=outcome.reason)
    return Redirect("/logbook", status_code=303)


ROUTES = [logbook_page, add_logbook_entry]
