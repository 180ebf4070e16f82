"""Demo key vehicle (issue 16): one vessel under direct supervision in the demo branch HP-KV3, berthed at the port,
with its officer assigned and two entries of its supervision journal.

Each step is the people's own command through the journal (backend/journal/demo_signing.py): the head GS001 signs
the designation, assigns the officer CB001, and CB001 writes the entries, made in the past, so the page, the
logbook and the audit show what real work leaves. Idempotent: once the vessel is designated it is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from backend.journal.demo_signing import DemoSigner
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.officers.tables import Location
from backend.vehicles.tables import KeyVehicle

HEAD, OFFICER = "GS001", "CB001"
BERTH = "HP-KV3-GA"  # the demo branch's port gate (Cảng Tân Vũ), where the vessel is berthed
VESSEL = {
    "kind": "vessel",
    "name": "MV HAI PHONG STAR",
    "registration": "IMO 9074729",
    "flag": "Panama",
    "reason": "Tàu có thông tin rủi ro về vận chuyển trái phép hàng hóa qua biên giới; giám sát chặt chẽ trong thời gian neo đậu tại cảng.",
}
ENTRIES = (
    (5, "Tàu đã cập cầu số 3. Niêm phong hầm hàng số 2 nguyên trạng; không có người lạ lên tàu."),
    (2, "Kiểm tra quanh tàu: thuyền viên xuống tàu đúng danh sách; không phát hiện bốc dỡ hàng hóa ngoài kế hoạch."),
)


async def load_demo_vehicles(origin: str, rp_id: str) -> str:
    """Designate the demo vessel with its journal, unless it is there already; a summary line."""
    if await KeyVehicle.exists().where(KeyVehicle.registration == VESSEL["registration"]):
        return "Demo key vehicle: there already."
    berth = await Location.select(Location.id).where(Location.code == BERTH).first()
    if berth is None:
        raise LookupError(f"the demo location {BERTH} does not exist")
    now = clock.now()
    async with DemoSigner(JournalEntry._meta.db, origin, rp_id) as signer:

        async def do(code: str, type_: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
            outcome = await signer.do(code, type_, payload, at=at)
            if outcome.status != "applied":
                raise RuntimeError(f"demo key vehicle step {type_} refused: {outcome.code}: {outcome.reason}")
            return outcome.result or {}

        start = now - timedelta(hours=6)
        designated = await do(HEAD, "vehicles.designate", {**VESSEL, "location_id": berth["id"], "supervised_from": ""}, start)
        vehicle_id = designated["vehicle_id"]
        await do(HEAD, "vehicles.assign_officers", {"vehicle_id": vehicle_id, "officer_codes": [OFFICER]}, start + timedelta(minutes=5))
        for hours_ago, text in ENTRIES:
            await do(OFFICER, "vehicles.add_journal_entry", {"vehicle_id": vehicle_id, "text": text}, now - timedelta(hours=hours_ago))
    return f"Demo key vehicle: {VESSEL['name']} ({VESSEL['registration']}) under direct supervision, {len(ENTRIES)} journal entries."
