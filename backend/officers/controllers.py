"""Admin pages: officers, their enrollment links, deactivation. Every route requires the admin role.

Every change is a journaled command (officers/commands.py) sent through `apply_commands`, like any other form;
the commands decide the scope (a branch admin acts on their own branch only, a national admin on every branch).
A branch admin's page lists their branch's officers only.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.auth.services import enrollment_link, new_enrollment_token
from backend.journal.envelope import CommandOutcome
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib.errors import DomainError
from backend.lib.params import PathRowId
from backend.officers import services
from backend.officers.schemas import Actor
from backend.officers.qr import qr_svg
from backend.officers.tables import Role

# Outcome codes that mean "not yours": answered 404/403 like a route would, so a page and the API agree.
_NOT_FOUND = {"unknown_officer"}
_FORBIDDEN = {"branch_not_yours", "national_admin_cli_only", "own_enrollment", "admin_needs_session"}


def _raise_for(outcome: CommandOutcome) -> None:
    if outcome.code in _NOT_FOUND:
        raise NotFoundException()
    if outcome.code in _FORBIDDEN:
        raise PermissionDeniedException(outcome.reason or "")


class AdminOfficers(Controller):
    path = "/admin/officers"
    guards = [require_roles(Role.ADMIN)]

    async def _page(
        self, actor: Actor, form: dict[str, Any] | None = None, error: str | None = None, link: str | None = None, status: int = 200
    ) -> Template:
        scope = None if actor.is_national_admin else (actor.branch_id or -1)
        return Template(
            "officers/admin.html",
            context={
                "officers": await services.list_officers(scope),
                "branches": await services.list_branches(scope),
                "roles": list(Role),
                "national": actor.is_national_admin,
                "form": form or {},
                "error": error,
                "link": link,
                "qr": qr_svg(link) if link else None,
            },
            status_code=status,
        )

    @get("/")
    async def list_page(self, request: Request[Any, Any, Any]) -> Template:
        return await self._page(request.user)

    @post("/", status_code=200)
    async def add(self, request: Request[Any, Any, Any], state: State) -> Template:
        form = dict(await request.form())
        token, hashed = new_enrollment_token()
        payload = {
            "code": str(form.get("code") or "")[:32],
            "full_name": str(form.get("full_name") or "")[:200],
            "role": str(form.get("role") or "")[:16],
            "branch_code": str(form.get("branch") or "")[:16] or None,
            "enrollment_token_hash": hashed,
        }
        envelope = envelope_from_form(form, "officers.create_officer", payload)
        (outcome,) = await apply_commands(state.engine, [envelope], request.user)
        if outcome.status == "rejected":
            if outcome.code in {"branch_not_yours", "national_admin_cli_only", "admin_needs_session"}:
                return await self._page(request.user, form=form, error=outcome.reason, status=403)
            return await self._page(request.user, form=form, error=outcome.reason, status=422)
        return await self._page(request.user, link=enrollment_link(token, state.settings.web))

    @post("/{officer_id:int}/enrollment", status_code=200)
    async def new_link(self, request: Request[Any, Any, Any], officer_id: PathRowId, state: State) -> Template:
        form = dict(await request.form())
        token, hashed = new_enrollment_token()
        envelope = envelope_from_form(form, "officers.issue_enrollment", {"officer_id": officer_id, "token_hash": hashed})
        (outcome,) = await apply_commands(state.engine, [envelope], request.user)
        if outcome.status == "rejected":
            _raise_for(outcome)
            return await self._page(request.user, error=outcome.reason, status=422)
        return await self._page(request.user, link=enrollment_link(token, state.settings.web))

    @post("/{officer_id:int}/active", status_code=303)
    async def set_active(self, request: Request[Any, Any, Any], officer_id: PathRowId, state: State) -> Redirect:
        form = dict(await request.form())
        payload = {"officer_id": officer_id, "active": form.get("active") == "1"}
        (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, "officers.set_active", payload)], request.user)
        if outcome.status == "rejected":
            _raise_for(outcome)
            # Already in the caller's words (apply_commands worded it): shown as it is.
            raise DomainError(outcome.code or "rejected", "%(reason)s", reason=outcome.reason or "")
        return Redirect("/admin/officers", status_code=303)


@get("/api/v1/me", summary="Who the server thinks you are")
async def me(request: Request[Any, Any, Any]) -> Any:
    return request.user


ROUTES = [AdminOfficers, me]
