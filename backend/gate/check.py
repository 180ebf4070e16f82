"""The gate check (Decision 1966/QĐ-TCHQ Art 35.2 at ports, airports, ICDs; Art 36.2 at road, river and rail border
gates): what the officer sees, compared with the declaration's gate card, gives a verdict.

Pure: no database, no request, no clock. The same rules run on the server (`POST /api/v1/gate/check`, and when a
confirmation command is applied) and, later, on the device from its replicated gate cards; `RULES` is the one list.

Each rule is a small function `(card, presented, at) -> list[Reason]`. A reason carries a stable `code`, the clause it
comes from, a severity, and an English msgid with its parameters, worded in the reader's language only when shown
(`Reason.text`). The verdict is eligible when no reason is blocking.

Which article a reason cites (docs/gate.md, "Which article applies"): Art 35 at seaports, inland ports, ICDs and
airports, Art 36 at road, river and rail border gates. Both are written for import goods (Part V sections 4 and 5),
and both name the transit approval notice among the documents the officer checks (35.2.a, 36.2.a; Art 41.1.c.1.3
sends a copy with the goods for the gate, and Art 42.2 supervises combined transit "per mode of transport" under
Part V), so import and transit declarations cite them directly. The articles for export goods at the gate are not in
the procedure text giamsat holds (seed 004 begins at Art 35): an export declaration is checked with the same points,
and each of its reasons says so (`by_analogy`), never as if Art 35/36 named export goods.

Decisions (docs/gate.md):
- The inspection lane is information, never a reason to refuse by itself: the gate checks the declaration's status
  (35.2.a.1 / 36.2.b.1), and the lane's outcome is already in the status (a red-lane declaration reaches an eligible
  status only after its inspection; "Đưa hàng về địa điểm kiểm tra" exists only for red lanes, Art 43.1.b).
- An X-ray warning (form 03/KQSCT/GSQL) blocks by default: the goods go to inspection. 35.4 / 36.4 only defer to
  Art 4.2.a, which is not in the procedure text giamsat holds, so blocking is giamsat's reading and a setting
  (`GateRules.xray_warnings_block`, GIAMSAT_XRAY_WARNINGS_BLOCK). Other system warnings (35.2.a.3; at a border gate
  36.2.c.2.1, the only point of Art 36.2 that names the system's warnings) are shown as warnings; the officer reads
  them, they do not refuse by themselves.
- Trucks pass one at a time: unless `Presented.whole_lot`, presenting some of the declared containers is fine (each is
  checked against the card); only with `whole_lot` are missing containers and the count checked.
- At a border gate (Art 36.2.b) the officer also compares the goods' outside state: damaged goods or broken seals are
  not allowed out (36.2.c.2.3). Weight and package count are compared when presented (Art 35.2.a.2 names them; Art
  36.2.b.2 asks for the goods' original state instead, so there they are checked only if the officer enters them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec

from backend.barcodes import iso6346
from backend.lib.errors import N_
from backend.lib.i18n import gettext, translate_in

# Bulk and liquid cargo: how far the weighed weight may be from the declared one, by default. The procedure sets no
# figure (35.2.a.2 says only "trọng lượng hàng"): this is giamsat's rule, a setting (GIAMSAT_WEIGHT_TOLERANCE_PERCENT).
# 2 % covers a road weighbridge's error (OIML R76 class III, about 0.1–0.2 % near full load), moisture and
# evaporation of bulk and liquid cargo between weighings, and a draft survey's error at the quay (~0.5–1 %).
# Beyond it the lot does not match and goes to the supervisor (35.2.b.2.3).
WEIGHT_TOLERANCE_PERCENT = 2.0


class GateRules(msgspec.Struct, kw_only=True, frozen=True):
    """The check's rules that are giamsat's, not the procedure's: settings (backend/settings.py `GateSettings`),
    handed to the device with the gate page (gate/_check_messages.html, `gate-check-rules`) so that its twin
    (gate-check.js) gives the same verdict."""

    weight_tolerance_percent: float = WEIGHT_TOLERANCE_PERCENT
    xray_warnings_block: bool = True  # 35.4 / 36.4 defer to Art 4.2.a (not in the seed): giamsat's reading


DEFAULT_RULES = GateRules()


# --- the messages ----------------------------------------------------------------------------------------------
# Every msgid the rules use, as constants, and `MESSAGES`, the list of them: the device words its verdicts from a
# catalog of exactly these (frontend/templates/gate/_check_messages.html, frontend/static/js/gate-check.js).

STATUS_NOT_ELIGIBLE = N_("Declaration status %(status)s does not allow the goods to pass the supervision zone.")
BARCODE_EXPIRED = N_(
    "The barcode (version %(scanned)s) expired by a supplementary declaration (now version %(current)s): "
    "reprint the list at the registering branch %(branch)s."
)
SEAL_NOT_CONFIRMED = N_("The goods must be sealed and the sealing is not confirmed: present the goods for sealing.")
CONTAINERS_NOT_DECLARED = N_("Containers were presented but the declaration is for %(cargo)s cargo.")
CONTAINER_CHECK_DIGIT = N_(
    "Container %(number)s has a wrong check digit (expected %(digit)s). Did you mean: %(hints)s?"
)
CONTAINER_SHAPE = N_("%(number)s is not an ISO 6346 container number. Did you mean: %(hints)s?")
CONTAINER_REPEATED = N_("Container %(number)s was presented twice.")
CONTAINER_NOT_DECLARED = N_("Container %(number)s is not on the declaration.")
CONTAINER_MISSING = N_("Declared container %(number)s was not presented.")
CONTAINER_COUNT = N_("%(presented)s containers presented, %(declared)s declared.")
WEIGHT_NOT_DECLARED = N_("A weight was presented but the declaration is for %(cargo)s cargo.")
WEIGHT_MISMATCH = N_(
    "Weighed %(presented)s kg, declared %(declared)s kg: %(off)s%% off, beyond the %(tolerance)s%% "
    "tolerance for weighbridge error and moisture or evaporation."
)
PACKAGES_NOT_DECLARED = N_("A package count was presented but the declaration is for %(cargo)s cargo.")
PACKAGE_COUNT_MISMATCH = N_("%(presented)s packages counted, %(declared)s declared.")
XRAY_WARNING = N_("X-ray warning (form 03/KQSCT/GSQL): %(text)s. The goods go to inspection.")
SYSTEM_WARNING = N_("System warning: %(text)s")
YELLOW_LANE = N_("Yellow lane (2): documents were checked.")
RED_LANE = N_("Red lane (3): goods were inspected; the status decides whether they pass.")
GOODS_DAMAGED = N_("The goods' outside state does not match: they may not leave the supervision zone.")
SEALS_BROKEN = N_("A seal on the goods is broken: the goods may not leave the supervision zone.")
OUTSIDE_STATE_UNCHECKED = N_("At a border gate, check the goods' outside state and seals before they leave.")

MESSAGES: tuple[str, ...] = (
    STATUS_NOT_ELIGIBLE,
    BARCODE_EXPIRED,
    SEAL_NOT_CONFIRMED,
    CONTAINERS_NOT_DECLARED,
    CONTAINER_CHECK_DIGIT,
    CONTAINER_SHAPE,
    CONTAINER_REPEATED,
    CONTAINER_NOT_DECLARED,
    CONTAINER_MISSING,
    CONTAINER_COUNT,
    WEIGHT_NOT_DECLARED,
    WEIGHT_MISMATCH,
    PACKAGES_NOT_DECLARED,
    PACKAGE_COUNT_MISMATCH,
    XRAY_WARNING,
    SYSTEM_WARNING,
    YELLOW_LANE,
    RED_LANE,
    GOODS_DAMAGED,
    SEALS_BROKEN,
    OUTSIDE_STATE_UNCHECKED,
)


class Severity(StrEnum):
    BLOCKING = "blocking"  # the goods may not pass until it is resolved
    WARNING = "warning"  # the officer must read it; it does not refuse by itself
    INFO = "info"  # shown for context (the lane)


class OutsideState(StrEnum):
    """The goods' outside state as the officer sees it at a border gate (Art 36.2.b)."""

    INTACT = "intact"
    DAMAGED = "damaged"


class CardContainer(msgspec.Struct, kw_only=True):
    number: str  # ISO 6346
    seal: str = ""  # the carrier's seal number


class CardWarning(msgspec.Struct, kw_only=True):
    text: str
    source: str  # "xray" (form 03/KQSCT/GSQL) or "upstream"


class GateCard(msgspec.Struct, kw_only=True):
    """What the gate must see of one declaration: self-contained and JSON-friendly, so that the device can run the
    same check from its replicated copy. Built by `backend.gate.cards`."""

    number: str
    version: int  # the current version; a barcode printed for an older one has expired (35.2.b.2.1.2)
    kind: str
    status_code: str
    allows_passage: bool  # the status allows passing the supervision zone (35.2.a.1)
    lane: int  # 1 green, 2 yellow, 3 red
    branch_code: str  # branch of registration: where a list is reprinted
    seal_required: bool
    sealed: bool
    cargo_type: str  # containers | bulk | loose
    containers: list[CardContainer] = []
    weight_kg: float | None = None
    package_count: int | None = None
    goods_description: str = ""
    warnings: list[CardWarning] = []
    updated_at: str = ""  # ISO 8601, when upstream last changed the declaration


class Presented(msgspec.Struct, kw_only=True):
    """What the officer sees at the gate. Leave out what was not presented or not checked."""

    containers: list[str] | None = None  # container numbers on the truck(s), as scanned or typed
    whole_lot: bool = False  # the containers are the whole lot: missing ones and the count are checked too
    weight_kg: float | None = None  # bulk / liquid: weighed
    package_count: int | None = None  # loose cargo: counted
    outside_state: OutsideState | None = None  # border gates (Art 36): the goods' outside state
    seals_intact: bool | None = None  # border gates (Art 36): the seals on the goods are intact


class Reason(msgspec.Struct, kw_only=True):
    code: str
    clause: str  # e.g. "35.2.b.2.1.2"
    severity: Severity
    message: str  # English msgid
    params: dict[str, Any] = {}
    # The clause is applied by analogy: an export declaration, whose own articles are not in the procedure text.
    by_analogy: bool = False

    def text(self, language: str | None = None) -> str:
        """The reason in `language`, or in the current request's language."""
        if language is None:
            return gettext(self.message, **self.params)
        return translate_in(language, self.message, **self.params)


class Verdict(msgspec.Struct, kw_only=True):
    eligible: bool  # no blocking reason
    reasons: list[Reason]


# Declarations whose goods Arts 35 and 36 name (import goods, and the transit approval notice); any other kind (export)
# is checked with the same points by analogy, and its reasons say so.
DIRECT_KINDS = frozenset({"import", "independent_transit", "combined_transit"})


@dataclass(frozen=True)
class At:
    """Where and what is checked: the clause of each rule differs between Art 35 and Art 36, and is cited by analogy
    for a kind of declaration neither article names."""

    border_gate: bool
    scanned_version: int | None
    by_analogy: bool = False
    rules: GateRules = DEFAULT_RULES

    def clause(self, art35: str, art36: str) -> str:
        return art36 if self.border_gate else art35


Rule = Callable[[GateCard, Presented, At], list[Reason]]


def _reason(code: str, clause: str, severity: Severity, message: str, **params: Any) -> Reason:
    return Reason(code=code, clause=clause, severity=severity, message=message, params=params)


# --- the rules ---------------------------------------------------------------------------------------------------


def status_allows_passage(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if card.allows_passage:
        return []
    return [
        _reason(
            "status_not_eligible",
            at.clause("35.2.a.1", "36.2.b.1"),
            Severity.BLOCKING,
            STATUS_NOT_ELIGIBLE,
            status=card.status_code,
        )
    ]


def barcode_version_current(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if at.scanned_version is None or at.scanned_version >= card.version:
        return []
    return [
        _reason(
            "barcode_expired",
            at.clause("35.2.b.2.1.2", "36.2.c.2.1.2"),
            Severity.BLOCKING,
            BARCODE_EXPIRED,
            scanned=at.scanned_version,
            current=card.version,
            branch=card.branch_code,
        )
    ]


def seal_confirmed(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if not card.seal_required or card.sealed:
        return []
    return [
        _reason(
            "seal_not_confirmed",
            at.clause("35.2.b.2.1.1", "36.2.c.2.1.1"),
            Severity.BLOCKING,
            SEAL_NOT_CONFIRMED,
        )
    ]


def containers_match(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if presented.containers is None:
        return []
    clause = at.clause("35.2.a.2", "36.2.b.2")
    if card.cargo_type != "containers":
        return [
            _reason(
                "containers_not_declared",
                clause,
                Severity.BLOCKING,
                CONTAINERS_NOT_DECLARED,
                cargo=card.cargo_type,
            )
        ]
    reasons: list[Reason] = []
    declared = [c.number for c in card.containers]
    seen: list[str] = []
    for raw in presented.containers:
        verdict = iso6346.check(raw)
        if not verdict.valid:
            hints = ", ".join(verdict.hints)
            if verdict.problem == "check_digit":
                message = CONTAINER_CHECK_DIGIT
            else:
                message = CONTAINER_SHAPE
            reasons.append(
                _reason(
                    "container_invalid",
                    clause,
                    Severity.BLOCKING,
                    message,
                    number=verdict.number,
                    digit=verdict.expected_check_digit if verdict.expected_check_digit is not None else "",
                    hints=hints or "-",
                )
            )
            continue
        if verdict.number in seen:
            reasons.append(
                _reason(
                    "container_repeated",
                    clause,
                    Severity.BLOCKING,
                    CONTAINER_REPEATED,
                    number=verdict.number,
                )
            )
            continue
        seen.append(verdict.number)
        if verdict.number not in declared:
            reasons.append(
                _reason(
                    "container_not_declared",
                    clause,
                    Severity.BLOCKING,
                    CONTAINER_NOT_DECLARED,
                    number=verdict.number,
                )
            )
    if presented.whole_lot:
        for number in declared:
            if number not in seen:
                reasons.append(
                    _reason(
                        "container_missing",
                        clause,
                        Severity.BLOCKING,
                        CONTAINER_MISSING,
                        number=number,
                    )
                )
        if len(presented.containers) != len(declared):
            reasons.append(
                _reason(
                    "container_count",
                    clause,
                    Severity.BLOCKING,
                    CONTAINER_COUNT,
                    presented=len(presented.containers),
                    declared=len(declared),
                )
            )
    return reasons


def weight_matches(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if presented.weight_kg is None:
        return []
    clause = at.clause("35.2.a.2", "36.2.b.2")
    if card.weight_kg is None:
        return [
            _reason(
                "weight_not_declared",
                clause,
                Severity.BLOCKING,
                WEIGHT_NOT_DECLARED,
                cargo=card.cargo_type,
            )
        ]
    off = abs(presented.weight_kg - card.weight_kg) / card.weight_kg * 100 if card.weight_kg else 100.0
    tolerance = at.rules.weight_tolerance_percent
    if off <= tolerance:
        return []
    return [
        _reason(
            "weight_mismatch",
            clause,
            Severity.BLOCKING,
            WEIGHT_MISMATCH,
            presented=_kg(presented.weight_kg),
            declared=_kg(card.weight_kg),
            off=f"{off:.1f}",
            tolerance=f"{tolerance:g}",
        )
    ]


def packages_match(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if presented.package_count is None:
        return []
    clause = at.clause("35.2.a.2", "36.2.b.2")
    if card.package_count is None:
        return [
            _reason(
                "packages_not_declared",
                clause,
                Severity.BLOCKING,
                PACKAGES_NOT_DECLARED,
                cargo=card.cargo_type,
            )
        ]
    if presented.package_count == card.package_count:
        return []
    return [
        _reason(
            "package_count_mismatch",
            clause,
            Severity.BLOCKING,
            PACKAGE_COUNT_MISMATCH,
            presented=presented.package_count,
            declared=card.package_count,
        )
    ]


def declaration_warnings(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    reasons = []
    for warning in card.warnings:
        if warning.source == "xray":
            reasons.append(
                _reason(
                    "xray_warning",
                    at.clause("35.4", "36.4"),
                    Severity.BLOCKING if at.rules.xray_warnings_block else Severity.WARNING,
                    XRAY_WARNING,
                    text=warning.text,
                )
            )
        else:
            reasons.append(
                _reason(
                    "system_warning",
                    at.clause("35.2.a.3", "36.2.c.2.1"),
                    Severity.WARNING,
                    SYSTEM_WARNING,
                    text=warning.text,
                )
            )
    return reasons


def lane_information(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if card.lane not in (2, 3):
        return []
    message = YELLOW_LANE if card.lane == 2 else RED_LANE
    return [_reason("lane", at.clause("35.2.a.1", "36.2.b.1"), Severity.INFO, message, lane=card.lane)]


def outside_state_intact(card: GateCard, presented: Presented, at: At) -> list[Reason]:
    if not at.border_gate:
        return []  # Art 35 compares documents only
    reasons = []
    if presented.outside_state == OutsideState.DAMAGED:
        reasons.append(
            _reason(
                "goods_damaged",
                "36.2.c.2.3",
                Severity.BLOCKING,
                GOODS_DAMAGED,
            )
        )
    if presented.seals_intact is False:
        reasons.append(
            _reason(
                "seals_broken",
                "36.2.c.2.3",
                Severity.BLOCKING,
                SEALS_BROKEN,
            )
        )
    if presented.outside_state is None and presented.seals_intact is None:
        reasons.append(
            _reason(
                "outside_state_unchecked",
                "36.2.b",
                Severity.WARNING,
                OUTSIDE_STATE_UNCHECKED,
            )
        )
    return reasons


def _kg(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".")


# The order is the order reasons are shown in: why the declaration cannot pass at all first.
RULES: tuple[tuple[str, Rule], ...] = (
    ("status", status_allows_passage),
    ("barcode_version", barcode_version_current),
    ("seal", seal_confirmed),
    ("containers", containers_match),
    ("weight", weight_matches),
    ("packages", packages_match),
    ("warnings", declaration_warnings),
    ("lane", lane_information),
    ("outside_state", outside_state_intact),
)


def check_passage(
    card: GateCard,
    presented: Presented,
    *,
    scanned_version: int | None,
    border_gate: bool,
    rules: GateRules = DEFAULT_RULES,
) -> Verdict:
    """The verdict on goods presented at a gate: every rule of `RULES`, in order; eligible when none blocks.

    `scanned_version` is the version the list's barcode was printed for (None when the officer typed the number,
    Art 35.2.c: there is no barcode to expire). `border_gate`: a road, river or rail border gate (Art 36).
    `rules`: giamsat's own rules (the weight tolerance, whether an X-ray warning blocks); the server passes the
    deployment's (`services.configured_rules()`), the device the page's.
    """
    at = At(border_gate=border_gate, scanned_version=scanned_version, by_analogy=card.kind not in DIRECT_KINDS, rules=rules)
    reasons = [reason for _, rule in RULES for reason in rule(card, presented, at)]
    if at.by_analogy:
        for reason in reasons:
            reason.by_analogy = True
    return Verdict(eligible=not any(r.severity == Severity.BLOCKING for r in reasons), reasons=reasons)
