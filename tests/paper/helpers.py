"""What the paper tests share: officers with a passkey (a software authenticator) and commands sent as a
device sends them, signed when their type is signed."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar.testing import TestClient

from backend.lib.canonical import canonical_json
from tests.auth.soft_authenticator import SoftAuthenticator, another_browser, b64url, enroll, unb64url
from tests.conftest import ORIGIN, World, in_app

GOODS = "Gạo trắng 5% tấm; 20; tấn; 20000; 400; VN-01\nThùng carton; 1,5; tấn; 1500,50"


class Person:
    """One officer's browser (its own session) and phone (its passkey)."""

    def __init__(self, client: TestClient, officer_id: int) -> None:
        from backend.auth import services
        from backend.settings import load_settings

        self.client = another_browser(client)
        web = load_settings({"GIAMSAT_ORIGIN": ORIGIN, "GIAMSAT_SECRET_KEY": "x"}).web
        link = in_app(client, lambda: services.create_enrollment(officer_id, web))
        self.device = SoftAuthenticator()
        response = enroll(self.client, link.rsplit("/", 1)[1], self.device, "phone")
        assert response.status_code == 200, response.text

    def nonce(self) -> str:
        response = self.client.post("/api/v1/signing/nonces", json={"count": 1})
        assert response.status_code == 200, response.text
        return response.json()["nonces"][0]["nonce"]

    def envelope(self, type_: str, payload: dict[str, Any], *, sign: bool = True, **fields: Any) -> dict[str, Any]:
        issued = fields.pop("issued_at", datetime.now(UTC))
        envelope = {
            "id": str(fields.pop("id", uuid.uuid4())),
            "type": type_,
            "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%S.") + f"{issued.microsecond // 1000:03d}Z",
            "device_id": "web-phone-1",
            "payload": payload,
            **fields,
        }
        if sign:
            nonce = self.nonce()
            signed = {name: envelope[name] for name in ("device_id", "id", "issued_at", "payload", "type")}
            challenge = hashlib.sha256(unb64url(nonce) + canonical_json(signed).encode()).digest()
            envelope["signature"] = {"nonce": nonce, "credential": self.device.get({"challenge": b64url(challenge), "rpId": "localhost"})}
        return envelope

    def send(self, type_: str, payload: dict[str, Any], *, sign: bool | None = None, **fields: Any) -> dict[str, Any]:
        """Send one command; its outcome (applied / duplicate / rejected)."""
        from backend.journal.registry import is_signed

        envelope = self.envelope(type_, payload, sign=is_signed(type_) if sign is None else sign, **fields)
        response = self.client.post("/api/v1/commands", json=[envelope])
        assert response.status_code == 200, response.text
        (outcome,) = response.json()["results"]
        return outcome


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
