"""What the upstream gateway sends for one declaration, what each item's upsert answers, and what a lookup shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.lib.structs import Struct

MAX_BATCH = 1000


class ContainerItem(Struct, kw_only=True):
    number: Annotated[str, msgspec.Meta(max_length=20)]  # ISO 6346: owner code, category, serial, check digit
    seal: Annotated[str, msgspec.Meta(max_length=32)] = ""  # the carrier's seal number


class WarningItem(Struct, kw_only=True):
    text: Annotated[str, msgspec.Meta(max_length=2000)]
    source: Annotated[str, msgspec.Meta(max_length=32)] = "upstream"  # "xray" for form 03/KQSCT/GSQL (Art 35.4)


class TransitFacts(Struct, kw_only=True):
    """What the declarant registered on a transit declaration (Decision 1966, Arts 41-42), as upstream sends it.

    Facts of the national system, never typed by an officer: the transit domain (backend/transit) builds its case
    from them, and their changes are the upstream events of its state machine (docs/transit.md):
    - `destination_branch_code`: the branch where the goods are transported to (Chi cục Hải quan nơi hàng hóa
      vận chuyển đến); the branch of registration is the departure branch (Art 41.1);
    - `transit_hours`: the transit time the declarant registered and customs accepted (Art 41.1.4.b);
    - `exit_mode`: for exports leaving through a road, river, inland-waterway or international rail border gate,
      that mode (arrival is then confirmed in two steps, Art 41.2.b.1.1); empty otherwise;
    - `combined_case`: for a combined transit declaration, the case of Art 42.1 (a, b, c, d or đ);
    - `supplements`: how many COT/COT11 supplements the declarant filed (each one raises it, Art 41.1.b.2.2);
    - `amendment_kind`, `amendments`: the last COR (amendment) or CAN (cancellation) filed and how many were filed
      (each one raises it, Art 41.3).
    """

    destination_branch_code: Annotated[str, msgspec.Meta(max_length=16)]
    transit_hours: int = 0
    exit_mode: Literal["", "road", "river", "inland_waterway", "rail"] = ""
    combined_case: Literal["", "a", "b", "c", "d", "đ"] = ""
    supplements: Annotated[int, msgspec.Meta(ge=0)] = 0
    amendment_kind: Literal["", "COR", "CAN"] = ""
    amendments: Annotated[int, msgspec.Meta(ge=0)] = 0


class DeclarationUpsert(Struct, kw_only=True):
    """One declaration as the upstream system sends it (API item, JSON import item, CSV row).

    Field types are checked by msgspec; what the gate depends on (number, kind, lane, branch, containers and their
    check digits, the cargo's measure) by `services.validate_item`, which names the field and says what is wrong.
    """

    number: str
    kind: str
    version: int = 1
    status_code: Annotated[str, msgspec.Meta(max_length=32)]
    allows_passage: bool
    lane: int
    branch_code: str
    seal_required: bool = False
    sealed: bool = False
    cargo_type: str
    containers: list[ContainerItem] = []
    weight_kg: float | None = None
    package_count: int | None = None
    goods_description: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    warnings: list[WarningItem] = []
    # Location codes of the places where the goods are declared to be supervised (port or border gate of loading
    # or exit, warehouse of storage); the giamsat locations among them make their branches concerned.
    places: Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(max_length=20)] = []
    # Transit declarations only: what the declarant registered for the transit (an item without it keeps the
    # stored facts).
    transit: TransitFacts | None = None


class ItemResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What happened to one item of a batch."""

    number: str
    status: Literal["created", "updated", "unchanged", "refused"]
    code: str | None = None  # why it was refused, for programs
    reason: str | None = None  # why it was refused, in the caller's language
    field: str | None = None  # the field at fault, when one is


class UpsertBatchResult(msgspec.Struct, kw_only=True):
    results: list[ItemResult]


class ContainerView(msgspec.Struct, kw_only=True):
    number: str
    seal_number: str


class WarningView(msgspec.Struct, kw_only=True):
    text: str
    source: str


class HistoryView(msgspec.Struct, kw_only=True):
    version: int
    change: str  # created | updated
    fields: list[str]
    detail: dict
    source: str
    changed_at: datetime


class DeclarationView(msgspec.Struct, kw_only=True):
    """A declaration as a lookup shows it (IID / IEX / ITF): the mirror's fields, its containers, warnings, history."""

    number: str
    kind: str
    version: int
    status_code: str
    allows_passage: bool
    lane: int
    branch_code: str
    branch_name: str
    seal_required: bool
    sealed: bool
    cargo_type: str
    weight_kg: float | None
    package_count: int | None
    goods_description: str
    places: list[str] = []  # location codes where upstream says the goods are supervised
    transit: TransitFacts | None = None  # transit declarations: what the declarant registered for the transit
    updated_at: datetime
    containers: list[ContainerView]
    warnings: list[WarningView]
    history: list[HistoryView]  # newest first
