"""Branches, locations and officers: creating them, turning rows into `Actor`s, the command line's system actor.

What an admin may act on (their own branch; every branch for a national admin) is in officers/policy.py; what
admins do goes through the journal (officers/commands.py).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from backend.lib.errors import N_, DomainError, NotFound
from backend.officers.schemas import Actor, OfficerView
from backend.officers.tables import Branch, Location, LocationKind, Officer, Role

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


def actor_columns(officer: Any) -> list[Any]:
    """The columns that make an Actor, reached through `officer` (the Officer table or a foreign key to it)."""
    return [
        officer.id.as_alias("id"),
        officer.code.as_alias("code"),
        officer.full_name.as_alias("full_name"),
        officer.role.as_alias("role"),
        officer.active.as_alias("active"),
        officer.premises.as_alias("premises_id"),
        officer.branch.id.as_alias("branch_id"),
        officer.branch.code.as_alias("branch_code"),
        officer.branch.name.as_alias("branch_name"),
    ]


def actor_from_row(row: dict[str, Any]) -> Actor | None:
    """An Actor for an active officer's row, or None for a deactivated one."""
    if not row["active"]:
        return None
    fields = {k: v for k, v in row.items() if k != "active"}
    return msgspec.convert(fields, Actor)


async def actor_by_id(officer_id: int) -> Actor | None:
    row = await Officer.select(*actor_columns(Officer)).where(Officer.id == officer_id).first()
    return await with_premises(actor_from_row(row)) if row else None


async def with_premises(actor: Actor | None) -> Actor | None:
    """The actor with every premises a warehouse user works at (`premises_ids`); others as they are, with no query."""
    if actor is None or actor.role != Role.WAREHOUSE:
        return actor
    from backend.warehouse.operators import premises_ids_of  # the warehouse domain builds on officers, not the reverse

    return msgspec.structs.replace(actor, premises_ids=await premises_ids_of(actor.id, actor.premises_id))


def actor_from_rows(rows: list[dict[str, Any]]) -> Actor | None:
    """An Actor from the rows of an actor query joined to warehouse.staff_premises (auth/services.py: one row per
    premises, its `staff_premises` the location or None), or None for a deactivated officer."""
    staff = {row.pop("staff_premises") for row in rows} - {None}
    actor = actor_from_row(rows[0])
    if actor is None or actor.role != Role.WAREHOUSE:
        return actor
    ids = staff | ({actor.premises_id} if actor.premises_id is not None else set())
    return msgspec.structs.replace(actor, premises_ids=tuple(sorted(ids)))


async def ensure_branch(code: str, name: str) -> int:
    row = await Branch.select(Branch.id).where(Branch.code == code).first()
    if row:
        await Branch.update({Branch.name: name}).where(Branch.id == row["id"])
        return row["id"]
    return (await Branch.insert(Branch(code=code, name=name)).returning(Branch.id))[0]["id"]


async def ensure_location(code: str, name: str, kind: LocationKind, branch_id: int, *, border_gate: bool = False) -> int:
    row = await Location.select(Location.id).where(Location.code == code).first()
    if row:
        await Location.update(
            {Location.name: name, Location.kind: kind, Location.branch: branch_id, Location.border_gate: border_gate}
        ).where(Location.id == row["id"])
        return row["id"]
    return (
        await Location.insert(
            Location(code=code, name=name, kind=kind, branch=branch_id, border_gate=border_gate)
        ).returning(Location.id)
    )[0]["id"]


async def create_officer(code: str, full_name: str, role: str, branch_code: str | None, premises_code: str | None = None) -> int:
    """Create an officer; refuses a bad or taken code, an unknown role, branch or premises."""
    code, full_name = code.strip(), full_name.strip()
    if not CODE_PATTERN.match(code):
        raise DomainError("bad_code", N_("An officer code is 1-32 letters, digits, '.', '_' or '-'."))
    if not full_name:
        raise DomainError("missing_name", N_("Enter the officer's full name."))
    try:
        role = Role(role)
    except ValueError:
        raise DomainError("bad_role", N_("Unknown role: %(role)s"), role=role) from None
    if await Officer.exists().where(Officer.code == code):
        raise DomainError("code_taken", N_("An officer with code %(code)s already exists."), code=code)
    branch_id = None
    if branch_code:
        branch = await Branch.select(Branch.id).where(Branch.code == branch_code).first()
        if branch is None:
            raise DomainError("unknown_branch", N_("Unknown branch: %(code)s"), code=branch_code)
        branch_id = branch["id"]
    elif role != Role.ADMIN:
        raise DomainError("branch_required", N_("Officers, supervisors and warehouse staff belong to a branch."))
    premises_id = None
    if premises_code:
        premises = await Location.select(Location.id, Location.branch).where(Location.code == premises_code).first()
        if premises is None or premises["branch"] != branch_id:
            raise DomainError("unknown_premises", N_("Unknown premises %(code)s in this branch."), code=premises_code)
        premises_id = premises["id"]
    row = Officer(code=code, full_name=full_name, role=role, branch=branch_id, premises=premises_id, active=True)
    return (await Officer.insert(row).returning(Officer.id))[0]["id"]


# The system actor of the `giamsat` command line: an inactive national admin (it never signs in), so that what an
# operator does there (officers, enrollment links) is in the journal under a name, like the UPSTREAM probe's acts.
CONSOLE_CODE = "CONSOLE"
CONSOLE_NAME = "Dòng lệnh giamsat (quản trị hệ thống)"
RESERVED_CODES = frozenset({CONSOLE_CODE, "UPSTREAM"})


async def console_actor() -> Actor:
    """The CLI's actor, created on first use; refused if a row with its code is anything else."""
    row = await Officer.select(*actor_columns(Officer)).where(Officer.code == CONSOLE_CODE).first()
    if row is None:
        await Officer.insert(Officer(code=CONSOLE_CODE, full_name=CONSOLE_NAME, role=Role.ADMIN, branch=None, active=False))
        row = await Officer.select(*actor_columns(Officer)).where(Officer.code == CONSOLE_CODE).first()
    if row["role"] != Role.ADMIN or row["branch_id"] is not None or row["active"]:
        raise RuntimeError(f"officer {CONSOLE_CODE} exists and is not the command line's system actor")
    fields = {k: v for k, v in row.items() if k != "active"}
    return msgspec.convert(fields, Actor)


async def officer_id_by_code(code: str) -> int:
    row = await Officer.select(Officer.id).where(Officer.code == code).first()
    if row is None:
        raise NotFound("unknown_officer", N_("No officer has code %(code)s."), code=code)
    return row["id"]


async def set_active(officer_id: int, active: bool) -> bool:
    """Activate or deactivate an officer (False when there is no such officer).

    Deactivating ends their sessions and revokes their API tokens at once, so activating them again later revives
    neither: they sign in again with a passkey, and a machine client needs a new token.
    """
    from backend.auth.tables import ApiToken, Session  # auth builds on officers, not the other way round
    from backend.lib import clock

    rows = await Officer.update({Officer.active: active}).where(Officer.id == officer_id).returning(Officer.id)
    if rows and not active:
        await Session.delete().where(Session.officer == officer_id)
        await ApiToken.update({ApiToken.revoked_at: clock.now()}).where(
            (ApiToken.officer == officer_id) & ApiToken.revoked_at.is_null()
        )
    return bool(rows)


async def list_officers(branch_id: int | None = None) -> list[OfficerView]:
    """Every officer, or those of one branch (what a branch admin sees). System actors are not listed."""
    where = Officer.code.not_in(list(RESERVED_CODES))
    if branch_id is not None:
        where &= Officer.branch == branch_id
    rows = await Officer.select(
        Officer.id,
        Officer.code,
        Officer.full_name,
        Officer.role,
        Officer.branch.code.as_alias("branch_code"),
        Officer.active,
    ).where(where).order_by(Officer.code)
    return [msgspec.convert(row, OfficerView) for row in rows]


async def list_branches(branch_id: int | None = None) -> list[dict[str, Any]]:
    query = Branch.select(Branch.id, Branch.code, Branch.name).order_by(Branch.code)
    return await (query.where(Branch.id == branch_id) if branch_id is not None else query)


async def location_of_branch(actor: Actor, location_id: int) -> dict[str, Any]:
    """The location a command names, if it is one of the actor's branch (id, name, branch, border_gate); refused in
    words otherwise. Every command made at a place checks this; plain SQL, as it runs on every such command."""
    rows = await Location.raw("SELECT id, name, branch, border_gate FROM location WHERE id = {}", location_id)
    location = rows[0] if rows else None
    if location is None:
        raise DomainError("unknown_location", N_("There is no such location."))
    if actor.branch_id is None or location["branch"] != actor.branch_id:
        raise DomainError("location_not_in_branch", N_("This location does not belong to your branch."))
    return location


async def locations_of_branch(branch_id: int | None) -> list[dict[str, Any]]:
    return await Location.select(Location.id, Location.code, Location.name, Location.kind, Location.border_gate).where(
        Location.branch == branch_id
    ).order_by(Location.code)
