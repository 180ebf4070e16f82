"""Admin pages of operators (issue 16 item 1): the list with the form that creates one, and one operator with its
premises (linking more) and its staff (assigning a warehouse user to a premises, removing them).

Built as /admin/officers is (officers/controllers.py): every route requires the admin role, every change is a
journaled command (warehouse/operators.py) sent through `apply_commands`, and the commands decide the scope (a branch
admin acts on their own branch's premises and staff only). A branch admin's page shows their branch's part only.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.journal.envelope import CommandOutcome
from backend.journal.forms import envelope_from_form
from backend.journal.services import apply_commands
from backend.lib.params import PathRowId
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.warehouse import operators

# Outcome codes that mean "not yours": answered 404/403 like a route would (as /admin/officers does).
_NOT_FOUND = {"unknown_operator", "unknown_premises", "unknown_officer"}
_FORBIDDEN = {"admin_needs_session"}
ASSIGNMENT = ("officer_id", "location_id")


def _raise_for(outcome: CommandOutcome) -> None:
    if outcome.code in _NOT_FOUND:
        raise NotFoundException(outcome.reason or "")
    if outcome.code in _FORBIDDEN:
        raise PermissionDeniedException(outcome.reason or "")


def _int(value: Any) -> int | str:
    """A form's id as an integer; anything else kept as text for the command to refuse (msgspec, in words)."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else text


class AdminOperators(Controller):
    path = "/admin/operators"
    guards = [require_roles(Role.ADMIN)]

    async def _list(self, actor: Actor, form: dict[str, Any] | None = None, error: str | None = None) -> Template:
        return Template(
            "warehouse/operators.html",
            context={"operators": await operators.list_operators(), "form": form or {}, "error": error},
            status_code=422 if error else 200,
        )

    async def _detail(self, actor: Actor, operator_id: int, error: str | None = None, status: int = 422) -> Template:
        scope = operators.branch_scope(actor)
        return Template(
            "warehouse/operator.html",
            context={
                "operator": await operators.operator_row(operator_id),
                "premises": await operators.premises_of_operator(operator_id, scope),
                "unlinked": await operators.unlinked_premises(scope),
                "people": await operators.warehouse_users(scope),
                "error": error,
            },
            status_code=status if error else 200,
        )

    async def _apply(
        self, request: Request[Any, Any, Any], state: State, operator_id: int, type_: str, fields: tuple[str, ...]
    ) -> Template | Redirect:
        """One of the operator's commands from its form (`fields`: the ids the form posts), then back to the page."""
        form = dict(await request.form())
        payload: dict[str, Any] = {"operator_id": operator_id, **{name: _int(form.get(name)) for name in fields}}
        (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, type_, payload)], request.user)
        if outcome.status == "rejected":
            _raise_for(outcome)
            return await self._detail(request.user, operator_id, error=outcome.reason)
        return Redirect(f"/admin/operators/{operator_id}", status_code=303)

    @get("/")
    async def list_page(self, request: Request[Any, Any, Any]) -> Template:
        return await self._list(request.user)

    @post("/", status_code=303)
    async def create(self, request: Request[Any, Any, Any], state: State) -> Template | Redirect:
        form = dict(await request.form())
        payload = {
            "name": str(form.get("name") or "")[:200],
            "tax_code": str(form.get("tax_code") or "")[:14],
            "address": str(form.get("address") or "")[:300],
        }
        (outcome,) = await apply_commands(state.engine, [envelope_from_form(form, "warehouse.create_operator", payload)], request.user)
        if outcome.status == "rejected":
            _raise_for(outcome)
            return await self._list(request.user, form=form, error=outcome.reason)
        return Redirect(f"/admin/operators/{outcome.result['operator_id']}", status_code=303)  # type: ignore[index]

    @get("/{operator_id:int}")
    async def detail_page(self, request: Request[Any, Any, Any], operator_id: PathRowId) -> Template:
        return await self._detail(request.user, operator_id)

    @post("/{operator_id:int}/premises", status_code=303)
    async def link(self, request: Request[Any, Any, Any], state: State, operator_id: PathRowId) -> Template | Redirect:
        return await self._apply(request, state, operator_id, "warehouse.link_premises", ("location_id",))

    @post("/{operator_id:int}/staff", status_code=303)
    async def assign(self, request: Request[Any, Any, Any], state: State, operator_id: PathRowId) -> Template | Redirect:
        return await self._apply(request, state, operator_id, "warehouse.assign_staff", ASSIGNMENT)

    @post("/{operator_id:int}/staff/remove", status_code=303)
    async def unassign(self, request: Request[Any, Any, Any], state: State, operator_id: PathRowId) -> Template | Redirect:
        return await self._apply(request, state, operator_id, "warehouse.unassign_staff", ASSIGNMENT)


ROUTES = [AdminOperators]
