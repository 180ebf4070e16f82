"""What the seals tests share: officers with a passkey (a software authenticator) sending commands as a device
does, signed when their type is signed; a declaration with three containers; photos uploaded before commands."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from tests.conftest import World, in_app
from tests.journal.device import Person  # noqa: F401  (the tests' officers)
from tests.declarations.helpers import C1, C2, container, item
from tests.files.photos import plain_jpeg, png

C3 = container("TEMU000001")
NUMBER = "104000000001"
SEAL_1, SEAL_2, SEAL_3 = "HQ-000101", "HQ-000102", "HQ-000103"


def upsert(client: TestClient, *items: dict[str, Any]) -> None:
    async def run() -> None:
        from backend.declarations.services import upsert_many

        results = await upsert_many(list(items), "test")
        assert all(result.status != "refused" for result in results), results

    in_app(client, run)


def declare(client: TestClient, number: str = NUMBER, **changes: Any) -> None:
    """A declaration with three containers C1, C2, C3 and their carrier seals."""
    containers = [{"number": C1, "seal": "CS111"}, {"number": C2, "seal": "CS222"}, {"number": C3, "seal": "CS333"}]
    upsert(client, item(number, containers=containers, **changes))


def seal(person: Person, world: World, unit: str, seal_number: str, **more: Any) -> dict[str, Any]:
    offline = more.pop("offline", False)
    payload = {"location_id": more.pop("location_id", world["gate"]), "number": more.pop("number", NUMBER), "unit": unit, "seal_number": seal_number, **more}
    return person.do("seals.record_seal", payload, offline=offline)


def record_payload(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "location_id": world["gate"],
        "kind": "handover",
        "number": NUMBER,
        "to_branch": "B2",
        "containers": [{"number": C1, "seal_number": SEAL_1}, {"number": C2, "seal_number": SEAL_2}],
        "representative_name": "Đỗ Văn Sáu",
        **changes,
    }


def sealed(person: Person, world: World, containers: list[dict[str, str]] | None = None, number: str = NUMBER) -> None:
    """Each container a record lists sealed with the seal it lists (record_payload's, by default), unless it already
    is: a record lists the seals on the containers (Decision 1966, Art 35.1.a.2-a.3, 41.1.c.1.1)."""
    evidence = person.client.get(f"/api/v1/seals/declarations/{number}").json()
    active = {s["unit"]: s["seal_number"] for s in evidence["seals"] if s["unit_kind"] == "container" and s["state"] == "active"}
    for item in record_payload(world)["containers"] if containers is None else containers:
        if item.get("seal_number") and active.get(item["number"]) != item["seal_number"]:
            outcome = seal(person, world, item["number"], item["seal_number"], number=number, replace=item["number"] in active)
            assert outcome["status"] == "applied", outcome


def signed_record(person: Person, world: World, containers: list[dict[str, str]] | None = None, number: str = NUMBER) -> int:
    """A handover record of the declaration, its listed seals on the containers, made and signed: what "confirm
    sealed" comes after (Decision 1966, Art 35.1.a.3, 36.1.a.3). Its id."""
    payload = record_payload(world, number=number, **({} if containers is None else {"containers": containers}))
    sealed(person, world, payload["containers"], number)
    made = person.do("seals.create_record", payload)
    assert made["status"] == "applied", made
    record_id = made["result"]["record_id"]
    signed = person.do("seals.sign_record", {"location_id": payload["location_id"], "record_id": record_id})
    assert signed["status"] == "applied", signed
    return record_id


GOODS = [{"name": "Máy xúc bánh xích", "quantity": 2, "unit": "chiếc", "type": "hàng rời", "marks": "KOMATSU PC200", "origin": "Nhật Bản"}]


def photos(person: Person, count: int = 2) -> list[str]:
    return [person.upload(plain_jpeg(color=(10 * i, 100, 200 - 10 * i))) for i in range(count)]


def signature_png(person: Person) -> str:
    return person.upload(png(), "image/png")


async def rows(table_name: str) -> list[dict[str, Any]]:
    from backend.seals import tables

    table = {
        "seal": tables.Seal,
        "correction": tables.SealCorrection,
        "confirmation": tables.SealedConfirmation,
        "decision": tables.SealRequirementDecision,
        "record": tables.HandoverRecord,
        "violation": tables.ViolationRecord,
        "mismatch": tables.SealingMismatch,
    }[table_name]
    return await table.select().order_by(table.id)


async def journal_rows() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)
