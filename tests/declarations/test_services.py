"""Validation of upstream items and the upsert with its history, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from backend.lib.errors import DomainError
from tests.conftest import World, in_app
from tests.declarations.helpers import C1, C2, container, item


def upsert(client: TestClient, items: list[Any], source: str = "test", **kwargs: Any) -> list[dict[str, Any]]:
    from backend.declarations.services import upsert_many

    async def run() -> list[Any]:
        return await upsert_many(items, source, **kwargs)

    return [
        {key: getattr(result, key) for key in ("number", "status", "code", "field")} for result in in_app(client, run)
    ]


def lookup(client: TestClient, number: str) -> Any:
    from backend.declarations.services import declaration_by_number

    return in_app(client, declaration_by_number, number)


async def counts() -> dict[str, int]:
    from backend.declarations.tables import Declaration, DeclarationContainer, DeclarationHistory, DeclarationWarning

    return {
        "declarations": await Declaration.count(),
        "containers": await DeclarationContainer.count(),
        "warnings": await DeclarationWarning.count(),
        "history": await DeclarationHistory.count(),
    }


WRONG_DIGIT = C1[:10] + str((int(C1[10]) + 1) % 10)

VALIDATION_CASES = [
    ("short number", {"number": "10400000001"}, "bad_number", "number"),
    ("letters in number", {"number": "10400000000A"}, "bad_number", "number"),
    ("unknown kind", {"kind": "re-export"}, "unknown_kind", "kind"),
    ("version zero", {"version": 0}, "bad_version", "version"),
    ("version too large", {"version": 2**40}, "bad_version", "version"),
    ("empty status", {"status_code": "  "}, "empty_status", "status_code"),
    ("lane four", {"lane": 4}, "bad_lane", "lane"),
    ("unknown branch", {"branch_code": "NOWHERE"}, "unknown_branch", "branch_code"),
    ("unknown cargo", {"cargo_type": "pallets"}, "unknown_cargo_type", "cargo_type"),
    ("no containers", {"containers": []}, "no_containers", "containers"),
    ("wrong check digit", {"containers": [{"number": WRONG_DIGIT}]}, "bad_container_check_digit", "containers"),
    ("not a container number", {"containers": [{"number": "TGH123"}]}, "bad_container", "containers"),
    ("container twice", {"containers": [{"number": C1}, {"number": C1.lower()}]}, "duplicate_container", "containers"),
    ("weight for containers", {"weight_kg": 1000}, "weight_not_expected", "weight_kg"),
    ("packages for containers", {"package_count": 3}, "packages_not_expected", "package_count"),
    ("bulk with containers", {"cargo_type": "bulk", "weight_kg": 5}, "containers_not_expected", "containers"),
    ("bulk without weight", {"cargo_type": "bulk", "containers": []}, "missing_weight", "weight_kg"),
    ("bulk with packages", {"cargo_type": "bulk", "containers": [], "weight_kg": 5, "package_count": 2}, "packages_not_expected", "package_count"),
    ("loose without packages", {"cargo_type": "loose", "containers": []}, "missing_packages", "package_count"),
    ("loose with weight", {"cargo_type": "loose", "containers": [], "package_count": 2, "weight_kg": 5}, "weight_not_expected", "weight_kg"),
    ("empty warning", {"warnings": [{"text": " "}]}, "empty_warning", "warnings"),
    ("wrong type", {"lane": "green"}, "invalid_field", "lane"),
    ("unknown field", {"colour": "red"}, "invalid_field", None),
]


@pytest.mark.parametrize(("case", "changes", "code", "field"), VALIDATION_CASES, ids=[case[0] for case in VALIDATION_CASES])
def test_validate_item_bad_field_is_refused_with_its_code(case: str, changes: dict[str, Any], code: str, field: str | None) -> None:
    from backend.declarations.services import Refusal, validate_item

    refusal = validate_item(item(**changes), {"B1": 1})

    assert isinstance(refusal, Refusal), case
    assert (refusal.code, refusal.field) == (code, field)
    assert refusal.reason()


def test_validate_item_check_digit_refusal_names_the_right_number() -> None:
    from backend.declarations.services import validate_item
    from backend.lib.i18n import translate_in

    refusal = validate_item(item(containers=[{"number": WRONG_DIGIT}]), {"B1": 1})

    assert refusal.params["expected"] == int(C1[10]) and C1 in refusal.params["hints"]
    assert C1 in translate_in("en", refusal.message, **refusal.params)
    assert translate_in("vi", refusal.message, **refusal.params) != translate_in("en", refusal.message, **refusal.params)


def test_validate_item_normalizes_numbers_and_containers() -> None:
    from backend.declarations.schemas import DeclarationUpsert
    from backend.declarations.services import validate_item

    valid = validate_item(item(number="1040-0000-0001", containers=[{"number": " tghu 123456-" + C1[10], "seal": " S1 "}]), {"B1": 1})

    assert isinstance(valid, DeclarationUpsert)
    assert valid.number == "104000000001"
    assert [(c.number, c.seal) for c in valid.containers] == [(C1, "S1")]


def test_validate_item_not_an_object_is_refused() -> None:
    from backend.declarations.services import validate_item

    assert validate_item(["104000000001"], {"B1": 1}).code == "not_an_object"


def test_upsert_creates_then_unchanged_with_one_history_row(client: TestClient, world: World) -> None:
    first = upsert(client, [item(warnings=[{"text": "Nghi vấn", "source": "xray"}])])
    again = upsert(client, [item(warnings=[{"text": "Nghi vấn", "source": "xray"}])])

    assert [r["status"] for r in first] == ["created"]
    assert [r["status"] for r in again] == ["unchanged"]
    assert in_app(client, counts) == {"declarations": 1, "containers": 2, "warnings": 1, "history": 1}
    found = lookup(client, "104000000001")
    assert (found.kind, found.version, found.status_code, found.allows_passage, found.lane) == ("import", 1, "THONG_QUAN", True, 1)
    assert (found.branch_code, found.branch_name, found.cargo_type) == ("B1", "Chi cục Một", "containers")
    assert [(c.number, c.seal_number) for c in found.containers] == [(C1, "A123456"), (C2, "A123457")]
    assert [(w.text, w.source) for w in found.warnings] == [("Nghi vấn", "xray")]
    assert [(h.version, h.change, h.source) for h in found.history] == [(1, "created", "test")]
    assert found.history[0].detail["containers"] == [[C1, "A123456"], [C2, "A123457"]]


def test_upsert_supplementary_version_updates_and_records_what_changed(client: TestClient, world: World) -> None:
    upsert(client, [item()])
    c3 = container("OOLU000001")

    result = upsert(client, [item(version=2, containers=[{"number": C1, "seal": "A123456"}, {"number": c3, "seal": "B1"}], sealed=True)], "api:AD1")

    assert [r["status"] for r in result] == ["updated"]
    found = lookup(client, "104000000001")
    assert found.version == 2 and found.sealed is True
    assert [c.number for c in found.containers] == [C1, c3]
    assert [(h.version, h.change, h.fields, h.source) for h in found.history] == [
        (2, "updated", ["version", "sealed", "containers"], "api:AD1"),
        (1, "created", [], "test"),
    ]
    assert found.history[0].detail["version"] == [1, 2] and found.history[0].detail["sealed"] == [False, True]
    assert in_app(client, counts)["containers"] == 2


def test_upsert_same_version_status_change_is_an_update(client: TestClient, world: World) -> None:
    upsert(client, [item(status_code="CHO_KIEM_TRA", allows_passage=False)])

    result = upsert(client, [item()])

    assert [r["status"] for r in result] == ["updated"]
    found = lookup(client, "104000000001")
    assert (found.status_code, found.allows_passage) == ("THONG_QUAN", True)
    assert found.history[0].fields == ["status_code", "allows_passage"]


def test_upsert_lower_version_is_refused_as_stale_and_changes_nothing(client: TestClient, world: World) -> None:
    upsert(client, [item(version=3)])

    result = upsert(client, [item(version=2, lane=3)])

    assert result == [{"number": "104000000001", "status": "refused", "code": "stale_version", "field": "version"}]
    found = lookup(client, "104000000001")
    assert (found.version, found.lane, len(found.history)) == (3, 1, 1)


def test_upsert_refused_item_does_not_stop_the_others(client: TestClient, world: World) -> None:
    result = upsert(
        client,
        [item("104000000001"), item("104000000002", lane=9), item("104000000003", cargo_type="bulk", containers=[], weight_kg=1234.5), item("104000000001")],
    )

    assert [(r["number"], r["status"], r["code"]) for r in result] == [
        ("104000000001", "created", None),
        ("104000000002", "refused", "bad_lane"),
        ("104000000003", "created", None),
        ("104000000001", "refused", "duplicate_in_batch"),
    ]
    assert in_app(client, counts)["declarations"] == 2
    assert lookup(client, "104000000003").weight_kg == 1234.5


def test_upsert_all_or_nothing_writes_nothing_when_one_is_refused(client: TestClient, world: World) -> None:
    result = upsert(client, [item("104000000001"), item("104000000002", kind="x")], all_or_nothing=True)

    assert [r["status"] for r in result] == ["created", "refused"]
    assert in_app(client, counts) == {"declarations": 0, "containers": 0, "warnings": 0, "history": 0}


def test_upsert_bulk_and_loose_keep_their_measure(client: TestClient, world: World) -> None:
    upsert(client, [item("104000000005", cargo_type="loose", containers=[], package_count=42)])
    upsert(client, [item("104000000006", cargo_type="bulk", containers=[], weight_kg=25000.125)])

    assert lookup(client, "104000000005").package_count == 42
    assert lookup(client, "104000000006").weight_kg == 25000.125
    assert upsert(client, [item("104000000006", cargo_type="bulk", containers=[], weight_kg=25000.125)])[0]["status"] == "unchanged"


def test_lookup_unknown_and_malformed_numbers(client: TestClient, world: World) -> None:
    with pytest.raises(DomainError) as unknown:
        lookup(client, "999999999999")
    with pytest.raises(DomainError) as malformed:
        lookup(client, "12345")

    assert (unknown.value.code, unknown.value.status_code) == ("declaration_not_found", 404)
    assert (malformed.value.code, malformed.value.status_code) == ("bad_number", 400)
