"""Declarations: the upstream gateway's batch upsert, and the lookup by number (page and JSON).

Who may do what:
- `POST /api/v1/declarations`: a national admin. The upstream gateway is a machine client with an API token owned
  by a national admin (`giamsat token create --officer HQADMIN --name gateway`); there is no dedicated gateway role.
  Not a branch admin: what upstream says (the branch of registration, the places) decides which branches are
  concerned with the goods (seals/policy.py), so a branch must not be able to write it (issue 11).
- lookups: officers and supervisors of any branch. Goods registered at one branch pass the gates of another
  (transit, a port served by several branches), so the gate must see every declaration, as IID/IEX/ITF do.
- printed container / goods lists (`printing.py`): staff of the declaration's branch of registration, and national
  admins.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Template

from backend.auth.middleware import require_roles
from backend.declarations import printing, services
from backend.declarations.schemas import MAX_BATCH, DeclarationView, UpsertBatchResult
from backend.declarations.tables import KIND_LABELS
from backend.lib.errors import N_, DomainError, Forbidden
from backend.lib.i18n import gettext
from backend.officers.tables import Role

CAN_LOOK_UP = (Role.OFFICER, Role.SUPERVISOR)


@post("/api/v1/declarations", status_code=200, guards=[require_roles(Role.ADMIN)], summary="Upsert declarations from upstream")
async def post_declarations(request: Request[Any, Any, Any], data: JSONBody[list[dict[str, Any]]]) -> UpsertBatchResult:
    """A batch of at most 1000 declarations (items as `DeclarationUpsert`, docs/declarations.md); each answers
    `created`, `updated`, `unchanged` or `refused` (with `code`, `reason` in the caller's language and `field`).

    Not a command through the journal: this is reference data from the upstream system, not an officer's action.
    The journal records what officers did; `DeclarationHistory` records what upstream changed, and when.
    """
    del data  # typed for the API schema; the raw items are validated one by one, so one bad item refuses only itself
    if not request.user.is_national_admin:
        raise Forbidden("national_admin_only", N_("Only the national upstream gateway (a national administrator's token) may send declarations."))
    try:
        items = msgspec.json.decode(await request.body())
    except msgspec.DecodeError as exc:
        raise ValidationException(f"the body is not JSON: {exc}") from exc
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        raise ValidationException(f"send a list of at most {MAX_BATCH} declarations")
    results = await services.upsert_many(items, f"api:{request.user.code}")
    return UpsertBatchResult(results=results)


@get("/api/v1/declarations/{number:str}", guards=[require_roles(*CAN_LOOK_UP)], summary="Look up a declaration")
async def get_declaration(number: FromPath[str]) -> DeclarationView:
    """The declaration with its containers, warnings and history; 400 `bad_number`, 404 `declaration_not_found`."""
    return await services.declaration_by_number(number)


@get("/declarations", guards=[require_roles(*CAN_LOOK_UP)])
async def declarations_page(request: Request[Any, Any, Any], number: FromQuery[str | None] = None) -> Template:
    declaration, error, status = None, None, 200
    if number:
        try:
            declaration = await services.declaration_by_number(number)
        except DomainError as exc:
            error, status = gettext(exc.message, **exc.params), exc.status_code
    printable = declaration is not None and declaration.allows_passage
    may_print = declaration is not None and printable and await printing.may_print(request.user, declaration)
    context = {
        "number": number or "",
        "declaration": declaration,
        "error": error,
        "kind_labels": {kind: gettext(label) for kind, label in KIND_LABELS.items()},
        # The print link: only to who may print (the branch of registration or of an import gate), only for what
        # may be printed; others are told where the declarant reprints.
        "print_list": printing.list_for(declaration.cargo_type).path if declaration is not None and may_print else None,
        "print_elsewhere": printable and not may_print,
    }
    # The lookup form swaps only its result; a boosted navigation (a link, back/forward) needs the whole page.
    fragment = bool(request.htmx) and not request.htmx.boosted and request.htmx.target == "declaration-result"
    name = "declarations/_result.html" if fragment else "declarations/lookup.html"
    return Template(name, context=context, status_code=status)


ROUTES = [post_declarations, get_declaration, declarations_page, *printing.ROUTES]
