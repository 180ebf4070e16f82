"""The gate check's rules, one table row per rule and condition, each naming the clause it enforces. No database."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import msgspec
import pytest

from backend.gate import check as check_module
from backend.gate.check import (
    MESSAGES,
    RULES,
    DEFAULT_RULES,
    WEIGHT_TOLERANCE_PERCENT,
    CardContainer,
    CardWarning,
    GateCard,
    GateRules,
    OutsideState,
    Presented,
    Severity,
    check_passage,
)
from tests.declarations.helpers import C1, C2, container

C3 = container("TEMU000001")


def card(**changes: Any) -> GateCard:
    base: dict[str, Any] = {
        "number": "104000000001",
        "version": 2,
        "kind": "import",
        "status_code": "THONG_QUAN",
        "allows_passage": True,
        "lane": 1,
        "branch_code": "B1",
        "seal_required": False,
        "sealed": False,
        "cargo_type": "containers",
        "containers": [CardContainer(number=C1, seal="A1"), CardContainer(number=C2, seal="A2")],
    }
    base.update(changes)
    return GateCard(**base)


BULK = {"cargo_type": "bulk", "containers": [], "weight_kg": 25000.5}
LOOSE = {"cargo_type": "loose", "containers": [], "package_count": 40}
BAD_DIGIT = C1[:10] + str((int(C1[10]) + 1) % 10)

# (id, card changes, presented, scanned_version, border_gate, expected codes with (clause, severity))
CASES: list[tuple[str, dict[str, Any], Presented, int | None, bool, dict[str, tuple[str, Severity]]]] = [
    ("all_good", {}, Presented(containers=[C1]), 2, False, {}),
    ("typed_number_has_no_barcode_to_expire", {}, Presented(containers=[C1]), None, False, {}),
    ("status_not_eligible", {"allows_passage": False, "status_code": "CHO_KIEM_TRA"}, Presented(), 2, False,
     {"status_not_eligible": ("35.2.a.1", Severity.BLOCKING)}),
    ("status_not_eligible_border", {"allows_passage": False}, Presented(seals_intact=True), 2, True,
     {"status_not_eligible": ("36.2.b.1", Severity.BLOCKING)}),
    ("barcode_expired", {}, Presented(), 1, False, {"barcode_expired": ("35.2.b.2.1.2", Severity.BLOCKING)}),
    ("barcode_expired_border", {}, Presented(outside_state=OutsideState.INTACT), 1, True,
     {"barcode_expired": ("36.2.c.2.1.2", Severity.BLOCKING)}),
    ("barcode_newer_than_card_is_not_expired", {}, Presented(), 3, False, {}),
    ("seal_not_confirmed", {"seal_required": True}, Presented(), 2, False,
     {"seal_not_confirmed": ("35.2.b.2.1.1", Severity.BLOCKING)}),
    ("seal_confirmed", {"seal_required": True, "sealed": True}, Presented(), 2, False, {}),
    ("container_not_declared", {}, Presented(containers=[C3]), 2, False,
     {"container_not_declared": ("35.2.a.2", Severity.BLOCKING)}),
    ("container_wrong_check_digit", {}, Presented(containers=[BAD_DIGIT]), 2, False,
     {"container_invalid": ("35.2.a.2", Severity.BLOCKING)}),
    ("container_bad_shape", {}, Presented(containers=["TGHU12"]), 2, False,
     {"container_invalid": ("35.2.a.2", Severity.BLOCKING)}),
    ("container_twice", {}, Presented(containers=[C1, C1]), 2, False,
     {"container_repeated": ("35.2.a.2", Severity.BLOCKING)}),
    ("one_container_of_two_is_fine", {}, Presented(containers=[C2]), 2, False, {}),
    ("whole_lot_missing_one", {}, Presented(containers=[C1], whole_lot=True), 2, False,
     {"container_missing": ("35.2.a.2", Severity.BLOCKING), "container_count": ("35.2.a.2", Severity.BLOCKING)}),
    ("whole_lot_complete", {}, Presented(containers=[C2, C1], whole_lot=True), 2, False, {}),
    ("whole_lot_border", {}, Presented(containers=[C1, C2, C3], whole_lot=True, seals_intact=True), 2, True,
     {"container_not_declared": ("36.2.b.2", Severity.BLOCKING), "container_count": ("36.2.b.2", Severity.BLOCKING)}),
    ("containers_on_bulk", BULK, Presented(containers=[C1]), 2, False,
     {"containers_not_declared": ("35.2.a.2", Severity.BLOCKING)}),
    ("weight_within_tolerance", BULK, Presented(weight_kg=25000.5 * (1 + WEIGHT_TOLERANCE_PERCENT / 100 * 0.99)), 2,
     False, {}),
    ("weight_beyond_tolerance", BULK, Presented(weight_kg=25000.5 * (1 + WEIGHT_TOLERANCE_PERCENT / 100 * 1.5)), 2,
     False, {"weight_mismatch": ("35.2.a.2", Severity.BLOCKING)}),
    ("weight_on_containers", {}, Presented(weight_kg=100.0), 2, False,
     {"weight_not_declared": ("35.2.a.2", Severity.BLOCKING)}),
    ("packages_match", LOOSE, Presented(package_count=40), 2, False, {}),
    ("packages_mismatch", LOOSE, Presented(package_count=39), 2, False,
     {"package_count_mismatch": ("35.2.a.2", Severity.BLOCKING)}),
    ("packages_on_bulk", BULK, Presented(package_count=3), 2, False,
     {"packages_not_declared": ("35.2.a.2", Severity.BLOCKING)}),
    ("xray_warning", {"warnings": [CardWarning(text="Vùng mật độ bất thường", source="xray")]}, Presented(), 2, False,
     {"xray_warning": ("35.4", Severity.BLOCKING)}),
    ("xray_warning_border", {"warnings": [CardWarning(text="x", source="xray")]}, Presented(seals_intact=True), 2, True,
     {"xray_warning": ("36.4", Severity.BLOCKING)}),
    ("system_warning", {"warnings": [CardWarning(text="Kiểm tra C/O", source="upstream")]}, Presented(), 2, False,
     {"system_warning": ("35.2.a.3", Severity.WARNING)}),
    # Art 36.2 has no point like 35.2.a.3: it names the system's warnings only in c.2.1 ("khi Hệ thống cảnh báo").
    ("system_warning_border", {"warnings": [CardWarning(text="Kiểm tra C/O", source="upstream")]},
     Presented(seals_intact=True), 2, True, {"system_warning": ("36.2.c.2.1", Severity.WARNING)}),
    ("yellow_lane_is_information", {"lane": 2}, Presented(), 2, False, {"lane": ("35.2.a.1", Severity.INFO)}),
    ("red_lane_is_information", {"lane": 3}, Presented(), 2, False, {"lane": ("35.2.a.1", Severity.INFO)}),
    ("red_lane_not_eligible_by_status", {"lane": 3, "allows_passage": False}, Presented(), 2, False,
     {"lane": ("35.2.a.1", Severity.INFO), "status_not_eligible": ("35.2.a.1", Severity.BLOCKING)}),
    ("border_goods_damaged", LOOSE, Presented(outside_state=OutsideState.DAMAGED, seals_intact=True), 2, True,
     {"goods_damaged": ("36.2.c.2.3", Severity.BLOCKING)}),
    ("border_seals_broken", {}, Presented(outside_state=OutsideState.INTACT, seals_intact=False), 2, True,
     {"seals_broken": ("36.2.c.2.3", Severity.BLOCKING)}),
    ("border_unchecked_outside_state", {}, Presented(), 2, True,
     {"outside_state_unchecked": ("36.2.b", Severity.WARNING)}),
    ("border_intact", LOOSE, Presented(outside_state=OutsideState.INTACT, seals_intact=True), 2, True, {}),
    ("port_ignores_outside_state", {}, Presented(outside_state=OutsideState.DAMAGED), 2, False, {}),
]


@pytest.mark.parametrize(
    ("changes", "presented", "scanned_version", "border_gate", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_check_rule_gives_its_reason_and_clause(
    changes: dict[str, Any],
    presented: Presented,
    scanned_version: int | None,
    border_gate: bool,
    expected: dict[str, tuple[str, Severity]],
) -> None:
    """Decision 1966: each case asserts the clause its reason cites and proves that clause's check, among them
    35.2.a.1 (status_not_eligible), 36.2.b.1 (status_not_eligible_border), 35.2.a.3 (system_warning), 36.2.c.2.1
    (system_warning_border), 35.2.b.2.1.1 (seal_not_confirmed), 36.2.c.2.1.2 (barcode_expired_border), 36.2.b
    (border_unchecked_outside_state) and 36.2.b.2 (whole_lot_border for the containers; border_goods_damaged and
    border_intact for a loose lot's original state, whose mismatch refuses exit under 36.2.c.2.3)."""
    verdict = check_passage(card(**changes), presented, scanned_version=scanned_version, border_gate=border_gate)

    assert {r.code: (r.clause, r.severity) for r in verdict.reasons} == expected
    assert verdict.eligible is not any(severity == Severity.BLOCKING for _, severity in expected.values())


def test_check_every_rule_is_walked_by_a_case() -> None:
    names = {name for name, _ in RULES}
    fired_by = {
        "status": "status_not_eligible", "barcode_version": "barcode_expired", "seal": "seal_not_confirmed",
        "containers": "container_not_declared", "weight": "weight_mismatch", "packages": "package_count_mismatch",
        "warnings": "xray_warning", "lane": "lane", "outside_state": "goods_damaged",
    }
    codes = {code for case in CASES for code in case[5]}

    assert set(fired_by) == names
    assert set(fired_by.values()) <= codes


def test_check_wrong_check_digit_hints_the_meant_container() -> None:
    verdict = check_passage(card(), Presented(containers=[BAD_DIGIT]), scanned_version=None, border_gate=False)

    (reason,) = verdict.reasons
    assert reason.params["digit"] == int(C1[10]) and C1 in reason.params["hints"]
    assert C1 in reason.text("en") and "check digit" in reason.text("en")


def test_check_barcode_expired_worded_in_vietnamese_and_english() -> None:
    """Decision 1966 Art 35.2.b.2.1, in its case b.2.1.2: the refusal guides the declarant through what is still to
    do (reprint the list at the branch of registration), in Vietnamese and English."""
    verdict = check_passage(card(version=3), Presented(), scanned_version=1, border_gate=False)

    (reason,) = verdict.reasons
    assert reason.text("en") == (
        "The barcode (version 1) expired by a supplementary declaration (now version 3): "
        "reprint the list at the registering branch B1."
    )
    assert reason.text("vi") == (
        "Mã vạch (phiên bản 1) đã hết hiệu lực do phát sinh tờ khai bổ sung (nay là phiên bản 3): "
        "in lại danh sách tại Chi cục Hải quan nơi đăng ký tờ khai B1."
    )


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_check_every_reason_has_a_vietnamese_wording(case: Any) -> None:
    _, changes, presented, scanned_version, border_gate, _ = case
    verdict = check_passage(card(**changes), presented, scanned_version=scanned_version, border_gate=border_gate)

    for reason in verdict.reasons:
        assert reason.text("vi") != reason.text("en"), reason.message


def test_check_weight_mismatch_states_the_figures_and_tolerance() -> None:
    verdict = check_passage(card(**BULK), Presented(weight_kg=24000), scanned_version=None, border_gate=False)

    (reason,) = verdict.reasons
    assert reason.text("en") == (
        "Weighed 24,000 kg, declared 25,000.5 kg: 4.0% off, beyond the 2% tolerance for weighbridge error and "
        "moisture or evaporation."
    )


def test_check_verdict_and_card_round_trip_as_json() -> None:
    original = card(warnings=[CardWarning(text="x", source="xray")])
    verdict = check_passage(original, Presented(containers=[C1]), scanned_version=1, border_gate=False)

    assert msgspec.json.decode(msgspec.json.encode(original), type=GateCard) == original
    decoded = msgspec.json.decode(msgspec.json.encode(verdict))
    assert decoded["eligible"] is False
    assert [r["code"] for r in decoded["reasons"]] == ["barcode_expired", "xray_warning"]
    assert decoded["reasons"][0]["severity"] == "blocking"


def test_check_messages_lists_every_msgid_of_the_rules() -> None:
    """`MESSAGES` is what the device's catalog holds (gate/_check_messages.html): every N_() of check.py, each once,
    and every message a case produces."""
    tree = ast.parse(Path(check_module.__file__).read_text())
    marked = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_"
    ]
    produced = {
        reason.message
        for _, changes, presented, scanned_version, border_gate, _ in CASES
        for reason in check_passage(
            card(**changes), presented, scanned_version=scanned_version, border_gate=border_gate
        ).reasons
    }
    produced |= {
        reason.message
        for presented in (Presented(containers=["TGHU12"]), Presented(containers=[BAD_DIGIT]))
        for reason in check_passage(card(), presented, scanned_version=None, border_gate=False).reasons
    }

    assert len(MESSAGES) == len(set(MESSAGES))
    assert sorted(marked) == sorted(MESSAGES)
    assert produced == set(MESSAGES)


# --- which article applies to which kind of declaration (docs/gate.md, "Which article applies") -----------------

UPSTREAM = CardWarning(text="Kiểm tra C/O", source="upstream")
# (kind, border gate, expected (code, clause, by analogy)) for a card whose status refuses and with a system warning.
KIND_CASES = [
    ("import", False, [("status_not_eligible", "35.2.a.1", False), ("system_warning", "35.2.a.3", False)]),
    ("import", True, [("status_not_eligible", "36.2.b.1", False), ("system_warning", "36.2.c.2.1", False)]),
    ("independent_transit", False, [("status_not_eligible", "35.2.a.1", False), ("system_warning", "35.2.a.3", False)]),
    ("independent_transit", True, [("status_not_eligible", "36.2.b.1", False), ("system_warning", "36.2.c.2.1", False)]),
    ("combined_transit", False, [("status_not_eligible", "35.2.a.1", False), ("system_warning", "35.2.a.3", False)]),
    ("combined_transit", True, [("status_not_eligible", "36.2.b.1", False), ("system_warning", "36.2.c.2.1", False)]),
    ("export", False, [("status_not_eligible", "35.2.a.1", True), ("system_warning", "35.2.a.3", True)]),
    ("export", True, [("status_not_eligible", "36.2.b.1", True), ("system_warning", "36.2.c.2.1", True)]),
]


@pytest.mark.parametrize(("kind", "border_gate", "expected"), KIND_CASES, ids=[f"{k}-{'border' if b else 'port'}" for k, b, _ in KIND_CASES])
def test_check_cites_the_article_of_its_kind_of_declaration(kind: str, border_gate: bool, expected: list[Any]) -> None:
    """Art 35 (ports, airports, ICDs) and Art 36 (road, river, rail border gates) are written for import goods and
    name the transit approval notice (35.2.a, 36.2.a; 41.1.c.1.3; 42.2): import and transit reasons cite them
    directly. An export declaration's articles are not in the procedure text: its reasons cite the same points by
    analogy and say so."""
    verdict = check_passage(
        card(kind=kind, allows_passage=False, status_code="CHO_KIEM_TRA", warnings=[UPSTREAM]),
        Presented(outside_state=OutsideState.INTACT, seals_intact=True),
        scanned_version=2,
        border_gate=border_gate,
    )

    assert [(r.code, r.clause, r.by_analogy) for r in verdict.reasons] == expected


def test_check_export_at_a_border_gate_refuses_damaged_goods_citing_36_2_c_2_3_by_analogy() -> None:
    """36.2.c.2.3 for an export declaration: the goods do not go out, and the clause is cited by analogy."""
    verdict = check_passage(card(kind="export"), Presented(outside_state=OutsideState.DAMAGED), scanned_version=2, border_gate=True)

    assert [(r.code, r.clause, r.by_analogy) for r in verdict.reasons] == [("goods_damaged", "36.2.c.2.3", True)]
    assert verdict.eligible is False


# --- giamsat's own rules, settings (docs/gate.md, "Rules that are giamsat's") ------------------------------------


def test_check_weight_tolerance_35_2_a_2_is_the_deployments_setting() -> None:
    """35.2.a.2 names the weight but no tolerance: the figure is giamsat's, GIAMSAT_WEIGHT_TOLERANCE_PERCENT."""
    presented = Presented(weight_kg=25000.5 * 1.01)  # 1 % heavier

    default = check_passage(card(**BULK), presented, scanned_version=None, border_gate=False)
    tight = check_passage(card(**BULK), presented, scanned_version=None, border_gate=False, rules=GateRules(weight_tolerance_percent=0.5))

    assert default.eligible is True and default.reasons == []
    assert [(r.code, r.clause) for r in tight.reasons] == [("weight_mismatch", "35.2.a.2")]
    assert tight.reasons[0].params["tolerance"] == "0.5"
    assert "beyond the 0.5% tolerance" in tight.reasons[0].text("en")


def test_check_xray_warning_35_4_blocks_unless_the_setting_says_otherwise() -> None:
    """35.4 / 36.4 defer to Art 4.2.a (not in the procedure text): blocking is giamsat's reading, a setting
    (GIAMSAT_XRAY_WARNINGS_BLOCK). Off, the warning is still shown, citing 35.4, as a warning."""
    xray = card(warnings=[CardWarning(text="Vùng mật độ bất thường", source="xray")])

    blocking = check_passage(xray, Presented(), scanned_version=2, border_gate=False)
    shown = check_passage(xray, Presented(), scanned_version=2, border_gate=False, rules=GateRules(xray_warnings_block=False))

    assert DEFAULT_RULES.xray_warnings_block is True
    assert blocking.eligible is False and [(r.clause, r.severity) for r in blocking.reasons] == [("35.4", Severity.BLOCKING)]
    assert shown.eligible is True and [(r.clause, r.severity) for r in shown.reasons] == [("35.4", Severity.WARNING)]


def test_settings_read_the_gate_rules_and_refuse_a_bad_tolerance() -> None:
    """The weight tolerance (35.2.a.2) and X-ray blocking (35.4) settings, giamsat's rules: read once, checked."""
    from backend.gate.services import rules_from
    from backend.settings import SettingsError, load_settings

    base = {"GIAMSAT_SECRET_KEY": "x"}
    default = load_settings(base)
    changed = load_settings({**base, "GIAMSAT_WEIGHT_TOLERANCE_PERCENT": "1.5", "GIAMSAT_XRAY_WARNINGS_BLOCK": "0"})

    assert rules_from(default) == DEFAULT_RULES
    assert rules_from(changed) == GateRules(weight_tolerance_percent=1.5, xray_warnings_block=False)
    for bad in ("-1", "two", "80"):
        with pytest.raises(SettingsError, match="GIAMSAT_WEIGHT_TOLERANCE_PERCENT"):
            load_settings({**base, "GIAMSAT_WEIGHT_TOLERANCE_PERCENT": bad})
