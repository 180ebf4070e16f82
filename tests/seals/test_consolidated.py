"""One seal, several declarations (Decision 1966 Art 44.2.b.1.2; issue 16 item 2): a container consolidated at a CFS
for three export declarations (form 25) is sealed once by an officer of the branch managing the CFS, after every
line was compared (44.2.b.1.1); the seal covers each declaration: its gate check, its evidence, the device's gate
cards; a second seal is refused while the first is on; others cannot seal; a seal of one declaration is unchanged.
The transit declaration carrying the container on (44.2.b.2, Art 41.1.c) accepts the CFS seal. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.declarations.helpers import C1, item
from tests.journal.device import Person
from tests.seals.helpers import upsert

CONTAINER = "MSCU1234566"
EXPORTS = ("304000000011", "304000000012", "304000000013")
ELSEWHERE = "304000000019"  # registered at B2, on the same list
TRANSIT = "501000000031"
SEAL, OTHER_SEAL = "HQ-CFS-0001", "HQ-CFS-0002"


def export(number: str, **changes: Any) -> dict[str, Any]:
    """An export declaration cleared for passage, whose goods must be sealed, consolidated in CONTAINER."""
    return item(number, kind="export", seal_required=True, containers=[{"number": CONTAINER, "seal": ""}], **changes)


def transit(number: str = TRANSIT) -> dict[str, Any]:
    """The transit declaration that carries the container from the CFS to the exit gate (44.2.b.2), registered at B1."""
    return item(
        number, kind="independent_transit", lane=1, status_code="PHE_DUYET_VC", seal_required=True,
        containers=[{"number": CONTAINER, "seal": "CS900"}], transit={"destination_branch_code": "B2", "transit_hours": 24},
    )


@pytest.fixture
def cfs(client: TestClient, world: World) -> dict[str, int]:
    """A CFS of branch B1 with its staff member, and the export declarations of its list."""

    async def make() -> dict[str, int]:
        from backend.officers.services import create_officer, ensure_location
        from backend.officers.tables import LocationKind

        ids = {"cfs": await ensure_location("B1-CFS", "Kho CFS Một", LocationKind.CFS, world["branch"])}
        ids["staff"] = await create_officer("CFS1", "Đinh Thị Mười", "warehouse", "B1", "B1-CFS")
        return ids

    ids = in_app(client, make)
    upsert(client, *[export(number) for number in EXPORTS], export(ELSEWHERE, branch_code="B2"))
    return ids


def make_list(client: TestClient, staff: Person, officer: Person, *, compare: int | None = None, numbers: tuple[str, ...] = EXPORTS) -> int:
    """A list of the container with a line per declaration, submitted; its first `compare` lines compared (all by
    default: the list is then "checked")."""
    lines = "\n".join(f"{number},Hàng {i},{10 + i},{100 + i}" for i, number in enumerate(numbers, 1))
    made = staff.do("cfs.create_list", {"container": CONTAINER, "lines": lines})
    assert made["status"] == "applied", made
    list_id = made["result"]["list_id"]
    assert staff.do("cfs.submit_list", {"list_id": list_id})["status"] == "applied"
    for line_id in in_app(client, _line_ids, list_id)[: len(numbers) if compare is None else compare]:
        checked = officer.do("cfs.check_line", {"list_id": list_id, "line_id": line_id, "result": "match"})
        assert checked["status"] == "applied", checked
    return list_id


async def _line_ids(list_id: int) -> list[int]:
    from backend.cfs.tables import CfsLine

    return [row["id"] for row in await CfsLine.select(CfsLine.id).where(CfsLine.cfs_list == list_id).order_by(CfsLine.line)]


async def _seals() -> list[tuple[str, str, str, int | None]]:
    from backend.seals.tables import Seal

    return [(r["unit"], r["seal_number"], r["state"], r["cfs_list"]) for r in await Seal.select().order_by(Seal.id)]


async def _links() -> int:
    from backend.seals.tables import SealDeclaration

    return await SealDeclaration.count()


def seal(person: Person, cfs: dict[str, int], number: str = EXPORTS[0], seal_number: str = SEAL, **more: Any) -> dict[str, Any]:
    payload = {"location_id": more.pop("location_id", cfs["cfs"]), "number": number, "unit": CONTAINER, "seal_number": seal_number, **more}
    return person.do("seals.record_seal", payload)


def gate_check(person: Person, number: str) -> dict[str, Any]:
    response = person.client.post("/api/v1/gate/check", json={"number": number, "scanned_version": 1, "containers": [CONTAINER]})
    assert response.status_code == 200, response.text
    return response.json()


def codes(verdict: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in verdict["reasons"]]


# --- one seal, three declarations ---------------------------------------------------------------------------------


def test_one_seal_covers_every_declaration_of_a_signed_list_gate_evidence_replica_44_2_b_1_2(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.2: the container of a compared and signed list sealed once: the seal covers its three declarations;
    each one's gate check finds the seal requirement met, its evidence (API and page) shows the seal and whom it
    covers, and the device's gate cards say sealed."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id = make_list(client, staff, officer)
    assert officer.do("cfs.sign_list", {"list_id": list_id})["status"] == "applied"
    before = [gate_check(officer, number) for number in EXPORTS]

    sealed = seal(officer, cfs)

    assert all("seal_not_confirmed" in codes(verdict) for verdict in before), before
    assert sealed["status"] == "applied", sealed
    assert sealed["result"]["covers"] == list(EXPORTS) and sealed["result"]["cfs_list"] == list_id
    assert sealed["result"]["confirmed"] == list(EXPORTS)
    assert in_app(client, _seals) == [(CONTAINER, SEAL, "active", list_id)]  # one seal, not three
    for number in EXPORTS:
        verdict = gate_check(officer, number)
        assert verdict["eligible"] is True and "seal_not_confirmed" not in codes(verdict), verdict
        evidence = officer.client.get(f"/api/v1/seals/declarations/{number}").json()
        assert evidence["sealed"] is True
        assert [(s["unit"], s["seal_number"], s["state"], s["covers"]) for s in evidence["seals"]] == [(CONTAINER, SEAL, "active", list(EXPORTS))]
        assert [action["command_type"] for action in evidence["actions"]] == ["seals.record_seal"]  # who sealed, when
        page = officer.client.get(f"/seals/evidence/{number}").text
        assert f'data-seal="{SEAL}" data-state="active"' in page and f'data-covers="{" ".join(EXPORTS)}"' in page
    cards = {card["key"]: card for card in officer.client.get("/api/v1/replica/gate_cards").json()["items"]}
    assert [cards[number]["sealed"] for number in EXPORTS] == [True, True, True]
    listed = officer.client.get(f"/cfs/{list_id}").text
    assert f'id="cfs-seal-current" data-seal="{SEAL}"' in listed and ", ".join(EXPORTS) in listed


def test_record_of_any_declaration_of_the_list_lists_the_one_seal_44_2_b_1_2(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.2 with 35.1.a.2–a.3: a record of another declaration of the list lists the container's seal as
    its current seal (accepted), and its print shows it; another seal number is not the container's (refused)."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    make_list(client, staff, officer)
    assert seal(officer, cfs)["status"] == "applied"
    record = {"location_id": cfs["cfs"], "kind": "handover", "number": EXPORTS[2], "to_branch": "B2", "representative_name": "Đỗ Văn Sáu"}

    wrong = officer.do("seals.create_record", {**record, "containers": [{"number": CONTAINER, "seal_number": OTHER_SEAL}]})
    made = officer.do("seals.create_record", {**record, "containers": [{"number": CONTAINER, "seal_number": SEAL}]})

    assert wrong["status"] == "rejected" and wrong["code"] == "seal_not_current", wrong
    assert made["status"] == "applied", made
    printed = officer.client.get(f"/seals/records/{made['result']['record_id']}/print")
    assert printed.status_code == 200 and SEAL in printed.text and CONTAINER in printed.text


def test_sealed_before_the_signature_counts_as_sealed_once_signed_44_2_b_1_3(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.1 → b.1.2 → b.1.3: compared, sealed, then signed (the text's order): the declarations are sealed
    for the gate only once the list is signed too."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id = make_list(client, staff, officer)

    sealed = seal(officer, cfs, number=EXPORTS[1])
    unsigned = gate_check(officer, EXPORTS[0])
    signed = officer.do("cfs.sign_list", {"list_id": list_id})

    assert sealed["status"] == "applied" and sealed["result"]["confirmed"] == [] and sealed["result"]["covers"] == list(EXPORTS)
    assert "seal_not_confirmed" in codes(unsigned)
    assert signed["result"]["state"] == "signed" and signed["result"]["confirmed_sealed"] == list(EXPORTS)
    assert all(gate_check(officer, number)["eligible"] for number in EXPORTS)


def test_second_seal_refused_while_the_first_is_on_44_2_b_1_2(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.2: one container, one seal for its declarations: another seal on it, through any of them, is
    refused while the first is on; the seal number is used once; "replace" puts a new one on for all of them."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id = make_list(client, staff, officer)
    assert seal(officer, cfs)["status"] == "applied"

    again = seal(officer, cfs, number=EXPORTS[2], seal_number=OTHER_SEAL)
    same_number = seal(officer, cfs, number=EXPORTS[2])
    replaced = seal(officer, cfs, number=EXPORTS[2], seal_number=OTHER_SEAL, replace=True)

    assert again["status"] == "rejected" and again["code"] == "unit_already_sealed", again
    assert same_number["status"] == "rejected" and same_number["code"] == "seal_in_use", same_number
    assert replaced["status"] == "applied" and replaced["result"]["replaced"] == [SEAL]
    assert replaced["result"]["covers"] == list(EXPORTS) and replaced["result"]["cfs_list"] == list_id
    assert in_app(client, _seals) == [(CONTAINER, SEAL, "replaced", list_id), (CONTAINER, OTHER_SEAL, "active", list_id)]
    evidence = officer.client.get(f"/api/v1/seals/declarations/{EXPORTS[0]}").json()
    assert [(s["seal_number"], s["state"]) for s in evidence["seals"]] == [(SEAL, "replaced"), (OTHER_SEAL, "active")]


def test_list_not_compared_is_refused_with_the_clause_44_2_b_1_1(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.1 before Art 44.2.b.1.2: a list with a line not compared yet: the container is not sealed, nothing stored,
    the refusal cites both clauses (in Vietnamese by default); the list page says to compare first."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id = make_list(client, staff, officer, compare=2)

    refused = seal(officer, cfs)

    assert refused["status"] == "rejected" and refused["code"] == "cfs_list_not_checked", refused
    assert "44.2.b.1.1" in refused["reason"] and "44.2.b.1.2" in refused["reason"]
    assert in_app(client, _seals) == [] and in_app(client, _links) == 0
    page = officer.client.get(f"/cfs/{list_id}").text
    assert 'id="seal-wait"' in page and 'id="seal-form"' not in page


def test_other_branch_and_the_cfs_staff_cannot_seal_44_2_b_1_2(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.1.2 is the step of "Chi cục Hải quan quản lý kho CFS": an officer of another branch is told there is
    no such declaration; one of the branch that registered a declaration of the list is refused with the clause; the
    CFS's own staff do not seal (their role). Nothing stored."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    other = Person(client, world["other_officer"])
    make_list(client, staff, officer, numbers=(*EXPORTS, ELSEWHERE))

    unrelated = seal(other, cfs, location_id=world["other_gate"])
    registering = seal(other, cfs, number=ELSEWHERE, location_id=world["other_gate"])
    operator = seal(staff, cfs)

    assert unrelated["status"] == "rejected" and unrelated["code"] == "declaration_not_found", unrelated
    assert registering["status"] == "rejected" and registering["code"] == "cfs_managing_branch_seals", registering
    assert "44.2.b.1.2" in registering["reason"]
    assert operator["status"] == "rejected" and operator["code"] == "forbidden_role", operator
    assert in_app(client, _seals) == []


def test_seal_of_one_declaration_is_unchanged(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """A container on no consolidation list: the seal covers its one declaration, as before issue 16."""
    officer = Person(client, world["officer"])
    upsert(client, item("104000000077"))

    sealed = officer.do("seals.record_seal", {"location_id": world["gate"], "number": "104000000077", "unit": C1, "seal_number": "HQ-000777"})

    assert sealed["status"] == "applied" and "covers" not in sealed["result"] and "cfs_list" not in sealed["result"]
    evidence = officer.client.get("/api/v1/seals/declarations/104000000077").json()
    assert [(s["unit"], s["seal_number"], s["covers"], s["cfs_list"]) for s in evidence["seals"]] == [(C1, "HQ-000777", [], None)]
    assert in_app(client, _links) == 1


def test_migration_gives_each_existing_seal_its_declaration(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """The migration that adds the seal ↔ declaration table fills it for the seals made before: each covers its own."""
    officer = Person(client, world["officer"])
    upsert(client, item("104000000078"))
    officer.do("seals.record_seal", {"location_id": world["gate"], "number": "104000000078", "unit": C1, "seal_number": "HQ-000778"})

    async def forget_and_backfill() -> tuple[int, list[tuple[int, int]]]:
        import importlib

        from backend.seals.tables import Seal, SealDeclaration

        await SealDeclaration.delete(force=True)
        emptied = await SealDeclaration.count()
        migration = importlib.import_module("backend.seals.piccolo_migrations.seals_2026_12_08t08_00_01_000000")
        # The migration finds its engine through PICCOLO_CONF, as `giamsat db upgrade` sets it; here: the app's.
        migration.engine_finder = lambda: SealDeclaration._meta.db
        await migration.backfill()
        await migration.backfill()  # twice: nothing doubled
        seals = await Seal.select(Seal.id, Seal.declaration)
        links = await SealDeclaration.select(SealDeclaration.seal, SealDeclaration.declaration)
        assert sorted((r["seal"], r["declaration"]) for r in links) == sorted((r["id"], r["declaration"]) for r in seals)
        return emptied, [(r["seal"], r["declaration"]) for r in links]

    emptied, links = in_app(client, forget_and_backfill)

    assert emptied == 0 and len(links) == 1
    evidence = officer.client.get("/api/v1/seals/declarations/104000000078").json()
    assert [s["seal_number"] for s in evidence["seals"]] == ["HQ-000778"]


# --- onward under transit (44.2.b.2) -------------------------------------------------------------------------------


def test_transit_declaration_known_at_sealing_is_covered_and_not_sealed_again_44_2_b_2(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.2: the container goes on to the exit gate under a transit declaration (Art 41). The list page names
    it with its case's state and links it; the CFS seal covers it; the transit sealing step (41.1.c) reading the same
    seal on the container accepts it: no second seal."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    upsert(client, transit())
    list_id = make_list(client, staff, officer)
    officer.do("cfs.sign_list", {"list_id": list_id})

    sealed = seal(officer, cfs)
    read_again = officer.do("seals.record_seal", {"location_id": world["gate"], "number": TRANSIT, "unit": CONTAINER, "seal_number": SEAL})

    assert sealed["result"]["covers"] == [*EXPORTS, TRANSIT]
    assert sealed["result"]["confirmed"] == list(EXPORTS)  # the transit declaration is confirmed at its own step (41.1.c)
    assert read_again["status"] == "applied" and read_again["result"]["adopted"] is True, read_again
    assert in_app(client, _seals) == [(CONTAINER, SEAL, "active", list_id)]
    page = officer.client.get(f"/cfs/{list_id}").text
    assert f'id="onward-{TRANSIT}" data-state="green"' in page and f'href="/transit/{TRANSIT}"' in page
    sealing = officer.client.get(f"/seals?number={TRANSIT}&location={world['gate']}").text
    assert f'data-container="{CONTAINER}" data-seal="{SEAL}"' in sealing and "seal-covers" in sealing
    evidence = officer.client.get(f"/api/v1/seals/declarations/{TRANSIT}").json()
    assert [(s["seal_number"], s["state"]) for s in evidence["seals"]] == [(SEAL, "active")]


def test_transit_declaration_arriving_after_the_seal_adopts_it_44_2_b_2(client: TestClient, world: World, cfs: dict[str, int]) -> None:
    """Art 44.2.b.2 / 41.1.c: the transit declaration reaches giamsat after the container was sealed at the CFS: its
    sealing page says the container carries the CFS seal; another number is refused as a second seal; recording the
    CFS seal's number links it, nothing sealed twice."""
    staff, officer = Person(client, cfs["staff"]), Person(client, world["officer"])
    list_id = make_list(client, staff, officer)
    officer.do("cfs.sign_list", {"list_id": list_id})
    assert seal(officer, cfs)["status"] == "applied"
    upsert(client, transit())

    page = officer.client.get(f"/seals?number={TRANSIT}&location={world['gate']}").text
    second = officer.do("seals.record_seal", {"location_id": world["gate"], "number": TRANSIT, "unit": CONTAINER, "seal_number": OTHER_SEAL})
    adopted = officer.do("seals.record_seal", {"location_id": world["gate"], "number": TRANSIT, "unit": CONTAINER, "seal_number": SEAL})

    assert f'data-cfs-seal="{SEAL}"' in page and "44.2.b.2" in page
    assert second["status"] == "rejected" and second["code"] == "unit_already_sealed", second
    assert adopted["status"] == "applied" and adopted["result"]["adopted"] is True, adopted
    assert in_app(client, _seals) == [(CONTAINER, SEAL, "active", list_id)]
    evidence = officer.client.get(f"/api/v1/seals/declarations/{TRANSIT}").json()
    assert [s["covers"] for s in evidence["seals"]] == [[*EXPORTS, TRANSIT]]
