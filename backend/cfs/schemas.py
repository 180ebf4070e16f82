"""What a line of a consolidation list is made of, and the list's CSV format (parsed on the server, never on the
device). Form 25/DMXK-CFS/GSQL lists, per export declaration consolidated in the container, the goods, the number
of packages and the weight."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext

MAX_LINES = 500  # one container's consolidated goods; a 40' container rarely holds more than a few dozen lots
MAX_GOODS = 500
MAX_PACKAGES = 1_000_000
MAX_WEIGHT_G = 100_000_000  # 100 t: more than any container's payload, so a typo of a few digits is caught
HEADER_WORDS = ("declaration", "số tờ khai", "so to khai", "tờ khai", "to khai", "so_to_khai", "declaration_number")

Problem = tuple[int, str, dict[str, str]]


class LineProblems:
    """The bad lines of a list, worded when the refusal is read (in the reader's language)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(gettext(N_("line %(line)s: %(problem)s"), line=line, problem=gettext(message, **params)) for line, message, params in self.problems)


def refuse_lines(problems: list[Problem]) -> DomainError:
    """Every bad line at once, and the promise that nothing was kept (the handler raises before writing)."""
    return DomainError("invalid_lines", N_("Nothing was saved. Correct these lines of the list: %(lines)s"), lines=LineProblems(problems))


@dataclass(frozen=True)
class LineDraft:
    """A line as typed or read from the file, its declaration not yet looked up (commands.py does that)."""

    line: int  # the line of the file (1 for a line typed on the phone)
    declaration: str  # as typed or scanned: a 12-digit number or a declaration's barcode payload
    goods: str
    packages: int
    weight_g: int


def weight_grams(text: str) -> int | None:
    """"1250", "1250.5", "1250,5" (a Vietnamese keyboard's decimal comma) kg → grams; None unless a positive weight
    with at most 3 decimals and at most MAX_WEIGHT_G."""
    try:
        kg = Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None
    if not kg.is_finite() or kg <= 0:
        return None
    grams = kg * 1000
    if grams != grams.to_integral_value() or grams > MAX_WEIGHT_G:
        return None
    return int(grams)


def check_line(line: int, declaration: str, goods: str, packages: str | int, weight_kg: str | float) -> LineDraft | Problem:
    """One line's fields checked (the declaration only for being there); a LineDraft, or the problem with it."""
    declaration, goods = declaration.strip(), " ".join(goods.split())
    if not declaration:
        return (line, N_("the declaration number is missing"), {})
    if not goods or len(goods) > MAX_GOODS:
        return (line, N_("describe the goods (at most %(max)s characters)"), {"max": str(MAX_GOODS)})
    try:
        count = int(str(packages).strip())
    except ValueError:
        count = 0
    if not 0 < count <= MAX_PACKAGES:
        return (line, N_("the number of packages must be a whole number above 0: %(value)s"), {"value": str(packages)[:20]})
    grams = weight_grams(str(weight_kg))
    if grams is None:
        return (line, N_("the weight must be in kg above 0, with at most 3 decimals: %(value)s"), {"value": str(weight_kg)[:20]})
    return LineDraft(line, declaration[:80], goods, count, grams)


def parse_lines(text: str) -> tuple[list[LineDraft], list[Problem]]:
    """The lines of a list from CSV text: one line a lot — declaration number, goods, packages, weight in kg.
    Commas, semicolons or tabs separate (as spreadsheets save it); a first line naming the columns is skipped; blank
    lines are ignored. Every line is checked: the good ones and every problem, by the file's line number."""
    rows = text.splitlines()
    if len(rows) > MAX_LINES + 1:
        raise DomainError("too_many_lines", N_("A consolidation list has at most %(max)s lines."), max=MAX_LINES)
    sample = next((row for row in rows if row.strip()), "")
    delimiter = max(",;\t", key=sample.count) if sample else ","
    found: list[LineDraft] = []
    problems: list[Problem] = []
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(rows)), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not found and not problems and cells[0].lower() in HEADER_WORDS:
            continue  # the columns' names
        if len(cells) != 4:
            problems.append((number, N_("a line has four columns: declaration, goods, packages, weight (kg)"), {}))
            continue
        checked = check_line(number, *cells)
        if isinstance(checked, LineDraft):
            found.append(checked)
        else:
            problems.append(checked)
    return found, problems
