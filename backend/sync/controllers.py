"""Pages and API of the sync domain: the device's sync page, its status and replicated data."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from backend.lib import clock
from backend.sync import contingency
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
    """For every page of a signed-in user: is contingency mode on for their branch (the banner in base.html)."""
    user = request.scope.get("user")
    if user is not None and not request.url.path.startswith(("/api/", "/static/")):
        request.state.contingency = await contingency.open_period(user.branch_id)


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


@get("/api/v1/replica/{dataset:str}", summary="Changes to a replicated dataset since a cursor")
async def replica(request: Request[Any, Any, Any], dataset: FromPath[str], since: FromQuery[str | None] = None) -> ReplicaPage:
    page = await replica_page(request.user, dataset, since)
    page.server_time = clock.iso(clock.now())
    return page


ROUTES = [device_sync_page, sync_status, replica]
BEFORE_PAGE = [before_page]
