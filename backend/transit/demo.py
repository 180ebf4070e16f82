"""Demo transit declarations in every state an officer's steps lead to (issue 14: "demo data gains transit
declarations in each state").

Upstream's facts put the demo's transit declarations in the green or yellow lane (backend/declarations/demo.py).
This loader then takes, for some of them, the officers' steps of Art 41 — CES by the supervisor GS001, CET by the
officer CB001, sealing at gate A, BOA, and at the border branch LS-HN the officer CB101's gate-area step, BIA or
violation record — each as a signed command through the journal (backend/journal/demo_signing.py), made at a
time in the past, so the timelines, the outbox and the audit are what real work leaves. One lot with a transit
time of one hour departed five hours ago: it is overdue. Several lots of each lane are left untouched, for a
newcomer to take the steps themselves.

Idempotent: a declaration whose case has left the state upstream gave it is not touched again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.declarations.demo import BORDER_EXIT, DEMO_PLACES, TRANSIT_DESTINATION, demo_items
from backend.journal.demo_signing import DemoSigner
from backend.journal.tables import JournalEntry
from backend.lib import clock
from backend.officers.tables import Location
from backend.transit import arrival
from backend.transit.tables import TransitCase
from backend.transit.workflow import TransitState

HEAD, OFFICER, DESTINATION_OFFICER = "GS001", "CB001", "CB101"
INSTRUCTIONS = "Kiểm tra bộ hồ sơ vận chuyển độc lập, đối chiếu số container và số niêm phong hãng tàu trên bảng kê."


@dataclass(frozen=True)
class Lot:
    """Where a demo lot is taken: `steps` in order, the first made `hours_ago` hours ago, the next a few minutes later."""

    target: str
    steps: tuple[str, ...]
    hours_ago: float
    lane: str  # "yellow": CES and CET come first; "green": straight to sealing
    two_step_exit: bool = False
    transit_hours: int | None = None  # the lot needs this registered transit time (the overdue one)


# The state each step leaves a lot in: a load that stopped half-way resumes after the last step taken.
STATE_AFTER = {
    "assign": TransitState.ASSIGNED,
    "approve": TransitState.APPROVED,
    "supplement": TransitState.SUPPLEMENT_REQUESTED,
    "refuse": TransitState.REFUSED,
    "seal": TransitState.SEALED,
    "depart": TransitState.DEPARTED,
    "check": TransitState.DEPARTED,  # the arrival check moves no state (a resumed load sees it was made)
    "check_broken": TransitState.DEPARTED,
    "exit_area": TransitState.AT_EXIT_AREA,
    "arrive": TransitState.ARRIVED,
    "violation": TransitState.VIOLATION,
}
STEP_APART = timedelta(minutes=20)
CHECK = ("assign", "approve")
SEAL_AND_GO = ("seal", "depart")
PLAN: tuple[Lot, ...] = (
    Lot(TransitState.ASSIGNED, ("assign",), 2, "yellow"),
    Lot(TransitState.SUPPLEMENT_REQUESTED, ("assign", "supplement"), 6, "yellow"),
    Lot(TransitState.REFUSED, ("assign", "refuse"), 8, "yellow"),
    Lot(TransitState.APPROVED, CHECK, 3, "yellow"),
    Lot(TransitState.DEPARTED, (*CHECK, *SEAL_AND_GO), 5, "yellow", transit_hours=1),  # overdue since 4 hours ago
    Lot(TransitState.AT_EXIT_AREA, (*CHECK, *SEAL_AND_GO, "check", "exit_area"), 7, "yellow", two_step_exit=True),
    Lot(TransitState.SEALED, ("seal",), 1, "green"),
    Lot(TransitState.DEPARTED, SEAL_AND_GO, 2, "green"),
    Lot(TransitState.ARRIVED, (*SEAL_AND_GO, "check", "arrive"), 20, "green"),
    Lot(TransitState.VIOLATION, (*SEAL_AND_GO, "check_broken", "violation"), 26, "green"),
)


async def _location_id(code: str) -> int:
    row = await Location.select(Location.id).where(Location.code == code).first()
    if row is None:
        raise LookupError(f"the demo location {code} does not exist")
    return row["id"]


def _candidates() -> dict[str, list[dict[str, Any]]]:
    """The demo's transit lots the loader may take, by lane: eligible for transit and never amended (an amendment
    has its own steps), in the demo's order."""
    lanes: dict[str, list[dict[str, Any]]] = {"yellow": [], "green": []}
    for versions in demo_items():
        item = versions[-1]
        if item["kind"] == "independent_transit" and len(versions) == 1 and item["status_code"] == "PHE_DUYET_VC":
            lanes["green" if item["lane"] == 1 else "yellow"].append(item)
    return lanes


def _fits(lot: Lot, item: dict[str, Any]) -> bool:
    transit = item["transit"]
    # The demo seals containers (a record lists them); the approved lot is the newcomer's to seal.
    if ("seal" in lot.steps or lot.target == TransitState.APPROVED) and item["cargo_type"] != "containers":
        return False
    arrives = any(step in lot.steps for step in ("exit_area", "arrive", "violation"))
    if (arrives or "depart" in lot.steps) and transit.get("destination_branch_code") != TRANSIT_DESTINATION:
        return False  # the destination's steps are taken by the demo's border branch
    if bool(transit.get("exit_mode")) != lot.two_step_exit and arrives:
        return False
    if lot.transit_hours is not None:
        return transit.get("transit_hours") == lot.transit_hours
    # Only the overdue lot is meant to be late: a lot left departed must be due after the demo's present.
    return lot.target != TransitState.DEPARTED or transit.get("transit_hours", 0) > lot.hours_ago


def _pick(lot: Lot, pool: list[dict[str, Any]], taken: set[str]) -> dict[str, Any] | None:
    """The first lot that fits, preferring what the rest of the plan needs least: a lot that is not sealed takes
    goods that are not in containers when it can, and every lot leaves the containers of the destination's
    lots for the ones that will arrive there."""
    fitting = [item for item in pool if item["number"] not in taken and _fits(lot, item)]
    fitting.sort(key=lambda item: (item["cargo_type"] == "containers", item["transit"].get("destination_branch_code") == TRANSIT_DESTINATION))
    return fitting[0] if fitting else None


class _Steps:
    """Each step of a lot as the officers' commands, refused loudly: the demo must not half-load."""

    def __init__(self, signer: DemoSigner, gate: int, border_gate: int) -> None:
        self.signer, self.gate, self.border_gate = signer, gate, border_gate

    async def _do(self, code: str, type_: str, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
        outcome = await self.signer.do(code, type_, payload, at=at)
        if outcome.status != "applied":
            raise RuntimeError(f"demo transit step {type_} of {payload.get('number')} refused: {outcome.code}: {outcome.reason}")
        return outcome.result or {}

    async def assign(self, item: dict[str, Any], at: datetime) -> None:
        await self._do(HEAD, "transit.assign", {"number": item["number"], "officer_code": OFFICER, "instructions": INSTRUCTIONS}, at)

    async def approve(self, item: dict[str, Any], at: datetime) -> None:
        await self._do(OFFICER, "transit.decide", {"number": item["number"], "code": "A"}, at)

    async def supplement(self, item: dict[str, Any], at: datetime) -> None:
        reason = "Đề nghị bổ sung hợp đồng vận chuyển và bản kê chi tiết hàng hóa (thiếu trong bộ hồ sơ)."
        await self._do(OFFICER, "transit.decide", {"number": item["number"], "code": "C", "reason": reason}, at)

    async def refuse(self, item: dict[str, Any], at: datetime) -> None:
        reason = "Hàng hóa thuộc danh mục không được vận chuyển độc lập theo khai báo."
        await self._do(OFFICER, "transit.decide", {"number": item["number"], "code": "X", "reason": reason}, at)

    async def seal(self, item: dict[str, Any], at: datetime) -> None:
        """Seal every container, make and sign the handover record for the destination, confirm sealed (41.1.c)."""
        number = item["number"]
        containers = [
            {"number": container["number"], "seal_number": f"HQ{number[-4:]}{index:02d}"}
            for index, container in enumerate(item["containers"], start=1)
        ]
        for container in containers:
            await self._do(OFFICER, "seals.record_seal", {"location_id": self.gate, "number": number, "unit": container["number"], "seal_number": container["seal_number"]}, at)
        record = await self._do(
            OFFICER,
            "seals.create_record",
            {
                "location_id": self.gate,
                "kind": "handover",
                "number": number,
                "to_branch": TRANSIT_DESTINATION,
                "containers": containers,
                "representative_name": "Vũ Văn Hải (lái xe)",
            },
            at,
        )
        await self._do(OFFICER, "seals.sign_record", {"location_id": self.gate, "record_id": record["record_id"]}, at)
        await self._do(OFFICER, "seals.confirm_sealed", {"location_id": self.gate, "number": number}, at)

    async def depart(self, item: dict[str, Any], at: datetime) -> None:
        await self._do(OFFICER, "transit.register_departure", {"location_id": self.gate, "number": item["number"]}, at)

    async def check(self, item: dict[str, Any], at: datetime, *, broken: str = "") -> None:
        """The destination's check on arrival (41.2.a.1-2): each container's seal as sealed at departure, found
        intact — or, for `broken`, that container's seal found broken."""
        case = await TransitCase.select().where(TransitCase.number == item["number"]).first()
        if case["arrival_check"]:
            return  # made by the load that stopped half-way (the check is made once per case)
        lines = [
            {"unit": unit["unit"], "seal_number": unit["seal_number"], "finding": "broken" if unit["unit"] == broken else "intact"}
            for unit in (await arrival.expected(case))["units"]
        ]
        payload = {"location_id": self.border_gate, "number": item["number"], "notice": item["number"], "lines": lines}
        await self._do(DESTINATION_OFFICER, "transit.record_arrival_check", payload, at)

    async def check_broken(self, item: dict[str, Any], at: datetime) -> None:
        await self.check(item, at, broken=item["containers"][0]["number"])

    async def exit_area(self, item: dict[str, Any], at: datetime) -> None:
        await self._do(DESTINATION_OFFICER, "transit.confirm_exit_area", {"location_id": self.border_gate, "number": item["number"]}, at)

    async def arrive(self, item: dict[str, Any], at: datetime) -> None:
        await self._do(DESTINATION_OFFICER, "transit.confirm_arrival", {"location_id": self.border_gate, "number": item["number"]}, at)

    async def violation(self, item: dict[str, Any], at: datetime) -> None:
        note = "Niêm phong hải quan của container đầu tiên bị đứt khi hàng đến; đã lập biên bản vi phạm."
        await self._do(DESTINATION_OFFICER, "transit.record_violation", {"location_id": self.border_gate, "number": item["number"], "note": note}, at)


async def load_demo_transit(origin: str, rp_id: str) -> str:
    """Take the plan's lots to their states; a summary line."""
    lanes = _candidates()
    numbers = [item["number"] for pool in lanes.values() for item in pool]
    states = {
        row["number"]: row["state"]
        for row in await TransitCase.select(TransitCase.number, TransitCase.state).where(TransitCase.number.is_in(numbers or [""]))
    }
    gate, border_gate = await _location_id(DEMO_PLACES[0]), await _location_id(BORDER_EXIT[0])
    now = clock.now()
    taken: set[str] = set()
    done: list[str] = []
    async with DemoSigner(JournalEntry._meta.db, origin, rp_id) as signer:
        steps = _Steps(signer, gate, border_gate)
        for lot in PLAN:
            item = _pick(lot, lanes[lot.lane], taken)
            if item is None:
                raise RuntimeError(f"no demo transit declaration fits the demo lot {lot}")
            taken.add(item["number"])
            reached = [STATE_AFTER[step] for step in lot.steps]
            state = states.get(item["number"])
            if state in (TransitState.GREEN, TransitState.YELLOW):
                start = 0
            elif state in reached[:-1]:
                start = reached.index(state) + 1  # an earlier load stopped half-way (each step is its own transaction)
            else:
                continue  # taken there by an earlier load, or elsewhere by someone trying the demo
            at = now - timedelta(hours=lot.hours_ago) + start * STEP_APART
            for step in lot.steps[start:]:
                action: Callable[[dict[str, Any], datetime], Awaitable[None]] = getattr(steps, step)
                await action(item, at)
                at += STEP_APART
            done.append(f"{item['number']} {lot.target}")
    return f"Demo transit lots taken to later states: {len(done)} of {len(PLAN)}" + (f" ({', '.join(done)})" if done else " (all there already).")

