"""What the export place tests share: a lot from B1's bonded warehouse (the branch of registration) leaving through
B2's road exit gate under a transit declaration, taken to the exit gate's area (41.2.b.1.1.1) through transit's own
commands; B3, another customs unit at the same exit gate (a new export place of 43.3.c.1/c.3); B4, another exit gate
(43.3.c.2/c.4); and the seals domain's handover record (form 10) made for real."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2
from tests.journal.device import Person
from tests.seals.helpers import upsert
from tests.transit.helpers import People, check_arrival, seal, transit_item

NUMBER = "501000000101"
NEW_NUMBER = "501000000102"


class Cast(People):
    """People of transit's tests (B1: head GS1, officer CB1, colleague CB3; B2: officer CB2, head GS2) and B3's officer
    (the new place at the same exit gate), B4's, and an officer of B5, a branch with nothing to do with the lot."""

    def __init__(self, client: TestClient, world: World) -> None:
        super().__init__(client, world)

        async def make() -> dict[str, int]:
            from backend.officers.services import create_officer, ensure_branch, ensure_location
            from backend.officers.tables import LocationKind

            ids = {"b3": await ensure_branch("B3", "Chi cục Ba"), "b4": await ensure_branch("B4", "Chi cục Bốn"), "b5": await ensure_branch("B5", "Chi cục Năm")}
            ids["new_place"] = await ensure_location("B3-CANG", "Cảng Ba", LocationKind.GATE, ids["b3"])
            ids["new_gate"] = await ensure_location("B4-CK", "Cửa khẩu Bốn", LocationKind.GATE, ids["b4"])
            ids["same_branch_place"] = await ensure_location("B2-BAI", "Bãi B2", LocationKind.GATE, world["other_branch"])
            ids["b3_officer"] = await create_officer("CB5", "Phan Văn Tám", "officer", "B3")
            ids["b5_officer"] = await create_officer("CB6", "Mai Thị Chín", "officer", "B5")
            from backend.officers.tables import Officer

            ids["b2_head"] = (await Officer.select(Officer.id).where(Officer.code == "GS2").first())["id"]
            return ids

        self.ids = in_app(client, make)
        self.new_place = Person(client, self.ids["b3_officer"])
        self.stranger = Person(client, self.ids["b5_officer"])
        self.warehouse = Person(client, world["warehouse_user"])


def departed(cast: Cast, number: str = NUMBER, days_ago: float = 0, **facts: Any) -> None:
    """A lot from B1's bonded warehouse to B2's road exit gate, sealed and departed (BOA) `days_ago` and two hours."""
    declaration = transit_item(number, lane=1, exit_mode="road", **facts)
    upsert(cast.client, {**declaration, "places": ["B2-GA"]})
    seal(cast.officer, cast.world, number)
    issued = datetime.now(UTC) - timedelta(days=days_ago, hours=2)
    outcome = cast.officer.do("transit.register_departure", {"location_id": cast.world["gate"], "number": number}, issued_at=issued)
    assert outcome["status"] == "applied", outcome


def into_exit_area(cast: Cast, number: str = NUMBER, days_ago: float = 0) -> None:
    """B2 checks the departed lot on arrival and records it in the exit gate's area (41.2.b.1.1.1) `days_ago`."""
    checked = check_arrival(cast, number)
    assert checked["status"] == "applied", checked
    arrived = cast.destination.do(
        "transit.confirm_exit_area", {"location_id": cast.world["other_gate"], "number": number},
        issued_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    assert arrived["status"] == "applied", arrived


def at_exit_area(cast: Cast, number: str = NUMBER, days_ago: float = 0, **facts: Any) -> None:
    """A lot from B1 to B2's road exit gate, sealed, departed, checked and arrived in the gate's area `days_ago`."""
    departed(cast, number, days_ago, **facts)
    into_exit_area(cast, number, days_ago)


def propose(person: Person, kind: str, place: str, number: str = NUMBER, **more: Any) -> dict[str, Any]:
    return person.do("export_place.propose", {"number": number, "kind": kind, "new_place": place, "declarant_notice": "Công văn 12/CV-ABC ngày 01/12/2026", **more})


def handover_record(cast: Cast, number: str = NUMBER, to_branch: str = "B3") -> int:
    """The original place seals the goods again and makes, signs and hands over form 10 to the new place (seals domain)."""
    gate = cast.world["other_gate"]
    containers = [{"number": C1, "seal_number": "HQ-000301"}, {"number": C2, "seal_number": "HQ-000302"}]
    for item in containers:
        sealed = cast.destination.do("seals.record_seal", {"location_id": gate, "number": number, "unit": item["number"], "seal_number": item["seal_number"], "replace": True})
        assert sealed["status"] == "applied", sealed
    made = cast.destination.do(
        "seals.create_record",
        {"location_id": gate, "kind": "handover", "number": number, "to_branch": to_branch, "containers": containers, "representative_name": "Đỗ Văn Sáu"},
    )
    assert made["status"] == "applied", made
    record_id = made["result"]["record_id"]
    for type_ in ("seals.sign_record", "seals.hand_over"):
        done = cast.destination.do(type_, {"location_id": gate, "record_id": record_id})
        assert done["status"] == "applied", done
    return record_id


def change(client: TestClient, change_id: int) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        from backend.export_place.tables import ExportChange

        return await ExportChange.select().where(ExportChange.id == change_id).first()

    return in_app(client, run)


def transit_case(client: TestClient, number: str = NUMBER) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        from backend.transit.tables import TransitCase

        return await TransitCase.select().where(TransitCase.number == number).first()

    return in_app(client, run)


def last_transit_note(client: TestClient, number: str = NUMBER) -> tuple[str, str, str]:
    """(to_state, clause, note) of the transit case's last timeline row."""

    async def run() -> tuple[str, str, str]:
        from backend.transit.tables import TransitEvent

        row = await TransitEvent.select(TransitEvent.to_state, TransitEvent.clause, TransitEvent.note).where(
            TransitEvent.case.number == number
        ).order_by(TransitEvent.id, ascending=False).first()
        return row["to_state"], row["clause"], row["note"]

    return in_app(client, run)


def inbox(client: TestClient, officer_id: int, now: datetime | None = None) -> list[tuple[str, str]]:
    """(kind, ref) of the officer's inbox items at `now` (the controllable clock: the inbox's `now`)."""

    async def run() -> list[tuple[str, str]]:
        from backend.inbox.services import inbox_for
        from backend.officers.services import actor_by_id

        answer = await inbox_for(await actor_by_id(officer_id), client.app.state.settings, now)  # type: ignore[arg-type]
        return [(group.kind, item.ref) for group in answer.groups for item in group.items]

    return in_app(client, run)


def approve_new_declaration(cast: Cast, number: str = NEW_NUMBER) -> None:
    """The declarant's new transit declaration, registered at the original exit gate B2 for B4 (yellow lane), then
    approved under Art 41 by B2: CES by its head, CET A by the officer it assigned."""
    from tests.transit.helpers import transit_item as make

    upsert(cast.client, {**make(number, lane=2, destination_branch_code="B4", exit_mode="road"), "branch_code": "B2"})
    assert cast.destination_head.do("transit.assign", {"number": number, "officer_code": "CB2"})["status"] == "applied"
    assert cast.destination.do("transit.decide", {"number": number, "code": "A"})["status"] == "applied"


def register_new_declaration(cast: Cast, number: str = NEW_NUMBER) -> None:
    from tests.transit.helpers import transit_item as make

    upsert(cast.client, {**make(number, lane=2, destination_branch_code="B4", exit_mode="road"), "branch_code": "B2"})
