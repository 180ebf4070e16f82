"""The evidence page: everything recorded about the sealing of one declaration (its requirement decisions, seals,
corrections, the "sealed" confirmation, handover records with their photos) and who did what when, from the
journal. Read only: it changes nothing.

Who: the rule of `services.evidence` (officers and supervisors of a branch with a part in the declaration); anyone
else, and an unknown number, gets the 404 page; a malformed number 400.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.auth.middleware import require_roles
from backend.declarations.services import parse_number
from backend.lib.errors import DomainError
from backend.lib.i18n import gettext
from backend.logbook.services import sync_text
from backend.seals import services
from backend.seals.services import SEAL_ROLES



@get("/seals/evidence", guards=[require_roles(*SEAL_ROLES)])
async def find_evidence(number: FromQuery[str | None] = None) -> Template | Redirect:
    """The form to open a declaration's evidence by its number; a number sent with it goes to its page (spaces and
    dashes dropped), a malformed one is shown back with the reason (400)."""
    typed = (number or "").strip()
    if not typed:
        return Template("seals/evidence.html", context={"evidence": None, "number": "", "error": None})
    try:
        parsed = parse_number(typed)
    except DomainError as error:
        context = {"evidence": None, "number": typed[:40], "error": gettext(error.message, **error.params)}
        return Template("seals/evidence.html", context=context, status_code=error.status_code)
    return Redirect(f"/seals/evidence/{parsed}", status_code=303)


@get("/seals/evidence/{number:str}", guards=[require_roles(*SEAL_ROLES)])
async def evidence_page(request: Request[Any, Any, Any], number: FromPath[str]) -> Template:
    """A declaration's sealing evidence as officers and supervisors read it, with photo thumbnails linking to the
    full images and each record's print page. 400 for a malformed number; 404 when the caller's branch has no
    part in the declaration (or there is none)."""
    evidence = await services.evidence(request.user, number)
    return Template(
        "seals/evidence.html",
        context={"evidence": evidence, "number": evidence.number, "error": None, "sync_text": sync_text},
    )


ROUTES = [find_evidence, evidence_page]
