"""Pages and API of the sync domain: the device's sync page, its status and replicated data; contingency mode
(declare, end, past periods) and the reconciliation of what was made offline or in contingency mode."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.envelope import CLOCK_TOLERANCE
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib import clock, quotas
from backend.logbook.services import sync_text
from backend.officers.tables import Role
from backend.sync import contingency, device_queue, reconciliation, upstream
from backend.sync.replica import ReplicaPage, replica_page


class ContingencyView(msgspec.Struct, kw_only=True):
    period_id: int
    since: str
    reason: str
    all_branches: bool


class SyncStatus(msgspec.Struct, kw_only=True):
    server_time: str  # the device measures its clock's offset against this
    officer_code: str
    contingency: ContingencyView | None
    queue_warn_days: int


def contingency_view(period: contingency.Period | None) -> ContingencyView | None:
    if period is None:
        return None
    return ContingencyView(
        period_id=period.id, since=clock.iso(period.started_at), reason=period.reason, all_branches=period.branch_id is None
    )


async def before_page(request: Request[Any, Any, Any]) -> None:
    """For every page of a signed-in user: is contingency mode on for their branch (the banner in base.html); for
    those who may declare it, what the automatic check of the upstream system found (sync/upstream.py)."""
    user = request.scope.get("user")
    if user is not None and not request.url.path.startswith(("/api/", "/static/")):
        period = await contingency.open_period(user.branch_id)
        request.state.contingency = period
        if upstream.may_declare(user):
            request.state.upstream_notice = upstream.notice_for(user, await upstream.latest_outage(), period)


@get("/sync")
async def device_sync_page(request: Request[Any, Any, Any], state: State) -> Template:
    """What this device holds: queued and rejected commands, stored photos, replicated data, the clock.

    Everything listed lives in the device's IndexedDB, so the page is filled in by its script
    (frontend/static/js/); the server only sends the frame, which the service worker keeps for offline use."""
    return Template("sync/device.html", context={"queue_warn_days": state.settings.sync.queue_warn_days})


@get("/api/v1/sync/status", summary="Server time, contingency mode, the signed-in officer")
async def sync_status(request: Request[Any, Any, Any], state: State) -> SyncStatus:
    actor = request.user
    return SyncStatus(
        server_time=clock.iso(clock.now()),
        officer_code=actor.code,
        contingency=contingency_view(await contingency.open_period(actor.branch_id)),
        queue_warn_days=state.settings.sync.queue_warn_days,
    )


@post(
    "/api/v1/sync/device-queue",
    status_code=200,
    guards=[require_roles(*device_queue.REPORTING_ROLES)],
    summary="What waits in this device's queue for the signed-in officer (a report, not a command)",
)
async def report_device_queue(
    request: Request[Any, Any, Any], state: State, data: device_queue.DeviceQueueIn
) -> device_queue.DeviceQueueOut:
    """The queue client's summary of the device's queue (sync/device_queue.py), for the officer of the session."""
    answer, new = await device_queue.record_report(request.user, data)
    if new:
        quotas.of(state).commands.take(request.user.id, 1)  # a new row, as a client inventing device ids would add
    return answer


@get("/api/v1/replica/{dataset:str}", summary="Changes to a replicated dataset since a cursor")
async def replica(request: Request[Any, Any, Any], dataset: FromPath[str], since: FromQuery[str | None] = None) -> ReplicaPage:
    page = await replica_page(request.user, dataset, since)
    page.server_time = clock.iso(clock.now())
    return page


# --- contingency mode ------------------------------------------------------------------------------------------

CONTINGENCY_ROLES = (Role.SUPERVISOR, Role.ADMIN)


async def _contingency_page(
    request: Request[Any, Any, Any], form: dict[str, Any] | None = None, error: str | None = None
) -> Template:
    actor = request.user
    open_periods = await reconciliation.open_periods(actor)
    mine = next((period for period in open_periods if reconciliation.in_scope(actor, period)), None)
    return Template(
        "sync/contingency.html",
        context={
            "open_periods": open_periods,
            "own_open": mine,
            "in_scope": lambda period: reconciliation.in_scope(actor, period),
            "recent": await reconciliation.recent_periods(actor),
            "can_reconcile": actor.role == Role.SUPERVISOR,
            "outage": await upstream.latest_outage(),
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/contingency", guards=[require_roles(*CONTINGENCY_ROLES)])
async def contingency_page(request: Request[Any, Any, Any]) -> Template:
    return await _contingency_page(request)


async def _contingency_command(
    request: Request[Any, Any, Any], state: State, command_type: str, field: str
) -> Template | Redirect:
    form = dict(await request.form())
    envelope = envelope_from_form(form, command_type, {field: str(form.get(field) or "")})
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        return await _contingency_page(request, form=form, error=outcome.reason)
    return Redirect("/contingency", status_code=303)


@post("/contingency/declare", guards=[require_roles(*CONTINGENCY_ROLES)])
async def declare_contingency(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _contingency_command(request, state, "sync.declare_contingency", "reason")


@post("/contingency/end", guards=[require_roles(*CONTINGENCY_ROLES)])
async def end_contingency(request: Request[Any, Any, Any], state: State) -> Template | Redirect:
    return await _contingency_command(request, state, "sync.end_contingency", "note")


# --- reconciliation -------------------------------------------------------------------------------------------------


def reconciliation_url(period: reconciliation.PeriodView | None, reviewed: bool = False) -> str:
    query = [f"period={period.id}"] if period is not None else []
    if reviewed:
        query.append("show=reviewed")
    return "/reconciliation" + ("?" + "&".join(query) if query else "")


async def _reconciliation_page(
    request: Request[Any, Any, Any],
    period: reconciliation.PeriodView | None,
    reviewed: bool = False,
    form: dict[str, Any] | None = None,
    chosen: list[str] | None = None,
    error: str | None = None,
) -> Template:
    actor = request.user
    past = timedelta(hours=request.app.state.settings.sync.clock_past_hours)
    items, more = await reconciliation.marked_commands(actor, period, reviewed=reviewed, past=past)
    return Template(
        "sync/reconciliation.html",
        context={
            "period": period,
            "periods": await reconciliation.recent_periods(actor),
            "reviewed": reviewed,
            "items": items,
            "more": more,
            "page_limit": reconciliation.PAGE_LIMIT,
            "clock_tolerance_minutes": CLOCK_TOLERANCE // timedelta(minutes=1),
            "pending_url": reconciliation_url(period),
            "reviewed_url": reconciliation_url(period, reviewed=True),
            "review_action": "/reconciliation/review" + (f"?period={period.id}" if period is not None else ""),
            "sync_text": sync_text,
            "chosen": set(chosen or []),
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


@get("/reconciliation", guards=[require_roles(Role.SUPERVISOR)])
async def reconciliation_page(
    request: Request[Any, Any, Any], period: FromQuery[str | None] = None, show: FromQuery[str | None] = None
) -> Template:
    chosen_period = await reconciliation.period_for(request.user, period)
    return await _reconciliation_page(request, chosen_period, reviewed=show == "reviewed")


@post("/reconciliation/review", guards=[require_roles(Role.SUPERVISOR)])
async def review_commands(
    request: Request[Any, Any, Any], state: State, period: FromQuery[str | None] = None
) -> Template | Redirect:
    raw = await request.form()
    form = dict(raw)
    chosen_period = await reconciliation.period_for(request.user, period)
    command_ids = [str(value) for value in raw.getall("command_ids", []) if value]
    payload = {"command_ids": command_ids, "note": str(form.get("note") or "")}
    envelope = envelope_from_form(form, "sync.review_commands", payload)
    (outcome,) = await apply_commands(state.engine, [envelope], request.user)
    if outcome.status == "rejected":
        return await _reconciliation_page(request, chosen_period, form=form, chosen=command_ids, error=outcome.reason)
    return Redirect(reconciliation_url(chosen_period), status_code=303)


ROUTES = [
    device_sync_page,
    sync_status,
    report_device_queue,
    replica,
    contingency_page,
    declare_contingency,
    end_contingency,
    reconciliation_page,
    review_commands,
]
BEFORE_PAGE = [before_page]
