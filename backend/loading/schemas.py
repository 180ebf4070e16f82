"""What a plan is made of, and the container list's CSV format (parsed on the server, never on the device)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import StrEnum

from backend.barcodes import iso6346
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext


class PlanKind(StrEnum):
    TRANSHIPMENT = "transhipment"  # chuyển tải (Art 40.1)
    SHIP_TO_SHIP = "ship_to_ship"  # sang mạn (Art 40.1)
    LOADING = "loading"  # xếp hàng tại kho, bãi, cảng (Art 40.2)
    UNLOADING = "unloading"  # dỡ hàng tại kho, bãi, cảng (Art 40.2)


KIND_LABELS: dict[str, str] = {
    PlanKind.TRANSHIPMENT: N_("Transhipment (Art 40.1)"),
    PlanKind.SHIP_TO_SHIP: N_("Ship-to-ship transfer (Art 40.1)"),
    PlanKind.LOADING: N_("Loading at the warehouse, yard or port (Art 40.2)"),
    PlanKind.UNLOADING: N_("Unloading at the warehouse, yard or port (Art 40.2)"),
}
KIND_CLAUSE = {PlanKind.TRANSHIPMENT: "40.1", PlanKind.SHIP_TO_SHIP: "40.1", PlanKind.LOADING: "40.2", PlanKind.UNLOADING: "40.2"}


class Method(StrEnum):
    """The ways of customs supervision (Customs Law 2014, Art 38.2): the head decides which one applies."""

    DIRECT = "direct"  # giám sát trực tiếp do công chức hải quan thực hiện
    EQUIPMENT = "equipment"  # giám sát bằng thiết bị kỹ thuật (camera)
    SEAL = "seal"  # niêm phong hải quan


METHOD_LABELS: dict[str, str] = {
    Method.DIRECT: N_("Direct supervision by customs officers"),
    Method.EQUIPMENT: N_("Supervision by technical equipment (cameras)"),
    Method.SEAL: N_("Customs seals"),
}

MAX_LINES = 2000  # a ship's whole load; more is a file of another kind
HEADER_WORDS = ("container", "cont", "số container", "so container", "so_container")


class LineProblems:
    """The bad lines of a container list, worded when the refusal is read (in the reader's language)."""

    def __init__(self, problems: list[tuple[int, str, dict[str, str]]]) -> None:
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(gettext(N_("line %(line)s: %(problem)s"), line=line, problem=gettext(message, **params)) for line, message, params in self.problems)


@dataclass(frozen=True)
class ContainerLine:
    line: int  # the line of the file (or of the box), counted from 1
    number: str
    seal_number: str = ""
    declaration_number: str = ""
    note: str = ""


def parse_containers(text: str) -> list[ContainerLine]:
    """The container list of a plan from CSV text: one container a line — number, seal number, declaration number,
    note; all but the number may be left out. Commas, semicolons or tabs separate (as spreadsheets save it); a first
    line naming the columns is skipped. Every bad line is reported with its number and nothing is kept: DomainError
    `invalid_container_lines`."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise DomainError("too_many_lines", N_("A container list has at most %(max)s lines."), max=MAX_LINES)
    sample = next((line for line in lines if line.strip()), "")
    delimiter = max(",;\t", key=sample.count) if sample else ","
    found: list[ContainerLine] = []
    seen: dict[str, int] = {}
    problems: list[tuple[int, str, dict[str, str]]] = []
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not found and not problems and cells[0].lower() in HEADER_WORDS:
            continue  # the columns' names
        if len(cells) > 4:
            problems.append((number, N_("more than four columns (container, seal, declaration, note)"), {}))
            continue
        container, seal, declaration, note = (cells + ["", "", "", ""])[:4]
        verdict = iso6346.check(container)
        if not verdict.valid:
            if verdict.hints:
                problems.append((number, N_("container number %(number)s is not valid (ISO 6346); did you mean %(hints)s?"), {"number": verdict.number[:20], "hints": ", ".join(verdict.hints)}))
            else:
                problems.append((number, N_("container number %(number)s is not valid (ISO 6346)"), {"number": verdict.number[:20]}))
            continue
        if verdict.number in seen:
            problems.append((number, N_("container %(number)s is already on line %(first)s"), {"number": verdict.number, "first": str(seen[verdict.number])}))
            continue
        if len(seal) > 32 or len(declaration) > 64 or len(note) > 200:
            problems.append((number, N_("a seal number has at most 32 characters, a declaration number 64, a note 200"), {}))
            continue
        if declaration and not declaration.isdigit():
            problems.append((number, N_("declaration number %(number)s is not digits"), {"number": declaration[:64]}))
            continue
        seen[verdict.number] = number
        found.append(ContainerLine(number, verdict.number, seal.upper(), declaration, note))
    if problems:
        raise DomainError(
            "invalid_container_lines",
            N_("Nothing was saved. Correct these lines of the container list: %(lines)s"),
            lines=LineProblems(problems),
        )
    return found
