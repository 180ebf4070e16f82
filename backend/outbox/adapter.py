"""The one way messages reach the national system: an adapter with a single method (docs/outbox.md).

`deliver(message)` answers `Accepted(reference)` (the upstream has it: delivered), `Refused(reason)` (the upstream
will not take it as it is: a person must act), or raises for "not now" (no answer, an error, a timeout: try again
later). The upstream dedupes by `message_id`, so sending again after a lost answer is safe: exactly once in effect.

`HttpAdapter` speaks the JSON contract of docs/outbox.md to the simulator (backend/outbox/simulator.py) or to a
gateway that implements it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import httpx
import msgspec

from backend.outbox.schemas import OutboundMessage

# httpx logs every request at INFO: one line per delivered message, 10,000 after an outage, and 6-9 % of the
# delivering thread (bench/README.md, "Transit and the outbox"). Failures are logged by the worker.
logging.getLogger("httpx").setLevel(logging.WARNING)


class Accepted(msgspec.Struct, frozen=True):
    reference: str


class Refused(msgspec.Struct, frozen=True):
    reason: str


class NotNow(Exception):
    """The upstream gave no usable answer: the message is sent again later."""


class Adapter(Protocol):
    async def deliver(self, message: OutboundMessage) -> Accepted | Refused: ...


class HttpAdapter:
    """POST {url}/messages with the message as JSON (Idempotency-Key: the message id).

    200/201 `{"status": "accepted", "reference": ...}` -> Accepted; 422 `{"status": "refused", "reason": ...}` ->
    Refused; anything else, no answer within `timeout` seconds, or a network error -> NotNow (raised).
    `transport` is for tests (httpx.ASGITransport around the simulator's app).
    """

    def __init__(self, url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.client = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def deliver(self, message: OutboundMessage) -> Accepted | Refused:
        try:
            # wait_for as well as httpx's timeout: an in-process transport has no network timeout of its own.
            response = await asyncio.wait_for(
                self.client.post(
                    f"{self.url}/messages",
                    content=msgspec.json.encode(message),
                    headers={"content-type": "application/json", "idempotency-key": message.message_id},
                ),
                self.timeout,
            )
        except (httpx.HTTPError, TimeoutError, OSError) as error:
            raise NotNow(f"no answer: {type(error).__name__} {error}".strip()) from error
        try:
            body = response.json()
        except ValueError:
            body = {}
        status = body.get("status") if isinstance(body, dict) else None
        if response.status_code in (200, 201) and status == "accepted" and body.get("reference"):
            return Accepted(str(body["reference"]))
        if response.status_code == 422 and status == "refused":
            return Refused(str(body.get("reason") or "refused without a reason"))
        raise NotNow(f"HTTP {response.status_code}")

    async def close(self) -> None:
        await self.client.aclose()
