"""Demo data for CFS consolidation (Art 44.2.b; issue 16 item 2): the CFS HP-KV3-CFS1 of branch HP-KV3 (made only if
missing: the officers' demo may already list it), its staff member CFS001 with an enrollment link, and one list of
two demo export declarations in a container, submitted through the journal as CFS001's phone would, so the branch's
officers find it waiting on /cfs.

Idempotent: the location, the user and the list are made once; a fresh enrollment link is printed each time.
"""

from __future__ import annotations

from backend.auth.services import create_enrollment
from backend.cfs.tables import CfsList
from backend.declarations.tables import Declaration, DeclarationKind
from backend.journal.demo_signing import DemoSigner
from backend.journal.tables import JournalEntry
from backend.officers.services import create_officer, ensure_branch, ensure_location
from backend.officers.tables import Branch, Location, LocationKind, Officer, Role
from backend.settings import WebSettings

BRANCH = "HP-KV3"
CFS = ("HP-KV3-CFS1", "Kho CFS Đình Vũ")
STAFF = ("CFS001", "Vũ Thị Hạnh")
CONTAINER = "MSCU7654329"


async def _cfs_location() -> None:
    if await Location.exists().where(Location.code == CFS[0]):
        return
    branch = await Branch.select(Branch.id).where(Branch.code == BRANCH).first()
    branch_id = branch["id"] if branch else await ensure_branch(BRANCH, "Chi cục Hải quan cửa khẩu cảng Hải Phòng khu vực III")
    await ensure_location(CFS[0], CFS[1], LocationKind.CFS, branch_id)


async def load_demo_cfs(web: WebSettings) -> list[str]:
    """The CFS, its staff member's enrollment link, and the submitted demo list; the lines to print."""
    await _cfs_location()
    row = await Officer.select(Officer.id).where(Officer.code == STAFF[0]).first()
    staff_id = row["id"] if row else await create_officer(STAFF[0], STAFF[1], Role.WAREHOUSE, BRANCH, CFS[0])
    lines = [f"  {Role.WAREHOUSE.value:<10} {STAFF[0]:<7} {STAFF[1]:<16} {await create_enrollment(staff_id, web)}"]
    if await CfsList.exists().where(CfsList.container == CONTAINER):
        return [*lines, "Demo CFS consolidation list: there already."]
    exports = await Declaration.select(Declaration.number).where(
        (Declaration.kind == DeclarationKind.EXPORT.value) & (Declaration.allows_passage == True)  # noqa: E712 (a query)
    ).order_by(Declaration.number).limit(2)
    if not exports:
        return [*lines, "Demo CFS consolidation list: no export declaration allowed to pass in the mirror."]
    csv = "\n".join(
        f"{row['number']},{goods},{packages},{weight}"
        for row, (goods, packages, weight) in zip(exports, [("Áo sơ mi nam 100% cotton", 120, "1850.5"), ("Giày thể thao", 64, "920")])
    )
    async with DemoSigner(JournalEntry._meta.db, web.origin, web.rp_id) as signer:
        made = await signer.do(STAFF[0], "cfs.create_list", {"container": CONTAINER, "lines": csv})
        if made.status != "applied":
            raise RuntimeError(f"the demo consolidation list was refused: {made.reason}")
        list_id = made.result["list_id"]
        submitted = await signer.do(STAFF[0], "cfs.submit_list", {"list_id": list_id})
    if submitted.status != "applied":
        raise RuntimeError(f"the demo consolidation list was not submitted: {submitted.reason}")
    return [*lines, f"Demo CFS consolidation list submitted by {STAFF[0]}: /cfs/{list_id}"]
