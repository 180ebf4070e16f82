"""Demo declarations for the demo branch HP-KV3: a few hundred across kinds, lanes and cargo types, with valid
container numbers, X-ray warnings, amendments (versions 2-3 with their history), seal requirements, and some whose
status does not allow passing the zone. Deterministic (seeded) and idempotent: a second run changes nothing.

Transit declarations carry the facts their declarant registered (docs/transit.md): most go to the border branch
LS-HN (exports among them leave through its road gate: arrival in two steps), some to a branch that does not use
giamsat; transit times from 1 hour (overdue soon after departure) to 3 days; combined ones name their case of Art
42.1; an amended one files a COR (a green one) or a CAN. Upstream's facts alone put the cases in the green or yellow
lane, in gate supervision, or with an amendment or cancellation received; every later step is an officer's.

Loaded through `FileSource`-style items and `upsert_many`, the same path upstream data takes.
"""

from __future__ import annotations

import random
from typing import Any

from backend.barcodes import iso6346
from backend.declarations.services import upsert_many
from backend.declarations.tables import Declaration

BRANCH_CODE = "HP-KV3"
DEMO_PLACES = ("HP-KV3-GA", "HP-KV3-GB")
BORDER_EXIT = ("LS-HN-CK",)
COUNT = 300
SEED = 1966  # Decision 1966/QĐ-TCHQ
SOURCE = "demo"

OWNERS = ["MSK", "TGH", "CMA", "OOL", "HLX", "EGH", "TCL", "SEG", "BMO", "FCI", "ONE", "YML"]
KIND_PREFIX = {"import": "104", "export": "304", "independent_transit": "501", "combined_transit": "601"}
ELIGIBLE = {
    "import": ["THONG_QUAN", "GIAI_PHONG_HANG", "DUA_VE_BAO_QUAN"],
    "export": ["THONG_QUAN"],
    "independent_transit": ["PHE_DUYET_VC"],
    "combined_transit": ["PHE_DUYET_VC"],
}
NOT_ELIGIBLE = ["CHO_KIEM_TRA", "CHO_PHE_DUYET", "DA_HUY"]
# Transit destinations: the demo's border branch (officers/demo.py), and a branch not using giamsat (a letter asking
# it to verify goes on paper, Art 41.1.4.b).
TRANSIT_DESTINATION = "LS-HN"
TRANSIT_DESTINATION_ELSEWHERE = "HN-GL"
TRANSIT_HOURS = (1, 8, 24, 48, 72)
COMBINED_CASES = ("a", "b", "c", "d", "đ")
GOODS = {
    "containers": [
        "Linh kiện điện tử (bo mạch, tụ điện)",
        "Hàng may mặc: áo sơ mi nam, 100% cotton",
        "Đồ gỗ nội thất: bàn ghế gỗ cao su",
        "Giày thể thao các loại",
        "Máy móc thiết bị công nghiệp đã qua sử dụng",
        "Hạt nhựa PP nguyên sinh",
        "Cà phê nhân Robusta",
        "Thủy sản đông lạnh (tôm thẻ)",
    ],
    "bulk": ["Than đá", "Clinker xi măng", "Xăng RON95 (hàng lỏng)", "Dầu DO 0,05S (hàng lỏng)", "Quặng sắt", "Ngô hạt"],
    "loose": ["Thép cuộn cán nóng", "Máy xúc đào bánh xích", "Cuộn cáp điện", "Kiện gỗ xẻ", "Ô tô con nguyên chiếc"],
}
XRAY_WARNINGS = [
    "Ảnh soi container có vùng mật độ bất thường ở cuối container (phiếu 03/KQSCT/GSQL)",
    "Hình ảnh soi không phù hợp với khai báo: nghi hàng không khai báo (phiếu 03/KQSCT/GSQL)",
]
OTHER_WARNINGS = ["Doanh nghiệp thuộc diện quản lý rủi ro cao", "Hàng thuộc danh mục kiểm tra chuyên ngành"]


def container_number(rng: random.Random) -> str:
    """A valid ISO 6346 number: owner code + U + 6-digit serial + its check digit."""
    first_ten = rng.choice(OWNERS) + "U" + f"{rng.randrange(1_000_000):06d}"
    return first_ten + str(iso6346.check_digit(first_ten))


def transit_facts(kind: str, index: int) -> dict[str, Any] | None:
    """A transit declaration's registered facts (declarations.schemas.TransitFacts), from its index only: the
    seeded draw of the other fields stays what it was."""
    if kind == "combined_transit":
        return {"destination_branch_code": TRANSIT_DESTINATION, "combined_case": COMBINED_CASES[index % len(COMBINED_CASES)]}
    if kind != "independent_transit":
        return None
    elsewhere = index % 5 == 4
    return {
        "destination_branch_code": TRANSIT_DESTINATION_ELSEWHERE if elsewhere else TRANSIT_DESTINATION,
        "transit_hours": TRANSIT_HOURS[index % len(TRANSIT_HOURS)],
        # Exports leaving through the border branch's road gate: the gate area first, then BIA (Art 41.2.b.1.1).
        "exit_mode": "road" if not elsewhere and index % 2 == 0 else "",
    }


def demo_items() -> list[list[dict[str, Any]]]:
    """Each declaration as the list of its versions (1, or 1..3 when amended), oldest first."""
    rng = random.Random(SEED)
    declarations: list[list[dict[str, Any]]] = []
    used: set[str] = set()
    kinds = ["import"] * 5 + ["export"] * 3 + ["independent_transit", "combined_transit"]
    for index in range(COUNT):
        kind = rng.choice(kinds)
        number = KIND_PREFIX[kind] + f"{index:04d}" + f"{rng.randrange(100_000):05d}"
        used.add(number)
        cargo = rng.choices(["containers", "bulk", "loose"], weights=[7, 2, 1])[0]
        eligible = rng.random() > 0.12
        item: dict[str, Any] = {
            "number": number,
            "kind": kind,
            "version": 1,
            "status_code": rng.choice(ELIGIBLE[kind] if eligible else NOT_ELIGIBLE),
            "allows_passage": eligible,
            "lane": rng.choices([1, 2, 3], weights=[6, 3, 1])[0],
            "branch_code": BRANCH_CODE,
            "seal_required": kind.endswith("transit") or rng.random() < 0.1,
            "sealed": False,
            "cargo_type": cargo,
            "containers": [],
            "weight_kg": None,
            "package_count": None,
            "goods_description": rng.choice(GOODS[cargo]),
            "warnings": [],
            # Where the goods are supervised: the port's gates, and for every other export the land border gate of
            # exit (so the border branch is concerned with those goods: seals/policy.py).
            "places": list(DEMO_PLACES) + (list(BORDER_EXIT) if kind == "export" and index % 2 == 0 else []),
        }
        facts = transit_facts(kind, index)
        if facts is not None:
            item["transit"] = facts
        if item["seal_required"]:
            item["sealed"] = rng.random() < 0.5
        if cargo == "containers":
            numbers: list[str] = []
            wanted = rng.randint(1, 12)
            while len(numbers) < wanted:
                candidate = container_number(rng)
                if candidate not in numbers:
                    numbers.append(candidate)
            item["containers"] = [{"number": n, "seal": f"{rng.choice('ABCDEFGH')}{rng.randrange(10**6):06d}"} for n in numbers]
        elif cargo == "bulk":
            item["weight_kg"] = round(rng.uniform(5_000, 60_000_000), 3)
        else:
            item["package_count"] = rng.randint(1, 400)
        if rng.random() < 0.08:
            item["warnings"].append({"text": rng.choice(XRAY_WARNINGS), "source": "xray"})
        if rng.random() < 0.05:
            item["warnings"].append({"text": rng.choice(OTHER_WARNINGS), "source": "upstream"})
        versions = [item]
        for _ in range(rng.choices([0, 1, 2], weights=[80, 14, 6])[0]):  # supplementary declarations
            amended = {**versions[-1], "version": versions[-1]["version"] + 1}
            if cargo == "containers":
                containers = list(amended["containers"])
                containers[-1] = {**containers[-1], "number": container_number(rng)}  # a container was swapped
                amended["containers"] = containers
            elif cargo == "bulk":
                amended["weight_kg"] = round(amended["weight_kg"] * rng.uniform(0.9, 1.1), 3)
            else:
                amended["package_count"] = amended["package_count"] + rng.randint(1, 20)
            versions.append(amended)
        if kind == "independent_transit" and len(versions) > 1:
            # The last version files an amendment (COR, handled once approved: a green one may) or a cancellation
            # (CAN), Art 41.3.
            kind_filed = "COR" if item["lane"] == 1 and index % 2 == 0 else "CAN"
            versions[-1] = {**versions[-1], "transit": {**item["transit"], "amendment_kind": kind_filed, "amendments": 1}}
        declarations.append(versions)
    return declarations


async def load_demo_declarations() -> str:
    """Load the demo declarations (the branch HP-KV3 must exist); a summary line. Declarations already present are
    only compared with their last version, so a second run reports them all unchanged."""
    declarations = demo_items()
    numbers = [versions[0]["number"] for versions in declarations]
    present = {row["number"] for row in await Declaration.select(Declaration.number).where(Declaration.number.is_in(numbers))}
    new = [versions for versions in declarations if versions[0]["number"] not in present]
    for stage in range(max((len(versions) for versions in new), default=0) - 1):  # earlier versions: the history
        await upsert_many([versions[stage] for versions in new if len(versions) > stage + 1], SOURCE)
    results = await upsert_many([versions[-1] for versions in declarations], SOURCE)
    refused = [f"{result.number}: {result.code}" for result in results if result.status == "refused"]
    if refused:
        raise RuntimeError(f"demo declarations refused: {refused[:5]}")
    amended = sum(1 for versions in declarations if len(versions) > 1)
    return (
        f"Demo declarations for {BRANCH_CODE}: {len(declarations)} ({amended} amended); "
        f"{len(new)} new, {sum(1 for result in results if result.status == 'unchanged')} already there."
    )
