"""Opting a device in and out of notifications (the page's script, frontend/static/js/push.js, on
/account/devices).

A subscription is a setting of the device, like registering its passkey: not a command in the journal. It changes
nothing of the procedure's record, is made only online (the browser's push service must answer first) and only by
the device itself; nothing replays it.

Who: a supervisor of a branch in a browser subscribes (policy.may_subscribe; an API token may not); anyone removes
only their own subscription (a supervisor who has since changed role can still switch their device off).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, post
from litestar.datastructures import State
from litestar.params import JSONBody

from backend.auth.middleware import require_roles
from backend.lib.i18n import current_language
from backend.officers.tables import Role
from backend.push import services
from backend.push.schemas import Subscription, SubscriptionCreate, SubscriptionDelete


@post("/api/v1/push/subscriptions", guards=[require_roles(Role.SUPERVISOR)], status_code=201, summary="Notify this device")
async def create_subscription(request: Request[Any, Any, Any], state: State, data: JSONBody[SubscriptionCreate]) -> Subscription:
    session_id = (request.auth or {}).get("session_id")
    return await services.subscribe(request.user, session_id, data, current_language.get(), state.settings)


@delete("/api/v1/push/subscriptions", status_code=204, summary="Stop notifying this device")
async def delete_subscription(request: Request[Any, Any, Any], data: JSONBody[SubscriptionDelete]) -> None:
    await services.unsubscribe(request.user, data.endpoint)


ROUTES = [create_subscription, delete_subscription]
