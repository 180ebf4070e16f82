"""Who may do what with bonded stock and its movements (Decision 1966 Art 43; 44.2.a), on the premises seam
(backend/warehouse/policy.py).

- The warehouse's staff (`works_at`) see their own premises' stock and movements and enter release notes there
  (43.3.a.1: "Phiếu xuất kho ... do người khai hải quan nộp"; the warehouse issues it); they never check, propose
  nor decide.
- Customs staff of the branch managing the warehouse (`manages`) see all of it, supervise entries (43.1.c.4, 43.2.b),
  check movements out (43.3.a, 43.4.b, 43.5, 43.6.b) and propose inspections; the head (a supervisor of that branch)
  decides a proposal (signed).
- Anyone else (staff of other premises, officers of other branches, admins) does not learn it exists: 404.
"""

from __future__ import annotations

from typing import Any

from backend.lib.errors import N_, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import LocationKind, Role
from backend.warehouse.policy import manages, premises_row, sees, works_at

BONDED_KINDS = (LocationKind.WAREHOUSE.value, LocationKind.CFS.value)


def not_found() -> NotFound:
    return NotFound("unknown_bonded", N_("There is no such bonded warehouse or movement for you."))


def is_bonded(premises: dict[str, Any] | None) -> bool:
    """A bonded warehouse (kho ngoại quan: a location of kind `warehouse`), or a CFS for 44.2.a."""
    return premises is not None and premises["kind"] in BONDED_KINDS


def is_cfs(premises: dict[str, Any]) -> bool:
    return premises["kind"] == LocationKind.CFS.value


async def premises_of(row: dict[str, Any]) -> dict[str, Any]:
    premises = await premises_row(row["premises"])
    if premises is None:
        raise not_found()
    return premises


def may_see(actor: Actor, premises: dict[str, Any]) -> bool:
    return is_bonded(premises) and sees(actor, premises)


def may_release(actor: Actor, premises: dict[str, Any] | None) -> bool:
    """Enter a release note: the warehouse's own staff."""
    return is_bonded(premises) and premises is not None and works_at(actor, premises)


def may_supervise(actor: Actor, premises: dict[str, Any] | None) -> bool:
    """Supervise entries, check movements out, propose an inspection: customs of the managing branch."""
    return is_bonded(premises) and premises is not None and manages(actor, premises)


def may_decide(actor: Actor, premises: dict[str, Any]) -> bool:
    """The head of the managing branch (Chi cục trưởng; in giamsat a supervisor of that branch)."""
    return actor.role == Role.SUPERVISOR and may_supervise(actor, premises)
