"""Goods entering a CFS (Decision 1966 Art 44.1), through the real app (SQLite and PostgreSQL).

Art 44.1.a and 44.1.b.2 put export goods entering the CFS under the supervision of Part V ("thực hiện giám sát theo
hướng dẫn tại Phần V"): the officers of the branch managing the CFS check the declaration and confirm the goods in
at the CFS as at any place of their branch (the gate check, `gate.confirm_passage` with the CFS as the location),
and supervise the consolidation (form 25: tests/cfs/test_cfs.py). Art 44.1.c puts imports from abroad into the CFS
under Art 41: a transit declaration from the import gate's branch to the branch managing the CFS, whose officers
check the arrival and confirm it (BIA) at the CFS. A branch that does not manage the CFS confirms nothing there.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2, item
from tests.gate.test_commands import passages
from tests.journal.device import Person
from tests.seals.helpers import upsert
from tests.transit.helpers import NUMBER, People, case, check_arrival, declare, seal, timeline

EXPORT = "304000000051"


def cfs_of(client: TestClient, branch_id: int, code: str) -> int:
    async def make() -> int:
        from backend.officers.services import ensure_location
        from backend.officers.tables import LocationKind

        return await ensure_location(code, f"Kho CFS {code}", LocationKind.CFS, branch_id)

    return in_app(client, make)


@pytest.fixture
def people(client: TestClient, world: World) -> People:
    return People(client, world)


def test_cleared_export_goods_are_confirmed_into_the_cfs_by_its_branch_44_1_a(client: TestClient, world: World) -> None:
    """Art 44.1.a (and 44.1.b.2 for goods inspected at the CFS): cleared export goods entering the CFS are
    supervised as Part V — the officer of the branch managing the CFS checks the declaration and confirms each
    container in, at the CFS; the passage names the CFS. An officer of another branch cannot confirm there."""
    cfs = cfs_of(client, world["branch"], "B1-CFS")
    upsert(client, item(EXPORT, kind="export", containers=[{"number": C1, "seal": ""}, {"number": C2, "seal": ""}]))
    officer, stranger = Person(client, world["officer"]), Person(client, world["other_officer"])

    refused = stranger.do("gate.confirm_passage", {"location_id": cfs, "number": EXPORT, "containers": [C1]})
    confirmed = officer.do("gate.confirm_passage", {"location_id": cfs, "number": EXPORT, "containers": [C1, C2]})

    assert (refused["status"], refused["code"]) == ("rejected", "location_not_in_branch")
    assert confirmed["status"] == "applied" and confirmed["result"]["passed"] == 2, confirmed
    rows = in_app(client, passages)
    assert [(row["number"], row["unit"], row["location"]) for row in rows] == [(EXPORT, C1, cfs), (EXPORT, C2, cfs)]


def test_imports_into_the_cfs_arrive_under_transit_at_the_cfs_44_1_c(client: TestClient, world: World, people: People) -> None:
    """Art 44.1.c.1 and 44.1.c.2: imports from abroad into a CFS travel under Art 41 — the import gate's branch (B1)
    seals and registers the departure, the branch managing the CFS (B2) checks the arrival and confirms it (BIA) at
    the CFS."""
    cfs = cfs_of(client, world["other_branch"], "B2-CFS")
    declare(client, NUMBER, lane=1)
    seal(people.officer, world, NUMBER)
    departed = people.officer.do("transit.register_departure", {"location_id": world["gate"], "number": NUMBER})

    checked = check_arrival(people, NUMBER, location_id=cfs)
    arrived = people.destination.do("transit.confirm_arrival", {"location_id": cfs, "number": NUMBER})

    assert departed["status"] == "applied", departed
    assert (checked["status"], checked["result"]["check"]) == ("applied", "passed"), checked
    assert arrived["status"] == "applied" and case(client)["state"] == "arrived", arrived
    assert [row[3] for row in timeline(client)][-2:] == ["41.2.a.2", "41.2.b.1.2"]


def test_a_branch_not_managing_the_cfs_confirms_no_arrival_there_44_1_c(client: TestClient, world: World, people: People) -> None:
    """Art 44.1.c.2: the arrival at a CFS is confirmed by the branch managing it; the departure branch naming another
    branch's CFS as its location is refused, and the case does not move."""
    cfs = cfs_of(client, world["other_branch"], "B2-CFS")
    declare(client, NUMBER, lane=1)
    seal(people.officer, world, NUMBER)
    people.officer.do("transit.register_departure", {"location_id": world["gate"], "number": NUMBER})

    refused: dict[str, Any] = people.officer.do("transit.confirm_arrival", {"location_id": cfs, "number": NUMBER})

    assert (refused["status"], refused["code"]) == ("rejected", "location_not_in_branch"), refused
    assert case(client)["state"] == "departed"
