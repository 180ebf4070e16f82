"""The seals JSON API, for the pages that come next: a declaration's sealing evidence, one record, and the
violation records addressed to a branch's supervisors. Changes go through the commands (`POST /api/v1/commands`).

Who: officers and supervisors; each answer is limited to their branch's part (services decide, 404 otherwise).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath

from backend.lib.params import PathRowId
from backend.auth.middleware import require_roles
from backend.officers.tables import Role
from backend.seals import services
from backend.seals.schemas import Evidence, RecordView, ViolationView
from backend.seals import record_qr_routes  # the public keys of printed records' QR codes (docs/record-qr.md)
from backend.seals import pages  # the officers' pages (sealing, print, receiving)
from backend.seals import evidence_page  # a declaration's sealing evidence, as a page
from backend.seals import transit_documents  # the documents signed at a transit declaration's sealing (Art 41.1.c.1.2-c.1.3)


@get("/api/v1/seals/declarations/{number:str}", guards=[require_roles(Role.OFFICER, Role.SUPERVISOR)], summary="A declaration's sealing evidence")
async def get_evidence(request: Request[Any, Any, Any], number: FromPath[str]) -> Evidence:
    """Seals, corrections, decisions, the "sealed" confirmation, records with photos, and who did what when.
    400 `bad_number`; 404 `declaration_not_found` when the caller's branch has no part in it."""
    return await services.evidence(request.user, number)


@get("/api/v1/seals/records/{record_id:int}", guards=[require_roles(Role.OFFICER, Role.SUPERVISOR)], summary="A handover record")
async def get_record(request: Request[Any, Any, Any], record_id: PathRowId) -> RecordView:
    """A record of the caller's branch, made there or addressed to it; 404 `unknown_record` otherwise."""
    return await services.record_view(request.user, record_id)


@get("/api/v1/seals/violations", guards=[require_roles(Role.SUPERVISOR)], summary="Violation records for the branch")
async def get_violations(request: Request[Any, Any, Any]) -> list[ViolationView]:
    """The violation records other branches found on receiving this branch's records, newest first."""
    return await services.violations_for(request.user.branch_id)


ROUTES = [get_evidence, get_record, get_violations, *record_qr_routes.ROUTES, *pages.ROUTES, *evidence_page.ROUTES, *transit_documents.ROUTES]
