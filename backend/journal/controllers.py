"""POST /api/v1/commands — the sync endpoint: one envelope or an ordered batch, an answer per command —
and POST /api/v1/signing/nonces, the stock of single-use values a device signs offline actions with."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import JSONBody

from backend.journal import signing
from backend.journal.envelope import MAX_BATCH, CommandBatchResult, CommandEnvelope
from backend.journal.services import apply_commands
from backend.lib import clock, quotas
from backend.lib.structs import Struct


def decode_envelopes(body: bytes) -> list[CommandEnvelope]:
    """Envelopes from a request body (one object or a list), each keeping the exact text a signed one signed.

    Decoding turns `issued_at` into a datetime and fills defaults; a signature covers what the device sent,
    so the signed text is taken from the raw JSON (`signing.bind_raw`), not rebuilt from the decoded struct.
    """
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ValidationException(f"the body is not JSON: {exc}") from exc
    items = raw if isinstance(raw, list) else [raw]
    if not items or len(items) > MAX_BATCH:
        raise ValidationException(f"send between 1 and {MAX_BATCH} commands at a time")
    envelopes = []
    for index, item in enumerate(items):
        try:
            envelope = msgspec.convert(item, CommandEnvelope)
        except msgspec.ValidationError as exc:
            raise ValidationException(f"command {index}: {exc}") from exc
        envelopes.append(signing.bind_raw(item, envelope))
    return envelopes


@post("/api/v1/commands", status_code=200, summary="Apply one command or an ordered batch")
async def post_commands(
    request: Request[Any, Any, Any], state: State, data: JSONBody[CommandEnvelope | list[CommandEnvelope]]
) -> CommandBatchResult:
    """Each command answers `applied`, `duplicate` (seen before: the stored result, never applied twice) or
    `rejected` (with a reason code and a reason in the caller's language; nothing changed).
    `server_time` lets the device measure its clock's offset."""
    envelopes = decode_envelopes(await request.body())  # `data` is there for validation and the API schema
    # Counted in commands, not requests; a refused batch is refused whole, and the device's queue waits and keeps
    # its order (429 is "not now" to it). docs/security.md, "Quotas".
    limits = quotas.of(state)
    limits.commands.take(request.user.id, len(envelopes))
    async with limits.turn(request.user.id):
        results = await apply_commands(state.engine, envelopes, request.user)
    return CommandBatchResult(results=results, server_time=clock.iso(clock.now()))


class NonceRequest(Struct):
    count: Annotated[int, msgspec.Meta(ge=1, le=signing.MAX_OUTSTANDING)] = 20


class Nonce(msgspec.Struct, kw_only=True):
    nonce: str
    expires_at: str


class NonceStock(msgspec.Struct, kw_only=True):
    nonces: list[Nonce]
    credential_ids: list[str]  # the officer's live passkeys: the device's allow-list when it signs offline
    server_time: str


@post("/api/v1/signing/nonces", status_code=200, summary="Single-use nonces for signing actions offline")
async def post_nonces(request: Request[Any, Any, Any], data: JSONBody[NonceRequest | None] = None) -> NonceStock:
    """Tops the officer's stock of unused nonces up (at most 50 outstanding); each one signs one action."""
    actor = request.user
    wanted = data.count if data is not None else NonceRequest().count
    issued = await signing.issue_nonces(actor, wanted)
    return NonceStock(
        nonces=[Nonce(**item) for item in issued],
        credential_ids=await signing.credential_ids(actor),
        server_time=clock.iso(clock.now()),
    )


ROUTES = [post_commands, post_nonces]
