"""Demo data: one air-cargo anomaly record (Art 35.2.đ) made by the demo warehouse's staff KHO001 at HP-KV3-KNQ1,
recorded through the journal as the staff's phone would send it (made an hour ago, so it waited on the device),
waiting for the branch's customs to receive it. Idempotent: a second load finds it and adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend.journal import envelope as envelopes
from backend.journal.envelope import CommandEnvelope
from backend.journal.services import apply_commands
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.officers.services import actor_by_id
from backend.officers.tables import Location, Officer
from backend.warehouse.tables import AirCargoAnomaly

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
