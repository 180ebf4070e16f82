"""The demo declarations (deterministic, idempotent) and the upstream file source. The source's health probe is
tested in tests/sync/test_upstream.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from backend.barcodes import iso6346
from backend.export_place.demo import LOTS as EXPORT_PLACE_LOTS
from tests.conftest import World, giamsat, in_app
from tests.declarations.helpers import item
from tests.declarations.test_services import counts


async def demo_facts() -> dict[str, Any]:
    from backend.declarations.tables import Declaration, DeclarationContainer, DeclarationHistory, DeclarationWarning

    declarations = await Declaration.select(
        Declaration.kind, Declaration.lane, Declaration.cargo_type, Declaration.allows_passage, Declaration.seal_required,
        Declaration.version, Declaration.branch.code.as_alias("branch_code"),
    )
    return {
        "kinds": {row["kind"] for row in declarations},
        "lanes": {row["lane"] for row in declarations},
        "cargo": {row["cargo_type"] for row in declarations},
        "not_eligible": sum(1 for row in declarations if not row["allows_passage"]),
        "seal_required": sum(1 for row in declarations if row["seal_required"]),
        "versions": {row["version"] for row in declarations},
        "branches": {row["branch_code"] for row in declarations},
        "containers": [row["number"] for row in await DeclarationContainer.select(DeclarationContainer.number)],
        "xray": await DeclarationWarning.count().where(DeclarationWarning.source == "xray"),
        "updates": await DeclarationHistory.count().where(DeclarationHistory.change == "updated"),
    }


def test_demo_loads_varied_declarations_and_a_second_run_changes_nothing(client: TestClient, world: World, app_env: dict[str, str]) -> None:
    first = giamsat(app_env, "demo")
    after_first = in_app(client, counts)
    second = giamsat(app_env, "demo")

    assert "300 new" in first.stdout and "0 new, 300 already there" in second.stdout
    # 300 from the demo source, and the export-place demo's own transit lots (backend/export_place/demo.py LOTS)
    assert in_app(client, counts) == after_first and after_first["declarations"] == 300 + len(EXPORT_PLACE_LOTS)
    facts = in_app(client, demo_facts)
    assert facts["kinds"] == {"import", "export", "independent_transit", "combined_transit"}
    assert facts["lanes"] == {1, 2, 3} and facts["cargo"] == {"containers", "bulk", "loose"}
    assert facts["branches"] == {"HP-KV3"} and facts["versions"] == {1, 2, 3}
    assert facts["not_eligible"] > 10 and facts["seal_required"] > 10 and facts["xray"] > 5 and facts["updates"] > 20
    assert facts["containers"] and all(iso6346.is_valid(number) for number in facts["containers"])
    assert after_first["history"] == 300 + len(EXPORT_PLACE_LOTS) + facts["updates"]


def test_demo_items_are_deterministic() -> None:
    from backend.declarations.demo import demo_items

    assert demo_items() == demo_items()


def test_file_source_reports_changes_once(tmp_path: Path) -> None:
    from backend.declarations.source import FileSource
    from tests.conftest import run_async

    path = tmp_path / "upstream.json"
    path.write_text(json.dumps([item()]))
    source = FileSource(path)

    items, cursor = run_async(source.fetch_changes(None))
    again, same_cursor = run_async(source.fetch_changes(cursor))

    assert [i["number"] for i in items] == ["104000000001"] and again == [] and same_cursor == cursor
    assert run_async(source.health()) is True
    path.unlink()
    assert run_async(source.health()) is False
