"""`giamsat declarations import FILE` (the real command line): JSON and CSV, bad lines, all or nothing, re-import."""

from __future__ import annotations

import json
from pathlib import Path

from litestar.testing import TestClient

from tests.conftest import World, giamsat, in_app
from tests.declarations.helpers import C1, C2, item
from tests.declarations.test_services import counts, lookup

HEADER = "number,kind,version,status_code,allows_passage,lane,branch_code,seal_required,sealed,cargo_type,containers,weight_kg,package_count,goods_description,warnings,xray_warnings"
GOOD_ROWS = [
    f'104000000011,import,1,THONG_QUAN,1,2,B1,0,0,containers,{C1}:SEAL1;{C2}:SEAL2,,,"Linh kiện, điện tử",,Vùng mật độ bất thường',
    "304000000012,export,2,THONG_QUAN,yes,1,B1,1,1,bulk,,\"25000,5\",,Than đá,Doanh nghiệp rủi ro cao;Kiểm tra chuyên ngành,",
    "501000000013,independent_transit,1,CHO_PHE_DUYET,0,3,B2,1,0,loose,,,17,Thép cuộn,,",
]


def write_csv(tmp_path: Path, rows: list[str], name: str = "declarations.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_import_csv_creates_every_row_then_reimport_changes_nothing(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    path = write_csv(tmp_path, GOOD_ROWS)

    first = giamsat(app_env, "declarations", "import", str(path))
    before = in_app(client, counts)
    second = giamsat(app_env, "declarations", "import", str(path))

    assert "3 declaration(s): 3 created, 0 updated, 0 unchanged." in first.stdout
    assert "3 declaration(s): 0 created, 0 updated, 3 unchanged." in second.stdout
    assert before == in_app(client, counts) == {"declarations": 3, "containers": 2, "warnings": 3, "history": 3}
    containers = lookup(client, "104000000011")
    assert [(c.number, c.seal_number) for c in containers.containers] == [(C1, "SEAL1"), (C2, "SEAL2")]
    assert [(w.text, w.source) for w in containers.warnings] == [("Vùng mật độ bất thường", "xray")]
    assert (containers.goods_description, containers.lane, containers.history[0].source) == ("Linh kiện, điện tử", 2, "import:declarations.csv")
    bulk = lookup(client, "304000000012")
    assert (bulk.version, bulk.allows_passage, bulk.seal_required, bulk.sealed, bulk.weight_kg) == (2, True, True, True, 25000.5)
    assert [w.source for w in bulk.warnings] == ["upstream", "upstream"]
    loose = lookup(client, "501000000013")
    assert (loose.kind, loose.branch_code, loose.allows_passage, loose.package_count) == ("independent_transit", "B2", False, 17)


def test_import_csv_with_bad_lines_writes_nothing_and_names_every_line(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    wrong_digit = C1[:10] + str((int(C1[10]) + 1) % 10)
    rows = [
        GOOD_ROWS[0],
        f"10400000001X,import,1,THONG_QUAN,1,1,B1,0,0,containers,{C2}:S,,,Hàng,,",
        GOOD_ROWS[1],
        f"104000000014,import,1,THONG_QUAN,1,1,B1,0,0,containers,{wrong_digit}:S,,,Hàng,,",
        "104000000015,import,1,THONG_QUAN,maybe,1,B1,0,0,loose,,,3,Hàng,,",
    ]
    path = write_csv(tmp_path, rows)

    result = giamsat(app_env, "declarations", "import", str(path), check=False)

    assert result.returncode == 2
    errors = result.stderr.splitlines()
    assert errors[0].startswith("line 3: 10400000001X: bad_number:")
    assert errors[1].startswith("line 5: 104000000014: bad_container_check_digit:") and C1 in errors[1]
    assert errors[2].startswith("line 6: 104000000015: invalid_field:")
    assert errors[3] == "3 refused line(s): nothing imported."
    assert in_app(client, counts) == {"declarations": 0, "containers": 0, "warnings": 0, "history": 0}


def test_import_json_then_amended_file_updates(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([item("104000000021"), item("104000000022", cargo_type="loose", containers=[], package_count=5)]))
    giamsat(app_env, "declarations", "import", str(path))
    path.write_text(json.dumps([item("104000000021", version=2, lane=2), item("104000000022", cargo_type="loose", containers=[], package_count=5)]))

    result = giamsat(app_env, "declarations", "import", str(path))

    assert "2 declaration(s): 0 created, 1 updated, 1 unchanged." in result.stdout
    found = lookup(client, "104000000021")
    assert (found.version, found.lane, [h.version for h in found.history]) == (2, 2, [2, 1])


def test_import_json_bad_item_names_it_and_writes_nothing(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([item("104000000031"), item("104000000032", branch_code="NOPE")]))

    result = giamsat(app_env, "declarations", "import", str(path), check=False)

    assert result.returncode == 2 and result.stderr.splitlines()[0].startswith("item 2: 104000000032: unknown_branch:")
    assert in_app(client, counts)["declarations"] == 0


def test_import_file_that_is_not_a_list_or_lacks_columns_fails(client: TestClient, world: World, app_env: dict[str, str], tmp_path: Path) -> None:
    not_list = tmp_path / "one.json"
    not_list.write_text(json.dumps(item()))
    no_header = tmp_path / "bad.csv"
    no_header.write_text("number,kind\n104000000001,import\n")

    first = giamsat(app_env, "declarations", "import", str(not_list), check=False)
    second = giamsat(app_env, "declarations", "import", str(no_header), check=False)

    assert first.returncode == 2 and "JSON list" in first.stderr
    assert second.returncode == 2 and "missing columns" in second.stderr and "status_code" in second.stderr
    assert in_app(client, counts)["declarations"] == 0
