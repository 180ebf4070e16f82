"""What a change of export place tells the national system: its closing BIA is the transit domain's BIA (41.2.b.1),
done "trên Hệ thống" with the note in "Ghi chú (dành cho hải quan)" (Decision 1966, Art 43.3.c.1.1.4, c.2.2.3,
c.3.1.3, c.4.2.3). The proposal, the head's approval and the letters are written documents between branches."""

from __future__ import annotations

from typing import Any

from backend.journal.registry import CommandContext
from backend.outbox.registry import outbound


@outbound("export_place.confirm_bia", kind="transit.BIA", clause="Art 41.2.b.1, 43.3.c (nghiệp vụ BIA, ô “Ghi chú (dành cho hải quan)”)")
async def bia(context: CommandContext, payload: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"location_id": payload.location_id, "number": result["number"], "note": result["bia_note"]}
