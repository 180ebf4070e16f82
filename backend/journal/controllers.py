"""POST /api/v1/commands — the sync endpoint: one envelope or an ordered batch, an answer per command —
and POST /api/v1/signing/ticket, the value a device signs its actions with, online and offline."""

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
from backend.lib import admission, clock, quotas
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


@post("/api/v1/commands", status_code=200, summary="Apply one command or an ordered batch", responses=admission.RESPONSES)
async def post_commands(
    request: Request[Any, Any, Any], state: State, data: JSONBody[CommandEnvelope | list[CommandEnvelope]]
) -> CommandBatchResult:
    """Each command answers `applied`, `duplicate` (seen before: the stored result, never applied twice) or
    `rejected` (with a reason code and a reason in the caller's language; nothing changed).
    `server_time` lets the device measure its clock's offset."""
    # Refused before the quota, so that a batch the server had no room for costs the officer nothing (503 is "not
    # now" to the device, as 429 is). docs/security.md, "Many devices at once".
    in_flight = admission.of(state)
    in_flight.check(request.user.id)
    envelopes = decode_envelopes(await request.body())  # `data` is there for validation and the API schema
    # Counted in commands, not requests; a refused batch is refused whole, and the device's queue waits and keeps
    # its order (429 is "not now" to it). docs/security.md, "Quotas".
    limits = quotas.of(state)
    limits.commands.take(request.user.id, len(envelopes))
    async with limits.turn(request.user.id):
        with in_flight.admitted():
            results = await apply_commands(state.engine, envelopes, request.user)
    return CommandBatchResult(results=results, server_time=clock.iso(clock.now()))


class TicketRequest(Struct):
    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]  # the envelopes' device_id


class Ticket(msgspec.Struct, kw_only=True):
    nonce: str  # goes into a signature's `nonce` field (journal/signing.py)
    issued_at: str
    expires_at: str


class TicketAnswer(msgspec.Struct, kw_only=True):
    officer_code: str  # whose ticket it is: the session's officer (a page opened offline may be another's old copy)
    ticket: Ticket
    credential_ids: list[str]  # the officer's live passkeys: the device's allow-list when it signs offline
    server_time: str


@post("/api/v1/signing/ticket", status_code=200, summary="The device's signing ticket, for signing actions online and offline")
async def post_ticket(request: Request[Any, Any, Any], state: State, data: TicketRequest) -> TicketAnswer:
    """The officer's ticket for this device: the current one, or a new one once it is a day old. It signs any
    number of actions for journal/signing.py TICKET_DAYS; asking again is harmless."""
    actor = request.user
    ticket = await signing.ticket_for(actor, data.device_id)
    if ticket.new:
        quotas.of(state).commands.take(actor.id, 1)  # a new row: counted as a command (a client inventing device ids)
    return TicketAnswer(
        officer_code=actor.code,
        ticket=Ticket(nonce=ticket.nonce, issued_at=clock.iso(ticket.issued_at), expires_at=clock.iso(ticket.expires_at)),
        credential_ids=await signing.credential_ids(actor),
        server_time=clock.iso(clock.now()),
    )


ROUTES = [post_commands, post_ticket]
