"""What the gate tells the national system (backend/outbox/registry.py): the confirmations of passage done
"trên Hệ thống", and their cancellations. The confirmation itself, and its signature and stamp on the list, are
giamsat's (gate/commands.py); these messages are the System's record of them."""

from __future__ import annotations

from typing import Any

from backend.journal.registry import CommandContext
from backend.outbox.registry import outbound


@outbound(
    "gate.confirm_passage",
    kind="gate.passage_confirmed",
    # "xác nhận hàng đã qua khu vực giám sát trên Hệ thống" (35.2.b.2.1.1; at a land border gate 36.2.c.2.1.1)
    clause="Art 35.2.b.2.1.1, 36.2.c.2.1.1",
)
async def passage_confirmed(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"units": result["units"], "location_id": payload.location_id, "passed": result["passed"], "total": result["total"]}


@outbound(
    "gate.cancel_passage",
    kind="gate.passage_cancelled",
    clause="Art 35.2.b.2.2, 36.2.c.2.2",  # "Thực hiện hủy xác nhận trên Hệ thống (trong trường hợp đã xác nhận)"
)
async def passage_cancelled(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"unit": result["unit"], "location_id": payload.location_id, "reason": payload.reason.strip()}


async def _report_cancelled(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any] | None:
    # A report cancels the branch's standing confirmations of the declaration (35.2.b.2.2 / 36.2.c.2.2); the System
    # hears of it only when there was something to cancel.
    cancelled = result.get("cancelled_passages") or 0
    if not cancelled:
        return None
    return {"cancelled": cancelled, "location_id": payload.location_id, "report_id": result.get("report_id")}


for _type in ("gate.report_mismatch", "gate.refuse_exit"):
    outbound(_type, kind="gate.confirmations_cancelled", clause="Art 35.2.b.2.2, 36.2.c.2.2")(_report_cancelled)
