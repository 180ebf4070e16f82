"""Admin pages: officers, their enrollment links, deactivation. Every route requires the admin role."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from backend.lib.params import PathRowId
from backend.auth.middleware import require_roles
from backend.auth.services import create_enrollment
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.officers import services
from backend.officers.qr import qr_svg
from backend.officers.tables import Officer, Role


class AdminOfficers(Controller):
    path = "/admin/officers"
    guards = [require_roles(Role.ADMIN)]

    async def _page(self, form: dict[str, Any] | None = None, error: str | None = None, link: str | None = None, status: int = 200) -> Template:
        return Template(
            "officers/admin.html",
            context={
                "officers": await services.list_officers(),
                "branches": await services.list_branches(),
                "roles": list(Role),
                "form": form or {},
                "error": error,
                "link": link,
                "qr": qr_svg(link) if link else None,
            },
            status_code=status,
        )

    @get("/")
    async def list_page(self) -> Template:
        return await self._page()

    @post("/", status_code=200)
    async def add(self, request: Request[Any, Any, Any], state: State) -> Template:
        form = dict(await request.form())
        try:
            officer_id = await services.create_officer(
                code=str(form.get("code") or ""),
                full_name=str(form.get("full_name") or ""),
                role=str(form.get("role") or ""),
                branch_code=str(form.get("branch") or "") or None,
            )
        except DomainError as error:
            return await self._page(form=form, error=gettext(error.message, **error.params), status=422)
        link = await create_enrollment(officer_id, state.settings.web)
        return await self._page(link=link)

    @post("/{officer_id:int}/enrollment", status_code=200)
    async def new_link(self, officer_id: PathRowId, state: State) -> Template:
        if not await Officer.exists().where(Officer.id == officer_id):
            raise NotFoundException()
        link = await create_enrollment(officer_id, state.settings.web)
        return await self._page(link=link)

    @post("/{officer_id:int}/active", status_code=303)
    async def set_active(self, request: Request[Any, Any, Any], officer_id: PathRowId) -> Redirect:
        form = await request.form()
        active = form.get("active") == "1"
        if officer_id == request.user.id and not active:
            # The last admin locking themselves out would leave nobody to manage the branch's officers.
            raise DomainError("self_deactivation", N_("You cannot deactivate your own account."))
        if not await services.set_active(officer_id, active):
            raise NotFoundException()
        return Redirect("/admin/officers", status_code=303)


@get("/api/v1/me", summary="Who the server thinks you are")
async def me(request: Request[Any, Any, Any]) -> Any:
    return request.user


ROUTES = [AdminOfficers, me]
