"""Who may do what with a CFS consolidation list (Art 44.2.b), built on the premises seam (backend/warehouse/policy.py).

- The CFS operator's staff make, fill and submit lists for the CFS they work at (the premises on their account,
  never a location the request names), see only those, and confirm receipt of their signed copy.
- Customs staff (officers and heads) of the branch that manages the CFS see all of its lists, compare them line by
  line and sign them (44.2.b.1.1, 44.2.b.1.3). The operator's staff never compare nor sign.
- Anyone else does not learn the list exists: 404 on pages, `unknown_list` for commands.
"""

from __future__ import annotations

from typing import Any

from backend.lib.errors import N_, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import LocationKind
from backend.warehouse.policy import manages, premises_row, sees, works_at


def not_found() -> NotFound:
    return NotFound("unknown_list", N_("There is no such consolidation list for you."))


async def premises_of(cfs_list: dict[str, Any]) -> dict[str, Any]:
    """The list's CFS as the seam reads it (its managing branch today, not as it was when the list was made)."""
    premises = await premises_row(cfs_list["premises"])
    if premises is None:
        raise not_found()
    return premises


def is_cfs(premises: dict[str, Any] | None) -> bool:
    return premises is not None and premises["kind"] == LocationKind.CFS.value


def may_create(actor: Actor, premises: dict[str, Any] | None) -> bool:
    """Staff of a CFS: a consolidation list is made only there (Art 44.2.b: "kho CFS")."""
    return is_cfs(premises) and premises is not None and works_at(actor, premises)


def may_see(actor: Actor, premises: dict[str, Any]) -> bool:
    return sees(actor, premises)


def may_edit(actor: Actor, premises: dict[str, Any]) -> bool:
    """Add lines, submit, confirm receipt: the operator's side."""
    return works_at(actor, premises)


def may_check(actor: Actor, premises: dict[str, Any]) -> bool:
    """Compare and sign: customs of the managing branch (44.2.b.1.1, 44.2.b.1.3)."""
    return manages(actor, premises)
