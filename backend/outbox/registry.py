"""Which applied commands the national system must learn of: the outbound message kinds, contributed by domains.

A domain declares, in its own `outbound.py`, each command type that is done "trên Hệ thống" in the procedure, with
the kind of message it sends, the clause that says so, and a builder of the message's payload:

    @outbound("transit.register_departure", kind="transit.BOA", clause="41.1.4.a (nghiệp vụ BOA)")
    async def departure(context, payload, result):
        return {"deadline": result["deadline"]}          # or None: this application sends nothing

`load_outbound()` imports every domain's `outbound.py` (backend/domains.py), as the journal loads `commands.py`;
the outbox knows no domain by name. A builder runs inside the command's transaction (it may read the database);
it returns the payload (a JSON-able dict) or None when this particular application has nothing to tell.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from backend.domains import DOMAINS
from backend.journal.registry import CommandContext

Builder = Callable[[CommandContext, Any, dict[str, Any]], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class OutboundSpec:
    command_type: str
    kind: str  # what the upstream is told, e.g. "gate.passage_confirmed"
    clause: str  # Decision 1966's clause that does it "trên Hệ thống"
    build: Builder


# command type -> its message kinds (usually one), in the order they are made
OUTBOUND: dict[str, list[OutboundSpec]] = {}


def outbound(command_type: str, *, kind: str, clause: str) -> Callable[[Builder], Builder]:
    """Register a message kind made when `command_type` is applied; the decorated function builds its payload."""

    def register(build: Builder) -> Builder:
        specs = OUTBOUND.setdefault(command_type, [])
        if any(spec.kind == kind for spec in specs):
            raise RuntimeError(f"outbound kind {kind!r} registered twice for {command_type!r}")
        specs.append(OutboundSpec(command_type, kind, clause, build))
        return build

    return register


def load_outbound() -> dict[str, list[OutboundSpec]]:
    """Import every domain's outbound.py (once), so that its registrations are in OUTBOUND."""
    for domain in DOMAINS:
        module = f"backend.{domain}.outbound"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    return OUTBOUND
