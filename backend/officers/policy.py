"""Who may administer whom (issue 11, finding 6): the officers domain's authorization, in one place.

Admins are scoped to their branch: a branch admin acts on the officers of their own branch only; a national admin
(role admin and no branch, made only by `giamsat officer add --national`) acts on every branch. Administration is
done in a signed-in browser or the command line, never with an API token. officers/commands.py asks these.
"""

from __future__ import annotations

from typing import Any

from backend.lib.errors import N_, Forbidden, NotFound
from backend.officers.schemas import Actor
from backend.officers.services import RESERVED_CODES
from backend.officers.tables import Officer


def require_admin_session(actor: Actor) -> None:
    """Admin actions are made in a signed-in browser (or the CLI), never with an API token: a stolen token of an
    admin must not be able to mint enrollment links, i.e. passkeys (docs/security.md)."""
    if actor.via_token:
        raise Forbidden("admin_needs_session", N_("Administration is done in a signed-in browser, not with an API token."))


def may_manage_branch(actor: Actor, branch_id: int | None) -> bool:
    """A national admin manages every branch; a branch admin only their own (never the national level)."""
    return actor.is_national_admin or (actor.branch_id is not None and branch_id == actor.branch_id)


async def officer_in_scope(actor: Actor, officer_id: int) -> dict[str, Any]:
    """The officer row (id, code, branch, role, active) an admin may act on; an officer of another branch looks
    the same as no officer at all (404), so a branch admin learns nothing about other branches."""
    row = await Officer.select(Officer.id, Officer.code, Officer.branch, Officer.role, Officer.active).where(
        Officer.id == officer_id
    ).first()
    if row is None or row["code"] in RESERVED_CODES or not may_manage_branch(actor, row["branch"]):
        raise NotFound("unknown_officer", N_("There is no such officer in your branch."))
    return row
