"""The logbook page (one location, one day, every action), its CSV export, and the form to add an entry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib.errors import DomainError
from backend.logbook import services
from backend.officers.services import locations_of_branch
from backend.officers.tables import Role

CAN_WRITE = (Role.OFFICER, Role.SUPERVISOR)


def logbook_url(location_id: int | None, day: date) -> str:
    if location_id is None:
        return f"/logbook?day={day.isoformat()}"
    return f"/logbook?location={location_id}&day={day.isoformat()}"


async def _page(
    request: Request[Any, Any, Any],
    location: dict[str, Any] | None,
    day: date,
    form: dict[str, Any] | None = None,
    error: str | None = None,
) -> Template:
    actor = request.user
    actions = await services.actions_at(actor, location["id"], day, limit=services.PAGE_LIMIT + 1) if location else []
    query = f"location={location['id']}&day={day.isoformat()}" if location else ""
    return Template(
        "logbook/index.html",
        context={
            "location": location,
            "locations": await locations_of_branch(actor.branch_id),
            "day": day,
            "is_today": day == services.today(),
            "previous_day_url": logbook_url(location["id"] if location else None, day - timedelta(days=1)),
            "next_day_url": logbook_url(location["id"] if location else None, day + timedelta(days=1)),
            "csv_url": f"/logbook.csv?{query}",
            "actions": actions[: services.PAGE_LIMIT],
            "truncated": len(actions) > services.PAGE_LIMIT,
            "page_limit": services.PAGE_LIMIT,
            "sync_text": services.sync_text,
            "connection_text": services.connection_text,
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/logbook", guards=[require_roles(*CAN_WRITE)])
async def logbook_page(
    request: Request[Any, Any, Any], location: FromQuery[str | None] = None, day: FromQuery[str | None] = None
) -> Template:
    chosen_day = services.parse_day(day)
    return await _page(request, await services.logbook_location(request.user, location), chosen_day)


@get("/logbook.csv", guards=[require_roles(*CAN_WRITE)])
async def logbook_csv(
    request: Request[Any, Any, Any], location: FromQuery[str | None] = None, day: FromQuery[str | None] = None
) -> Response[bytes]:
    chosen_day = services.parse_day(day)
    place = await services.logbook_location(request.user, location)
    actions = await services.actions_at(request.user, place["id"], chosen_day) if place else []
    filename = services.csv_filename(place, chosen_day) if place else f"so-theo-doi_{chosen_day.isoformat()}.csv"
    return Response(
        services.logbook_csv(actions),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@post("/logbook", guards=[require_roles(*CAN_WRITE)])
async def add_logbook_entry(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    raw = await request.form()
    form = dict(raw)
    try:
        location_id = int(form.get("location_id") or 0)
    except ValueError:
        location_id = 0
    payload = {
        "location_id": location_id,
        "text": str(form.get("text") or ""),
        "representative_name": str(form.get("representative_name") or ""),
        "representative_id_number": str(form.get("representative_id_number") or ""),
        # Photo ids the device script put in the form, when it posts without its queue: refused in words if their
        # files never reached the server, rather than dropped without a word.
        "photos": [str(sha) for sha in raw.getall("photos", []) if sha],
    }
    envelope = envelope_from_form(form, "logbook.add_entry", payload)
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        # Show the logbook the officer was writing in; a location they may not use is not shown, their own first is.
        try:
            location = await services.logbook_location(request.user, location_id or None)
        except DomainError:
            location = await services.logbook_location(request.user, None)
        return await _page(request, location, services.today(), form=form, error=outcome.reason)
    # Back to the logbook the entry is in: its location, on the device's day of the entry.
    return Redirect(logbook_url(location_id, services.vietnam_day(envelope.issued_at)), status_code=303)


ROUTES = [logbook_page, logbook_csv, add_logbook_entry]
