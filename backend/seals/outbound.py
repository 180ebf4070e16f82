"""What sealing tells the national system (backend/outbox/registry.py): the acts Decision 1966 has done "trên Hệ
thống" through its functions "Biên bản bàn giao", "Xác nhận niêm phong hàng hóa" and "Đề xuất/Bỏ đề xuất niêm phong
hàng hóa", and the receiving branch's confirmation of a record."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.journal.registry import CommandContext
from backend.outbox.registry import outbound
from backend.seals.tables import HandoverRecord


@outbound(
    "seals.set_requirement",
    kind="seals.requirement_changed",
    # "hủy yêu cầu phải niêm phong hải quan trên Hệ thống thông qua chức năng “Đề xuất/Bỏ đề xuất niêm phong hàng hóa”"
    clause="Art 35.1.b, 36.1.b",
)
async def requirement_changed(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"required": result["required"], "reason": payload.reason.strip(), "location_id": payload.location_id}


@outbound(
    "seals.sign_record",
    kind="seals.handover_record",
    # "Lập biên bản bàn giao trên Hệ thống thông qua chức năng “Biên bản bàn giao”": sent once the record is signed,
    # the form the System prints and the officer signs; a draft is giamsat's own.
    clause="Art 35.1.a.2, 36.1.a.2",
)
async def handover_record(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    row = await HandoverRecord.select(
        HandoverRecord.kind, HandoverRecord.to_branch.code.as_alias("to_branch"), HandoverRecord.containers,
        HandoverRecord.goods, HandoverRecord.representative_name,
    ).where(HandoverRecord.id == result["record_id"]).first()
    assert row is not None  # the handler has just signed it, in this transaction
    return {
        "record_id": result["record_id"], "serial": result["serial"], "record_kind": row["kind"],
        "to_branch": row["to_branch"], "containers": msgspec.json.decode(row["containers"]),
        "goods": msgspec.json.decode(row["goods"]), "representative_name": row["representative_name"],
    }


@outbound(
    "seals.confirm_sealed",
    kind="seals.sealed_confirmed",
    # "Xác nhận đã niêm phong sau khi đã lập Biên bản bàn giao ... trên Hệ thống thông qua chức năng “Xác nhận niêm
    # phong hàng hóa”"
    clause="Art 35.1.a.3, 36.1.a.3",
)
async def sealed_confirmed(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any] | None:
    if result.get("already_confirmed"):  # a second confirmation made in contingency mode: the System has the first
        return None
    return {
        "seal_count": result["seal_count"], "record_id": result.get("record_id"),
        "server_notes": result.get("server_notes", []), "location_id": payload.location_id,
    }


@outbound(
    "seals.receive_record",
    kind="seals.handover_record_confirmed",
    clause="Art 43.1.c.3",  # "Xác nhận Biên bản bàn giao trên Hệ thống" (the branch managing the bonded warehouse)
)
async def handover_record_confirmed(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"record_id": result["record_id"], "serial": result["serial"], "location_id": payload.location_id}
