"""A simulator of the national system's message gateway, for the demo and the tests (docs/outbox.md).

Its own small Litestar app (`giamsat upstream-sim --port N`), speaking the adapter's contract: POST /messages
answers accepted (with a reference), refused (422, with a reason), or nothing useful (down: 503; timeout: it keeps
the message, then answers too late). POST /messages/batch takes several messages in one request and answers each
as /messages would, in order, in one answer (the modes apply to the whole batch: down is a 503 for all of it,
timeout keeps them all and answers late). A message id it accepted before is answered with the same reference and
stored once: the dedupe that makes at-least-once sending exactly once in effect. POST /control switches its mode,
so a test or a demo can play an outage, refuse one declaration's messages, or play a gateway without the batch
endpoint. What it received is kept in memory, or in a JSON file when given one.

It is a development tool: it has no authentication, so bind it to localhost (the default).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any, Literal

import msgspec
from litestar import Litestar, MediaType, Response, get, post
from litestar.datastructures import State

Mode = Literal["accept", "refuse", "timeout", "down"]


class Control(msgspec.Struct, kw_only=True):
    mode: Mode = "accept"
    reason: str = "Refused by the simulator"  # the refusal's reason (mode "refuse")
    delay_seconds: float = 30.0  # how late a "timeout" answer comes
    # Messages of these declarations are refused (with `reason`) whatever the mode, as a gateway refuses one
    # declaration it cannot take while it takes the others.
    refuse_declarations: list[str] = msgspec.field(default_factory=list)
    batch: bool = True  # False: POST /messages/batch answers 404, as a gateway that speaks only /messages


class Store:
    """What the simulator received: accepted messages by id (with their reference), and every receipt in order."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.accepted: dict[str, dict[str, Any]] = {}
        self.receipts: list[str] = []  # every POST's message id, duplicates included
        self.control = Control()
        if path is not None and path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.accepted = {item["message"]["message_id"]: item for item in data.get("accepted", [])}
            self.receipts = list(data.get("receipts", []))

    def save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps({"accepted": list(self.accepted.values()), "receipts": self.receipts}, ensure_ascii=False))
        os.replace(tmp, self.path)

    def accept(self, message: dict[str, Any], *, save: bool = True) -> str:
        known = self.accepted.get(message["message_id"])
        if known is not None:
            return str(known["reference"])
        reference = f"SIM-{len(self.accepted) + 1:06d}"
        self.accepted[message["message_id"]] = {"reference": reference, "message": message}
        if save:
            self.save()
        return reference

    def judge(self, message: dict[str, Any]) -> dict[str, Any]:
        """One message's answer (not in mode down): accepted with its reference, a message id seen before with the
        same reference and nothing stored again, or refused (mode refuse, or a declaration to refuse). The caller
        saves the store."""
        message_id = str(message["message_id"])
        self.receipts.append(message_id)
        if message_id in self.accepted:  # a resend after a lost answer: the same answer, nothing stored again
            return {"message_id": message_id, "status": "accepted", "reference": self.accept(message), "duplicate": True}
        control = self.control
        if control.mode == "refuse" or (message.get("declaration") or "") in control.refuse_declarations:
            return {"message_id": message_id, "status": "refused", "reason": control.reason}
        return {"message_id": message_id, "status": "accepted", "reference": self.accept(message, save=False)}


def _answer(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(body, status_code=status, media_type=MediaType.JSON)


@post("/messages", status_code=200)
async def receive(state: State, data: dict[str, Any]) -> Response[dict[str, Any]]:
    store: Store = state.store
    message_id = str(data.get("message_id") or "")
    if not message_id:
        return _answer(400, {"status": "invalid", "reason": "message_id is required"})
    control = store.control
    if control.mode == "down":
        return _answer(503, {"status": "unavailable"})
    result = store.judge(data)
    store.save()
    if result["status"] == "refused":
        return _answer(422, {"status": "refused", "reason": result["reason"]})
    if control.mode == "timeout" and not result.get("duplicate"):  # taken, but the answer comes after the sender gave up
        await asyncio.sleep(control.delay_seconds)
    return _answer(200, {key: value for key, value in result.items() if key != "message_id"})


@post("/messages/batch", status_code=200)
async def receive_batch(state: State, data: dict[str, Any]) -> Response[dict[str, Any]]:
    """Several messages in one request: each judged as POST /messages would, in order; one answer with a result per
    message in the same order. Invalid (400) as a whole when a message has no id; down (503) or late (timeout) as a
    whole, as one message would be."""
    store: Store = state.store
    control = store.control
    if not control.batch:
        return _answer(404, {"status": "not_found"})
    messages = data.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) and m.get("message_id") for m in messages):
        return _answer(400, {"status": "invalid", "reason": "messages: a list of messages, each with a message_id"})
    if control.mode == "down":
        return _answer(503, {"status": "unavailable"})
    results = [store.judge(message) for message in messages]
    store.save()
    if control.mode == "timeout" and any(r["status"] == "accepted" and not r.get("duplicate") for r in results):
        await asyncio.sleep(control.delay_seconds)
    return _answer(200, {"results": results})


@get("/messages")
async def received(state: State) -> dict[str, Any]:
    store: Store = state.store
    return {
        "messages": [{"reference": item["reference"], **item["message"]} for item in store.accepted.values()],
        "receipts": store.receipts,
    }


@post("/control", status_code=200)
async def control(state: State, data: Control) -> Control:
    state.store.control = data
    return data


@get("/control")
async def current_control(state: State) -> Control:
    return state.store.control


@get("/health")
async def health(state: State) -> Response[dict[str, Any]]:
    if state.store.control.mode == "down":
        return _answer(503, {"status": "unavailable"})
    return _answer(200, {"status": "ok"})


def create_simulator(store_path: Path | None = None) -> Litestar:
    """The simulator's ASGI app; `store_path`: a JSON file to keep what it received across restarts."""
    return Litestar(route_handlers=[receive, receive_batch, received, control, current_control, health], state=State({"store": Store(store_path)}))
