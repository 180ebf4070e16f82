"""The one way messages reach the national system: an adapter (docs/outbox.md, "The adapter's contract").

`deliver_batch(messages)` answers one outcome per message, in the messages' order: `Accepted(reference)` (the
upstream has it: delivered), `Refused(reason)` (the upstream will not take it as it is: a person must act), or
`NotNow(reason)` (no usable answer for it: try again later). It may also raise for the whole batch, which counts as
"not now" for every message of it. `deliver(message)` is the single-message form: it answers Accepted or Refused,
or raises NotNow. The upstream dedupes by `message_id`, so sending again after a lost answer is safe: exactly once
in effect.

`HttpAdapter` speaks the JSON contract of docs/outbox.md to the simulator (backend/outbox/simulator.py) or to a
gateway that implements it: a batch in one POST to `{url}/messages/batch`, or, when the gateway has no batch
endpoint (404 or 405), each message in turn to `{url}/messages`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol, Sequence

import httpx
import msgspec

from backend.outbox.schemas import OutboundMessage

logger = logging.getLogger("giamsat.outbox")

# httpx logs every request at INFO: one line per delivered message, 10,000 after an outage, and 6-9 % of the
# delivering thread (bench/README.md, "Transit and the outbox"). Failures are logged by the worker.
logging.getLogger("httpx").setLevel(logging.WARNING)

# After the gateway answered 404/405 for the batch endpoint, messages go one by one for this long before the batch
# endpoint is tried again (a gateway upgraded meanwhile is used without a restart).
SINGLE_FOR_SECONDS = 600.0
# Sending a batch one message at a time starts no new message after this long, so the pass answers well within its
# lease (services.LEASE_SECONDS, 60 s) even if each message takes nearly the timeout: the rest wait for the next pass.
ONE_BY_ONE_BUDGET_SECONDS = 30.0


class Accepted(msgspec.Struct, frozen=True):
    reference: str


class Refused(msgspec.Struct, frozen=True):
    reason: str


class NotNow(Exception):
    """The upstream gave no usable answer: the message is sent again later. Raised by `deliver` (and by
    `deliver_batch` for the whole batch), or returned by `deliver_batch` as the outcome of one message."""

    @property
    def reason(self) -> str:
        return str(self) or type(self).__name__


Outcome = Accepted | Refused | NotNow


class Adapter(Protocol):
    async def deliver_batch(self, messages: Sequence[OutboundMessage]) -> list[Outcome]: ...


class HttpAdapter:
    """The HTTP/JSON contract of docs/outbox.md.

    `deliver_batch` POSTs `{url}/messages/batch` with `{"messages": [...]}`: 200 with `{"results": [...]}`, one
    result per message in order (`accepted` with a reference, `refused` with a reason, `not_now`) -> those outcomes;
    404/405 -> the gateway has no batch endpoint: each message through `deliver`, in order, for SINGLE_FOR_SECONDS;
    anything else, no answer within `timeout` seconds, or a network error -> NotNow for every message.

    `deliver` POSTs `{url}/messages` with one message (Idempotency-Key: the message id): 200/201
    `{"status": "accepted", "reference": ...}` -> Accepted; 422 `{"status": "refused", "reason": ...}` -> Refused;
    anything else, no answer in time, or a network error -> NotNow (raised).
    `transport` is for tests (httpx.ASGITransport around the simulator's app).
    """

    def __init__(self, url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.client = httpx.AsyncClient(transport=transport, timeout=timeout)
        self.single_until = 0.0  # time.monotonic() until which the batch endpoint is not tried (it answered 404)

    async def _post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        try:
            # wait_for as well as httpx's timeout: an in-process transport has no network timeout of its own.
            return await asyncio.wait_for(
                self.client.post(
                    f"{self.url}{path}", content=body, headers={"content-type": "application/json", **(headers or {})}
                ),
                self.timeout,
            )
        except (httpx.HTTPError, TimeoutError, OSError) as error:
            raise NotNow(f"no answer: {type(error).__name__} {error}".strip()) from error

    async def deliver(self, message: OutboundMessage) -> Accepted | Refused:
        response = await self._post("/messages", msgspec.json.encode(message), {"idempotency-key": message.message_id})
        body = _json(response)
        status = body.get("status")
        if response.status_code in (200, 201) and status == "accepted" and body.get("reference"):
            return Accepted(str(body["reference"]))
        if response.status_code == 422 and status == "refused":
            return Refused(str(body.get("reason") or "refused without a reason"))
        raise NotNow(f"HTTP {response.status_code}")

    async def deliver_batch(self, messages: Sequence[OutboundMessage]) -> list[Outcome]:
        if not messages:
            return []
        if time.monotonic() < self.single_until:
            return await self._one_by_one(messages)
        try:
            response = await self._post("/messages/batch", msgspec.json.encode({"messages": list(messages)}))
        except NotNow as error:
            return [error] * len(messages)
        if response.status_code in (404, 405):
            logger.warning("outbox: the upstream has no batch endpoint (HTTP %s); sending one message per request for "
                           "%.0f s", response.status_code, SINGLE_FOR_SECONDS)
            self.single_until = time.monotonic() + SINGLE_FOR_SECONDS
            return await self._one_by_one(messages)
        return _batch_outcomes(response, messages)

    async def _one_by_one(self, messages: Sequence[OutboundMessage]) -> list[Outcome]:
        """Each message in turn through `deliver`; after the first no-answer, the rest are not sent (NotNow): the
        upstream is not answering, as a batch that got no answer. Nor after ONE_BY_ONE_BUDGET_SECONDS."""
        outcomes: list[Outcome] = []
        stop_at = time.monotonic() + ONE_BY_ONE_BUDGET_SECONDS
        for message in messages:
            if time.monotonic() > stop_at:
                late = NotNow(f"not sent in this pass: one message per request took over {ONE_BY_ONE_BUDGET_SECONDS:g} s")
                outcomes += [late] * (len(messages) - len(outcomes))
                break
            try:
                outcomes.append(await self.deliver(message))
            except NotNow as error:
                outcomes.append(error)
                rest = NotNow(f"not sent: the upstream did not answer an earlier message ({error.reason})")
                outcomes += [rest] * (len(messages) - len(outcomes))
                break
        return outcomes

    async def close(self) -> None:
        await self.client.aclose()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _batch_outcomes(response: httpx.Response, messages: Sequence[OutboundMessage]) -> list[Outcome]:
    """The outcomes of a batch's answer; an answer that is not the contract's (another status, a result missing or
    naming another message) is no usable answer: NotNow for every message."""
    results = _json(response).get("results")
    if response.status_code != 200 or not isinstance(results, list):
        return [NotNow(f"HTTP {response.status_code}")] * len(messages)
    if len(results) != len(messages):
        return [NotNow(f"{len(results)} results for {len(messages)} messages")] * len(messages)
    outcomes: list[Outcome] = []
    for message, result in zip(messages, results):
        if not isinstance(result, dict) or result.get("message_id") != message.message_id:
            return [NotNow("the results do not name the messages in their order")] * len(messages)
        status = result.get("status")
        if status == "accepted" and result.get("reference"):
            outcomes.append(Accepted(str(result["reference"])))
        elif status == "refused":
            outcomes.append(Refused(str(result.get("reason") or "refused without a reason")))
        else:  # "not_now", or anything else: this message is sent again later
            outcomes.append(NotNow(f"not now: {result.get('reason') or status}"))
    return outcomes
