"""Demo data: the operator of the demo warehouse and CFS, with KHO001 working at both (issue 16 item 1); and one
air-cargo anomaly record (Art 35.2.đ) made by the demo warehouse's staff KHO001 at HP-KV3-KNQ1,
recorded through the journal as the staff's phone would send it (made an hour ago, so it waited on the device),
waiting for the branch's customs to receive it. Idempotent: a second load finds it and adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from backend.journal import envelope as envelopes
from backend.journal.envelope import CommandEnvelope
from backend.journal.services import apply_commands
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.officers.services import actor_by_id
from backend.officers.tables import Location, Officer
from backend.warehouse.tables import AirCargoAnomaly, Operator, OperatorPremises

OPERATOR = {"name": "Công ty CP Kho vận Đình Vũ", "tax_code": "0201234567", "address": "Khu kinh tế Đình Vũ, phường Đông Hải 2, Hải Phòng"}
OPERATED = ("HP-KV3-KNQ1", "HP-KV3-CFS1")
ADMIN = "ADMIN"  # the demo branch's admin makes them, through the journal as on /admin/operators

PREMISES, STAFF = "HP-KV3-KNQ1", "KHO001"
FLIGHT, MAWB = "VN0311", "738-12345675"
PAYLOAD = {
    "kind": "short_packages",
    "flight": FLIGHT,
    "mawb": MAWB,
    "hawb": "HPH-0042",
    "packages": "Kiện số 7/10 đến 10/10, ký hiệu ABC-HPH",
    "declared_packages": 10,
    "found_packages": 6,
    "declared_weight_kg": 412.5,
    "found_weight_kg": 250.0,
    "note": "Đối chiếu với bản lược khai hàng hóa (manifest): thiếu 4 kiện.",
}


async def load_demo_anomalies() -> str:
    """Record the demo anomaly unless it is there; a summary line."""
    premises = await Location.select(Location.id).where(Location.code == PREMISES).first()
    staff = await Officer.select(Officer.id).where(Officer.code == STAFF).first()
    actor = await actor_by_id(staff["id"]) if staff else None
    if premises is None or actor is None:
        return f"Demo anomaly record: skipped ({PREMISES} or {STAFF} missing)."
    if await AirCargoAnomaly.exists().where((AirCargoAnomaly.premises == premises["id"]) & (AirCargoAnomaly.mawb == MAWB)):
        return "Demo anomaly record: there already."
    made = clock.now() - timedelta(hours=1)
    envelope = CommandEnvelope(
        id=uuid.uuid4(),
        type="warehouse.record_anomaly",
        issued_at=made,
        device_id="demo-loader",
        payload={"premises_id": premises["id"], **PAYLOAD},
        offline=clock.now() - made > envelopes.OFFLINE_GRACE,
    )
    (outcome,) = await apply_commands(JournalEntry._meta.db, [envelope], actor)
    if outcome.status != "applied":
        raise RuntimeError(f"the demo anomaly record was refused: {outcome.code} {outcome.reason}")
    return f"Demo anomaly record at {PREMISES} by {STAFF}: flight {FLIGHT}, MAWB {MAWB}, waiting for customs."


async def _apply_as(actor: Any, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    envelope = CommandEnvelope(id=uuid.uuid4(), type=type_, issued_at=clock.now(), device_id="demo-loader", payload=payload)
    (outcome,) = await apply_commands(JournalEntry._meta.db, [envelope], actor)
    if outcome.status != "applied":
        raise RuntimeError(f"the demo {type_} was refused: {outcome.code} {outcome.reason}")
    return outcome.result or {}


async def load_demo_operator() -> str:
    """The demo operator, its two premises and KHO001 at both, each step made unless there; a summary line."""
    admin = await Officer.select(Officer.id).where(Officer.code == ADMIN).first()
    staff = await Officer.select(Officer.id, Officer.premises).where(Officer.code == STAFF).first()
    places = {row["code"]: row["id"] for row in await Location.select(Location.id, Location.code).where(Location.code.is_in(list(OPERATED)))}
    actor = await actor_by_id(admin["id"]) if admin else None
    if actor is None or staff is None or len(places) != len(OPERATED):
        return f"Demo operator: skipped ({ADMIN}, {STAFF} or {', '.join(OPERATED)} missing)."
    row = await Operator.select(Operator.id).where(Operator.tax_code == OPERATOR["tax_code"]).first()
    operator_id = row["id"] if row else (await _apply_as(actor, "warehouse.create_operator", OPERATOR))["operator_id"]
    for code in OPERATED:
        if not await OperatorPremises.exists().where(OperatorPremises.location == places[code]):
            await _apply_as(actor, "warehouse.link_premises", {"operator_id": operator_id, "location_id": places[code]})
    works_at = (await actor_by_id(staff["id"])).premises_ids  # type: ignore[union-attr]
    for code in OPERATED:
        if places[code] not in works_at:
            await _apply_as(actor, "warehouse.assign_staff", {"operator_id": operator_id, "officer_id": staff["id"], "location_id": places[code]})
    return f"Demo operator {OPERATOR['name']}: {', '.join(OPERATED)}, {STAFF} working at both."
