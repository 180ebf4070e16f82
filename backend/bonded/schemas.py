"""Quantities and the text formats of lines (parsed on the server, never on the device): goods entering stock
("goods, unit, quantity"), the lines of a release note ("lot, quantity"), and what the officer found loaded
("line, quantity"). Commas, semicolons or tabs separate; blank lines are ignored; a decimal comma is accepted."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext

MAX_LINES = 200
MAX_QUANTITY_M = 10**15  # a thousand billion units: beyond any warehouse, so a typing error of many digits is caught
MAX_GOODS = 500
MAX_UNIT = 24

Problem = tuple[int, str, dict[str, str]]


class Problems:
    """Bad lines, worded when the refusal is read (in the reader's language)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(gettext(N_("line %(line)s: %(problem)s"), line=line, problem=gettext(message, **params)) for line, message, params in self.problems)


def refuse(problems: list[Problem]) -> DomainError:
    return DomainError("invalid_lines", N_("Nothing was saved. Correct these lines: %(lines)s"), lines=Problems(problems))


def quantity_m(text: str | int | float) -> int | None:
    """"120", "12,5", "1850.125" → thousandths; None unless above 0 with at most 3 decimals."""
    try:
        value = Decimal(str(text).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0:
        return None
    milli = value * 1000
    if milli != milli.to_integral_value() or milli > MAX_QUANTITY_M:
        return None
    return int(milli)


def show(milli: int | None) -> str:
    """Thousandths as people write the quantity: "120", "12.5"."""
    if milli is None:
        return ""
    whole, rest = divmod(int(milli), 1000)
    return f"{whole}" if not rest else f"{whole}.{rest:03d}".rstrip("0")


def _rows(text: str) -> list[tuple[int, list[str]]]:
    rows = text.splitlines()
    if len(rows) > MAX_LINES:
        raise DomainError("too_many_lines", N_("At most %(max)s lines."), max=MAX_LINES)
    sample = next((row for row in rows if row.strip()), "")
    delimiter = max(",;\t", key=sample.count) if sample else ","
    found = []
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(rows)), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if any(cells):
            found.append((number, cells))
    return found


@dataclass(frozen=True)
class GoodsDraft:
    goods: str
    unit: str
    quantity_m: int


def parse_goods(text: str) -> list[GoodsDraft]:
    """Goods entering stock, one a line: goods, unit, quantity. Every line is checked; any bad line refuses all."""
    found: list[GoodsDraft] = []
    problems: list[Problem] = []
    for number, cells in _rows(text):
        if len(cells) != 3:
            problems.append((number, N_("a line has three columns: goods, unit, quantity"), {}))
            continue
        goods, unit, raw = " ".join(cells[0].split()), cells[1], cells[2]
        milli = quantity_m(raw)
        if not goods or len(goods) > MAX_GOODS:
            problems.append((number, N_("describe the goods (at most %(max)s characters)"), {"max": str(MAX_GOODS)}))
        elif not unit or len(unit) > MAX_UNIT:
            problems.append((number, N_("name the unit (kiện, thùng, kg, …; at most %(max)s characters)"), {"max": str(MAX_UNIT)}))
        elif milli is None:
            problems.append((number, N_("the quantity must be a number above 0, with at most 3 decimals: %(value)s"), {"value": raw[:20]}))
        else:
            found.append(GoodsDraft(goods, unit, milli))
    if problems:
        raise refuse(problems)
    if not found:
        raise DomainError("no_lines", N_("List the goods: at least one line."))
    return found


COLUMNS = {"lot": N_("a line has two columns: lot number, quantity"), "line": N_("a line has two columns: line number, quantity")}
NOT_A_NUMBER = {"lot": N_("%(value)s is not a lot number"), "line": N_("%(value)s is not a line number")}


def parse_pairs(text: str, what: str) -> list[tuple[int, int]]:
    """Lines of "<lot id or line number>, quantity"; `what` ("lot" or "line") names the first column."""
    found: list[tuple[int, int]] = []
    problems: list[Problem] = []
    for number, cells in _rows(text):
        if len(cells) != 2:
            problems.append((number, COLUMNS[what], {}))
            continue
        milli = quantity_m(cells[1])
        ref = cells[0].lstrip("#")
        if not ref.isdigit() or int(ref) > 2**31:
            problems.append((number, NOT_A_NUMBER[what], {"value": cells[0][:20]}))
        elif milli is None:
            problems.append((number, N_("the quantity must be a number above 0, with at most 3 decimals: %(value)s"), {"value": cells[1][:20]}))
        else:
            found.append((int(ref), milli))
    if problems:
        raise refuse(problems)
    if not found:
        raise DomainError("no_lines", N_("List the goods: at least one line."))
    return found
