"""Reading air-cargo anomaly records for the pages (written only by commands.py).

Every read is by the asking person's place: warehouse staff read their premises' records, customs the records of
the premises their branch manages (anomaly_policy.py); nothing here trusts a premises or branch a request names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.files import services as files
from backend.lib.errors import N_
from backend.officers.schemas import Actor
from backend.officers.tables import Role
from backend.warehouse import anomaly_policy, policy
from backend.warehouse.commands import PHOTO_RECORD
from backend.warehouse.tables import AirCargoAnomaly, AnomalyKind
from backend.warehouse.workflow import STATE_LABELS, AnomalyState

PAGE_LIMIT = 200
CLAUSE = "35.2.đ"

KIND_LABELS: dict[str, str] = {
    AnomalyKind.SHORT_PACKAGES: N_("Missing packages"),
    AnomalyKind.EXTRA_PACKAGES: N_("Extra packages"),
    AnomalyKind.NO_WAYBILL: N_("Package without an air waybill"),
    AnomalyKind.DAMAGED_PACKAGING: N_("Torn or broken packaging"),
    AnomalyKind.WEIGHT_DIFFERENCE: N_("Weight short or over"),
    AnomalyKind.OTHER: N_("Other anomaly"),
}


class Anomaly(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    state: str
    premises_id: int
    premises_code: str
    premises_name: str
    flight: str
    mawb: str
    hawb: str
    packages: str
    declared_packages: int | None
    found_packages: int | None
    declared_weight_kg: float | None
    found_weight_kg: float | None
    note: str
    recorded_by: str
    recorded_by_code: str
    issued_at: datetime
    recorded_at: datetime
    received_by: str | None
    received_at: datetime | None
    handled_by: str | None
    handled_at: datetime | None
    handling: str
    photos: list[str] = []

    @property
    def is_open(self) -> bool:
        return self.state != AnomalyState.HANDLED


_COLUMNS = (
    AirCargoAnomaly.id,
    AirCargoAnomaly.kind,
    AirCargoAnomaly.state,
    AirCargoAnomaly.premises.as_alias("premises_id"),
    AirCargoAnomaly.premises.code.as_alias("premises_code"),
    AirCargoAnomaly.premises.name.as_alias("premises_name"),
    AirCargoAnomaly.flight,
    AirCargoAnomaly.mawb,
    AirCargoAnomaly.hawb,
    AirCargoAnomaly.packages,
    AirCargoAnomaly.declared_packages,
    AirCargoAnomaly.found_packages,
    AirCargoAnomaly.declared_weight_kg,
    AirCargoAnomaly.found_weight_kg,
    AirCargoAnomaly.note,
    AirCargoAnomaly.recorded_by.full_name.as_alias("recorded_by"),
    AirCargoAnomaly.recorded_by.code.as_alias("recorded_by_code"),
    AirCargoAnomaly.issued_at,
    AirCargoAnomaly.recorded_at,
    AirCargoAnomaly.received_by.full_name.as_alias("received_by"),
    AirCargoAnomaly.received_at,
    AirCargoAnomaly.handled_by.full_name.as_alias("handled_by"),
    AirCargoAnomaly.handled_at,
    AirCargoAnomaly.handling,
)


def _where(actor: Actor) -> Any:
    """The records this person reads: their premises' (staff), their branch's (customs); nobody else's."""
    if actor.role == Role.WAREHOUSE:
        # Every premises they work at (issue 16 item 1: the premises seam), never a premises a request names.
        return AirCargoAnomaly.premises.is_in(staff_premises(actor) or [-1])
    if actor.role in policy.CUSTOMS_ROLES:
        return AirCargoAnomaly.premises.branch == (actor.branch_id or -1)
    return AirCargoAnomaly.id == -1


async def anomalies_for(actor: Actor, *, state: AnomalyState | None = None, limit: int = PAGE_LIMIT) -> list[Anomaly]:
    """The records the actor reads, newest first, at most `limit`; only those in `state` when given."""
    where = _where(actor)
    if state is not None:
        where = where & (AirCargoAnomaly.state == state.value)
    rows = await AirCargoAnomaly.select(*_COLUMNS).where(where).order_by(AirCargoAnomaly.id, ascending=False).limit(limit)
    return [msgspec.convert(row, Anomaly) for row in rows]


async def anomaly_for(actor: Actor, anomaly_id: int) -> Anomaly:
    """One record with its photos, if the actor reads it (anomaly_policy); else NotFound (404)."""
    row = await AirCargoAnomaly.select(*_COLUMNS).where(AirCargoAnomaly.id == anomaly_id).first()
    await anomaly_policy.require_sees(actor, {"premises": row["premises_id"]} if row else None)
    assert row is not None
    anomaly = msgspec.convert(row, Anomaly)
    anomaly.photos = await files.files_of(PHOTO_RECORD, anomaly_id)
    return anomaly


def staff_premises(actor: Actor) -> list[int]:
    """Every premises a warehouse user works at, the one on their account first (the set `works_at` reads)."""
    others = [premises_id for premises_id in (actor.premises_ids or ()) if premises_id != actor.premises_id]
    return ([actor.premises_id] if actor.premises_id is not None else []) + others


async def premises_for_form(actor: Actor) -> list[dict[str, Any]]:
    """The premises the actor may record at: warehouse staff every premises they work at (the one on their account
    first; the form offers a choice when there are several); customs none (they receive, not record)."""
    if actor.role != Role.WAREHOUSE:
        return []
    found = []
    for premises_id in staff_premises(actor):
        premises = await policy.premises_row(premises_id)
        if premises is not None and anomaly_policy.may_record(actor, premises):
            found.append(premises)
    return found


def may_receive(actor: Actor) -> bool:
    """Whether the page offers customs' steps (the commands decide again)."""
    return actor.role in policy.CUSTOMS_ROLES


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)
