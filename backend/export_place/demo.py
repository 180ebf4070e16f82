"""Demo lots for Art 43.3.b-c: five transit lots from the bonded warehouse HP-KV3-KNQ1's branch HP-KV3 to the border
branch LS-HN's road exit gate, taken through the officers' own steps (sealing, BOA, the arrival check, the exit gate's
area) as signed commands (backend/journal/demo_signing.py), then:

- one at the exit gate for 16 days: an item for LS-HN's head GS101, "notify the bonded warehouse's branch" (43.3.b);
- c.1 proposed by CB101, waiting for GS101's approval;
- c.2 approved by GS001 (its notice is an item at LS-HN): CB101 requires the new transit declaration next;
- c.3 approved by GS101: CB101 seals, makes the handover record to LS-HN's second yard and links it next;
- c.4 proposed by CB001 (one container of two), waiting for GS001's approval.

The new places: LS-HN-BAI2 (a second export yard of the same gate, LS-HN's) for c.1/c.3, LS-TT-CK (another border
gate, branch LS-TT) for c.2/c.4. Idempotent: a lot whose case has left the green lane, or has a change, is not taken
again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.auth.services import create_enrollment
from backend.barcodes import iso6346
from backend.declarations.services import upsert_many
from backend.export_place.tables import ExportChange
from backend.journal.demo_signing import DemoSigner
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.officers.services import create_officer, ensure_branch, ensure_location
from backend.officers.tables import Branch, LocationKind, Officer, Role
from backend.settings import WebSettings
from backend.transit.demo import DESTINATION_OFFICER, HEAD, OFFICER, STEP_APART, _location_id, _Steps
from backend.transit.tables import TransitCase
from backend.transit.workflow import TransitState

BORDER_HEAD = ("GS101", "Đặng Thị Hoa")
SECOND_YARD = ("LS-HN-BAI2", "Cửa khẩu quốc tế Hữu Nghị — bãi xuất 2")
OTHER_GATE_BRANCH = ("LS-TT", "Chi cục Hải quan cửa khẩu Tân Thanh")
OTHER_GATE = ("LS-TT-CK", "Cửa khẩu Tân Thanh — bãi xuất")
NOTICE = "Công văn số 25/2026/CV-XNK ngày 03/12/2026 của Công ty TNHH Xuất nhập khẩu Minh Long"
# (number, what the demo leaves, days at the exit gate)
LOTS = (
    ("501990000001", "gate_15_days", 16.0),
    ("501990000002", "c1", 1.0),
    ("501990000003", "c2", 2.0),
    ("501990000004", "c3", 1.5),
    ("501990000005", "c4", 3.0),
)


def _container(seed: str) -> str:
    first_ten = "MLCU" + seed
    return first_ten + str(iso6346.check_digit(first_ten))


def _item(number: str) -> dict[str, Any]:
    """A transit declaration from HP-KV3 to LS-HN's road gate, its two containers, LS-HN's gate among its places."""
    return {
        "number": number, "kind": "independent_transit", "version": 1, "status_code": "PHE_DUYET_VC", "allows_passage": True,
        "lane": 1, "branch_code": "HP-KV3", "seal_required": True, "sealed": False, "cargo_type": "containers",
        "containers": [{"number": _container(number[-4:] + "01"), "seal": "M100001"}, {"number": _container(number[-4:] + "02"), "seal": "M100002"}],
        "goods_description": "Hạt điều nhân đóng bao, tái xuất từ kho ngoại quan Đình Vũ",
        "warnings": [], "places": ["HP-KV3-GA", "LS-HN-CK"],
        "transit": {"destination_branch_code": "LS-HN", "transit_hours": 48, "exit_mode": "road"},
    }


async def _places() -> None:
    border = await Branch.select(Branch.id).where(Branch.code == "LS-HN").first()
    if border is None:
        raise LookupError("the demo border branch LS-HN does not exist")
    await ensure_location(*SECOND_YARD, LocationKind.GATE, border["id"], border_gate=True)
    other = await ensure_branch(*OTHER_GATE_BRANCH)
    await ensure_location(*OTHER_GATE, LocationKind.GATE, other, border_gate=True)


async def load_demo_export_place(web: WebSettings) -> list[str]:
    """The places, GS101's enrollment link, the five lots; the lines to print."""
    await _places()
    row = await Officer.select(Officer.id).where(Officer.code == BORDER_HEAD[0]).first()
    head_id = row["id"] if row else await create_officer(BORDER_HEAD[0], BORDER_HEAD[1], Role.SUPERVISOR, "LS-HN")
    lines = [f"  {Role.SUPERVISOR.value:<10} {BORDER_HEAD[0]:<7} {BORDER_HEAD[1]:<16} {await create_enrollment(head_id, web)}"]
    await upsert_many([_item(number) for number, _, _ in LOTS if not await TransitCase.exists().where(TransitCase.number == number)], "demo")
    gate, border_gate = await _location_id("HP-KV3-GA"), await _location_id("LS-HN-CK")
    now, done = clock.now(), []
    async with DemoSigner(JournalEntry._meta.db, web.origin, web.rp_id) as signer:
        steps = _Steps(signer, gate, border_gate)

        async def do(code: str, type_: str, payload: dict[str, Any], at: Any) -> dict[str, Any]:
            outcome = await signer.do(code, type_, payload, at=at)
            if outcome.status != "applied":
                raise RuntimeError(f"demo export place step {type_} refused: {outcome.code}: {outcome.reason}")
            return outcome.result or {}

        for number, leave, days in LOTS:
            case = await TransitCase.select(TransitCase.id, TransitCase.state).where(TransitCase.number == number).first()
            if case is None or case["state"] != TransitState.GREEN or await ExportChange.exists().where(ExportChange.case == case["id"]):
                continue
            item = _item(number)
            at = now - timedelta(days=days, hours=2)
            for step in ("seal", "depart", "check", "exit_area"):
                await getattr(steps, step)(item, at)
                at = (now - timedelta(days=days)) if step == "check" else at + STEP_APART
            at = now - timedelta(hours=3)
            if leave in ("c1", "c3"):
                change = await do(DESTINATION_OFFICER, "export_place.propose", {
                    "number": number, "kind": leave, "new_place": SECOND_YARD[0], "declarant_notice": NOTICE,
                    "moved_quantity": 1 if leave == "c3" else 0, "proposal": "Đề nghị Chi cục trưởng phê duyệt thay đổi địa điểm xuất hàng.",
                }, at)
                if leave == "c3":
                    await do(BORDER_HEAD[0], "export_place.decide", {"change_id": change["change_id"], "decision": "approve"}, at + STEP_APART)
            elif leave in ("c2", "c4"):
                change = await do(OFFICER, "export_place.propose", {
                    "number": number, "kind": leave, "new_place": OTHER_GATE[0], "declarant_notice": NOTICE,
                    "moved_quantity": 1 if leave == "c4" else 0,
                }, at)
                if leave == "c2":
                    await do(HEAD, "export_place.decide", {"change_id": change["change_id"], "decision": "approve"}, at + STEP_APART)
            done.append(f"{number} {leave}")
    lines.append(f"Demo export place lots (Art 43.3.b-c): {', '.join(done) if done else 'all there already'}.")
    return lines
