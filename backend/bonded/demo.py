"""Demo data for bonded warehouses (Art 43; issue 16 item 3): the demo's bonded warehouse HP-KV3-KNQ1 (Kho ngoại
quan Đình Vũ, run by Công ty CP Kho vận Đình Vũ, staff KHO001) gets stock — goods from a gate of its own branch
(43.1.d) and from the domestic market (43.2) — and one movement out of each kind in various states: abroad checked
(next: its transit) and abroad waiting with an inspection proposed to the head (in GS001's inbox), into the domestic
market waiting for the check, into a non-tariff zone waiting for its handover record, and into a second bonded
warehouse HP-KV3-KNQ2 (made if missing), done. Every step goes through the journal as the phones would send it.

Idempotent: nothing is added when the warehouse already has an entry.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.bonded.tables import BondedEntry, BondedLot
from backend.declarations.tables import Declaration, DeclarationKind
from backend.journal.envelope import CommandEnvelope
from backend.journal.services import apply_commands
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.officers.services import actor_by_id, ensure_location
from backend.officers.tables import Location, LocationKind, Officer

BRANCH = "HP-KV3"
WAREHOUSE = "HP-KV3-KNQ1"
SECOND = ("HP-KV3-KNQ2", "Kho ngoại quan Nam Đình Vũ")
STAFF, OFFICER, HEAD = "KHO001", "CB001", "GS001"
ZONE_BRANCH = "LS-HN"  # the demo's other branch stands for the one managing the non-tariff zone
CONDITIONS = ["declaration_cleared", "policy_documents", "duties", "goods_identity"]


async def _actor(code: str) -> Any:
    row = await Officer.select(Officer.id).where(Officer.code == code).first()
    return await actor_by_id(row["id"]) if row else None


async def _do(actor: Any, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    envelope = CommandEnvelope(id=uuid.uuid4(), type=type_, issued_at=clock.now(), device_id="demo-loader", payload=payload)
    (outcome,) = await apply_commands(JournalEntry._meta.db, [envelope], actor)
    if outcome.status != "applied":
        raise RuntimeError(f"the demo {type_} was refused: {outcome.code} {outcome.reason}")
    return outcome.result or {}


async def load_demo_bonded() -> str:
    """The stock and movements, unless there; a summary line."""
    premises = await Location.select(Location.id, Location.branch).where(Location.code == WAREHOUSE).first()
    staff, officer, head = await _actor(STAFF), await _actor(OFFICER), await _actor(HEAD)
    if premises is None or staff is None or officer is None or head is None:
        return f"Demo bonded warehouse: skipped ({WAREHOUSE}, {STAFF}, {OFFICER} or {HEAD} missing)."
    if await BondedEntry.exists().where(BondedEntry.premises == premises["id"]):
        return f"Demo bonded warehouse {WAREHOUSE}: there already."
    await ensure_location(*SECOND, LocationKind.WAREHOUSE, premises["branch"])
    imports = await Declaration.select(Declaration.number).where(
        (Declaration.kind == DeclarationKind.IMPORT.value) & (Declaration.allows_passage == True)  # noqa: E712 (a query)
    ).order_by(Declaration.number).limit(5)
    transits = await Declaration.select(Declaration.number).where(
        (Declaration.kind == DeclarationKind.INDEPENDENT_TRANSIT.value) & (Declaration.allows_passage == True)  # noqa: E712
        & Declaration.transit.like(f'%"destination_branch_code":"{ZONE_BRANCH}"%')
    ).order_by(Declaration.number).limit(2)
    if len(imports) < 5 or len(transits) < 2:
        return "Demo bonded warehouse: not enough demo declarations in the mirror."
    entries = [
        ("same_branch", imports[0]["number"], "Máy xúc đào bánh xích KOMATSU PC200,chiếc,6\nPhụ tùng máy xúc,thùng,40"),
        ("domestic", imports[1]["number"], "Hạt nhựa PP nguyên sinh,tấn,120\nCuộn cáp điện,cuộn,300"),
    ]
    for kind, number, goods in entries:
        await _do(officer, "bonded.supervise_entry", {"premises_id": premises["id"], "kind": kind, "declaration": number, "goods": goods})
    lots = [row["id"] for row in await BondedLot.select(BondedLot.id).where(BondedLot.premises == premises["id"]).order_by(BondedLot.id)]

    def note(kind: str, declaration: str, lines: str, number: str, **more: Any) -> dict[str, Any]:
        return {"premises_id": premises["id"], "kind": kind, "declaration": declaration, "note_number": number, "lines": lines, **more}

    abroad = await _do(staff, "bonded.create_release", note("abroad", transits[0]["number"], f"{lots[0]},2\n{lots[1]},10", "PXK-2026-0101"))
    await _do(officer, "bonded.check_release", {"release_id": abroad["release_id"], "loaded": "1,2\n2,10", "declaration_matches": True})
    waiting = await _do(staff, "bonded.create_release", note("abroad", transits[1]["number"], f"{lots[0]},1", "PXK-2026-0102"))
    await _do(officer, "bonded.propose_inspection", {"release_id": waiting["release_id"], "text": "Kiện hàng xếp lên xe có dấu hiệu bị mở, số kiện trên xe nhiều hơn Phiếu xuất kho."})
    await _do(staff, "bonded.create_release", note("domestic", imports[2]["number"], f"{lots[2]},20", "PXK-2026-0103"))
    zone = await _do(staff, "bonded.create_release", note("non_tariff", imports[3]["number"], f"{lots[3]},50", "PXK-2026-0104", to_branch=ZONE_BRANCH))
    await _do(officer, "bonded.check_release", {"release_id": zone["release_id"], "loaded": "1,50", "declaration_matches": True, "conditions": CONDITIONS})
    other = await _do(staff, "bonded.create_release", note("bonded", imports[4]["number"], f"{lots[2]},15.5", "PXK-2026-0105", to_premises=SECOND[0]))
    await _do(officer, "bonded.check_release", {"release_id": other["release_id"], "loaded": "1,15.5", "declaration_matches": True})
    return f"Demo bonded warehouse {WAREHOUSE}: {len(lots)} lots, 5 movements out (abroad, domestic, non-tariff zone, {SECOND[0]}), an inspection proposed to {HEAD}: /bonded"
