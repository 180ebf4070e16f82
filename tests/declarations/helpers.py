"""Declaration items for tests: a valid one, changed as a test needs."""

from __future__ import annotations

from typing import Any

from backend.barcodes import iso6346


def container(first_ten: str) -> str:
    return first_ten + str(iso6346.check_digit(first_ten))


C1 = container("TGHU123456")
C2 = container("MSKU765432")


def item(number: str = "104000000001", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": number,
        "kind": "import",
        "version": 1,
        "status_code": "THONG_QUAN",
        "allows_passage": True,
        "lane": 1,
        "branch_code": "B1",
        "seal_required": False,
        "sealed": False,
        "cargo_type": "containers",
        "containers": [{"number": C1, "seal": "A123456"}, {"number": C2, "seal": "A123457"}],
        "goods_description": "Linh kiện điện tử",
        "warnings": [],
    }
    base.update(changes)
    return base
