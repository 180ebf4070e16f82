"""What the transit tests share: transit declarations as upstream sends them (with the facts the declarant
registered), the people of the departure branch B1 and the destination branch B2, sealing through the seals
domain's own commands, and reading a case and its timeline."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2, item
from tests.journal.device import Person
from tests.seals.helpers import signed_record, upsert

NUMBER = "501000000001"


def transit_item(
    number: str = NUMBER, *, lane: int = 2, kind: str = "independent_transit", version: int = 1, seal_required: bool = True, **facts: Any
) -> dict[str, Any]:
    """A transit declaration registered at B1 for B2, with a registered transit time of 24 hours, as upstream sends it
    (`facts`: the declarant's transit facts, declarations.schemas.TransitFacts)."""
    transit = {"destination_branch_code": "B2", "transit_hours": 24, **facts}
    if kind == "combined_transit":
        transit = {"combined_case": "a", **{k: v for k, v in transit.items() if k != "transit_hours"}}
    return item(number, kind=kind, lane=lane, version=version, status_code="PHE_DUYET_VC", seal_required=seal_required, transit=transit)


def declare(client: TestClient, number: str = NUMBER, **options: Any) -> None:
    upsert(client, transit_item(number, **options))


class People:
    """B1 (departure): its head, the officer CES names, another officer; B2 (destination): an officer, a head."""

    def __init__(self, client: TestClient, world: World) -> None:
        from backend.officers.services import create_officer

        self.world = world
        self.client = client
        self.head = Person(client, world["supervisor"])
        self.officer = Person(client, world["officer"])
        self.colleague = Person(client, in_app(client, create_officer, "CB3", "Đinh Văn Bảy", "officer", "B1"))
        self.destination = Person(client, world["other_officer"])
        self.destination_head = Person(client, in_app(client, create_officer, "GS2", "Vũ Thị Sáu", "supervisor", "B2"))


def seal(person: Person, world: World, number: str = NUMBER) -> None:
    """Seal C1 and C2, make and sign the handover record, confirm sealed: the seals domain's step 3 (41.1.c)."""
    containers = [{"number": C1, "seal_number": "HQ-000201"}, {"number": C2, "seal_number": "HQ-000202"}]
    signed_record(person, world, containers, number)
    confirmed = person.do("seals.confirm_sealed", {"location_id": world["gate"], "number": number})
    assert confirmed["status"] == "applied", confirmed


def case(client: TestClient, number: str = NUMBER) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        from backend.transit.tables import TransitCase

        return await TransitCase.select().where(TransitCase.number == number).first()

    return in_app(client, run)


def timeline(client: TestClient, number: str = NUMBER) -> list[tuple[str, str, str | None, str]]:
    """(from, to, officer code or None for upstream, clause) of each timeline row, oldest first."""

    async def run() -> list[tuple[str, str, str | None, str]]:
        from backend.transit.tables import TransitEvent

        rows = await TransitEvent.select(
            TransitEvent.from_state, TransitEvent.to_state, TransitEvent.officer.code.as_alias("code"), TransitEvent.clause
        ).where(TransitEvent.case.number == number).order_by(TransitEvent.id)
        return [(r["from_state"], r["to_state"], r["code"], r["clause"]) for r in rows]

    return in_app(client, run)


async def journal_count() -> int:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.count()


def units(client: TestClient, number: str = NUMBER) -> list[dict[str, str]]:
    """The units the destination checks, with their seals at departure, as the server expects them (41.2.a.1)."""

    async def run() -> list[dict[str, str]]:
        from backend.transit.arrival import expected
        from backend.transit.tables import TransitCase

        return (await expected(await TransitCase.select().where(TransitCase.number == number).first()))["units"]

    return in_app(client, run)


def check_arrival(people: People, number: str = NUMBER, found: dict[str, str] | None = None, **payload: Any) -> dict[str, Any]:
    """The destination's arrival check (41.2.a.1-2) by B2's officer: every unit as the server expects it, each found
    intact unless `found` says otherwise; the notice's number typed unless `payload` gives `notice`."""
    lines = [
        {"unit": unit["unit"], "seal_number": unit["seal_number"], "finding": (found or {}).get(unit["unit"], "intact")}
        for unit in units(people.client, number)
    ]
    return people.destination.do(
        "transit.record_arrival_check",
        {"location_id": people.world["other_gate"], "number": number, "notice": number, "lines": lines, **payload},
    )
