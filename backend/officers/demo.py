"""Demo data: a seaport branch with two gates, a bonded warehouse, one user of each role and its declarations; and
a road border branch with its border gate and an officer, where Art 36 applies (outside state, exit refused).

Safe to run again: existing rows are kept and fresh enrollment links are printed.
"""

from __future__ import annotations

from backend.auth.services import create_enrollment
from backend.declarations.demo import load_demo_declarations
from backend.officers.services import create_officer, ensure_branch, ensure_location
from backend.officers.tables import LocationKind, Officer, Role
from backend.settings import WebSettings
from backend.transit.demo import load_demo_transit
from backend.vehicles.demo import load_demo_vehicles
from backend.warehouse.demo import load_demo_anomalies, load_demo_operator

BRANCH = ("HP-KV3", "Chi cục Hải quan cửa khẩu cảng Hải Phòng khu vực III")
LOCATIONS = [
    ("HP-KV3-GA", "Cổng A — Cảng Tân Vũ", LocationKind.GATE),
    ("HP-KV3-GB", "Cổng B — Cảng Tân Vũ", LocationKind.GATE),
    ("HP-KV3-KNQ1", "Kho ngoại quan Đình Vũ", LocationKind.WAREHOUSE),
    ("HP-KV3-CFS1", "Kho CFS Đình Vũ", LocationKind.CFS),
]
USERS = [
    ("CB001", "Nguyễn Văn An", Role.OFFICER, None),
    ("GS001", "Trần Thị Bình", Role.SUPERVISOR, None),
    ("KHO001", "Lê Văn Cường", Role.WAREHOUSE, "HP-KV3-KNQ1"),
    ("ADMIN", "Phạm Thị Dung", Role.ADMIN, None),
]
# A land border: goods registered at the port pass here too (scan any demo declaration at its gate).
BORDER_BRANCH = ("LS-HN", "Chi cục Hải quan cửa khẩu quốc tế Hữu Nghị")
BORDER_GATE = ("LS-HN-CK", "Cửa khẩu quốc tế Hữu Nghị — bãi xuất", LocationKind.GATE)
BORDER_USERS = [("CB101", "Hoàng Văn Đức", Role.OFFICER, None)]


async def load_demo(web: WebSettings) -> list[str]:
    branch_id = await ensure_branch(*BRANCH)
    for code, name, kind in LOCATIONS:
        await ensure_location(code, name, kind, branch_id)
    border_branch_id = await ensure_branch(*BORDER_BRANCH)
    await ensure_location(*BORDER_GATE, border_branch_id, border_gate=True)
    declarations = await load_demo_declarations()
    lines = [f"Demo branch {BRANCH[0]}: {BRANCH[1]}", declarations, "Enrollment links (open one on the device that will sign in):"]
    people = [(user, BRANCH[0]) for user in USERS] + [(user, BORDER_BRANCH[0]) for user in BORDER_USERS]
    for (code, name, role, premises), branch_code in people:
        row = await Officer.select(Officer.id).where(Officer.code == code).first()
        officer_id = row["id"] if row else await create_officer(code, name, role, branch_code, premises)
        link = await create_enrollment(officer_id, web)
        lines.append(f"  {role.value:<10} {code:<7} {name:<16} {link}")
    lines.insert(2, await load_demo_operator())  # before the operator's staff act at their premises
    # The officers' steps on some transit lots (signed as they would sign them): every state has an example.
    lines.insert(2, await load_demo_transit(web.origin, web.rp_id))
    from backend.loading.demo import load_demo_loading  # the operator's plan (Art 40), submitted as KHO001's phone would

    lines.insert(3, await load_demo_loading(web.origin, web.rp_id))
    lines.insert(3, await load_demo_vehicles(web.origin, web.rp_id))
    lines.insert(3, await load_demo_anomalies())
    from backend.cfs.demo import load_demo_cfs  # CFS001 at HP-KV3-CFS1 and a submitted consolidation list (Art 44.2.b)

    lines.extend(await load_demo_cfs(web))
    from backend.bonded.demo import load_demo_bonded  # stock and movements of HP-KV3-KNQ1 (Art 43)

    lines.append(await load_demo_bonded())
    from backend.export_place.demo import load_demo_export_place  # lots at LS-HN's exit gate: 15 days, changes (Art 43.3.b-c)

    lines.extend(await load_demo_export_place(web))
    if web.demo:
        lines.append(f"GIAMSAT_DEMO=1: {web.origin}/signin also offers a demo sign-in without a passkey.")
    return lines
