"""The supervisor's inbox: `/inbox` (the page) and `GET /api/v1/inbox` (the same, as JSON).

Who: supervisors of a branch (policy.has_inbox); anyone else signed in gets 403 — an officer has no decisions of
the branch to take. Each item links to where it is decided (its domain's page and its signed command); the inbox
changes nothing itself.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from backend.auth.middleware import require_roles
from backend.inbox import services
from backend.inbox.schemas import Inbox
from backend.officers.tables import Role

HEADS = require_roles(Role.SUPERVISOR)


@get("/api/v1/inbox", guards=[HEADS], summary="What waits for a decision of the supervisor's branch")
async def get_inbox(request: Request[Any, Any, Any]) -> Inbox:
    return await services.inbox_for(request.user, request.app.state.settings)


@get("/inbox", guards=[HEADS])
async def inbox_page(request: Request[Any, Any, Any]) -> Template:
    """Grouped by kind in the procedure's order, newest first, each with its evidence line, who, since when, its
    deadline (late ones marked) and the link to decide it."""
    inbox = await services.inbox_for(request.user, request.app.state.settings)
    return Template("inbox/index.html", context={"inbox": inbox})


ROUTES = [get_inbox, inbox_page]
