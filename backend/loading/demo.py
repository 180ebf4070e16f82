"""A demo loading plan (issue 16 item 5): the demo warehouse user KHO001 (premises HP-KV3-KNQ1) submits an unloading
plan through the journal, as the phone would, so the supervision team and the head find it waiting on /loading.

Idempotent: a plan already submitted from that notice number is not submitted again.
"""

from __future__ import annotations

from datetime import timedelta

from backend.journal.demo_signing import DemoSigner
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.loading.commands import VIETNAM
from backend.loading.tables import LoadingPlan

OPERATOR = "KHO001"
NOTICE = "KH-0125/2026/KNQDV"
CONTAINERS = "container,seal,declaration,note\nMSCU1234566,HQ0012345,104000000001,\nTGHU1234567,,,rỗng\n"


async def load_demo_loading(origin: str, rp_id: str) -> str:
    """Submit the demo plan unless it is there; a summary line."""
    if await LoadingPlan.exists().where(LoadingPlan.notice_number == NOTICE):
        return "Demo loading plan: there already."
    starts = (clock.now() + timedelta(hours=20)).astimezone(VIETNAM).replace(minute=0, second=0, microsecond=0)
    payload = {
        "kind": "unloading",
        "notice_number": NOTICE,
        "carrier_name": "Công ty TNHH Kho vận Đình Vũ",
        "vessel": "MV HAIAN PARK (IMO 9315159)",
        "voyage": "025N",
        "place": "Bãi B2, Kho ngoại quan Đình Vũ",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=6)).isoformat(),
        "goods": "Hàng gửi kho ngoại quan: linh kiện điện tử, 2 container 40'",
        "declarations": "104000000001",
        "containers": CONTAINERS,
    }
    async with DemoSigner(JournalEntry._meta.db, origin, rp_id) as signer:
        outcome = await signer.do(OPERATOR, "loading.submit_plan", payload)
    if outcome.status != "applied":
        raise RuntimeError(f"the demo loading plan was refused: {outcome.reason}")
    return f"Demo loading plan submitted by {OPERATOR}: /loading/{outcome.result['plan_id']}"
