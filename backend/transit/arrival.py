"""The destination's check on arrival (Decision 1966, Art 41.2.a): what the departure branch recorded, against
which the destination checks the goods, and the check's own rules.

41.2.a.1: with the approval notice (its barcode read, or its number typed where there is no reader), check the
declaration's status, the quantity, the container numbers and the customs seal numbers. 41.2.a.2: check each seal's
state and number, or the goods' details when they were not sealed. What the destination compares with is what the
departure branch recorded, read here and never typed at the destination:
- the declaration's status, quantity and goods from the declarations mirror (upstream's facts);
- the containers as declared, with the corrections found while sealing (seals.services.declared_containers);
- each unit's customs seal as sealed at departure: the latest seal the departure branch put on it that was not
  removed as a mistake (a seal cut since, at the destination, still counts: it is what arrived);
- the goods of a record of findings, for goods that could not be sealed (41.1.c.1.1).
The seals domain's tables are read, never written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from backend.barcodes import payload as barcode_payload
from backend.barcodes.payload import BarcodeError, DocumentKind
from backend.declarations.tables import Declaration
from backend.lib.errors import N_, DomainError
from backend.lib.i18n import gettext
from backend.lib.structs import Struct
from backend.seals.services import declared_containers, seal_ids_of
from backend.seals.tables import HandoverRecord, RecordKind, Seal

Finding = Literal["intact", "broken", "missing"]
FINDINGS: tuple[str, ...] = ("intact", "broken", "missing")
GOODS_FINDINGS: tuple[str, ...] = ("as_recorded", "different")
FINDING_LABELS = {
    "intact": N_("Seal intact, as recorded"),
    "broken": N_("Seal broken or different"),
    "missing": N_("Container missing"),
}
UNSEALED_FINDING_LABELS = {
    "intact": N_("As recorded"),
    "broken": N_("Not as recorded"),
    "missing": N_("Missing"),
}
GOODS_FINDING_LABELS = {
    "as_recorded": N_("The goods are as recorded"),
    "different": N_("The goods are not as recorded"),
}
CARGO_TYPE_LABELS = {"containers": N_("Containers"), "bulk": N_("Bulk or liquid cargo"), "loose": N_("Loose cargo")}
UNIT_KIND_LABELS = {"container": N_("Container"), "wagon": N_("Rail wagon"), "package": N_("Package")}
LINE_SEPARATOR = "|"  # a form's line: "<unit>|<seal at departure>|<finding>" (serialize.js makes no objects)


class CheckLine(Struct, kw_only=True):
    """One unit as the destination found it: its number, its customs seal as sealed at departure ("" if none) and
    the finding."""

    unit: Annotated[str, msgspec.Meta(max_length=64)]
    seal_number: Annotated[str, msgspec.Meta(max_length=40)] = ""
    finding: Annotated[str, msgspec.Meta(max_length=16)]


class _Worded:
    """Another domain's refusal, worded when the refusal that cites it is (in the reader's language)."""

    __slots__ = ("message", "params")

    def __init__(self, message: str, params: dict[str, Any]) -> None:
        self.message, self.params = message, params

    def __str__(self) -> str:
        return gettext(self.message, **self.params)


def _clean(text: str) -> str:
    return "".join((text or "").split()).upper()


async def departure_seals(case: dict[str, Any]) -> list[dict[str, str]]:
    """Each unit's customs seal as the departure branch sealed it: [{unit_kind, unit, seal_number}] in sealing order,
    one per unit (the latest seal the departure branch put on it, unless removed as a mistake)."""
    # Through the seals that cover the declaration: a container sealed at a CFS covers its transit on (Art 44.2.b.2).
    rows = await Seal.select(Seal.id, Seal.unit_kind, Seal.unit, Seal.seal_number, Seal.end_cause).where(
        Seal.id.is_in(await seal_ids_of(case["declaration"]) or [0]) & (Seal.branch == case["departure_branch"])
    ).order_by(Seal.id)
    by_unit: dict[str, dict[str, str]] = {}
    for row in rows:
        if row["end_cause"] == "mistake":
            continue
        by_unit.pop(row["unit"], None)  # the latest seal wins, in the order of the latest sealing
        by_unit[row["unit"]] = {"unit_kind": row["unit_kind"], "unit": row["unit"], "seal_number": row["seal_number"]}
    return list(by_unit.values())


async def expected(case: dict[str, Any]) -> dict[str, Any]:
    """What the destination checks the goods against (module docstring): the declaration's facts, the units with
    their seals at departure, the goods of a record of findings, and whether the goods' details need a finding
    (nothing is sealed on a unit, or part of the goods could not be sealed)."""
    declaration = await Declaration.select(
        Declaration.id, Declaration.number, Declaration.version, Declaration.status_code, Declaration.allows_passage,
        Declaration.cargo_type, Declaration.weight_g, Declaration.package_count, Declaration.goods_description,
    ).where(Declaration.id == case["declaration"]).first()
    seals = await departure_seals(case)
    seal_of = {seal["unit"]: seal for seal in seals}
    units = [
        {"unit_kind": "container", "unit": container["number"], "seal_number": seal_of.pop(container["number"], {}).get("seal_number", "")}
        for container in await declared_containers(case["declaration"])
    ]
    units += list(seal_of.values())  # wagons, packages, and any unit sealed that the declaration does not list
    records = await HandoverRecord.select(HandoverRecord.goods, HandoverRecord.serial).where(
        (HandoverRecord.declaration == case["declaration"]) & (HandoverRecord.kind == RecordKind.FINDINGS.value)
    ).order_by(HandoverRecord.id)
    unsealed = [{**line, "serial": record["serial"]} for record in records for line in msgspec.json.decode(record["goods"] or "[]")]
    return {
        "declaration": declaration,
        "units": units,
        "unsealed_goods": unsealed,
        "needs_goods_finding": not units or bool(unsealed),
    }


def read_notice(keyring: barcode_payload.Keyring, text: str, case: dict[str, Any], version: int) -> tuple[str, int | None]:
    """How the approval notice was read (41.2.a.1): ("barcode", its version) for the notice's signed barcode,
    ("typed", None) for the number typed; refused unless it is this declaration's notice, of its current version."""
    try:
        read = barcode_payload.decode(keyring, text)
    except BarcodeError as error:
        raise DomainError(error.code, N_("%(why)s (Decision 1966, Art 41.2.a.1)"), why=_Worded(error.message, error.params)) from error
    if read.number != case["number"]:
        raise DomainError(
            "notice_other_declaration",
            N_("The notice read is for declaration %(read)s, not %(number)s (Decision 1966, Art 41.2.a.1)."),
            read=read.number, number=case["number"],
        )
    if read.typed:
        return "typed", None
    if read.kind is not DocumentKind.TRANSIT_NOTICE:
        raise DomainError(
            "notice_wrong_document",
            N_("This barcode is not on an approval notice of a transit declaration: scan the notice's barcode (Decision 1966, Art 41.2.a.1)."),
        )
    if read.version != version:
        raise DomainError(
            "notice_old_version",
            N_("The notice was printed for version %(read)d of the declaration; it is at version %(current)d now: ask for the current notice (Decision 1966, Art 41.2.a.1)."),
            read=read.version, current=version,
        )
    return "barcode", read.version


def parse_lines(raw: list[CheckLine | str]) -> list[CheckLine]:
    """The check's lines as objects: a form sends each as "<unit>|<seal at departure>|<finding>"."""
    lines = []
    for item in raw:
        if isinstance(item, CheckLine):
            lines.append(CheckLine(unit=_clean(item.unit), seal_number=_clean(item.seal_number), finding=item.finding.strip()))
            continue
        parts = item.split(LINE_SEPARATOR)
        if len(parts) != 3:
            raise DomainError("bad_check_line", N_("A line of the check must name the unit, its seal and what was found (Decision 1966, Art 41.2.a.2)."))
        lines.append(CheckLine(unit=_clean(parts[0]), seal_number=_clean(parts[1]), finding=parts[2].strip()))
    return lines


def judge(lines: list[CheckLine], goods_finding: str, facts: dict[str, Any]) -> bool:
    """Whether the check found everything as recorded; refused (DomainError, citing 41.2.a.1 or a.2) unless the lines
    name exactly the units the departure branch recorded, each once with its seal at departure and a finding, and
    the goods' details have their finding when they need one."""
    units = facts["units"]
    expected_units = [unit["unit"] for unit in units]
    named = [line.unit for line in lines]
    if sorted(named) != sorted(expected_units) or len(set(named)) != len(named):
        raise DomainError(
            "check_units_differ",
            N_("The check must name each container of the declaration once: %(expected)s (it named %(named)s) (Decision 1966, Art 41.2.a.1)."),
            expected=", ".join(expected_units) or "-", named=", ".join(named) or "-",
        )
    seal_of = {unit["unit"]: _clean(unit["seal_number"]) for unit in units}
    for line in lines:
        if line.seal_number != seal_of[line.unit]:
            raise DomainError(
                "check_seal_differs",
                N_("Container %(unit)s was sealed at departure with %(expected)s, not %(named)s: reload the page (Decision 1966, Art 41.2.a.1)."),
                unit=line.unit, expected=seal_of[line.unit] or "-", named=line.seal_number or "-",
            )
        if line.finding not in FINDINGS:
            raise DomainError(
                "finding_required",
                N_("Say for container %(unit)s whether its seal is intact, broken or different, or the container missing (Decision 1966, Art 41.2.a.2)."),
                unit=line.unit,
            )
    if facts["needs_goods_finding"] and goods_finding not in GOODS_FINDINGS:
        raise DomainError(
            "goods_finding_required",
            N_("Say whether the goods that were not sealed are as recorded (Decision 1966, Art 41.2.a.2)."),
        )
    if not facts["needs_goods_finding"] and goods_finding:
        raise DomainError(
            "goods_finding_not_asked",
            N_("Every unit of this declaration was sealed: the check is the seals' (Decision 1966, Art 41.2.a.2)."),
        )
    return all(line.finding == "intact" for line in lines) and goods_finding in ("", "as_recorded")


def findings_text(lines: list[dict[str, Any]], goods_finding: str, note: str) -> str:
    """The check's findings in the reader's language, one line each that was not as recorded: what the violation
    record form starts from (41.2.b.2)."""
    said = []
    for line in lines:
        if line["finding"] == "intact":
            continue
        kind = gettext(UNIT_KIND_LABELS.get(line.get("unit_kind", "container"), UNIT_KIND_LABELS["container"]))
        if line["seal_number"]:
            said.append(
                gettext("%(kind)s %(unit)s, seal %(seal)s at departure: %(finding)s.", kind=kind, unit=line["unit"], seal=line["seal_number"],
                        finding=gettext(FINDING_LABELS[line["finding"]]).lower())
            )
        else:
            said.append(
                gettext("%(kind)s %(unit)s, no customs seal: %(finding)s.", kind=kind, unit=line["unit"],
                        finding=gettext(UNSEALED_FINDING_LABELS[line["finding"]]).lower())
            )
    if goods_finding == "different":
        said.append(gettext(GOODS_FINDING_LABELS["different"]) + ".")
    if note.strip():
        said.append(note.strip())
    return "\n".join(said)
