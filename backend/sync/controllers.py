"""Pages and API of the sync domain: the device's sync page (queue, rejected, storage, datasets)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template


@get("/sync")
async def device_sync_page(request: Request[Any, Any, Any]) -> Template:
    """What this device holds: queued and rejected commands, stored photos, replicated data, the clock.

    Everything listed lives in the device's IndexedDB, so the page is filled in by its script
    (frontend/static/js/); the server only sends the frame, which the service worker keeps for offline use."""
    return Template("sync/device.html")


ROUTES = [device_sync_page]
