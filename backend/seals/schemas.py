"""What the seals commands take and what its API answers. Piccolo rows never leave services.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.lib.structs import Struct
from backend.logbook.services import Action

Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
ContainerNumber = Annotated[str, msgspec.Meta(max_length=20)]
SealNumber = Annotated[str, msgspec.Meta(max_length=40)]
Short = Annotated[str, msgspec.Meta(max_length=100)]
Name = Annotated[str, msgspec.Meta(max_length=200)]


UnitKindName = Literal["container", "wagon", "package"]


class ContainerSeal(Struct, kw_only=True):
    """A sealing unit of a record — a container, a rail wagon or a package (Art 41.1.c.1.1) — and the customs seal on
    it ("" when it travels without one). `number`: the container number, the wagon number or the package's marks."""

    number: Annotated[str, msgspec.Meta(max_length=64)]
    seal_number: SealNumber = ""
    kind: UnitKindName = "container"


class GoodsLine(Struct, kw_only=True):
    """A line of unsealable goods in a record: what the representative and the receiving branch check."""

    name: Name
    quantity: Annotated[float, msgspec.Meta(gt=0)]
    unit: Annotated[str, msgspec.Meta(max_length=32)]
    type: Short = ""  # kind of packaging or goods (loại)
    marks: Name = ""  # ký hiệu, số hiệu
    origin: Short = ""  # xuất xứ


class ReceivedContainer(Struct, kw_only=True):
    """What the receiving officer found on a container (or a wagon, or a package)."""

    number: Annotated[str, msgspec.Meta(max_length=64)]
    seal_number: SealNumber = ""
    intact: bool = True  # the seal is whole and untouched
    kind: UnitKindName = "container"


class SealView(msgspec.Struct, kw_only=True):
    id: int
    unit_kind: str
    unit: str
    seal_number: str
    state: str
    scanned: bool
    conflict_with: int | None
    branch_code: str
    location: str
    officer: str
    sealed_at: datetime
    # Once it is no longer on the goods: when, by whom, "replaced" / "cut" / "mistake", and the officer's words.
    ended_at: datetime | None = None
    ended_by: str | None = None
    end_cause: str = ""
    end_reason: str = ""
    # A container consolidated at a CFS (Art 44.2.b.1.2): its consolidation list, and every declaration the one seal
    # covers (the list's, and the transit declaration carrying it on, 44.2.b.2). A seal of one declaration: [].
    cfs_list: int | None = None
    covers: list[str] = []


class CorrectionView(msgspec.Struct, kw_only=True):
    field: str
    container: str
    old_value: str
    new_value: str
    reason: str
    officer: str
    issued_at: datetime


class DecisionView(msgspec.Struct, kw_only=True):
    required: bool
    reason: str
    officer: str
    branch_code: str
    issued_at: datetime


class ConfirmationView(msgspec.Struct, kw_only=True):
    seal_count: int
    record_id: int | None
    officer: str
    branch_code: str
    issued_at: datetime


class RecordView(msgspec.Struct, kw_only=True):
    """A handover record or record of findings, as its pages, its print and its QR read it."""

    id: int
    kind: str
    serial: str
    state: str
    state_label: str
    declaration_number: str
    from_branch_code: str
    from_branch_name: str
    to_branch_code: str
    to_branch_name: str
    containers: list[ContainerSeal]
    goods: list[GoodsLine]
    photos: list[str]  # SHA-256 of each photo: /files/<sha> and /files/<sha>/thumb
    representative_name: str
    representative_signature: str
    note: str
    paper_only: bool
    paper_number: str
    paper_date: date | None
    location: str
    officer: str
    issued_at: datetime
    signed_by: str | None
    signed_at: datetime | None
    handed_over_at: datetime | None
    received_by: str | None
    received_at: datetime | None
    receipt_check: dict[str, Any]
    discrepancy: str
    violation_id: int | None


class Evidence(msgspec.Struct, kw_only=True):
    """Everything recorded about the sealing of one declaration, and who did what when (from the journal)."""

    number: str
    required: bool | None  # the officers' latest decision; None: none made
    sealed: bool
    decisions: list[DecisionView]
    seals: list[SealView]
    corrections: list[CorrectionView]
    confirmation: ConfirmationView | None
    records: list[RecordView]
    actions: list[Action]


class ViolationView(msgspec.Struct, kw_only=True):
    id: int
    record_id: int
    record_serial: str
    declaration_number: str
    by_branch_code: str
    by_branch_name: str
    text: str
    containers: list[ReceivedContainer]
    officer: str
    issued_at: datetime
    location: str = ""
    closed_by: str | None = None
    closed_at: datetime | None = None
    closing_note: str = ""
    # "41.2.b.2": a violation record for the departure branch; "43.1.c.4": found at a bonded warehouse, a proposal
    # to the head of the branch managing it for a physical inspection.
    clause: str = "41.2.b.2"
    forward_to: str = ""  # a departure branch not in giamsat, to pass the violation record on to


class MismatchView(msgspec.Struct, kw_only=True):
    """Goods found not as declared at the sealing of a transit declaration (Art 41.1.c.2), and how it was resolved."""

    id: int
    number: str
    route: str  # "supplement": the declarant guided to supplement; "report": reported to the head of the branch
    differences: str
    units: list[str]
    officer: str
    location: str
    issued_at: datetime
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    resolution: str = ""
    clause: str = "41.1.c.2"
