"""What the paper tests share: officers with a passkey (a software authenticator) and commands sent as a
device sends them, signed when their type is signed."""

from __future__ import annotations

from typing import Any


from tests.conftest import World
from tests.journal.device import Person  # noqa: F401  (the tests' officers)

GOODS = "Gạo trắng 5% tấm; 20; tấn; 20000; 400; VN-01\nThùng carton; 1,5; tấn; 1500,50"


def declaration(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "location_id": world["gate"],
        "declaration_number": "HQ-2026/00123",
        "declaration_date": "2026-11-20",
        "declaration_kind": "import",
        "declarant_name": "Công ty TNHH Thương mại Hải Phòng",
        "declarant_tax_code": "0201234567",
        "eligible_confirmed": "yes",
        "vehicle": "15C-123.45",
        "containers": "CSQU3054383",
        "goods": GOODS,
        **changes,
    }


def report(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "location_id": world["gate"],
        "declaration_number": "HQ-2026/00999",
        "declaration_date": "2026-11-21",
        "declaration_kind": "import",
        "declarant_name": "Công ty CP Vận tải Biển Đông",
        "reason": "Tờ khai giấy chưa có xác nhận hàng đủ điều kiện qua khu vực giám sát",
        **changes,
    }


def special(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "location_id": world["gate"],
        "document_issuer": "Bộ Công Thương",
        "document_number": "1234/BCT-XNK",
        "document_date": "2026-11-10",
        "document_allows": "Cho phép đưa hàng viện trợ khẩn cấp ra khỏi cảng",
        "declarant_name": "Hội Chữ thập đỏ Việt Nam",
        "goods": "Lều bạt; 500; chiếc; 7500; 50; CTĐ",
        **changes,
    }


def exit_request(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "location_id": world["gate"],
        "declarant_name": "Công ty TNHH Xuất khẩu Nông sản Việt",
        "declarant_tax_code": "0301234567-001",
        "request_number": "15/2026/CV-NSV",
        "request_date": "2026-11-24",
        "operator_name": "Cảng Tân Vũ",
        "operator_confirmation_number": "88/XN-TV",
        "operator_confirmation_date": "2026-11-25",
        "containers": "CSQU3054383",
        "goods": "Hạt điều nhân; 18; tấn; 18000; 720; NSV",
        **changes,
    }


async def rows(table_name: str) -> list[dict[str, Any]]:
    from backend.paper.tables import ExportExitRequest, Form07, PaperReport

    table = {"form07": Form07, "request": ExportExitRequest, "report": PaperReport}[table_name]
    return await table.select().order_by(table.id)


async def journal_rows() -> list[dict[str, Any]]:
    from backend.journal.tables import JournalEntry

    return await JournalEntry.select().order_by(JournalEntry.id)
