"""What transit tells the national system (backend/outbox/registry.py): the acts Decision 1966 has done "trên Hệ
thống" through CES, CET, BOA and BIA, and the exit gate's first step, which the procedure does on e-Customs.

The officer's written proposal and the head's decision on a COR/CAN (41.3.b: "đề xuất ... bằng văn bản") are
giamsat's own: the System learns the outcome from the CET that follows. A letter to the destination branch and a
trace case are letters between branches, not System functions."""

from __future__ import annotations

from typing import Any

from backend.journal.registry import CommandContext
from backend.outbox.registry import outbound


@outbound("transit.assign", kind="transit.CES", clause="Art 41.1.b.1, 41.3.a (nghiệp vụ CES)")
async def ces(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    # "việc chỉ đạo phải được cập nhật vào Hệ thống tại ô “Nội dung giao việc”"
    return {"state": result["state"], "officer_code": result["officer_code"], "instructions": payload.instructions.strip()}


@outbound("transit.decide", kind="transit.CET", clause="Art 41.1.b.2, 41.3.b (nghiệp vụ CET)")
async def cet(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    # An amendment's CET says whether it re-approves, cancels (A) or refuses (X) the COR/CAN: the state tells which.
    return {"code": payload.code, "reason": payload.reason.strip(), "state": result["state"]}


@outbound("transit.register_departure", kind="transit.BOA", clause="Art 41.1.4.a (nghiệp vụ BOA)")
async def boa(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"deadline": result["deadline"], "location_id": payload.location_id}


@outbound("transit.confirm_exit_area", kind="transit.exit_area", clause="Art 41.2.b.1.1.1 (e-Customs, “Tờ khai vận chuyển độc lập”)")
async def exit_area(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"location_id": payload.location_id}


@outbound("transit.confirm_arrival", kind="transit.BIA", clause="Art 41.2.b.1 (nghiệp vụ BIA)")
async def bia(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"location_id": payload.location_id}
