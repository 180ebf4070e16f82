"""Who may do what with an air-cargo anomaly record (Art 35.2.đ), built on the premises seam (policy.py).

- Recording: warehouse staff, only at the premises they work at (`works_at`).
- Reading: those staff, and customs of the branch that manages the premises (`sees`): staff of other premises and
  other branches are told the record does not exist (404), not that it is someone else's.
- Receiving and handling: customs of the managing branch only (`manages`); the operator never takes customs' steps.
- Photos: customs of the managing branch (the files domain, by branch), the staff member who took them, and the
  staff of the record's premises (`staff_read_photos`, registered with the files domain), never staff of another
  premises of the same branch.
The premises are the record's own (stored when it was made), never what a request names.
"""

from __future__ import annotations

from typing import Any

from backend.files import services as files
from backend.lib.errors import N_, DomainError, NotFound
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.warehouse import policy
from backend.warehouse.tables import AirCargoAnomaly

PHOTO_RECORD = "air_cargo_anomaly"  # as commands.py registers the kind with the files domain


def unknown_anomaly() -> NotFound:
    return NotFound("unknown_anomaly", N_("There is no such anomaly record."))


async def premises_to_record_at(actor: Actor, premises_id: int) -> dict[str, Any]:
    """The premises the staff record an anomaly at, refused in words unless they work there."""
    premises = await policy.premises_row(premises_id)
    if premises is None or not policy.works_at(actor, premises):
        raise DomainError("not_your_premises", N_("You can record anomalies only at the premises you work at."))
    return premises


async def premises_of_record(record: dict[str, Any]) -> dict[str, Any]:
    premises = await policy.premises_row(record["premises"])
    if premises is None:  # a premises turned into a gate: nobody's record any more
        raise unknown_anomaly()
    return premises


async def require_sees(actor: Actor, record: dict[str, Any] | None) -> dict[str, Any]:
    """The record's premises when the actor may read the record; else 404."""
    if record is None:
        raise unknown_anomaly()
    premises = await premises_of_record(record)
    if not policy.sees(actor, premises):
        raise unknown_anomaly()
    return premises


async def require_manages(actor: Actor, record: dict[str, Any] | None) -> dict[str, Any]:
    """The record's premises when the actor is customs of the branch that manages them; else 404 (the roles of the
    command keep the operator out before this)."""
    premises = await require_sees(actor, record)
    if not policy.manages(actor, premises):
        raise unknown_anomaly()
    return premises


def may_record(actor: Actor, premises: dict[str, Any]) -> bool:
    return policy.works_at(actor, premises)


def may_receive(actor: Actor, premises: dict[str, Any]) -> bool:
    return policy.manages(actor, premises)


async def staff_read_photos(actor: Actor, anomaly_ids: list[int]) -> bool:
    """Whether warehouse staff read the photos of one of these records: those working at its premises (Art 35.2.đ: the
    operator's record is theirs; issue 16 item 1, the premises seam), not staff of another premises of the branch."""
    if actor.role != Role.WAREHOUSE or not anomaly_ids:
        return False
    rows = await AirCargoAnomaly.select(AirCargoAnomaly.premises).where(AirCargoAnomaly.id.is_in(anomaly_ids))
    for row in rows:
        premises = await policy.premises_row(row["premises"])
        if premises is not None and policy.works_at(actor, premises):
            return True
    return False


files.register_record_reader(PHOTO_RECORD, staff_read_photos)
