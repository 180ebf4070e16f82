"""POST /api/v1/commands — the sync endpoint: one envelope or an ordered batch, an answer per command."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import JSONBody

from backend.journal.envelope import MAX_BATCH, CommandBatchResult, CommandEnvelope
from backend.journal.services import apply_commands


@post("/api/v1/commands", status_code=200, summary="Apply one command or an ordered batch")
async def post_commands(request: Request[Any, Any, Any], state: State, data: JSONBody[CommandEnvelope | list[CommandEnvelope]]) -> CommandBatchResult:
    """Each command answers `applied`, `duplicate` (seen before: the stored result, never applied twice) or
    `rejected` (with a reason code and a reason in the caller's language; nothing changed)."""
    envelopes = data if isinstance(data, list) else [data]
    if not envelopes or len(envelopes) > MAX_BATCH:
        raise ValidationException(f"send between 1 and {MAX_BATCH} commands at a time")
    results = await apply_commands(state.engine, envelopes, request.user)
    return CommandBatchResult(results=results)


ROUTES = [post_commands]
