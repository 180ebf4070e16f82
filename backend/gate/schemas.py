"""What the gate API takes and answers: the server's check of what an officer sees against a gate card."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from backend.gate.check import OutsideState, Severity
from backend.lib.structs import Struct


class CheckRequest(Struct, kw_only=True):
    """`POST /api/v1/gate/check`: the declaration and what the officer sees. Leave out what was not presented."""

    number: Annotated[str, msgspec.Meta(max_length=40)]  # as typed or scanned: spaces and dashes ignored
    scanned_version: Annotated[int, msgspec.Meta(ge=1)] | None = None  # from the list's barcode; None when typed
    containers: Annotated[list[Annotated[str, msgspec.Meta(max_length=20)]], msgspec.Meta(max_length=500)] | None = None
    whole_lot: bool = False  # the containers presented are the whole lot (count and missing ones checked)
    weight_kg: Annotated[float, msgspec.Meta(ge=0)] | None = None
    package_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    outside_state: OutsideState | None = None  # border gates (Art 36)
    seals_intact: bool | None = None  # border gates (Art 36)
    border_gate: bool = False  # a road, river or rail border gate: Art 36 applies


class ReasonView(msgspec.Struct, kw_only=True):
    code: str
    clause: str
    severity: Severity
    message: str  # in the caller's language
    params: dict[str, Any]
    by_analogy: bool = False  # the clause is applied by analogy (an export declaration: docs/gate.md)


class VerdictView(msgspec.Struct, kw_only=True):
    number: str
    version: int  # the card's current version
    eligible: bool
    reasons: list[ReasonView]
