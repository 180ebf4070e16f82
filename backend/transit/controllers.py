"""The transit JSON API, for the pages that come next: a case with its timeline, the officer's lists, the overdue
list, the letters addressed to the branch. Changes go through the commands (`POST /api/v1/commands`).

Who: officers and supervisors; each answer is limited to what their branch may see (policy.py; 404 otherwise).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath

from backend.auth.middleware import require_roles
from backend.officers.tables import Role
from backend.transit import pages  # the officers' pages: the transit list, a case, the overdue list
from backend.transit import services
from backend.transit.schemas import TransitCaseView, TransitListItem, TransitLists, VerificationView

STAFF = require_roles(Role.OFFICER, Role.SUPERVISOR)


@get("/api/v1/transit/declarations/{number:str}", guards=[STAFF], summary="A transit declaration's case and timeline")
async def get_case(request: Request[Any, Any, Any], number: FromPath[str]) -> TransitCaseView:
    """400 `bad_number`; 404 `transit_not_found` unless the caller's branch departs it, or receives it once departed."""
    return await services.case_view(request.user, number)


@get("/api/v1/transit/lists", guards=[STAFF], summary="The officer's transit lists")
async def get_lists(request: Request[Any, Any, Any]) -> TransitLists:
    """Assigned to me; to assign (supervisors); to seal; to depart; to confirm arriving."""
    return await services.transit_lists(request.user)


@get("/api/v1/transit/overdue", guards=[STAFF], summary="The departure branch's overdue transits")
async def get_overdue(request: Request[Any, Any, Any]) -> list[TransitListItem]:
    """Departed from the caller's branch, past the deadline, not arrived (Art 41.1.4.b)."""
    return await services.overdue_list(request.user)


@get("/api/v1/transit/verifications", guards=[STAFF], summary="Letters asking the branch to verify transit lots")
async def get_verifications(request: Request[Any, Any, Any]) -> list[VerificationView]:
    """The departure branches' letters addressed to the caller's branch, unanswered first (Art 41.1.4.b)."""
    return await services.verification_requests_for(request.user)


ROUTES = [get_case, get_lists, get_overdue, get_verifications, *pages.ROUTES]
