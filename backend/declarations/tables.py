"""The declarations mirror: what the gate needs of each customs declaration, as the upstream system last sent it.

Written only by `declarations.services.upsert_many` (the upstream gateway's API, the import command, the demo);
every change leaves a `DeclarationHistory` row, so a lookup shows how the declaration came to be what it is.
"""

from enum import IntEnum, StrEnum

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from backend.lib.errors import N_
from backend.officers.tables import Branch


class DeclarationKind(StrEnum):
    IMPORT = "import"  # tờ khai nhập khẩu
    EXPORT = "export"  # tờ khai xuất khẩu
    INDEPENDENT_TRANSIT = "independent_transit"  # vận chuyển độc lập (Art 41)
    COMBINED_TRANSIT = "combined_transit"  # vận chuyển kết hợp (Art 42)


# How a kind is shown to people (msgids).
KIND_LABELS: dict[str, str] = {
    DeclarationKind.IMPORT: N_("Import"),
    DeclarationKind.EXPORT: N_("Export"),
    DeclarationKind.INDEPENDENT_TRANSIT: N_("Independent transit"),
    DeclarationKind.COMBINED_TRANSIT: N_("Combined transit"),
}


class CargoType(StrEnum):
    CONTAINERS = "containers"  # checked container by container
    BULK = "bulk"  # bulk or liquid: checked by weight
    LOOSE = "loose"  # loose packages: checked by package count


class Lane(IntEnum):
    """Mã phân loại kiểm tra."""

    GREEN = 1
    YELLOW = 2
    RED = 3


class Declaration(Table, tablename="declaration"):
    """A customs declaration (tờ khai hải quan), as mirrored from upstream."""

    number = Varchar(length=12, unique=True, index=True)
    kind = Varchar(length=24, choices=DeclarationKind)
    version = Integer(default=1)  # a supplementary declaration (tờ khai bổ sung) raises it
    status_code = Varchar(length=32)
    allows_passage = Boolean(default=False)  # the status allows passing the supervision zone
    lane = Integer(default=1)
    branch = ForeignKey(references=Branch, null=False)  # branch of registration
    seal_required = Boolean(default=False)
    sealed = Boolean(default=False)
    cargo_type = Varchar(length=16, choices=CargoType)
    weight_g = BigInt(null=True, default=None)  # bulk / liquid: grams, so that kg with 3 decimals stay exact
    package_count = Integer(null=True, default=None)  # loose cargo
    goods_description = Text(default="")
    # Codes of the places upstream names for the goods (port or border gate of loading or exit, warehouse of
    # storage), as a JSON list. The branches of those places are concerned with the goods (seals/policy.py): a
    # fact the upstream system states, which a branch cannot make up by itself.
    places = Text(default="[]")
    # Transit declarations: the facts the declarant registered for the transit (schemas.TransitFacts) as JSON, ""
    # for other kinds. Opaque here; backend/transit reads them (its case, its upstream events).
    transit = Text(default="")
    source = Varchar(length=64, default="")  # who sent the last change: api:<officer code>, import, demo
    updated_at = Timestamptz(default=TimestamptzNow())


class DeclarationContainer(Table, tablename="declaration_container"):
    """A container declared on a declaration, with the carrier's seal number."""

    declaration = ForeignKey(references=Declaration, null=False, index=True)
    position = Integer(default=0)  # the order upstream listed it in
    number = Varchar(length=11)  # ISO 6346, check digit verified
    seal_number = Varchar(length=32, default="")


class DeclarationWarning(Table, tablename="declaration_warning"):
    """A warning the gate must see, e.g. an X-ray finding (form 03/KQSCT/GSQL, Art 35.4)."""

    declaration = ForeignKey(references=Declaration, null=False, index=True)
    position = Integer(default=0)
    text = Text()
    source = Varchar(length=32, default="upstream")  # "xray" for form 03/KQSCT, "upstream" otherwise


class DeclarationHistory(Table, tablename="declaration_history"):
    """One row per change of a declaration: its version after the change, which fields changed, from what to what."""

    declaration = ForeignKey(references=Declaration, null=False, index=True)
    version = Integer()
    change = Varchar(length=16)  # "created" | "updated"
    fields = Text(default="")  # the changed field names, comma-separated
    detail = Text(default="{}")  # JSON: {field: [before, after]}; the whole declaration when created
    source = Varchar(length=64, default="")
    changed_at = Timestamptz(default=TimestamptzNow())
