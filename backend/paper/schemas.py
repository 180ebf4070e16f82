"""What the paper commands carry: goods lines, and the goods list an officer types (one line per item).

A page form is a flat list of fields (docs/offline.md §1), so the goods of a form 07 are typed in one text
box, one item a line, fields separated by `;`:

    description; quantity; unit; weight in kg; packages; marks
    Gạo trắng 5% tấm; 20; tấn; 20000; 400; VN-01

Description, quantity and unit are needed; weight, packages and marks may be left out. API clients may send
the same text, or the lines as objects (`GoodsLine`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import msgspec

from backend.lib.errors import N_, DomainError
from backend.lib.structs import Struct

MAX_LINES = 50
_NUMBER = re.compile(r"^\d{1,12}([.,]\d{1,4})?$")


class DeclarationKind(StrEnum):
    IMPORT = "import"
    EXPORT = "export"


DECLARATION_KIND_LABELS: dict[str, str] = {
    DeclarationKind.IMPORT: N_("Import"),
    DeclarationKind.EXPORT: N_("Export"),
}


class GoodsLine(Struct, kw_only=True):
    """One line of the goods table of form 07. Numbers are kept as the officer wrote them (decimal text)."""

    description: Annotated[str, msgspec.Meta(max_length=500)]
    quantity: Annotated[str, msgspec.Meta(max_length=20)]
    unit: Annotated[str, msgspec.Meta(max_length=30)]
    weight_kg: Annotated[str, msgspec.Meta(max_length=20)] = ""
    packages: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None
    marks: Annotated[str, msgspec.Meta(max_length=200)] = ""


GoodsInput = Annotated[str, msgspec.Meta(max_length=20_000)] | Annotated[list[GoodsLine], msgspec.Meta(max_length=MAX_LINES)]


NOT_A_NUMBER = {
    "quantity": N_("Goods line %(line)d: the quantity is not a number: %(value)s"),
    "weight": N_("Goods line %(line)d: the weight is not a number: %(value)s"),
    "packages": N_("Goods line %(line)d: the number of packages is not a whole number: %(value)s"),
}


def _decimal(text: str, line: int, field: str) -> str:
    value = text.strip().replace(" ", "")
    if not _NUMBER.match(value):
        raise DomainError("invalid_goods", NOT_A_NUMBER[field], line=line, value=text[:20])
    # "1,50" -> "1.5", "20.0" -> "20" (format "f": never "2E+1"); whole numbers lose leading zeros.
    return format(Decimal(value.replace(",", ".")).normalize(), "f")


def parse_goods_text(text: str) -> list[GoodsLine]:
    """Goods lines from the typed list; raises DomainError `invalid_goods` naming the line that is wrong."""
    lines: list[GoodsLine] = []
    for number, raw in enumerate((row for row in text.splitlines() if row.strip()), start=1):
        fields = [field.strip() for field in raw.split(";")]
        if len(fields) < 3 or len(fields) > 6:
            raise DomainError(
                "invalid_goods",
                N_("Goods line %(line)d: write description; quantity; unit (then weight in kg; packages; marks)."),
                line=number,
            )
        fields += [""] * (6 - len(fields))
        description, quantity, unit, weight, packages, marks = fields
        if packages and not packages.isdigit():
            raise DomainError("invalid_goods", NOT_A_NUMBER["packages"], line=number, value=packages[:20])
        try:
            lines.append(
                msgspec.convert(
                    {"description": description, "quantity": quantity, "unit": unit, "weight_kg": weight,
                     "packages": int(packages) if packages else None, "marks": marks},
                    GoodsLine,
                )
            )
        except msgspec.ValidationError:
            raise DomainError("invalid_goods", N_("Goods line %(line)d is too long."), line=number) from None
    return lines


def clean_goods(goods: str | list[GoodsLine]) -> list[GoodsLine]:
    """The goods lines a command carries, checked: at least one, at most MAX_LINES, each with a description,
    a quantity and a unit; numbers as decimal text (a comma is read as the decimal point)."""
    lines = parse_goods_text(goods) if isinstance(goods, str) else list(goods)
    if not lines:
        raise DomainError("no_goods", N_("List the goods: at least one line."))
    if len(lines) > MAX_LINES:
        raise DomainError("too_many_goods", N_("At most %(count)d goods lines on one form."), count=MAX_LINES)
    cleaned = []
    for number, line in enumerate(lines, start=1):
        if not line.description.strip() or not line.unit.strip():
            raise DomainError(
                "invalid_goods", N_("Goods line %(line)d: the description, quantity and unit are needed."), line=number
            )
        cleaned.append(
            GoodsLine(
                description=line.description.strip(),
                quantity=_decimal(line.quantity, number, "quantity"),
                unit=line.unit.strip(),
                weight_kg=_decimal(line.weight_kg, number, "weight") if line.weight_kg.strip() else "",
                packages=line.packages,
                marks=line.marks.strip(),
            )
        )
    return cleaned


def goods_json(lines: list[GoodsLine]) -> str:
    return msgspec.json.encode(lines).decode()


def goods_from_json(text: str) -> list[GoodsLine]:
    return msgspec.json.decode(text, type=list[GoodsLine])

